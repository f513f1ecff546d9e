"""API Gateway HTTP API (payload v2) events in, response dicts out: the only module that knows HTTP.

    POST /api/<form>               JSON → 202 {"id", "status"} | 4xx {"errors": {field: message}}
                                   form-encoded → 303 to the thank-you or the correction page
    GET  /api/<form>/correction?t= the no-JavaScript correction page (HTML)
    GET  /api/action?t=            a signed link's confirmation page (HTML): changes nothing
    POST /api/action               the signed link's action (form-encoded `t`, maybe `reason`)

The local server builds the same events, so this code runs unchanged on both.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import re
from urllib.parse import parse_qs, quote

from . import actions, alerts, correction, followup, links, registrations
from .abuse import ChallengeRequired
from .app import App
from .payload import FORM, MAX_BODY_BYTES, BodyError, decode
from .ports import EVENT_REGISTRATION, PACK_ORDER, WELCOMER_APPLICATION, StoreUnavailable
from .pricing import as_json_number
from .rendering import render
from .submissions import accept
from .tokens import BadToken, seal, unseal
from .validation import FIELD_ORDER, ValidationFailed

log = logging.getLogger("forms")

STATUS_OF = {"too_large": 413, "media_type": 415, "malformed": 400}
THANKS_PAGE = {
    "welcomer-request": "welcomers/merci/",
    PACK_ORDER: "pack/merci/",
    WELCOMER_APPLICATION: "devenir-welcomer/merci/",
}
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


def json_response(status: int, data: dict | list, headers: dict | None = None) -> dict:
    """A JSON response in API Gateway's format (the editor's API relays GitHub's lists too)."""
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


def accepted_json(receipt) -> dict:
    """The 202 body: the reference, and for an order its prices as numbers rounded to cents."""
    if isinstance(receipt, registrations.Receipt):
        return json_response(202, {"id": receipt.registration.id, "status": _status(receipt)})
    submission = receipt.submission
    data = {"id": submission.id, "status": "received"}
    if submission.form == PACK_ORDER and submission.pricing:
        data["unit_price_eur"] = as_json_number(submission.pricing["unit_price_eur"])
        data["total_eur"] = as_json_number(submission.pricing["total_eur"])
        if "total_ttc_eur" in submission.pricing:  # HT above; VAT included here
            data["total_ttc_eur"] = as_json_number(submission.pricing["total_ttc_eur"])
    return json_response(202, data)


def _status(receipt: registrations.Receipt) -> str:
    """What a registration became; a spam one reads as confirmed (bots learn nothing)."""
    return registrations.CONFIRMED if receipt.spam else receipt.registration.status


def _thanks_location(app: App, receipt) -> str:
    if isinstance(receipt, registrations.Receipt):
        territory = app.catalogue.get(receipt.registration.territory)
        event = territory.events[receipt.registration.event]
        waiting = _status(receipt) == registrations.WAITLISTED
        return f"{event.page_path}{'liste-d-attente' if waiting else 'merci'}/"
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
        take = registrations.register if form == EVENT_REGISTRATION else _accept(form)
        receipt = take(app, data, _idempotency_key(headers), client_address(event))
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


def _accept(form: str):
    return lambda app, data, key, client: accept(app, form, data, key, client)


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


# --- Signed links. ----------------------------------------------------------------------------

ACTION_FIELDS = {"t", "reason"}


def action_response(status: int, page: actions.Page, app: App) -> dict:
    html = render("action.html", page=page, settings=app.settings, territory=None)
    return html_response(status, html, {"x-robots-tag": "noindex"})


def _problem(status: int, title: str, message: str, app: App) -> dict:
    return action_response(status, actions.Page(title, (message,)), app)


def action(event: dict, app: App) -> dict:
    """GET: the confirmation page of a signed link; POST: its action. HTML both."""
    method = _method(event)
    try:
        if method in ("GET", "HEAD"):
            return action_response(200, actions.describe(app, _query(event).get("t", "")), app)
        if method != "POST":
            return json_response(
                405, {"errors": {"body": "Méthode non acceptée."}}, {"allow": "GET, POST"}
            )
        kind, data = decode(_body(event), _headers(event).get("content-type"))
        if kind != FORM or set(data) - ACTION_FIELDS or not isinstance(data.get("t"), str):
            raise BodyError("malformed", "Ce formulaire n'est pas celui du lien.")
        return action_response(200, actions.perform(app, data["t"], data), app)
    except BodyError as error:
        return _problem(STATUS_OF[error.kind], "Envoi illisible", error.message, app)
    except links.BadLink:
        message = "Ce lien est incomplet ou a été modifié : ouvrez-le de nouveau depuis l'e-mail."
        return _problem(400, "Lien invalide", message, app)
    except links.ExpiredLink:
        message = "Ce lien n'est plus valable. Écrivez-nous si vous avez besoin d'aide."
        return _problem(410, "Lien expiré", message, app)
    except actions.Gone:
        message = "La demande ou l'inscription de ce lien n'existe plus (effacée ou close)."
        return _problem(404, "Introuvable", message, app)
    except followup.AlreadyDone as done:
        return _problem(409, "Déjà fait", done.message + " Rien n'a changé.", app)
    except followup.Refused as refused:
        return _problem(409, "Action impossible", refused.message, app)
    except followup.Conflict:
        message = "La demande change en ce moment même : réessayez dans un instant."
        return _problem(409, "Réessayez", message, app)
    except StoreUnavailable:
        message = "Le service est momentanément indisponible : réessayez dans quelques minutes."
        return _problem(503, "Indisponible", message, app)


def handle_action(event: dict, app: App) -> dict:
    """Answer a signed link's request (GET or POST /api/action)."""
    try:
        return action(event, app)
    except Exception:  # a bug must not show its trace
        log.exception("unexpected error while handling a signed link")
        message = "Une erreur inattendue est survenue : réessayez dans quelques minutes."
        return _problem(500, "Erreur", message, app)


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


# --- Alerts (forms.alerts): subscribe, confirm, unsubscribe. --------------------------------

ALERTS = "alerts"  # the route name the local server and the handler give these paths
ALERT_THANKS, ALERT_CONFIRMED = "/alertes/merci/", "/alertes/confirmee/"


def _alert_page(app: App, status: int, title: str, paragraphs: list[str], **form) -> dict:
    """A small page of the alert links: a message, and the button that POSTs when asked."""
    page = alerts.render_page(app.settings, title, paragraphs, **form)
    return html_response(status, page)


def _dead_link(app: App) -> dict:
    return _alert_page(
        app,
        400,
        "Lien expiré ou invalide",
        [
            "Ce lien ne correspond à aucune alerte en attente : elle a peut-être expiré "
            "(sept jours sans confirmation) ou déjà été arrêtée.",
            "Vous pouvez créer une nouvelle alerte depuis la page Alertes du site.",
        ],
    )


def alert_subscribe(event: dict, app: App) -> dict:
    """POST /api/alert-subscription: 202 (JSON) or 303 to the page that says to check the inbox."""
    headers = _headers(event)
    wants_html = FORM in (headers.get("content-type") or "").lower()
    try:
        kind, data = decode(_body(event), headers.get("content-type"))
        alerts.subscribe(app, data, client_address(event))
    except BodyError as error:
        return error_response(STATUS_OF[error.kind], {error.field: error.message}, wants_html, app)
    except ValidationFailed as failed:
        errors = {e.field: e.message for e in failed.errors}
        if kind == FORM:
            messages = [f"{alerts.FIELD_LABELS.get(f, f)} : {m}" for f, m in errors.items()]
            return html_response(422, correction.render_problem(messages, app.settings))
        return json_response(422, {"errors": errors})
    except ChallengeRequired as required:
        if kind == FORM:  # no script ran: say what to do
            return html_response(429, correction.render_problem([CHALLENGE_NO_JS], app.settings))
        body = {"errors": {"altcha": CHALLENGE_JS}, "challenge": required.challenge}
        return json_response(429, body)
    except StoreUnavailable:
        log.error("store unavailable: alert subscription refused with 503")
        message = "Le service est momentanément indisponible : réessayez dans quelques minutes."
        return error_response(503, {"body": message}, wants_html, app, {"retry-after": "60"})
    if kind == FORM:
        return redirect(ALERT_THANKS)
    return json_response(202, {"status": "pending"})


def alert_confirm(event: dict, app: App, method: str) -> dict:
    """GET: the page with the confirm button; POST (the button): confirm, 303 to the site."""
    token = _query(event).get("t", "")
    if method == "POST":
        return redirect(ALERT_CONFIRMED) if alerts.confirm(app, token) else _dead_link(app)
    if not alerts.can_confirm(app, token):
        return _dead_link(app)
    return _alert_page(
        app,
        200,
        "Confirmer votre alerte",
        ["Un clic pour recevoir par e-mail les nouvelles offres d'essai que vous avez choisies."],
        action=f"{alerts.CONFIRM_PATH}?t={quote(token)}",
        button="Confirmer mon alerte",
    )


def alert_unsubscribe(event: dict, app: App, method: str) -> dict:
    """RFC 8058: a POST unsubscribes at once (mail clients' one-click, or the page's button);
    a GET shows the page with the button, so that link scanners change nothing."""
    token = _query(event).get("t", "")
    if not alerts.can_unsubscribe(app, token):
        return _dead_link(app)
    if method == "POST":
        alerts.unsubscribe(app, token)
        return _alert_page(
            app,
            200,
            "Alerte arrêtée",
            ["Vous ne recevrez plus d'alerte : votre adresse est effacée de nos alertes."],
        )
    return _alert_page(
        app,
        200,
        "Arrêter votre alerte",
        ["Un clic pour ne plus recevoir les nouvelles offres par e-mail."],
        action=f"{alerts.UNSUBSCRIBE_PATH}?t={quote(token)}",
        button="Arrêter l'alerte",
        hidden=[("List-Unsubscribe", "One-Click")],
    )


def handle_alerts(event: dict, app: App) -> dict:
    """Answer one event of the alert routes (POST /api/alert-subscription, its links)."""
    method = _method(event)
    path = (event.get("rawPath") or "").rstrip("/")
    try:
        if path == alerts.CONFIRM_PATH and method in ("GET", "HEAD", "POST"):
            return alert_confirm(event, app, "POST" if method == "POST" else "GET")
        if path == alerts.UNSUBSCRIBE_PATH and method in ("GET", "HEAD", "POST"):
            return alert_unsubscribe(event, app, "POST" if method == "POST" else "GET")
        if path == "/api/alert-subscription" and method == "POST":
            return alert_subscribe(event, app)
        return json_response(405, {"errors": {"body": "Méthode non acceptée."}})
    except Exception:  # a bug must not show its trace: log it, answer a plain 500
        log.exception("unexpected error while handling an alert request")
        message = "Une erreur inattendue est survenue : réessayez dans quelques minutes."
        return json_response(500, {"errors": {"body": message}})
