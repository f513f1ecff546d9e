"""Keeping the forms from being used against strangers, or flooded: limits and a challenge.

- Acknowledgements: at most ACKS_PER_ADDRESS_PER_DAY to one address per day (Paris time),
  whatever FORMS_RATE_LIMIT says (CONTRACT 3.1). Beyond, the submission is stored and the
  territory notified as usual; only the acknowledgement is not sent.
- Limits per client (FORMS_RATE_LIMIT, on by default): beyond FREE_PER_CLIENT_PER_HOUR
  submissions from one client (IP) in an hour, or FREE_PER_ADDRESS_PER_DAY with one address in a
  day, a submission must carry the solution of a proof-of-work challenge (ALTCHA, served by our
  own API: `POST /api/challenge`). A submission without `started_at` (no script ran: a plain
  form post, or a robot that skipped the time trap) weighs UNTIMED_WEIGHT: the next one from
  that client in the hour needs the challenge.
- Each solution is accepted once (replays are counted and refused).

Counters are kept in the store (`store.hit`) under pseudonyms: HMAC-SHA-256 of the address or
IP with a key derived from the token key, never the value itself, for two days at most.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
from urllib.parse import parse_qs
from zoneinfo import ZoneInfo

import altcha

from .app import App

PARIS = ZoneInfo("Europe/Paris")
ACKS_PER_ADDRESS_PER_DAY = 3
FREE_PER_CLIENT_PER_HOUR = 3
FREE_PER_ADDRESS_PER_DAY = 3
UNTIMED_WEIGHT = FREE_PER_CLIENT_PER_HOUR
# About 50,000 SHA-256 on average: a fraction of a second in a browser, a cost per submission
# for a robot. A challenge is valid CHALLENGE_TTL.
CHALLENGE_MAX_NUMBER = 100_000
CHALLENGE_TTL = dt.timedelta(minutes=10)
KEEP_COUNTERS = dt.timedelta(days=2)


class ChallengeRequired(Exception):
    """The submission needs a solved challenge: `challenge` is a fresh one to solve."""

    def __init__(self, challenge: dict, reason: str):
        super().__init__(reason)
        self.challenge = challenge
        self.reason = reason  # "missing", "invalid", "replayed": for logs, never personal


def _key(app: App, purpose: str) -> bytes:
    """A key of its own for each use, derived from the token key."""
    return hmac.new(app.token_key, purpose.encode(), hashlib.sha256).digest()


def pseudonym(app: App, value: str) -> str:
    """The value (an address, an IP) as a counter can hold it: not reversible without the key."""
    normal = value.strip().casefold().encode("utf-8")
    return hmac.new(_key(app, "counters"), normal, hashlib.sha256).hexdigest()[:32]


def _count(app: App, key: str, now: dt.datetime, weight: int = 1) -> int:
    return app.store.hit(key, now + KEEP_COUNTERS, weight)


def acknowledgement_allowed(app: App, address: str, now: dt.datetime) -> bool:
    """Count one acknowledgement to `address` today; False beyond the daily limit."""
    day = now.astimezone(PARIS).date().isoformat()
    count = _count(app, f"ack/{pseudonym(app, address)}/{day}", now)
    return count <= ACKS_PER_ADDRESS_PER_DAY


def needs_challenge(
    app: App, client: str | None, address: str, timed: bool, now: dt.datetime
) -> bool:
    """Count this submission for its client and address; True when it must be challenged."""
    if not app.settings.rate_limit:
        return False
    day = now.astimezone(PARIS).date().isoformat()
    over = _count(app, f"address/{pseudonym(app, address)}/{day}", now) > FREE_PER_ADDRESS_PER_DAY
    if client:
        hour = now.astimezone(dt.UTC).strftime("%Y-%m-%dT%H")
        weight = 1 if timed else UNTIMED_WEIGHT
        count = _count(app, f"client/{pseudonym(app, client)}/{hour}", now, weight)
        over = over or count > FREE_PER_CLIENT_PER_HOUR
    return over


def new_challenge(app: App) -> dict:
    """A fresh ALTCHA challenge (JSON-ready: algorithm, challenge, maxnumber, salt, signature)."""
    challenge = altcha.create_challenge_v1(
        max_number=CHALLENGE_MAX_NUMBER,
        hmac_key=_key(app, "altcha").hex(),
        expires=app.clock() + CHALLENGE_TTL,
    )
    return {
        "algorithm": challenge.algorithm,
        "challenge": challenge.challenge,
        "maxnumber": challenge.max_number,
        "salt": challenge.salt,
        "signature": challenge.signature,
    }


def _expires(payload: str) -> float | None:
    """The expiry written in a solution's salt (`…?expires=<epoch>`), or None."""
    try:
        salt = json.loads(base64.b64decode(payload, validate=True))["salt"]
        return float(parse_qs(salt.partition("?")[2])["expires"][0])
    except (ValueError, KeyError, IndexError, TypeError):
        return None


def check_solution(app: App, payload: object) -> str | None:
    """None when `payload` solves one of our challenges, unexpired and never used before;
    else why not ("missing", "invalid", "replayed")."""
    if not isinstance(payload, str) or not payload.strip():
        return "missing"
    payload = payload.strip()
    if len(payload) > 2000:
        return "invalid"
    expires = _expires(payload)
    # The expiry is checked against the app's clock (tests move it), not the library's.
    if expires is None or expires < app.clock().timestamp():
        return "invalid"
    try:
        verified, _ = altcha.verify_solution_v1(payload, _key(app, "altcha").hex(), False)
    except Exception:  # a malformed payload: the library's own errors vary
        verified = False
    if not verified:
        return "invalid"
    used = hashlib.sha256(payload.encode()).hexdigest()[:32]
    if _count(app, f"altcha/{used}", app.clock()) > 1:
        return "replayed"
    return None
