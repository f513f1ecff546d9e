"""The e-mails of event registrations: confirmation (with the event as .ics and a cancellation
link), waiting list, promotion from it, cancellation, and the staff's notice of each."""

from __future__ import annotations

import datetime as dt

from . import links
from .catalogue import EventInfo, TerritoryInfo
from .french import datetime_fr, phone, time_fr
from .ics import event_ics
from .letters import Attachment, Letter, Section, job
from .recipients import staff
from .registrations import CONFIRMED, Registration

CANCEL = "cancel-registration"


def cancel_url(app, event: EventInfo, registration: Registration) -> str:
    """The signed link that cancels this registration, valid until the event ends."""
    expires = (event.end or event.start) + dt.timedelta(hours=1)
    token = links.sign(app.token_key, links.Link(CANCEL, registration.id, expires))
    return links.url(app.settings.site_url, token)


def _slot(event: EventInfo, registration: Registration):
    if not registration.slot:
        return None
    found = event.slot_at(dt.datetime.fromisoformat(registration.slot))
    return (found.start, found.end) if found else None


def _facts(event: EventInfo, registration: Registration, slot_label="Votre entretien") -> tuple:
    facts = [("Date", datetime_fr(event.start)), ("Lieu", event.place)]
    slot = _slot(event, registration)
    if slot:
        end = f" – {time_fr(slot[1])}" if slot[1] else ""
        facts.append((slot_label, f"{time_fr(slot[0])}{end}"))
    facts.append(("Référence", registration.id))
    return tuple(facts)


def _to(registration: Registration) -> tuple:
    name = f"{registration.fields['first_name']} {registration.fields['last_name']}"
    return ((registration.email, name),)


def _confirmation(app, territory, event, registration, promoted: bool) -> Letter:
    first = (
        f"Une place s'est libérée : vous quittez la liste d'attente, votre inscription à "
        f"« {event.title} » est confirmée."
        if promoted
        else f"Votre inscription à « {event.title} » est confirmée."
    )
    url = app.settings.site_url + event.page_path
    ics = event_ics(territory, event, registration.id, app.clock(), url, _slot(event, registration))
    return Letter(
        kind="registration-promoted" if promoted else "registration-confirmed",
        subject=f"[{territory.name}] Inscription confirmée : {event.title}",
        to=_to(registration),
        reply_to=(territory.contact_email, territory.contact_name or territory.name),
        sections=(
            Section(
                paragraphs=(
                    f"Bonjour {registration.fields['first_name']},",
                    first,
                    "L'événement est joint à ce message (fichier .ics) : ouvrez-le pour "
                    "l'ajouter à votre agenda.",
                ),
                facts=_facts(event, registration),
            ),
            Section(
                paragraphs=(
                    "Vous ne pourrez pas venir ? Annulez, votre place reviendra à la première "
                    "personne de la liste d'attente :",
                ),
                links=(("Annuler mon inscription", cancel_url(app, event, registration)),),
            ),
        ),
        attachments=(Attachment("evenement.ics", "text/calendar; method=PUBLISH", ics),),
    )


def _waitlisted(app, territory, event, registration) -> Letter:
    return Letter(
        kind="registration-waitlisted",
        subject=f"[{territory.name}] Liste d'attente : {event.title}",
        to=_to(registration),
        reply_to=(territory.contact_email, territory.contact_name or territory.name),
        sections=(
            Section(
                paragraphs=(
                    f"Bonjour {registration.fields['first_name']},",
                    f"Les {event.capacity} places de « {event.title} » sont prises : vous êtes "
                    "sur la liste d'attente. Si une place se libère, elle revient à la première "
                    "personne de la liste, et vous recevez alors un e-mail de confirmation.",
                ),
                facts=_facts(event, registration),
            ),
            Section(
                paragraphs=("Vous ne souhaitez plus venir ?",),
                links=(("Me retirer de la liste d'attente", cancel_url(app, event, registration)),),
            ),
        ),
    )


def _cancelled(territory, event, registration) -> Letter:
    return Letter(
        kind="registration-cancelled",
        subject=f"[{territory.name}] Inscription annulée : {event.title}",
        to=_to(registration),
        reply_to=(territory.contact_email, territory.contact_name or territory.name),
        sections=(
            Section(
                paragraphs=(
                    f"Bonjour {registration.fields['first_name']},",
                    f"Votre inscription à « {event.title} » du {datetime_fr(event.start)} est "
                    "annulée. Merci de nous avoir prévenus.",
                ),
            ),
        ),
    )


def _staff_notice(app, territory, event, registration, what: str) -> Letter:
    fields = registration.fields
    facts = [
        ("Nom", f"{fields['first_name']} {fields['last_name']}"),
        ("E-mail", fields["email"]),
        ("Profession", fields["profession"]),
    ]
    if fields.get("phone"):
        facts.append(("Téléphone", phone(fields["phone"])))
    facts += list(_facts(event, registration, slot_label="Entretien"))
    paragraphs = [f"{what[0].upper()}{what[1:]}."]
    if fields.get("message"):
        paragraphs.append(f"Message : {fields['message']}")
    return Letter(
        kind="registration-notify",
        subject=f"[{territory.name}] {event.title} — {what}",
        to=tuple((a, "") for a in staff(territory, app.settings.operator_email)),
        reply_to=(fields["email"], f"{fields['first_name']} {fields['last_name']}"),
        auto_submitted=False,
        sections=(
            Section(paragraphs=tuple(paragraphs), facts=tuple(facts)),
            Section(
                paragraphs=(
                    'La liste des inscrits, en CSV : make admin ARGS="registrations '
                    f'--territory {territory.slug} --event {event.id} -o inscrits.csv"',
                )
            ),
        ),
    )


def _job(app, key: str, letter: Letter, registration: Registration):
    """A job about `registration`: erased with it, kept no longer than it."""
    now = app.clock()
    return job(key, letter, app.settings.mail_from, now, registration.id, registration.expires_at)


def on_registered(app, territory: TerritoryInfo, event: EventInfo, registration: Registration):
    """The e-mails of a new registration, as decided by the store."""
    if registration.status == CONFIRMED:
        mine = _confirmation(app, territory, event, registration, promoted=False)
        what = "nouvelle inscription confirmée"
    else:
        mine = _waitlisted(app, territory, event, registration)
        what = "nouvelle inscription sur liste d'attente"
    notice = _staff_notice(app, territory, event, registration, what)
    return [
        _job(app, f"{registration.id}/{registration.status}", mine, registration),
        _job(app, f"{registration.id}/notify", notice, registration),
    ]


def on_cancelled(app, cancelled: Registration, promoted: Registration | None):
    """The e-mails of a cancellation: to the person, to the promoted one, to the staff."""
    territory = app.catalogue.get(cancelled.territory)
    event = territory.events.get(cancelled.event) if territory else None
    if event is None:  # the event is over and left the catalogue: nothing worth telling
        return []
    jobs = [
        _job(app, f"{cancelled.id}/cancelled", _cancelled(territory, event, cancelled), cancelled)
    ]
    what = "annulation"
    if promoted is not None:
        confirmation = _confirmation(app, territory, event, promoted, promoted=True)
        jobs.append(_job(app, f"{promoted.id}/promoted", confirmation, promoted))
        what += f" ; place donnée à {promoted.fields['first_name']} {promoted.fields['last_name']}"
    notice = _staff_notice(app, territory, event, cancelled, what)
    jobs.append(_job(app, f"{cancelled.id}/cancelled-notify", notice, cancelled))
    return jobs
