"""The daily digest: welcomer requests left without action, per territory, with the links that
move each one on. Sent to the territory's staff and the operator by `forms.admin digest` and by
the scheduled Lambda, once a day (its key names the territory and the day).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from . import followup
from .french import PARIS, date_fr
from .introductions import next_links, staff_links
from .letters import Letter, Section, job
from .ports import Submission
from .recipients import staff

# How long a request may wait at each stage before the digest lists it.
WAITING = {
    followup.RECEIVED: dt.timedelta(days=1),  # nobody introduced the family yet
    followup.INTRODUCED: dt.timedelta(days=7),  # the welcomer has not called
    followup.CALLING: dt.timedelta(days=21),  # no call for three weeks, neither settled nor closed
}
WHY = {
    followup.RECEIVED: "pas encore présentée à un welcomer",
    followup.INTRODUCED: "présentée, aucun appel enregistré",
    followup.CALLING: "pas d'appel depuis trois semaines",
}
LOOK_BACK = dt.timedelta(days=365)  # older requests are not chased any more
KEPT = dt.timedelta(days=90)  # a digest's job, after which it is deleted


@dataclass(frozen=True)
class Item:
    request: Submission
    state: followup.FollowUp
    waiting_days: int

    @property
    def why(self) -> str:
        return WHY[self.state.status]


def left_without_action(app, requests: list[Submission], now: dt.datetime) -> dict[str, list]:
    """Per territory slug, the requests waiting too long at their stage, oldest first."""
    found: dict[str, list[Item]] = {}
    for request in sorted(requests, key=lambda r: r.received_at):
        if now - request.received_at > LOOK_BACK:
            continue
        state = app.followups.followup(request.id) or followup.FollowUp.of(request)
        limit = WAITING.get(state.status)
        if limit is None or now - state.last_action_at < limit:
            continue
        days = (now - state.last_action_at).days
        found.setdefault(request.territory, []).append(Item(request, state, days))
    return found


def _section(app, item: Item, territory) -> Section:
    fields = item.request.fields
    links = (
        staff_links(app, item.request, territory)
        if item.state.status == followup.RECEIVED
        else next_links(app, item.state)
    )
    facts = [
        ("Reçue le", date_fr(item.request.received_at.astimezone(PARIS).date())),
        ("Où en est-elle", f"{item.why} (depuis {item.waiting_days} jours)"),
    ]
    if item.state.welcomer:
        welcomer = territory.welcomer(item.state.welcomer)
        facts.append(("Welcomer", welcomer.first_name if welcomer else item.state.welcomer))
    heading = f"{fields['first_name']} {fields['last_name']}, {fields['profession']}"
    return Section(f"{heading} — {item.request.id}", facts=tuple(facts), links=tuple(links))


def digest_letters(app, requests: list[Submission], now: dt.datetime) -> list:
    """One e-mail per territory with requests left waiting; key digest/<slug>/<Paris day>."""
    day = now.astimezone(PARIS).date()
    jobs = []
    for slug, items in sorted(left_without_action(app, requests, now).items()):
        territory = app.catalogue.get(slug)
        if territory is None:
            continue
        count = len(items)
        letter = Letter(
            kind="digest",
            subject=f"[{territory.name}] {count} demande{'s' if count > 1 else ''} en attente",
            title=f"Demandes en attente — {territory.name}, {date_fr(day)}",
            to=tuple((a, "") for a in staff(territory, app.settings.operator_email)),
            sections=(
                Section(
                    paragraphs=(
                        "Ces demandes de mise en relation attendent une action. Chaque lien "
                        "ouvre une page de confirmation : rien ne change avant que vous "
                        "confirmiez.",
                    )
                ),
                *(_section(app, item, territory) for item in items),
            ),
        )
        key = f"digest/{slug}/{day.isoformat()}"
        jobs.append(job(key, letter, app.settings.mail_from, now, key, now + KEPT))
    return jobs
