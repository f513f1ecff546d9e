"""What a signed link does: its confirmation page (GET) and its action (POST), HTTP-free.

    describe(app, token)        → Page to confirm, or raises (bad, expired, gone, done)
    perform(app, token, form)   → Page telling what was done, or raises

Actions: the follow-up of a welcomer request (introduce, call, settle, close: staff links and
the welcomer's call links) and the cancellation of an event registration.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from . import followup, introductions, links, registrations
from .french import datetime_fr
from .registration_emails import CANCEL

FOLLOWUP_ACTIONS = (followup.INTRODUCE, followup.CALL, followup.SETTLE, followup.CLOSE)


@dataclass(frozen=True)
class Page:
    """A confirmation or outcome page, in words (forms.http renders it)."""

    title: str
    paragraphs: tuple[str, ...] = ()
    button: str | None = None  # a confirmation page's submit button
    choices: tuple[tuple[str, str], ...] = ()  # (value, label) of a required `reason`
    token: str = ""
    facts: tuple[tuple[str, str], ...] = field(default_factory=tuple)


class Gone(Exception):
    """The record the link acts on no longer exists (erased, or never existed)."""


def _link(app, token: str) -> links.Link:
    link = links.verify(app.token_key, token, app.clock())  # BadLink, ExpiredLink
    if link.action not in (*FOLLOWUP_ACTIONS, CANCEL):
        raise links.BadLink
    return link


def _args(link: links.Link) -> dict:
    """The transition's arguments from the link (the reason comes from the form)."""
    args = {}
    if link.action in (followup.INTRODUCE, followup.CALL):
        args["welcomer"] = str(link.args.get("welcomer", ""))
    if link.action == followup.CALL:
        args["number"] = int(link.args.get("number", 0))
        args["by"] = followup.BY_WELCOMER if link.args.get("by") == "welcomer" else "staff"
    return args


def _family(request) -> str:
    return f"{request.fields['first_name']} {request.fields['last_name']}"


def _followup_page(app, link: links.Link, token: str) -> Page:
    try:
        request = followup.request_of(app, link.record)
    except followup.NotFound:
        raise Gone(link.record) from None
    territory = app.catalogue.get(request.territory)
    state = app.followups.followup(request.id) or followup.FollowUp.of(request)
    args = _args(link)
    if link.action == followup.CLOSE:
        args["reason"] = next(iter(followup.CLOSE_REASONS))  # any: only legality is checked
    followup.TRANSITIONS[link.action](state, app.clock(), **args)  # raises when it cannot apply
    facts = (
        ("Demande", f"{_family(request)}, {request.fields['profession']}"),
        ("Territoire", territory.name if territory else request.territory),
        ("Où en est-elle", followup.STATUS_LABELS[state.status]),
    )
    if link.action == followup.INTRODUCE:
        welcomer = introductions.welcomer_to_introduce(territory, args["welcomer"])
        return Page(
            f"Présenter {_family(request)} à {welcomer.first_name} ?",
            (
                f"{welcomer.first_name} recevra la demande de la famille par e-mail, et la "
                f"famille la présentation de {welcomer.first_name}.",
            ),
            "Présenter la famille",
            token=token,
            facts=facts,
        )
    if link.action == followup.CALL:
        number = args["number"]
        return Page(
            f"Enregistrer le {introductions.ORDINALS[number]} appel à {_family(request)} ?",
            ("L'appel sera compté dans le relevé mensuel du welcomer.",),
            "Enregistrer l'appel",
            token=token,
            facts=facts,
        )
    if link.action == followup.SETTLE:
        return Page(
            f"Enregistrer l'installation de {_family(request)} ?",
            ("Le suivi de la demande s'arrête : la famille s'est installée.",),
            "Enregistrer l'installation",
            token=token,
            facts=facts,
        )
    return Page(
        f"Clore la demande de {_family(request)} ?",
        ("Choisissez la raison : elle figure dans les rapports.",),
        "Clore la demande",
        tuple(followup.CLOSE_REASONS.items()),
        token=token,
        facts=facts,
    )


def _registration(app, link: links.Link):
    registration = app.registrations.registration(link.record)
    if registration is None:
        raise Gone(link.record)
    if registration.status == registrations.CANCELLED:
        raise followup.AlreadyDone("Cette inscription est déjà annulée.")
    territory = app.catalogue.get(registration.territory)
    event = territory.events.get(registration.event) if territory else None
    return registration, event


def _cancel_page(app, link: links.Link, token: str) -> Page:
    registration, event = _registration(app, link)
    title = event.title if event else registration.event
    waiting = registration.status == registrations.WAITLISTED
    facts = [("Événement", title)]
    if event:
        facts += [("Date", datetime_fr(event.start)), ("Lieu", event.place)]
    return Page(
        f"{'Quitter la liste d’attente' if waiting else 'Annuler votre inscription'} ?",
        (
            "Vous quittez la liste d'attente."
            if waiting
            else "Votre place reviendra à la première personne de la liste d'attente.",
        ),
        "Me retirer de la liste d'attente" if waiting else "Annuler mon inscription",
        token=token,
        facts=tuple(facts),
    )


def describe(app, token: str) -> Page:
    """The confirmation page of a link; raises BadLink, ExpiredLink, Gone or Refused."""
    link = _link(app, token)
    if link.action == CANCEL:
        return _cancel_page(app, link, token)
    return _followup_page(app, link, token)


def perform(app, token: str, form: dict) -> Page:
    """Do what the link says; raises BadLink, ExpiredLink, Gone or Refused (AlreadyDone)."""
    link = _link(app, token)
    if link.action == CANCEL:
        _registration(app, link)
        try:
            result = registrations.cancel(app, link.record)
        except registrations.AlreadyCancelled:
            raise followup.AlreadyDone("Cette inscription est déjà annulée.") from None
        except KeyError:
            raise Gone(link.record) from None
        return Page(
            "C'est fait : votre inscription est annulée.",
            ("Un e-mail vous le confirme. Merci de nous avoir prévenus.",),
            facts=(("Référence", result.cancelled.id),),
        )
    args = _args(link)
    if link.action == followup.CLOSE:
        args["reason"] = str(form.get("reason", ""))
    try:
        state = introductions.act(app, link.record, link.action, **args)
    except followup.NotFound:
        raise Gone(link.record) from None
    return Page(
        DONE[link.action], (f"La demande est maintenant : {followup.STATUS_LABELS[state.status]}.",)
    )


DONE = {
    followup.INTRODUCE: "C'est fait : la famille et le welcomer sont présentés l'un à l'autre.",
    followup.CALL: "C'est fait : l'appel est enregistré.",
    followup.SETTLE: "C'est fait : l'installation est enregistrée.",
    followup.CLOSE: "C'est fait : la demande est close.",
}
