"""E-mail alerts of new placements: subscribe, confirm (double opt-in), announce, unsubscribe.

HTTP-free, like `submissions.py`; `forms.http` calls `subscribe`, `confirm` and `unsubscribe`,
`forms.announce` calls `announce` after a build. The rules:

- Nothing is sent to an address before it is confirmed: a subscription is stored *pending*,
  with one confirmation e-mail (subject to the per-address limit of acknowledgements), and
  becomes *confirmed* only through the POST of its confirmation link's page.
- A confirmed subscriber is told of the placements that appear after the confirmation and
  match one of its professions and territories (none = all). The first time an announce sees
  a placement it records when ("first seen"); a placement is new to a subscriber when it was
  first seen at or after their confirmation. Each digest job is enqueued in the same
  transaction as the (subscriber, placement) pairs it announces, so a placement is announced
  to a subscriber at most once, however often announce runs or wherever it stopped.
- Unsubscribing (RFC 8058 one-click POST, or the page's button) deletes the subscription and
  its pairs at once. A pending subscription is erased after CONFIRM_WINDOW, a confirmed one
  RETENTION after its confirmation (the privacy page says so).

Links carry the subscriber id and an HMAC of it (key derived from the forms' token key): the
unsubscribe link never expires while the subscription lives; the confirm link dies with the
pending subscription.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import logging
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field

from .catalogue import Catalogue, PlacementInfo, TerritoryInfo
from .validation import (
    HONEYPOT,
    STARTED_AT,
    FieldError,
    Invalid,
    ValidationFailed,
    _first_per_field,
    _safe_field_name,
    consent,
    email,
    honeypot,
    started_at,
)

log = logging.getLogger("forms")

ALERT_SUBSCRIPTION = "alert-subscription"
CONFIRM_WINDOW = dt.timedelta(days=7)
RETENTION = dt.timedelta(days=365)
MAX_CHOICES = 60  # more professions than the vocabulary has, fewer than a flood
MAX_TERRITORIES = 200
CONFIRM, UNSUBSCRIBE = "confirm", "unsubscribe"


@dataclass
class Subscriber:
    """One address's alert: what it wants, and where it stands (pending, then confirmed)."""

    id: str  # random, unguessable: also the key of its jobs and pairs
    email: str
    professions: tuple[str, ...]  # slugs of the vocabulary
    territories: tuple[str, ...]  # slugs; () = every territory, present and future
    created_at: dt.datetime
    expires_at: dt.datetime
    confirmed_at: dt.datetime | None = None

    @property
    def confirmed(self) -> bool:
        return self.confirmed_at is not None

    def wants(self, territory: str, profession_slug: str | None) -> bool:
        """True when a placement of this territory and profession matches the alert."""
        by_territory = not self.territories or territory in self.territories
        return by_territory and profession_slug in self.professions


@dataclass(frozen=True)
class Announcement:
    """One placement named in a digest: its territory, and its key "<territory>/<id>"."""

    territory: TerritoryInfo
    placement: PlacementInfo

    @property
    def key(self) -> str:
        return placement_key(self.territory.slug, self.placement.id)


@dataclass(frozen=True)
class Digest:
    """The e-mail of one subscriber's new placements, and its stable job key."""

    subscriber: Subscriber
    announcements: tuple[Announcement, ...]

    @property
    def placement_keys(self) -> tuple[str, ...]:
        return tuple(a.key for a in self.announcements)

    @property
    def key(self) -> str:
        """alert/<subscriber id>/<hash of the placements>: the same digest, the same job."""
        digest = hashlib.sha256("\n".join(sorted(self.placement_keys)).encode()).hexdigest()
        return f"alert/{self.subscriber.id}/{digest[:16]}"


@dataclass
class AnnounceReport:
    """What one announce did, for the operator (counts only: no address)."""

    subscribers: int = 0
    digests: int = 0
    placements_announced: int = 0
    first_seen: int = 0
    expired: int = 0
    keys: list[str] = field(default_factory=list)


def placement_key(territory: str, placement_id: str) -> str:
    return f"{territory}/{placement_id}"


# --- Validation. ----------------------------------------------------------------------------


def _choices(value, allowed: dict[str, str], max_items: int, message: str) -> list[str]:
    """A list (or one string) of allowed values, mapped through `allowed`, without repeats."""
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or len(items) > max_items:
        raise Invalid("type", message)
    chosen = []
    for item in items:
        if not isinstance(item, str):
            raise Invalid("type", message)
        key = " ".join(item.strip().lower().split())
        if not key:
            continue
        if key not in allowed:
            raise Invalid("choice", message)
        if allowed[key] not in chosen:
            chosen.append(allowed[key])
    return chosen


FIELDS = ("email", "professions", "territories", "consent", HONEYPOT, STARTED_AT)


def validate_subscription(data: dict, catalogue: Catalogue) -> tuple[dict, str | None]:
    """The normalised fields of a subscription and its spam reason; ValidationFailed else."""
    errors = [
        FieldError(_safe_field_name(name), "unknown_field", "Champ inattendu.")
        for name in data
        if name not in FIELDS
    ]
    checks = {
        "email": (email, "Indiquez votre adresse e-mail."),
        "professions": (
            lambda v, ctx: _choices(
                v,
                catalogue.profession_slugs(),
                MAX_CHOICES,
                "Choisissez des professions dans la liste proposée.",
            ),
            "Choisissez au moins une profession.",
        ),
        "territories": (
            lambda v, ctx: _choices(
                v,
                {slug: slug for slug in catalogue.territories},
                MAX_TERRITORIES,
                "Choisissez des territoires dans la liste proposée.",
            ),
            None,
        ),
        "consent": (consent, "Vous devez accepter le traitement de vos données."),
        HONEYPOT: (honeypot, None),
        STARTED_AT: (started_at, None),
    }
    fields = {}
    for name, (check, missing) in checks.items():
        value = data.get(name)
        blank = value is None or value == [] or (isinstance(value, str) and not value.strip())
        try:
            clean = None if blank else check(value, None)
        except Invalid as problem:
            errors.append(FieldError(name, problem.rule, problem.message))
            continue
        if (clean is None or clean == [] or clean == "") and missing:
            errors.append(FieldError(name, "required", missing))
        else:
            fields[name] = clean
    if errors:
        raise ValidationFailed(_first_per_field(errors))
    spam = "honeypot" if fields.pop(HONEYPOT, None) else None
    fields.pop(STARTED_AT, None)
    return fields, spam


def new_subscriber(fields: dict, now: dt.datetime) -> Subscriber:
    """A pending subscription, erased after CONFIRM_WINDOW unless confirmed."""
    return Subscriber(
        id=secrets.token_hex(12),
        email=fields["email"],
        professions=tuple(fields["professions"]),
        territories=tuple(fields.get("territories") or ()),
        created_at=now,
        expires_at=now + CONFIRM_WINDOW,
    )


def confirmed(subscriber: Subscriber, now: dt.datetime) -> Subscriber:
    """The subscription once confirmed: kept RETENTION from now."""
    subscriber.confirmed_at = now
    subscriber.expires_at = now + RETENTION
    return subscriber


# --- Signed links. --------------------------------------------------------------------------


def _mac(key: bytes, action: str, subscriber_id: str) -> str:
    # A key of its own, derived from the forms' token key: tokens of one use never fit another.
    own = hmac.new(key, b"alerts", hashlib.sha256).digest()
    mac = hmac.new(own, f"{action}:{subscriber_id}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac[:18]).decode("ascii")


def link_token(key: bytes, action: str, subscriber_id: str) -> str:
    """`<id>.<mac>`: names the subscription and proves the link was ours."""
    return f"{subscriber_id}.{_mac(key, action, subscriber_id)}"


def read_token(key: bytes, action: str, token: str) -> str | None:
    """The subscriber id of a genuine token for `action`, else None."""
    subscriber_id, _, mac = (token or "").partition(".")
    if not subscriber_id or len(subscriber_id) > 64 or not subscriber_id.isalnum():
        return None
    return subscriber_id if hmac.compare_digest(mac, _mac(key, action, subscriber_id)) else None


# --- What to announce. ----------------------------------------------------------------------


def open_placements(catalogue: Catalogue) -> Iterable[Announcement]:
    """Every open placement of the catalogue, territory by territory."""
    for slug in sorted(catalogue.territories):
        territory = catalogue.territories[slug]
        for placement_id in sorted(territory.placements):
            yield Announcement(territory, territory.placements[placement_id])


def digest_of(
    subscriber: Subscriber,
    catalogue: Catalogue,
    first_seen: dict[str, dt.datetime],
    announced: set[str],
) -> Digest | None:
    """The subscriber's digest: matching placements first seen since it confirmed, not yet
    announced to it; None when there are none (or it is not confirmed)."""
    if not subscriber.confirmed:
        return None
    items = tuple(
        a
        for a in open_placements(catalogue)
        if a.key not in announced
        and a.key in first_seen
        and first_seen[a.key] >= subscriber.confirmed_at
        and subscriber.wants(a.territory.slug, catalogue.profession_slug(a.placement.profession))
    )
    if not items:
        return None
    # Soonest first: the order in which a candidate would go.
    return Digest(subscriber, tuple(sorted(items, key=lambda a: (a.placement.start, a.key))))
