"""Helpers for the forms tests: real sample events, valid submissions, a settable clock."""

from __future__ import annotations

import base64
import copy
import datetime as dt
import json
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from pathlib import Path
from urllib.parse import urlencode

from forms.http import handle
from forms.ports import PACK_ORDER, WELCOMER_REQUEST, EmailJob, MailError

ROOT = Path(__file__).resolve().parents[2]
EVENTS = ROOT / "tests" / "events"
NOW = dt.datetime(2026, 11, 24, 17, 25, 1, tzinfo=dt.UTC)
MAIL_FROM = "Territoires <no-reply@territoires.example>"
TEMPLATE = {WELCOMER_REQUEST: "welcomer_request_json.json", PACK_ORDER: "pack_order_json.json"}


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: dt.datetime = NOW):
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta) -> None:
        self.now += dt.timedelta(**delta)


class RecordingMailer:
    """Keeps the jobs it is given (and their messages, parsed); fails the next `failures` sends
    with MailError (`permanent` ones when told)."""

    def __init__(self, failures: int = 0, permanent: bool = False):
        self.jobs: list[EmailJob] = []
        self.messages: list[EmailMessage] = []
        self.failures = failures
        self.permanent = permanent

    def send(self, job: EmailJob) -> None:
        if self.failures:
            self.failures -= 1
            raise MailError("mail service unavailable", permanent=self.permanent)
        self.jobs.append(job)
        self.messages.append(message_from_bytes(job.message, policy=default))


def load_event(name: str) -> dict:
    """A sample API Gateway HTTP API v2 event from tests/events/."""
    return json.loads((EVENTS / name).read_text(encoding="utf-8"))


def sample_fields(form: str) -> dict:
    """The valid fields of the sample event of `form` (JSON types)."""
    return json.loads(load_event(TEMPLATE[form])["body"])


def event(
    form: str,
    body: str | bytes,
    content_type: str | None = "application/json",
    headers: dict | None = None,
    encode: bool = False,
) -> dict:
    """A POST event for `form` with this raw body (base64-encoded when `encode`)."""
    result = copy.deepcopy(load_event(TEMPLATE[form]))
    result["headers"].pop("idempotency-key", None)
    result["headers"].pop("content-type", None)
    if content_type is not None:
        result["headers"]["content-type"] = content_type
    result["headers"].update(headers or {})
    raw = body.encode("utf-8") if isinstance(body, str) else body
    result["headers"]["content-length"] = str(len(raw))
    if encode:
        result["body"], result["isBase64Encoded"] = base64.b64encode(raw).decode("ascii"), True
    else:
        result["body"], result["isBase64Encoded"] = raw.decode("utf-8"), False
    return result


def json_event(form: str, fields: dict, headers: dict | None = None) -> dict:
    """A JSON POST of `fields`."""
    return event(form, json.dumps(fields, ensure_ascii=False), headers=headers)


def form_pairs(fields: dict) -> list[tuple[str, str]]:
    """Fields as a browser would encode them (lists repeated, booleans as "true")."""
    pairs = []
    for name, value in fields.items():
        values = value if isinstance(value, list) else [value]
        pairs += [(name, "true" if v is True else str(v)) for v in values]
    return pairs


def form_event(form: str, fields: dict | list, headers: dict | None = None) -> dict:
    """A form-encoded POST, base64-encoded as API Gateway delivers it."""
    pairs = form_pairs(fields) if isinstance(fields, dict) else fields
    return event(form, urlencode(pairs), "application/x-www-form-urlencoded", headers, encode=True)


def call(app, form: str, request: dict) -> tuple[int, dict, object]:
    """(status, headers, body: decoded JSON when JSON) of `handle`."""
    response = handle(request, app, form)
    body = response["body"]
    if response["headers"].get("content-type", "").startswith("application/json"):
        body = json.loads(body)
    return response["statusCode"], response["headers"], body
