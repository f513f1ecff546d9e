"""Introducing a family to a welcomer: the welcomer gets the family's brief (with the links to
record each call), the family gets the welcomer's presentation; each e-mail once, stored with
the follow-up's change under the keys `<request id>/introduction/<welcomer id>/{welcomer,family}`.

Also the signed links every staff e-mail carries to act on a request.
"""

from __future__ import annotations

import datetime as dt

from . import followup, french, links
from .catalogue import TerritoryInfo, WelcomerInfo
from .emails import LABELS, READABLE
from .letters import Letter, Section, job
from .matching import best_welcomers
from .ports import Submission

ORDINALS = {1: "1er", 2: "2e", 3: "3e", 4: "4e"}


class NoAddress(followup.Refused):
    """The welcomer has no e-mail address in the territory's YAML: nobody to introduce to."""


def _link(app, action: str, request_id: str, ttl: dt.timedelta, **args) -> str:
    token = links.sign(app.token_key, links.Link(action, request_id, app.clock() + ttl, dict(args)))
    return links.url(app.settings.site_url, token)


def introduce_url(app, request_id: str, welcomer: WelcomerInfo) -> str:
    return _link(app, followup.INTRODUCE, request_id, links.STAFF_LINK_TTL, welcomer=welcomer.id)


def call_url(app, request_id: str, welcomer_id: str, number: int, by: str) -> str:
    ttl = links.WELCOMER_LINK_TTL if by == followup.BY_WELCOMER else links.STAFF_LINK_TTL
    return _link(app, followup.CALL, request_id, ttl, welcomer=welcomer_id, number=number, by=by)


def settle_url(app, request_id: str) -> str:
    return _link(app, followup.SETTLE, request_id, links.STAFF_LINK_TTL)


def close_url(app, request_id: str) -> str:
    return _link(app, followup.CLOSE, request_id, links.STAFF_LINK_TTL)


def staff_links(app, request: Submission, territory: TerritoryInfo) -> list[tuple[str, str]]:
    """What the staff e-mail of a new request offers: introduce to a welcomer, or close."""
    proposed = [m.welcomer for m in best_welcomers(territory, request.fields)]
    others = [w for w in territory.welcomers if w not in proposed]
    found = [
        (f"Présenter la famille à {w.first_name} ({w.commune})", introduce_url(app, request.id, w))
        for w in [*proposed, *others]
        if w.email
    ]
    return [*found, ("Clore la demande", close_url(app, request.id))]


def next_links(app, state: followup.FollowUp) -> list[tuple[str, str]]:
    """The links that move a request on from where it stands (digests)."""
    if state.status in (followup.SETTLED, followup.CLOSED):
        return []
    found = []
    if state.status in (followup.INTRODUCED, followup.CALLING):
        number = len(state.calls) + 1
        if number <= followup.MAX_CALLS:
            found.append(
                (
                    f"Enregistrer le {ORDINALS[number]} appel",
                    call_url(app, state.request_id, state.welcomer, number, followup.BY_STAFF),
                )
            )
        found.append(("Enregistrer l'installation", settle_url(app, state.request_id)))
    return [*found, ("Clore la demande", close_url(app, state.request_id))]


def _brief(request: Submission, territory: TerritoryInfo) -> tuple[tuple[str, str], ...]:
    """The family's request, field by field (what the welcomer needs to call them)."""
    placement = territory.placements.get(request.fields.get("placement", ""))
    facts = []
    for name, label in LABELS.items():
        value = request.fields.get(name)
        if not value or name == "message":
            continue
        if isinstance(value, list):
            value = ", ".join(value)
        if name == "placement" and placement is not None:
            value = f"{placement.title} ({placement.commune})"
        elif name in READABLE:  # « +32 470 12 34 56 », « septembre 2027 »
            value = READABLE[name](value)
        facts.append((label, str(value)))
    return tuple(facts)


def _to_welcomer(app, request, territory, welcomer: WelcomerInfo) -> Letter:
    fields = request.fields
    name = f"{fields['first_name']} {fields['last_name']}"
    paragraphs = [
        f"Bonjour {welcomer.first_name},",
        f"Nous vous présentons {name} ({fields['profession']}), qui envisage de s'installer "
        "près de chez vous : appelez ou écrivez dans les jours qui viennent. Répondre à ce "
        "message écrit directement à la famille.",
        "Après chaque appel, cliquez sur le lien correspondant : vos appels sont comptés dans "
        f"votre relevé mensuel ({followup.MAX_CALLS} appels au plus par famille).",
    ]
    call_links = tuple(
        (
            f"J'ai passé le {ORDINALS[n]} appel",
            call_url(app, request.id, welcomer.id, n, followup.BY_WELCOMER),
        )
        for n in range(1, followup.MAX_CALLS + 1)
    )
    sections = [
        Section(paragraphs=tuple(paragraphs)),
        Section("La famille", facts=_brief(request, territory)),
    ]
    if fields.get("message"):
        sections.append(Section("Son message", paragraphs=(fields["message"],)))
    sections.append(Section("Vos appels", links=call_links))
    return Letter(
        kind="introduction-welcomer",
        subject=f"[{territory.name}] Une famille à accueillir : {name}",
        to=((welcomer.email, welcomer.first_name),),
        reply_to=(fields["email"], name),
        sections=tuple(sections),
        auto_submitted=False,
    )


def _to_family(app, request, territory, welcomer: WelcomerInfo) -> Letter:
    fields = request.fields
    name = f"{fields['first_name']} {fields['last_name']}"
    languages = [french.language(code) for code in welcomer.languages]
    facts = [("Commune", welcomer.commune)]
    if welcomer.topics:
        facts.append(("Peut vous aider sur", ", ".join(welcomer.topics)))
    if languages:
        facts.append(("Parle", ", ".join(languages)))
    return Letter(
        kind="introduction-family",
        subject=f"[{territory.name}] Votre welcomer : {welcomer.first_name}, à {welcomer.commune}",
        to=((fields["email"], name),),
        reply_to=(welcomer.email, welcomer.first_name),
        sections=(
            Section(
                paragraphs=(
                    f"Bonjour {fields['first_name']},",
                    f"{welcomer.first_name}, qui habite à {welcomer.commune} et accueille les "
                    "familles qui s'installent, vous appellera dans les prochains jours pour "
                    "répondre à vos questions. Répondre à ce message lui écrit directement.",
                )
            ),
            Section(
                f"{welcomer.first_name} se présente",
                paragraphs=(welcomer.bio,) if welcomer.bio else (),
                facts=tuple(facts),
            ),
        ),
    )


def welcomer_to_introduce(territory: TerritoryInfo, welcomer_id: str) -> WelcomerInfo:
    """The welcomer named by a link or a command; Refused when unknown or without address."""
    welcomer = territory.welcomer(welcomer_id)
    if welcomer is None:
        raise followup.Refused("Ce welcomer ne figure plus dans le territoire.")
    if not welcomer.email:
        raise NoAddress(
            f"{welcomer.first_name} n'a pas d'adresse e-mail dans territory.yaml "
            "(welcomers[].email) : ajoutez-la, puis recommencez."
        )
    return welcomer


def compose(app):
    """The `compose` of followup.act: the two introduction e-mails of an introduction."""

    def messages(request: Submission, before, after) -> list:
        if after.welcomer == before.welcomer or after.status != followup.INTRODUCED:
            return []
        territory = app.catalogue.get(request.territory)
        welcomer = welcomer_to_introduce(territory, after.welcomer)
        now, mail_from = app.clock(), app.settings.mail_from
        key = f"{request.id}/introduction/{welcomer.id}"
        about = (request.id, request.expires_at)  # erased with the request, kept no longer
        return [
            job(
                f"{key}/welcomer",
                _to_welcomer(app, request, territory, welcomer),
                mail_from,
                now,
                *about,
            ),
            job(
                f"{key}/family",
                _to_family(app, request, territory, welcomer),
                mail_from,
                now,
                *about,
            ),
        ]

    return messages


def act(app, request_id: str, action: str, **args) -> followup.FollowUp:
    """followup.act with the introductions' e-mails; checks the welcomer before anything."""
    if action == followup.INTRODUCE:
        request = followup.request_of(app, request_id)
        welcomer_to_introduce(app.catalogue.get(request.territory), args["welcomer"])
    return followup.act(app, request_id, action, compose=compose(app), **args)
