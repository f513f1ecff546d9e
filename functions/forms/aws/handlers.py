"""Lambda entry points: wiring only. The work is done by forms.http and forms.delivery.

    welcomer_request, pack_order,  POST /api/<form>               (API Gateway HTTP API, v2)
    welcomer_application,
    event_registration
    correction                     GET  /api/{form}/correction
    action                         GET and POST /api/action: a signed link's page, its action
    digest                         every morning: the requests left without action, e-mailed
    stream_mailer                  DynamoDB stream → SES, one e-mail per message whatever the
                                   redeliveries (a lease is claimed before sending)
    sweeper                        every 15 minutes: what is still pending after the stream

Everything AWS is built once per container, lazily (tests start moto first, then call these).
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import hashlib
import logging
import os
import uuid
from collections import Counter
from collections.abc import Callable

import boto3

from .. import http
from ..app import App, Settings, utc_now
from ..catalogue import Catalogue, load_catalogue
from ..delivery import deliver
from ..ports import (
    EMAIL_PENDING,
    EMAIL_SENT,
    EVENT_REGISTRATION,
    FORMS,
    PACK_ORDER,
    WELCOMER_APPLICATION,
    WELCOMER_REQUEST,
    StoreUnavailable,
)
from .dynamodb_store import SUBMISSION_PREFIX, DynamoDBStore
from .ses_mailer import SESMailer
from .welcome_dynamodb import DynamoDBWelcomeStore

log = logging.getLogger("forms")
log.setLevel(logging.INFO)

# Longer than the mailer's timeout (60 s): a lease never expires under a live worker, and one
# left by a crashed worker frees the submission for the next try within minutes.
LEASE = dt.timedelta(minutes=2)
# The stream delivers within seconds; the sweeper leaves it the first minutes to do so.
SWEEP_MIN_AGE = dt.timedelta(minutes=5)
SWEEP_LIMIT = 200
# One delivery takes at most about a minute (two messages, three tries each): none is cut short.
SWEEP_SAFETY_MS = 90_000
SKIPPED = "skipped"  # nothing to do here: sent, spam, gone, or another worker holds the lease


# --- Per-container state. -------------------------------------------------------------------


def token_key(env=os.environ) -> bytes:
    """The Fernet key sealing correction tokens: FORM_TOKEN_KEY, else derived from the secret.

    Secrets Manager generates an alphanumeric secret; Fernet wants 32 bytes in URL-safe base64,
    so the key is the SHA-256 of the secret (every function derives the same key).
    """
    if env.get("FORM_TOKEN_KEY"):
        return env["FORM_TOKEN_KEY"].encode("ascii")
    client = boto3.client("secretsmanager")
    secret = client.get_secret_value(SecretId=env["FORM_TOKEN_SECRET_ARN"])["SecretString"]
    return base64.urlsafe_b64encode(hashlib.sha256(secret.encode("utf-8")).digest())


# The time every handler goes by; tests replace it with a clock they move.
clock: Callable[[], dt.datetime] = utc_now


def now() -> dt.datetime:
    return clock()


@functools.cache
def catalogue() -> Catalogue:
    """The territories, read once per container from the packaged catalogue."""
    return load_catalogue()


@functools.cache
def store() -> DynamoDBStore:
    """The submissions table of this container."""
    return DynamoDBStore()


@functools.cache
def records() -> DynamoDBWelcomeStore:
    """Follow-ups and registrations, in the same table."""
    return DynamoDBWelcomeStore()


@functools.cache
def app() -> App:
    """The public functions' application; only they need (and may read) the token secret."""
    return App(
        catalogue=catalogue(),
        store=store(),
        token_key=token_key(),
        clock=now,
        settings=Settings.from_env(),
        followups=records(),
        registrations=records(),
    )


@functools.cache
def mailer() -> SESMailer:
    """The SES mailer of this container."""
    return SESMailer()


def reset() -> None:
    """Forget the container's state (tests, or after a configuration change)."""
    for cached in (catalogue, store, records, app, mailer):
        cached.cache_clear()


# --- Public API. ----------------------------------------------------------------------------


def welcomer_request(event: dict, context=None) -> dict:
    """POST /api/welcomer-request."""
    return http.handle(event, app(), WELCOMER_REQUEST)


def pack_order(event: dict, context=None) -> dict:
    """POST /api/pack-order."""
    return http.handle(event, app(), PACK_ORDER)


def welcomer_application(event: dict, context=None) -> dict:
    """POST /api/welcomer-application (« devenir welcomer »)."""
    return http.handle(event, app(), WELCOMER_APPLICATION)


def event_registration(event: dict, context=None) -> dict:
    """POST /api/event-registration: a seat, or the waiting list."""
    return http.handle(event, app(), EVENT_REGISTRATION)


def action(event: dict, context=None) -> dict:
    """GET /api/action (confirmation page) and POST /api/action (the signed link's action)."""
    return http.handle_action(event, app())


def digest(event: dict | None = None, context=None) -> dict:
    """Every morning: each territory's requests left without action, e-mailed to its staff."""
    from ..admin.dynamodb import DynamoDBAdmin
    from ..admin.queries import Selection
    from ..digest import LOOK_BACK, digest_letters

    since = (now() - LOOK_BACK).date()
    requests = DynamoDBAdmin(store()).select(Selection(form=WELCOMER_REQUEST, start=since))
    jobs = digest_letters(app(), requests, now())
    records().enqueue(jobs)
    log.info("digest: %d territory e-mail(s) queued", len(jobs))
    return {"digests": len(jobs)}


def correction(event: dict, context=None) -> dict:
    """GET /api/{form}/correction: the no-JavaScript correction page."""
    form = (event.get("pathParameters") or {}).get("form")
    if form not in (*FORMS, EVENT_REGISTRATION):
        return http.json_response(404, {"errors": {"form": "Formulaire inconnu."}})
    return http.handle(event, app(), form)


# --- E-mail delivery. -----------------------------------------------------------------------


def _owner(context) -> str:
    """Who holds a lease: the invocation's request id (unique per attempt)."""
    return getattr(context, "aws_request_id", None) or uuid.uuid4().hex


def deliver_once(submission_id: str, owner: str) -> str:
    """Claim, send what is not sent yet, release: "sent", "pending" (retry later) or "skipped"."""
    submissions = store()
    submission = submissions.claim(submission_id, owner, now(), LEASE)
    if submission is None:  # already sent, spam, gone, or being sent by another worker
        return SKIPPED
    try:
        result = deliver(submission, catalogue(), mailer(), submissions)
    finally:
        submissions.release(submission_id, owner)
    return result.status


def _pending_submission_id(record: dict) -> str | None:
    """The id of the pending submission a stream record announces, or None."""
    if record.get("eventName") not in ("INSERT", "MODIFY"):
        return None
    image = (record.get("dynamodb") or {}).get("NewImage") or {}
    pk = (image.get("pk") or {}).get("S", "")
    status = (image.get("email_status") or {}).get("S")
    if not pk.startswith(SUBMISSION_PREFIX) or status != EMAIL_PENDING:
        return None  # an idempotency item, or nothing left to send
    return pk.removeprefix(SUBMISSION_PREFIX)


def stream_mailer(event: dict, context=None) -> dict:
    """DynamoDB stream batch → e-mails; reports the records to retry (partial batch response)."""
    owner = _owner(context)
    failures = []
    for record in event.get("Records", []):
        submission_id = _pending_submission_id(record)
        if submission_id is None:
            continue
        try:
            outcome = deliver_once(submission_id, owner)
        except StoreUnavailable as error:
            log.warning(
                "submission %s: store unavailable (%s), record retried", submission_id, error
            )
            outcome = EMAIL_PENDING
        if outcome == EMAIL_PENDING:
            failures.append({"itemIdentifier": record["dynamodb"]["SequenceNumber"]})
    return {"batchItemFailures": failures}


def _time_left_ms(context) -> float:
    if context is None or not hasattr(context, "get_remaining_time_in_millis"):
        return float("inf")
    return context.get_remaining_time_in_millis()


def sweeper(event: dict | None = None, context=None) -> dict:
    """Re-deliver what is still pending some minutes after it was stored (scheduled)."""
    owner = _owner(context)
    cutoff = now() - SWEEP_MIN_AGE
    counts = Counter({"retried": 0, EMAIL_SENT: 0, EMAIL_PENDING: 0})
    for submission in store().pending(SWEEP_LIMIT):
        if _time_left_ms(context) < SWEEP_SAFETY_MS:
            break
        if submission.received_at > cutoff:  # young: the stream is still on it
            continue
        counts["retried"] += 1
        counts[deliver_once(submission.id, owner)] += 1
    if counts["retried"]:
        log.info("sweeper: %(retried)d retried, %(sent)d sent, %(pending)d still pending", counts)
    return dict(counts)
