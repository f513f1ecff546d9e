"""The follow-up of a welcomer request: received → introduced → calls (1 to 4) → settled,
or closed with a reason at any point before it is settled.

Pure transitions over a `FollowUp` record: each returns the new record or raises `Refused`
(an action that makes no sense now) or `AlreadyDone` (a replayed link). `act` applies one to
the stored record with a compare-and-set on its version, so two clicks at once change it once;
the e-mails a transition causes (introductions) are stored with the change (forms.outgoing).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from .ports import EMAIL_SPAM, WELCOMER_REQUEST, Submission

RECEIVED = "received"
INTRODUCED = "introduced"
CALLING = "calling"
SETTLED = "settled"
CLOSED = "closed"
STATUS_LABELS = {
    RECEIVED: "reçue",
    INTRODUCED: "présentée à un welcomer",
    CALLING: "appels en cours",
    SETTLED: "installée",
    CLOSED: "close",
}
MAX_CALLS = 4  # what the welcomer's fee covers
CLOSE_REASONS = {
    "elsewhere": "installée ailleurs",
    "abandoned": "projet abandonné",
    "unreachable": "famille injoignable",
    "duplicate": "demande en double",
    "other": "autre raison",
}
# Actions of links and commands.
INTRODUCE, CALL, SETTLE, CLOSE = "introduce", "call", "settle", "close"
BY_STAFF, BY_WELCOMER = "staff", "welcomer"


class Refused(Exception):
    """The action does not apply to the request as it is now; `message` says why, in French."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class AlreadyDone(Refused):
    """The action was already applied (a link used twice): nothing changes."""


class NotFound(Exception):
    """No such welcomer request (never received, spam, or erased)."""


class Conflict(Exception):
    """The record changed since it was read: read it again and retry."""


def iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="seconds")


@dataclass
class FollowUp:
    """What happened to one welcomer request since it was received."""

    request_id: str
    territory: str
    received_at: dt.datetime
    expires_at: dt.datetime  # the request's retention limit: erased with it
    status: str = RECEIVED
    welcomer: str | None = None  # the welcomer the family is introduced to now
    introductions: list[dict] = field(default_factory=list)  # [{"welcomer", "at"}]
    calls: list[dict] = field(default_factory=list)  # [{"at", "by", "welcomer"}]
    settled_at: str | None = None
    closed_at: str | None = None
    close_reason: str | None = None
    history: list[dict] = field(default_factory=list)  # [{"at", "action", "by", ...}]
    version: int = 0  # 0: never stored

    @classmethod
    def of(cls, request: Submission) -> FollowUp:
        """The follow-up of a request nobody acted on yet."""
        return cls(request.id, request.territory, request.received_at, request.expires_at)

    @property
    def last_action_at(self) -> dt.datetime:
        """When something last happened (the request's arrival when nothing did)."""
        if not self.history:
            return self.received_at
        return dt.datetime.fromisoformat(self.history[-1]["at"])

    def to_dict(self) -> dict:
        """The JSON-serialisable state (stores keep it as one document)."""
        return {
            "status": self.status,
            "welcomer": self.welcomer,
            "introductions": self.introductions,
            "calls": self.calls,
            "settled_at": self.settled_at,
            "closed_at": self.closed_at,
            "close_reason": self.close_reason,
            "history": self.history,
        }

    @classmethod
    def from_dict(cls, request_id, territory, received_at, expires_at, version, data) -> FollowUp:
        return cls(request_id, territory, received_at, expires_at, version=version, **data)


def _logged(followup: FollowUp, now: dt.datetime, action: str, by: str, **details) -> FollowUp:
    entry = {"at": iso(now), "action": action, "by": by, **details}
    return replace(followup, history=[*followup.history, entry])


def _open(followup: FollowUp) -> None:
    if followup.status == SETTLED:
        raise Refused("Cette demande est déjà close : la famille s'est installée.")
    if followup.status == CLOSED:
        reason = CLOSE_REASONS.get(followup.close_reason or "", "")
        raise Refused(f"Cette demande est déjà close ({reason}).")


def introduce(followup: FollowUp, now: dt.datetime, welcomer: str, by: str = BY_STAFF) -> FollowUp:
    """Introduce the family to `welcomer`; another welcomer may take over before the calls."""
    if any(i["welcomer"] == welcomer for i in followup.introductions):
        raise AlreadyDone("Cette famille a déjà été présentée à ce welcomer.")
    _open(followup)
    if followup.status == CALLING:
        raise Refused("Les appels ont commencé avec un autre welcomer : fermez plutôt la demande.")
    updated = replace(
        followup,
        status=INTRODUCED,
        welcomer=welcomer,
        introductions=[*followup.introductions, {"welcomer": welcomer, "at": iso(now)}],
    )
    return _logged(updated, now, INTRODUCE, by, welcomer=welcomer)


def call(
    followup: FollowUp, now: dt.datetime, number: int, welcomer: str, by: str = BY_STAFF
) -> FollowUp:
    """Record the welcomer's call number `number` (1 to 4), in order, each once."""
    if not 1 <= number <= MAX_CALLS:
        raise Refused(f"Le service compte au plus {MAX_CALLS} appels.")
    if number <= len(followup.calls):
        raise AlreadyDone(f"L'appel n° {number} est déjà enregistré.")
    _open(followup)
    if followup.status == RECEIVED:
        raise Refused("La famille n'a encore été présentée à aucun welcomer.")
    if welcomer != followup.welcomer:
        raise Refused("La famille a été présentée depuis à un autre welcomer.")
    if number != len(followup.calls) + 1:
        raise Refused(f"Enregistrez d'abord l'appel n° {len(followup.calls) + 1}.")
    entry = {"at": iso(now), "by": by, "welcomer": welcomer}
    updated = replace(followup, status=CALLING, calls=[*followup.calls, entry])
    return _logged(updated, now, CALL, by, number=number, welcomer=welcomer)


def settle(followup: FollowUp, now: dt.datetime, by: str = BY_STAFF) -> FollowUp:
    """The family settled in the territory: the follow-up is over, successfully."""
    if followup.status == SETTLED:
        raise AlreadyDone("L'installation de cette famille est déjà enregistrée.")
    _open(followup)
    if followup.status == RECEIVED:
        raise Refused("La famille n'a encore été présentée à aucun welcomer.")
    updated = replace(followup, status=SETTLED, settled_at=iso(now))
    return _logged(updated, now, SETTLE, by)


def close(followup: FollowUp, now: dt.datetime, reason: str, by: str = BY_STAFF) -> FollowUp:
    """Close the request for one of CLOSE_REASONS."""
    if reason not in CLOSE_REASONS:
        raise Refused("Choisissez la raison de la clôture.")
    if followup.status == CLOSED:
        raise AlreadyDone("Cette demande est déjà close.")
    _open(followup)
    updated = replace(followup, status=CLOSED, closed_at=iso(now), close_reason=reason)
    return _logged(updated, now, CLOSE, by, reason=reason)


TRANSITIONS: dict[str, Callable[..., FollowUp]] = {
    INTRODUCE: introduce,
    CALL: call,
    SETTLE: settle,
    CLOSE: close,
}


def request_of(app, request_id: str) -> Submission:
    """The welcomer request with this id; NotFound for anything else (order, spam, erased)."""
    request = app.store.get(request_id)
    if request is None or request.form != WELCOMER_REQUEST or request.email_status == EMAIL_SPAM:
        raise NotFound(request_id)
    return request


def act(app, request_id: str, action: str, compose=None, attempts: int = 5, **args) -> FollowUp:
    """Apply `action` to a request's stored follow-up; its e-mails are stored with the change.

    `compose(request, before, after)` returns the e-mail jobs of the change. Raises
    NotFound, Refused/AlreadyDone, or Conflict after `attempts` concurrent changes.
    """
    request = request_of(app, request_id)
    for _ in range(attempts):
        now = app.clock()
        before = app.followups.followup(request_id) or FollowUp.of(request)
        after = TRANSITIONS[action](before, now, **args)
        outgoing = compose(request, before, after) if compose else []
        try:
            app.followups.save_followup(after, before.version, outgoing)
        except Conflict:
            continue
        if outgoing and app.wake_delivery is not None:
            app.wake_delivery()
        return replace(after, version=before.version + 1)
    raise Conflict(request_id)
