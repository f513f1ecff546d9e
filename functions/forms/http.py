"""API Gateway HTTP API (payload v2) events in, response dicts out: the only module that knows HTTP.

    POST /api/<form>               JSON → 202 {"id", "status"} | 4xx {"errors": {field: message}}
                                   form-encoded → 303 to the thank-you or the correction page
    GET  /api/<form>/correction?t= the no-JavaScript correction page (HTML)

The local server builds the same events, so this code runs unchanged on both.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import re
from urllib.parse import parse_qs, quote

from . import correction
from .abuse import ChallengeRequired
from .app import App
from .payload import FORM, MAX_BODY_BYTES, BodyError, decode
from .ports import PACK_ORDER, StoreUnavailable
from .pricing import as_json_number
from .submissions import Receipt, accept
from .tokens import BadToken, seal, unseal
from .validation import FIELD_ORDER, ValidationFailed

log = logging.getLogger("forms")

STATUS_OF = {"too_large": 413, "media_type": 415, "malformed": 400}
THANKS_PAGE = {"welcomer-request": "welcomers/merci/", PACK_ORDER: "pack/merci/"}
IDEMPOTENCY_KEY = re.compile(r"[\x21-\x7e]{1,200}")
CHALLENGE_JS = (
    "Plusieurs demandes sont arrivées en peu de temps : votre navigateur doit d'abord résoudre "
    "une courte vérification anti-robot. Renvoyez le formulaire."
)
CHALLENGE_NO_JS = (
    "Plusieurs demandes sont arrivées en peu de temps depuis votre connexion ou avec cette "
    "adresse e-mail. Les suivantes demandent une courte vérification anti-robot, que votre "
    "navigateur fait seul si JavaScript est activé. Sans JavaScript, renvoyez ce formulaire "
    "dans une heure (demain pour une même adresse e-mail), ou écrivez à l'équipe du territoire."
)
BASE_HEADERS = {"cache-control": "no-store", "x-content-type-options": "nosniff"}


# --- Responses. -----------------------------------------------------------------------------


def json_response(status: int, data: dict, headers: dict | None = None) -> dict:
    """A JSON response in API Gateway's format."""
    return {
        "statusCode": status,
        "headers": {
            **BASE_HEADERS,
            "content-type": "application/json; charset=utf-8",
            **(headers or {}),
        },
        "body": json.dumps(data, ensure_ascii=False),
        "isBase64Encoded": False,
    }


def html_response(status: int, html: str, headers: dict | None = None) -> dict:
    """An HTML page (correction or problem page)."""
    return {
        "statusCode": status,
        "headers": {
            **BASE_HEADERS,
            "content-type": "text/html; charset=utf-8",
            "referrer-policy": "no-referrer",  # the correction URL carries a token
            **(headers or {}),
        },
        "body": html,
        "isBase64Encoded": False,
    }


def redirect(location: str) -> dict:
    """A 303 See Other: the browser follows it with a GET."""
    return {
        "statusCode": 303,
        "headers": {**BASE_HEADERS, "location": location},
        "body": "",
        "isBase64Encoded": False,
    }


def error_response(
    status: int, errors: dict, wants_html: bool, app: App, headers: dict | None = None
) -> dict:
    """Errors as JSON, or as a small HTML page for a browser posting a plain form."""
    if wants_html:
        page = correction.render_problem(list(errors.values()), app.settings)
        return html_response(status, page, headers)
    return json_response(status, {"errors": errors}, headers)


# --- Request parts. -------------------------------------------------------------------------


def _headers(event: dict) -> dict:
    """Header names in lower case (API Gateway already lowercases them; the local server too)."""
    return {k.lower(): v for k, v in (event.get("headers") or {}).items()}


def _method(event: dict) -> str:
    return ((event.get("requestContext") or {}).get("http") or {}).get("method", "GET").upper()


def _body(event: dict) -> bytes:
    """The raw body bytes (base64-decoded when API Gateway encoded it)."""
    body = event.get("body") or ""
    if not event.get("isBase64Encoded"):
        return body.encode("utf-8", "surrogatepass")
    if len(body) > MAX_BODY_BYTES * 4 // 3 + 4:
        raise BodyError("too_large", "Le formulaire envoyé est trop volumineux (32 Ko au maximum).")
    try:
        return base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError):
        raise BodyError("malformed", "Le contenu envoyé est illisible.") from None


def _idempotency_key(headers: dict) -> str | None:
    key = headers.get("idempotency-key")
    if key is None:
        return None
    if not IDEMPOTENCY_KEY.fullmatch(key):
        raise BodyError("malformed", "Clé d'idempotence invalide.", "idempotency_key")
    return key


def _query(event: dict) -> dict:
    params = event.get("queryStringParameters")
    if params is None:
        params = {k: v[0] for k, v in parse_qs(event.get("rawQueryString") or "").items()}
    return params


# --- Routes. --------------------------------------------------------------------------------


def accepted_json(receipt: Receipt) -> dict:
    """The 202 body: the reference, and for an order its prices as numbers rounded to cents."""
    submission = receipt.submission
    data = {"id": submission.id, "status": "received"}
    if submission.form == PACK_ORDER and submission.pricing:
        data["unit_price_eur"] = as_json_number(submission.pricing["unit_price_eur"])
        data["total_eur"] = as_json_number(submission.pricing["total_eur"])
    return json_response(202, data)


def _thanks_location(app: App, receipt: Receipt) -> str:
    territory = app.catalogue.get(receipt.submission.territory)
    site_path = territory.site_path if territory else "/"
    return f"{site_path}{THANKS_PAGE[receipt.submission.form]}"


def client_address(event: dict) -> str | None:
    """The sender's IP: CloudFront's viewer address (the API is reached only through
    CloudFront, which sets that header itself), else the connection's source."""
    viewer = _headers(event).get("cloudfront-viewer-address", "")
    if viewer:
        return viewer.rsplit(":", 1)[0].strip("[]")  # "ip:port", IPv4 or IPv6
    return ((event.get("requestContext") or {}).get("http") or {}).get("sourceIp")


def _correction_location(app: App, event: dict, form: str, data: dict, errors: dict) -> str:
    """Seal what was typed and the errors into a token for the correction page."""
    path = event.get("rawPath") or f"/api/{form}"
    payload = {
        "form": form,
        "action": path,
        "values": correction.typed_values(form, data),
        "errors": errors,
    }
    token = seal(app.token_key, payload, app.clock().timestamp())
    return f"{path.rstrip('/')}/correction?t={quote(token)}"


def submit(event: dict, app: App, form: str) -> dict:
    """POST: decode, validate, store; answer 202/303, or the errors."""
    headers = _headers(event)
    wants_html = FORM in (headers.get("content-type") or "").lower()
    try:
        kind, data = decode(_body(event), headers.get("content-type"))
        receipt = accept(app, form, data, _idempotency_key(headers), client_address(event))
    except BodyError as error:
        return error_response(STATUS_OF[error.kind], {error.field: error.message}, wants_html, app)
    except ValidationFailed as failed:
        errors = {e.field: e.message for e in failed.errors}
        if kind == FORM:
            return redirect(_correction_location(app, event, form, data, errors))
        return json_response(422, {"errors": errors})
    except ChallengeRequired as required:
        if kind == FORM:  # no script ran: say what to do, keep what was typed
            errors = {"altcha": CHALLENGE_NO_JS}
            return redirect(_correction_location(app, event, form, data, errors))
        body = {"errors": {"altcha": CHALLENGE_JS}, "challenge": required.challenge}
        return json_response(429, body)
    except StoreUnavailable:
        log.error("store unavailable: %s submission refused with 503", form)
        message = "Le service est momentanément indisponible : réessayez dans quelques minutes."
        return error_response(503, {"body": message}, wants_html, app, {"retry-after": "60"})
    if kind == FORM:
        return redirect(_thanks_location(app, receipt))
    return accepted_json(receipt)


def correction_page(event: dict, app: App, form: str) -> dict:
    """GET: the correction page sealed in the `t` parameter."""
    try:
        payload = unseal(
            app.token_key,
            _query(event).get("t", ""),
            app.clock().timestamp(),
            app.settings.token_ttl_s,
        )
    except BadToken:
        message = "Ce lien de correction a expiré ou n'est pas valide : revenez au formulaire."
        return html_response(400, correction.render_problem([message], app.settings))
    if payload.get("form") != form:
        return html_response(
            400, correction.render_problem(["Lien de correction invalide."], app.settings)
        )
    return html_response(200, correction.render_correction(payload, app))


def route(event: dict, app: App, form: str) -> dict:
    """The response of the route the event's method and path name."""
    method = _method(event)
    path = (event.get("rawPath") or "").rstrip("/")
    if path.endswith("/correction"):
        if method in ("GET", "HEAD"):
            return correction_page(event, app, form)
        return json_response(405, {"errors": {"body": "Méthode non acceptée."}}, {"allow": "GET"})
    if method != "POST":
        return json_response(405, {"errors": {"body": "Méthode non acceptée."}}, {"allow": "POST"})
    return submit(event, app, form)


def handle(event: dict, app: App, form: str) -> dict:
    """Answer one API Gateway HTTP API (v2) event for `form` (one of ports.FORMS)."""
    if form not in FIELD_ORDER:
        raise ValueError(f"unknown form {form!r}")
    try:
        return route(event, app, form)
    except Exception:  # a bug must not show its trace: log it, answer a plain 500
        log.exception("unexpected error while handling a %s request", form)
        message = "Une erreur inattendue est survenue : réessayez dans quelques minutes."
        return json_response(500, {"errors": {"body": message}})
