"""Lambda entry points: wiring only. The work is done by forms.http and forms.delivery.

    welcomer_request, pack_order,  POST /api/<form>               (API Gateway HTTP API, v2)
    welcomer_application,
    event_registration
    correction                     GET  /api/{form}/correction
    action                         GET and POST /api/action: a signed link's page, its action
    digest                         every morning: the requests left without action, e-mailed
    alert_subscription             POST /api/alert-subscription, GET/POST of its confirm link,
                                   GET/POST /api/alert-unsubscribe (RFC 8058 one-click)
    announce                       invoked by the deploy: digests of the new placements
    stream_mailer                  DynamoDB stream (new e-mail jobs) → SES, each job claimed
                                   before it is sent: one e-mail whatever the redeliveries
    sweeper                        every 5 minutes: every job due (retries with backoff, what
                                   the stream missed), until none is or time runs out
    editor_sign_in                 GET/POST /api/editor/{scope}/connexion[/lien] (e-mail link)
    editor_api                     /api/editor/{scope}/{proxy+}: Decap's GitHub calls, filtered

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

from .. import alerts, http
from ..app import App, Settings, utc_now
from ..catalogue import Catalogue, load_catalogue
from ..delivery import FAILED, RETRY, SENT, SKIPPED, deliver_job, send_due
from ..editor import proxy, signin, web
from ..editor.github import AppCredentials, GitHub, InstallationTokens
from ..ports import (
    EVENT_REGISTRATION,
    FORMS,
    PACK_ORDER,
    WELCOMER_APPLICATION,
    WELCOMER_REQUEST,
    StoreUnavailable,
)
from ..submissions import adopt_legacy
from .dynamodb_alerts import DynamoDBAlerts
from .dynamodb_store import JOB_KIND, JOB_PREFIX, DynamoDBStore
from .editor_store import DynamoDBSignInStore
from .secrets import read_secret
from .ses_mailer import SESMailer
from .welcome_dynamodb import DynamoDBWelcomeStore

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
def records() -> DynamoDBWelcomeStore:
    """Follow-ups and registrations, in the same table."""
    return DynamoDBWelcomeStore()


@functools.cache
def alerts_store() -> DynamoDBAlerts:
    """The alerts table of this container (ALERTS_TABLE), its jobs in the submissions table."""
    return DynamoDBAlerts(store())


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
        # Only the alert functions are given the alerts table.
        alerts=alerts_store() if os.environ.get("ALERTS_TABLE") else None,
    )


@functools.cache
def mailer() -> SESMailer:
    """The SES mailer of this container."""
    return SESMailer()


@functools.cache
def editor_keys() -> signin.Keys:
    """The editor's keys, derived from its secret (EDITOR_SESSION_KEY in tests)."""
    if os.environ.get("EDITOR_SESSION_KEY"):
        return signin.Keys.from_secret(os.environ["EDITOR_SESSION_KEY"].encode("utf-8"))
    return signin.Keys.from_secret(read_secret(os.environ["EDITOR_SESSION_SECRET_ARN"]).encode())


def _editor_flow(store=None, mail=None) -> signin.SignIn:
    settings = Settings.from_env()
    return signin.SignIn(
        catalogue=catalogue(),
        store=store,
        mailer=mail,
        keys=editor_keys(),
        clock=now,
        site_url=settings.site_url,
        mail_from=settings.mail_from,
        operators=settings.editor_operators,
    )


@functools.cache
def editor_sign_in_app() -> web.Editor:
    """Sign-in: the editor's table and SES; never the GitHub App's secret."""
    flow = _editor_flow(DynamoDBSignInStore(), mailer())
    return web.Editor(flow, Settings.from_env())


@functools.cache
def editor_github() -> proxy.EditorApi:
    """The content repository through the App's token (its secret read on first use)."""
    settings = Settings.from_env()
    arn = os.environ["EDITOR_GITHUB_APP_SECRET_ARN"]
    tokens = InstallationTokens(
        credentials=lambda: AppCredentials.from_secret(read_secret(arn)),
        api_root=settings.editor_github_api,
        repository=settings.editor_repo,
        clock=now,
    )
    github = GitHub(settings.editor_github_api, tokens)
    return proxy.EditorApi(github, catalogue(), settings.editor_repo, settings.editor_branch)


@functools.cache
def editor_api_app() -> web.Editor:
    """The API: sessions checked with the editor's key, GitHub with the App's; no table."""
    return web.Editor(_editor_flow(), Settings.from_env(), editor_github)


def reset() -> None:
    """Forget the container's state (tests, or after a configuration change)."""
    for cached in (
        catalogue,
        store,
        records,
        alerts_store,
        app,
        mailer,
        editor_keys,
        editor_sign_in_app,
        editor_github,
        editor_api_app,
    ):
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


def editor_sign_in(event: dict, context=None) -> dict:
    """GET/POST /api/editor/{scope}/connexion and …/connexion/lien."""
    return web.guarded(web.handle_sign_in, event, editor_sign_in_app())


def editor_api(event: dict, context=None) -> dict:
    """/api/editor/{scope}/{proxy+}: what Decap CMS asks of GitHub, filtered."""
    return web.guarded(web.handle_api, event, editor_api_app())


def alert_subscription(event: dict, context=None) -> dict:
    """POST /api/alert-subscription and the links of the alert e-mails."""
    return http.handle_alerts(event, app())


def announce(event: dict | None = None, context=None) -> dict:
    """Digests of the placements new since the last run (tools/deploy.py invokes it)."""
    report = alerts.announce(app())
    return {
        "subscribers": report.subscribers,
        "digests": report.digests,
        "placements_announced": report.placements_announced,
        "first_seen": report.first_seen,
        "expired": report.expired,
    }


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
