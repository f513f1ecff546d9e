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
from email.message import EmailMessage
from email.utils import format_datetime

from . import abuse, delivery
from .catalogue import Catalogue, PlacementInfo, TerritoryInfo
from .emails import POLICY, _address, _from_address, header_text
from .rendering import render
from .validation import (
    ALTCHA,
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
    version: int = 0  # bumped at each change: a digest is recorded only on the version it read

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


FIELDS = ("email", "professions", "territories", "consent", HONEYPOT, STARTED_AT, ALTCHA)


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
        ALTCHA: (lambda v, ctx: v, None),  # checked by the limits (forms.abuse), when asked
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
    fields.pop(ALTCHA, None)
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


# --- The e-mails. ---------------------------------------------------------------------------

SITE_NAME = "Territoires de santé"
# A digest names at most this many placements (the first ever may find hundreds): the others,
# announced too, are on the national list it links to.
MAX_LISTED = 30


def record_of(subscriber_id: str) -> str:
    """The record a subscriber's jobs belong to: erasing the subscription erases them."""
    return f"alert/{subscriber_id}"


def _link(settings, path: str, token: str) -> str:
    return f"{settings.site_url}{path}?t={token}"


def confirm_url(settings, key: bytes, subscriber: Subscriber) -> str:
    return _link(settings, CONFIRM_PATH, link_token(key, CONFIRM, subscriber.id))


def unsubscribe_url(settings, key: bytes, subscriber: Subscriber) -> str:
    return _link(settings, UNSUBSCRIBE_PATH, link_token(key, UNSUBSCRIBE, subscriber.id))


CONFIRM_PATH = "/api/alert-subscription/confirm"
UNSUBSCRIBE_PATH = "/api/alert-unsubscribe"


def _message(subscriber: Subscriber, subject: str, mail_from: str, now: dt.datetime):
    message = EmailMessage(policy=POLICY)
    message["From"] = _from_address(mail_from)
    message["To"] = _address(subscriber.email)
    message["Subject"] = header_text(subject, 250)
    message["Date"] = format_datetime(now)
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-reply loops
    return message


def _attach(message: EmailMessage, template: str, context: dict) -> None:
    message.set_content(render(f"{template}.txt", **context), cte="quoted-printable")
    message.add_alternative(
        render(f"{template}.html", **context), subtype="html", cte="quoted-printable"
    )


def _names(catalogue: Catalogue, subscriber: Subscriber) -> tuple[list[str], list[str]]:
    professions = [
        (p.label if (p := catalogue.profession(slug)) else slug) for slug in subscriber.professions
    ]
    territories = [
        (t.name if (t := catalogue.get(slug)) else slug) for slug in subscriber.territories
    ]
    return professions, territories


def confirmation_message(app, subscriber: Subscriber, now: dt.datetime) -> EmailMessage:
    """The double opt-in e-mail: what was asked, and the link to confirm it."""
    message = _message(
        subscriber, "Confirmez votre alerte de nouvelles offres", app.settings.mail_from, now
    )
    professions, territories = _names(app.catalogue, subscriber)
    _attach(
        message,
        "alert_confirm",
        {
            "site_name": SITE_NAME,
            "professions": professions,
            "territories": territories,
            "confirm_url": confirm_url(app.settings, app.token_key, subscriber),
            "confirm_days": CONFIRM_WINDOW.days,
        },
    )
    return message


MONTHS = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
]


def french_date(iso_date: str) -> str:
    """« 1er septembre 2027 » from 2027-09-01."""
    day = dt.date.fromisoformat(iso_date)
    return f"{'1er' if day.day == 1 else day.day} {MONTHS[day.month - 1]} {day.year}"


def dates(placement: PlacementInfo) -> str:
    """When the placement runs, as the site writes it."""
    start = french_date(placement.start)
    return (
        f"du {start} au {french_date(placement.end)}" if placement.end else f"à partir du {start}"
    )


def digest_message(app, digest: Digest, now: dt.datetime) -> EmailMessage:
    """One subscriber's new placements, with the RFC 8058 one-click unsubscribe headers."""
    count = len(digest.announcements)
    first = digest.announcements[0].placement
    subject = (
        f"Nouvelle offre d'essai : {first.title}"
        if count == 1
        else f"{count} nouvelles offres d'essai pour vous"
    )
    message = _message(digest.subscriber, subject, app.settings.mail_from, now)
    unsubscribe = unsubscribe_url(app.settings, app.token_key, digest.subscriber)
    message["List-Unsubscribe"] = f"<{unsubscribe}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    items = [
        {
            "territory": a.territory,
            "placement": a.placement,
            "dates": dates(a.placement),
            "url": f"{app.settings.site_url}{a.territory.site_path}offres/{a.placement.id}/",
        }
        for a in digest.announcements[:MAX_LISTED]
    ]
    context = {
        "site_name": SITE_NAME,
        "items": items,
        "count": count,
        "more": count - len(items),
        "list_url": f"{app.settings.site_url}/offres/",
        "unsubscribe_url": unsubscribe,
    }
    _attach(message, "alert_digest", context)
    return message


FIELD_LABELS = {
    "email": "Adresse e-mail",
    "professions": "Professions",
    "territories": "Territoires",
    "consent": "Consentement",
}


def render_page(settings, title: str, paragraphs: list[str], **form) -> str:
    """The page of a confirm or unsubscribe link (forms/templates/alert_action.html)."""
    return render(
        "alert_action.html",
        settings=settings,
        territory=None,
        title=title,
        paragraphs=paragraphs,
        action=form.get("action"),
        button=form.get("button"),
        hidden=form.get("hidden", []),
    )


# --- The flows. -----------------------------------------------------------------------------


def subscribe(app, data: dict, client: str | None = None) -> None:
    """Store a pending subscription and its confirmation e-mail; ValidationFailed if invalid,
    abuse.ChallengeRequired when the limits per client ask for a solved challenge.

    The answer is the same whatever happens next (a bot's honeypot, an address that already
    got its three automatic e-mails today): the form tells nobody anything about an address.
    """
    fields, spam = validate_subscription(data, app.catalogue)
    if spam:
        log.info("alert subscription refused as spam (%s)", spam)
        return
    now = app.clock()
    _guard(app, data, fields["email"], client, now)
    # The confirmation is an acknowledgement: it shares the forms' limit per address and day.
    if not abuse.acknowledgement_allowed(app, fields["email"], now):
        log.info("alert subscription not stored: the address's daily limit is reached")
        return
    subscriber = new_subscriber(fields, now)
    job = delivery.new_job(
        f"{record_of(subscriber.id)}/confirm",
        confirmation_message(app, subscriber, now),
        record=record_of(subscriber.id),
        now=now,
        expires_at=subscriber.expires_at,
    )
    app.alerts.add_pending(subscriber, [job])
    log.info("alert subscription %s stored, pending confirmation", subscriber.id)
    if app.wake_delivery is not None:
        app.wake_delivery()


def _guard(app, data: dict, address: str, client: str | None, now: dt.datetime) -> None:
    """The forms' limits per client and address (forms.abuse), as for the other forms."""
    started = data.get(STARTED_AT)
    timed = isinstance(started, int) or (isinstance(started, str) and bool(started.strip()))
    if not abuse.needs_challenge(app, client, address, timed, now):
        return
    problem = abuse.check_solution(app, data.get(ALTCHA))
    if problem is not None:
        log.info("alert subscription challenged (%s)", problem)
        raise abuse.ChallengeRequired(abuse.new_challenge(app), problem)


def _subscriber_of(app, action: str, token: str) -> Subscriber | None:
    subscriber_id = read_token(app.token_key, action, token)
    if subscriber_id is None:
        return None
    subscriber = app.alerts.get(subscriber_id)
    if subscriber is None or subscriber.expires_at <= app.clock():
        return None
    return subscriber


def can_confirm(app, token: str) -> bool:
    """True when the link names a subscription still waiting for its confirmation (or done)."""
    return _subscriber_of(app, CONFIRM, token) is not None


def confirm(app, token: str) -> bool:
    """Confirm the subscription of a confirmation link; False if the link is dead."""
    subscriber = _subscriber_of(app, CONFIRM, token)
    if subscriber is None:
        return False
    if subscriber.confirmed:
        return True  # a second click changes nothing
    app.alerts.confirm(confirmed(subscriber, app.clock()))
    log.info("alert subscription %s confirmed", subscriber.id)
    return True


def can_unsubscribe(app, token: str) -> bool:
    return read_token(app.token_key, UNSUBSCRIBE, token) is not None


def unsubscribe(app, token: str) -> bool:
    """Delete the subscription of an unsubscribe link; False for a forged link.

    A genuine link whose subscription is already gone succeeds: the person is unsubscribed.
    """
    subscriber_id = read_token(app.token_key, UNSUBSCRIBE, token)
    if subscriber_id is None:
        return False
    if app.alerts.remove(subscriber_id):
        log.info("alert subscription %s removed (unsubscribed)", subscriber_id)
    return True


def announce(app, now: dt.datetime | None = None) -> AnnounceReport:
    """Enqueue one digest per confirmed subscriber with new matching placements.

    Each digest's job and its pairs commit together, subscriber by subscriber: a run stopped
    halfway has announced to some subscribers, fully, and the next run does the others.
    """
    now = now or app.clock()
    report = AnnounceReport(expired=app.alerts.purge_expired(now))
    keys = [a.key for a in open_placements(app.catalogue)]
    seen = app.alerts.first_seen(keys, now)
    report.first_seen = sum(1 for key in keys if seen.get(key) == now)
    for subscriber in app.alerts.confirmed(now):
        report.subscribers += 1
        digest = digest_of(subscriber, app.catalogue, seen, app.alerts.announced(subscriber.id))
        if digest is None:
            continue
        job = delivery.new_job(
            digest.key,
            digest_message(app, digest, now),
            record=record_of(subscriber.id),
            now=now,
            expires_at=subscriber.expires_at,
        )
        if app.alerts.record_digest(subscriber, digest.placement_keys, job, now):
            report.digests += 1
            report.placements_announced += len(digest.announcements)
            report.keys.append(digest.key)
    log.info(
        "announce: %d subscriber(s), %d digest(s), %d placement(s) announced",
        report.subscribers,
        report.digests,
        report.placements_announced,
    )
    return report
