"""Event registrations: a seat (and an interview slot) taken atomically, or the waiting list.

`register` validates, then asks the store to decide and write in one transaction: confirmed
while there are fewer confirmed registrations than the event's capacity (and the chosen slot
is free), else waitlisted. `cancel` frees the seat and gives it (and its slot) to the first
person on the waiting list, in the same transaction. The stores guarantee it under any number
of concurrent requests: SQLite with BEGIN IMMEDIATE, DynamoDB with conditional transactions
on a counter item per event and an item per slot (forms.aws.welcome_dynamodb).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from .ports import EVENT_REGISTRATION
from .submissions import new_id
from .validation import FieldError, ValidationFailed, validate

log = logging.getLogger("forms")

CONFIRMED = "confirmed"
WAITLISTED = "waitlisted"
CANCELLED = "cancelled"
STATUS_LABELS = {CONFIRMED: "confirmée", WAITLISTED: "liste d'attente", CANCELLED: "annulée"}
# Retention (GDPR): a registration is kept a year after the event, for the collectivity's
# report of the year; then deleted.
RETENTION_AFTER_EVENT = dt.timedelta(days=365)


class SlotTaken(Exception):
    """The chosen interview slot is held by another confirmed registration."""


class AlreadyCancelled(Exception):
    """The registration was already cancelled (a cancellation link used twice)."""


@dataclass
class Registration:
    id: str
    territory: str
    event: str
    status: str  # CONFIRMED, WAITLISTED or CANCELLED
    received_at: dt.datetime
    expires_at: dt.datetime
    fields: dict  # first_name, last_name, email, profession, phone, message, slot (wanted)
    slot: str | None = None  # the slot held (ISO start), confirmed registrations only
    position: int = 0  # order of arrival in the event: the waiting list's order
    cancelled_at: dt.datetime | None = None
    promoted_at: dt.datetime | None = None  # moved from the waiting list to confirmed

    @property
    def email(self) -> str:
        return self.fields["email"]


@dataclass(frozen=True)
class Receipt:
    registration: Registration
    existing: bool = False  # the same address was already registered: nothing new stored
    spam: bool = False


@dataclass(frozen=True)
class Cancellation:
    cancelled: Registration
    promoted: Registration | None = None  # the first of the waiting list, now confirmed
    outgoing: list = field(default_factory=list)


def new_registration(valid, now: dt.datetime) -> Registration:
    event = valid.territory.events[valid.fields["event"]]
    return Registration(
        id=new_id(now),
        territory=valid.territory.slug,
        event=event.id,
        status=CONFIRMED,  # the store decides
        received_at=now,
        expires_at=max(event.end or event.start, now) + RETENTION_AFTER_EVENT,
        fields={k: v for k, v in valid.fields.items() if k not in ("territory", "event")},
    )


def register(
    app, data: dict, idempotency_key: str | None = None, client: str | None = None
) -> Receipt:
    """Validate, check the limits per client and address (forms.abuse, as for every form),
    and take a seat or a place in line; ValidationFailed or ChallengeRequired (nothing
    stored) else. The same address is registered once per event: no idempotency key needed."""
    from .submissions import guard

    now = app.clock()
    valid = validate(EVENT_REGISTRATION, data, app.catalogue, now, app.settings.min_fill_ms)
    registration = new_registration(valid, now)
    if valid.spam:  # bots learn nothing, and take no seat
        log.info("registration spam (%s) for %s: not stored", valid.spam, registration.event)
        return Receipt(registration, spam=True)
    guard(app, valid, data, client, now)
    event = valid.territory.events[registration.event]

    def outgoing(decided: Registration) -> list:
        from .registration_emails import on_registered

        return on_registered(app, valid.territory, event, decided)

    try:
        stored, existing = app.registrations.register(registration, event.capacity, outgoing)
    except SlotTaken:
        message = "Ce créneau vient d'être pris : choisissez-en un autre."
        raise ValidationFailed([FieldError("slot", "taken", message)]) from None
    if not existing and app.wake_delivery is not None:
        app.wake_delivery()
    log.info(
        "registration %s for %s/%s: %s%s",
        stored.id,
        stored.territory,
        stored.event,
        stored.status,
        " (already registered)" if existing else "",
    )
    return Receipt(stored, existing=existing)


def cancel(app, registration_id: str) -> Cancellation:
    """Cancel; a freed seat goes to the first of the waiting list. AlreadyCancelled, KeyError."""

    def outgoing(cancelled: Registration, promoted: Registration | None) -> list:
        from .registration_emails import on_cancelled

        return on_cancelled(app, cancelled, promoted)

    result = app.registrations.cancel(registration_id, app.clock(), outgoing)
    if app.wake_delivery is not None:
        app.wake_delivery()
    log.info(
        "registration %s cancelled%s",
        registration_id,
        f"; {result.promoted.id} promoted from the waiting list" if result.promoted else "",
    )
    return result
