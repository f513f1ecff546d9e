"""Signing in to the editor with an e-mail link: who may, how often, and the session it opens.

    request_link(...)  an address asks for a link: if it is one of the territory's `editors:`
                       (or an operator's, for the all-territories editor), a link valid 15
                       minutes is stored and e-mailed. The answer never says which: the same
                       page whether the address is allowed or not (no enumeration).
    use_link(...)      the link, once: a session token for that territory alone.
    check_session(...) every API call: the token is genuine, recent, for this scope, and its
                       address is still allowed (removing it from `editors:` revokes it at the
                       next deploy).

Requests are limited per address and per client (a fixed window an hour long), counted before
knowing whether the address is allowed, so that limits say nothing either.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime
from urllib.parse import quote

import email_validator

from ..catalogue import Catalogue
from ..delivery import new_job
from ..ports import EmailJob
from ..rendering import render
from ..tokens import BadToken, seal, unseal
from .store import Link, SignInStore

ALL_TERRITORIES = "_tous"  # the operators' editor (tools/decap_config.py names it the same)
LINK_TTL = dt.timedelta(minutes=15)
SESSION_TTL = dt.timedelta(hours=8)  # a working day: then a new link
RATE_WINDOW = dt.timedelta(hours=1)
LINKS_PER_ADDRESS = 5  # per hour: a person who lost a message asks again, a script is stopped
REQUESTS_PER_CLIENT = 20  # per hour, whatever the addresses
MAX_EMAIL_LENGTH = 254


class SignInError(Exception):
    """A request that cannot be served: `kind` says why, for the HTTP layer to answer."""

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind  # "invalid", "limited", "link", "scope"
        self.message = message


class SessionError(Exception):
    """A missing, forged, expired or revoked session, or one for another territory."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Keys:
    """Keys derived from the editor's secret, each for one use."""

    session: bytes  # Fernet key of session tokens
    counting: bytes  # HMAC key of rate counter names

    @classmethod
    def from_secret(cls, secret: bytes) -> Keys:
        def derive(label: bytes) -> bytes:
            return hmac.new(secret, label, hashlib.sha256).digest()

        return cls(base64.urlsafe_b64encode(derive(b"editor-session")), derive(b"editor-rate"))


@dataclass(frozen=True)
class Session:
    """Who is signed in, to which scope (a slug or ALL_TERRITORIES)."""

    email: str
    scope: str

    def covers(self, slug: str) -> bool:
        """Whether this session may write in territories/<slug>/."""
        return self.scope in (slug, ALL_TERRITORIES)


@dataclass
class SignIn:
    """What the sign-in flow needs: content, store, mail, keys, clock and a few settings."""

    catalogue: Catalogue
    store: SignInStore
    mailer: object  # ports.Mailer
    keys: Keys
    clock: Callable[[], dt.datetime]
    site_url: str  # links in e-mails are absolute
    mail_from: str
    operators: tuple[str, ...] = ()  # addresses allowed in the all-territories editor
    address_limit: int = LINKS_PER_ADDRESS
    client_limit: int = REQUESTS_PER_CLIENT


# --- Who may sign in. -----------------------------------------------------------------------


def normalise_email(text: str) -> str:
    """The address in lower case; SignInError("invalid") when it is not one."""
    text = (text or "").strip()
    if not text or len(text) > MAX_EMAIL_LENGTH:
        raise SignInError("invalid", "Indiquez votre adresse e-mail professionnelle.")
    try:
        found = email_validator.validate_email(text, check_deliverability=False)
    except email_validator.EmailNotValidError:
        raise SignInError("invalid", "Cette adresse e-mail n'est pas valide.") from None
    return found.normalized.lower()


def scope_of(flow: SignIn, scope: str) -> str | None:
    """The scope named after « de » as French says it (« du Loiret », « de Loir-et-Cher »,
    « de tous les territoires »), or None when there is no such scope."""
    if scope == ALL_TERRITORIES:
        return "de tous les territoires"
    territory = flow.catalogue.get(scope)
    return territory.names.of if territory else None


def allowed(catalogue: Catalogue, operators: tuple[str, ...], scope: str, email: str) -> bool:
    """Whether `email` (normalised) may sign in to `scope`."""
    if scope == ALL_TERRITORIES:
        return email in operators
    territory = catalogue.get(scope)
    return territory is not None and email in territory.editors


# --- Asking for a link. ---------------------------------------------------------------------


def _counter(flow: SignIn, kind: str, value: str) -> str:
    mac = hmac.new(flow.keys.counting, f"{kind}:{value}".encode(), hashlib.sha256)
    return f"{kind}#{mac.hexdigest()[:32]}"


def _within_limits(flow: SignIn, email: str, client: str, now: dt.datetime) -> bool:
    """Count this request for its address and its client; False past either limit."""
    seconds = RATE_WINDOW.total_seconds()
    start = dt.datetime.fromtimestamp(now.timestamp() // seconds * seconds, dt.UTC)
    until = start + RATE_WINDOW
    by_client = flow.store.hit(_counter(flow, "client", client), start, until)
    by_address = flow.store.hit(_counter(flow, "address", email), start, until)
    return by_client <= flow.client_limit and by_address <= flow.address_limit


def digest(token: str) -> str:
    """How a link's token is stored: its SHA-256."""
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


def link_url(flow: SignIn, scope: str, token: str) -> str:
    """The address of the confirmation page a link opens."""
    return f"{flow.site_url}/api/editor/{scope}/connexion/lien?t={quote(token)}"


def request_link(flow: SignIn, scope: str, typed_email: str, client: str) -> None:
    """Send a sign-in link if the address may sign in; the same outcome for the caller if not.

    Raises SignInError("invalid") for a malformed address, ("limited") past a rate limit,
    ("scope") for an unknown territory; the mailer's MailError passes through.
    """
    of = scope_of(flow, scope)
    if of is None:
        raise SignInError("scope", "Ce territoire n'existe pas.")
    email = normalise_email(typed_email)
    now = flow.clock()
    if not _within_limits(flow, email, client, now):
        raise SignInError("limited", "Trop de demandes de connexion : réessayez dans une heure.")
    if not allowed(flow.catalogue, flow.operators, scope, email):
        return
    token = secrets.token_urlsafe(32)
    flow.store.add_link(Link(digest(token), email, scope, now + LINK_TTL))
    # Sent at once, not queued: a link lives 15 minutes, a retry later would mail a dead one;
    # a failure is told to the person, who asks again (nothing else depends on this e-mail).
    flow.mailer.send(sign_in_job(flow, scope, of, email, token, now))


def sign_in_job(
    flow: SignIn, scope: str, of: str, email: str, token: str, now: dt.datetime
) -> EmailJob:
    """The e-mail carrying the link, as a delivery job; its key (the outbox's file name and
    the Message-ID derive from it) names the link by an id of its own, never by its token."""
    url = link_url(flow, scope, token)
    minutes = int(LINK_TTL.total_seconds() // 60)
    context = {"of": of, "url": url, "minutes": minutes, "site_url": flow.site_url}
    message = EmailMessage()
    message["Subject"] = f"Votre lien de connexion à l'éditeur {of}"
    message["From"] = flow.mail_from
    message["To"] = email
    message["Date"] = format_datetime(now)
    message.set_content(render("editor_sign_in.txt", **context))
    message.add_alternative(render("editor_sign_in.html", **context), subtype="html")
    link_id = secrets.token_hex(8)
    key = f"editor-sign-in/{link_id}"
    return new_job(key, message, f"editor-link/{link_id}", now, now + LINK_TTL)


# --- Using a link; checking a session. ------------------------------------------------------


def use_link(flow: SignIn, scope: str, token: str) -> tuple[str, Session]:
    """The session (token, and who) a link opens, once; SignInError("link") if it cannot."""
    refused = SignInError(
        "link",
        "Ce lien de connexion a expiré ou a déjà servi : demandez-en un nouveau "
        f"(il est valable {int(LINK_TTL.total_seconds() // 60)} minutes, une seule fois).",
    )
    if not token or len(token) > 100:
        raise refused
    link, status = flow.store.use_link(digest(token), flow.clock())
    if status != "ok" or link is None or link.scope != scope:
        raise refused
    if not allowed(flow.catalogue, flow.operators, scope, link.email):
        raise refused  # removed from editors: since the link was sent
    session = Session(link.email, scope)
    return new_session(flow.keys, session, flow.clock()), session


def new_session(keys: Keys, session: Session, now: dt.datetime) -> str:
    """A sealed session token (Fernet: encrypted, authenticated, dated)."""
    payload = {"e": session.email, "s": session.scope, "n": secrets.token_hex(8)}
    return seal(keys.session, payload, now.timestamp())


def check_session(
    keys: Keys,
    catalogue: Catalogue,
    operators: tuple[str, ...],
    token: str,
    scope: str,
    now: dt.datetime,
) -> Session:
    """The session a token opens for `scope`; SessionError otherwise."""
    try:
        payload = unseal(keys.session, token, now.timestamp(), int(SESSION_TTL.total_seconds()))
    except BadToken:
        raise SessionError("Session expirée : reconnectez-vous.") from None
    session = Session(str(payload.get("e", "")), str(payload.get("s", "")))
    if session.scope != scope:
        raise SessionError("Cette session est celle d'un autre territoire.")
    if not allowed(catalogue, operators, scope, session.email):
        raise SessionError("Cette adresse n'a plus accès à l'éditeur de ce territoire.")
    return session
