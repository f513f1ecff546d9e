"""Lambda entry points: wiring only. The work is done by forms.http and forms.delivery.

    welcomer_request, pack_order   POST /api/<form>               (API Gateway HTTP API, v2)
    correction                     GET  /api/{form}/correction
    stream_mailer                  DynamoDB stream (new e-mail jobs) → SES, each job claimed
                                   before it is sent: one e-mail whatever the redeliveries
    sweeper                        every 5 minutes: every job due (retries with backoff, what
                                   the stream missed), until none is or time runs out

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
from collections.abc import Callable

import boto3

from .. import http
from ..app import App, Settings, utc_now
from ..catalogue import Catalogue, load_catalogue
from ..delivery import FAILED, RETRY, SENT, SKIPPED, deliver_job, send_due
from ..ports import FORMS, PACK_ORDER, WELCOMER_REQUEST, StoreUnavailable
from ..submissions import adopt_legacy
from .dynamodb_store import JOB_KIND, JOB_PREFIX, DynamoDBStore
from .ses_mailer import SESMailer

log = logging.getLogger("forms")
log.setLevel(logging.INFO)

# Longer than one send (SES: three tries of at most 10 s): a lease never expires under a live
# sender, and one left by a crashed sender frees the job for the next try within minutes.
LEASE = dt.timedelta(minutes=2)
# The stream hands a new job over within seconds; the sweeper leaves it that long.
SWEEP_GRACE = dt.timedelta(minutes=2)
# One send takes at most about 30 s: none is cut short by the end of the sweeper's time.
SWEEP_SAFETY_MS = 60_000
SWEEP_BATCH = 50  # keys read from the index at a time


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
def app() -> App:
    """The public functions' application; only they need (and may read) the token secret."""
    return App(
        catalogue=catalogue(),
        store=store(),
        token_key=token_key(),
        clock=now,
        settings=Settings.from_env(),
    )


@functools.cache
def mailer() -> SESMailer:
    """The SES mailer of this container."""
    return SESMailer()


def reset() -> None:
    """Forget the container's state (tests, or after a configuration change)."""
    for cached in (catalogue, store, app, mailer):
        cached.cache_clear()


# --- Public API. ----------------------------------------------------------------------------


def welcomer_request(event: dict, context=None) -> dict:
    """POST /api/welcomer-request."""
    return http.handle(event, app(), WELCOMER_REQUEST)


def pack_order(event: dict, context=None) -> dict:
    """POST /api/pack-order."""
    return http.handle(event, app(), PACK_ORDER)


def correction(event: dict, context=None) -> dict:
    """GET /api/{form}/correction: the no-JavaScript correction page."""
    form = (event.get("pathParameters") or {}).get("form")
    if form not in FORMS:
        return http.json_response(404, {"errors": {"form": "Formulaire inconnu."}})
    return http.handle(event, app(), form)


# --- E-mail delivery. -----------------------------------------------------------------------


def _owner(context) -> str:
    """Who holds a lease: the invocation's request id (unique per attempt)."""
    return getattr(context, "aws_request_id", None) or uuid.uuid4().hex


def _job_key(record: dict) -> str | None:
    """The key of the e-mail job a stream record announces, or None."""
    if record.get("eventName") != "INSERT":
        return None
    image = (record.get("dynamodb") or {}).get("NewImage") or {}
    if (image.get("kind") or {}).get("S") != JOB_KIND:
        return None  # a submission, an idempotency key, another flow's item
    return (image.get("pk") or {}).get("S", "").removeprefix(JOB_PREFIX) or None


def stream_mailer(event: dict, context=None) -> dict:
    """DynamoDB stream batch → e-mails; reports the records to retry (partial batch response).

    A send that fails is recorded on its job (retried with backoff by the sweeper), not
    reported: the stream retries only what could not even be claimed (the store was down).
    """
    owner = _owner(context)
    failures = []
    for record in event.get("Records", []):
        key = _job_key(record)
        if key is None:
            continue
        try:
            deliver_job(store(), mailer(), key, owner, now(), lease=LEASE)
        except StoreUnavailable as error:
            log.warning("e-mail %s: store unavailable (%s), record retried", key, error)
            failures.append({"itemIdentifier": record["dynamodb"]["SequenceNumber"]})
    return {"batchItemFailures": failures}


def _time_left_ms(context) -> float:
    if context is None or not hasattr(context, "get_remaining_time_in_millis"):
        return float("inf")
    return context.get_remaining_time_in_millis()


def sweeper(event: dict | None = None, context=None) -> dict:
    """Send every job due (scheduled): retries, and what the stream could not hand over.

    It loops until nothing is due or its time nearly runs out, so a backlog drains as fast as
    SES takes it; first-release submissions still pending are given their jobs first.
    """
    owner = _owner(context)
    adopt_legacy(store(), catalogue(), Settings.from_env().mail_from)
    counts = send_due(
        store(),
        mailer(),
        now,
        owner,
        lease=LEASE,
        batch=SWEEP_BATCH,
        keep_going=lambda: _time_left_ms(context) >= SWEEP_SAFETY_MS,
        grace=SWEEP_GRACE,
    )
    result = {"retried": sum(counts.values())} | {
        outcome: counts[outcome] for outcome in (SENT, RETRY, FAILED, SKIPPED)
    }
    if result["retried"]:
        log.info("sweeper: %s", ", ".join(f"{n} {k}" for k, n in result.items()))
    return result
