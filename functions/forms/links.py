"""Signed action links: what a link in an e-mail may do, sealed so that it cannot be altered.

A link carries its action, the record it acts on, a few arguments and an expiry, signed with
HMAC-SHA256 under a key derived from the forms' token key (FORM_TOKEN_KEY): nothing secret is
in it, but changing one character breaks the signature. Opening a link (GET) only shows a
confirmation page; its form's POST acts (forms.actions), so mail scanners change nothing.
Replays are refused by the state machines, not here: a link stays valid until it expires.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import hmac
import json
from dataclasses import dataclass, field

KEY_PURPOSE = b"territoires action links v1"
MAX_TOKEN_LENGTH = 1000
# How long links stay valid: a staff e-mail is read within days, a welcomer's mission lasts
# months; an event's cancellation link lasts until the event.
STAFF_LINK_TTL = dt.timedelta(days=60)
WELCOMER_LINK_TTL = dt.timedelta(days=180)


class BadLink(Exception):
    """The link was altered, truncated or signed with another key."""


class ExpiredLink(Exception):
    """The link was genuine but its time is over."""


@dataclass(frozen=True)
class Link:
    action: str  # one of forms.actions.ACTIONS
    record: str  # the id of the request or registration acted on
    expires: dt.datetime
    args: dict = field(default_factory=dict)  # e.g. {"welcomer": "sophie", "call": 2}


def _key(token_key: bytes) -> bytes:
    return hmac.new(token_key, KEY_PURPOSE, hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign(token_key: bytes, link: Link) -> str:
    """The URL-safe token of `link`: base64url(JSON) '.' base64url(HMAC)."""
    payload = {"a": link.action, "r": link.record, "e": int(link.expires.timestamp())}
    if link.args:
        payload["x"] = link.args
    body = _b64(json.dumps(payload, separators=(",", ":"), sort_keys=True).encode("utf-8"))
    signature = hmac.new(_key(token_key), body.encode("ascii"), hashlib.sha256).digest()
    return f"{body}.{_b64(signature)}"


def verify(token_key: bytes, token: str, now: dt.datetime) -> Link:
    """The link a token carries; BadLink if it was altered, ExpiredLink if its time is over."""
    if not isinstance(token, str) or len(token) > MAX_TOKEN_LENGTH or token.count(".") != 1:
        raise BadLink
    body, _, signature = token.partition(".")
    expected = hmac.new(_key(token_key), body.encode("ascii", "replace"), hashlib.sha256).digest()
    try:
        given = _unb64(signature)
        payload = json.loads(_unb64(body).decode("utf-8"))
    except (binascii.Error, ValueError, UnicodeError):
        raise BadLink from None
    if not hmac.compare_digest(given, expected):
        raise BadLink
    try:
        link = Link(
            action=str(payload["a"]),
            record=str(payload["r"]),
            expires=dt.datetime.fromtimestamp(int(payload["e"]), dt.UTC),
            args=dict(payload.get("x") or {}),
        )
    except (KeyError, TypeError, ValueError):
        raise BadLink from None
    if now >= link.expires:
        raise ExpiredLink
    return link


def url(site_url: str, token: str) -> str:
    """The absolute address of a link's confirmation page."""
    return f"{site_url}/api/action?t={token}"
