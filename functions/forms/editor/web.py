"""The editor's routes, API Gateway HTTP API (v2) events in, responses out.

    GET  /api/editor/<scope>/connexion        the sign-in page (Decap opens it in a window)
    POST /api/editor/<scope>/connexion        e-mail → a link, if allowed (same page either way)
    GET  /api/editor/<scope>/connexion/lien   the link's confirmation page (changes nothing)
    POST /api/editor/<scope>/connexion/lien   the link, once → the session, handed to Decap
    *    /api/editor/<scope>/<GitHub path>    Decap's GitHub calls (forms.editor.proxy)

`<scope>` is a territory's slug, or `_tous` for the operators. Sign-in pages work without
JavaScript; the editor itself needs it. Like forms.http, the only place that knows HTTP events.
"""

from __future__ import annotations

import base64
import binascii
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import parse_qsl

from ..app import Settings
from ..http import client_address, html_response, json_response
from ..payload import BodyError, decode
from ..ports import MailError
from ..rendering import render
from . import proxy, signin

log = logging.getLogger("forms")

PREFIX = "/api/editor/"
SCOPE = re.compile(r"[a-z0-9][a-z0-9-]{0,62}|" + re.escape(signin.ALL_TERRITORIES))
MAX_API_BODY_BYTES = 6 * 1024 * 1024  # Lambda's own limit for a request
STORAGE_KEY = "decap-cms-user"  # where Decap keeps its signed-in user (LocalStorageAuthStore)


@dataclass
class Editor:
    """Everything the editor's routes need; `api` is built lazily (it reads the App's secret)."""

    sign_in: signin.SignIn
    settings: Settings
    api: Callable[[], proxy.EditorApi] | None = None


# --- Events. --------------------------------------------------------------------------------


def _method(event: dict) -> str:
    return ((event.get("requestContext") or {}).get("http") or {}).get("method", "GET").upper()


def _headers(event: dict) -> dict:
    return {k.lower(): v for k, v in (event.get("headers") or {}).items()}


def _client(event: dict) -> str:
    """The visitor's address, as the forms count it (CloudFront's viewer address)."""
    return client_address(event) or "inconnu"


def _raw_body(event: dict) -> bytes:
    body = event.get("body") or ""
    if not event.get("isBase64Encoded"):
        return body.encode("utf-8", "surrogatepass")
    try:
        return base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError):
        return b"\x00"  # unreadable: refused as malformed downstream


def _query(event: dict) -> dict[str, str]:
    params = event.get("queryStringParameters")
    if params is None:
        params = dict(parse_qsl(event.get("rawQueryString") or "", keep_blank_values=True))
    return {k: v for k, v in params.items() if isinstance(v, str)}


def split_path(raw_path: str) -> tuple[str, str] | None:
    """(scope, rest) of an editor path, or None when it is not one."""
    if not raw_path.startswith(PREFIX):
        return None
    scope, _, rest = raw_path[len(PREFIX) :].partition("/")
    if not SCOPE.fullmatch(scope):
        return None
    return scope, "/" + rest


def not_found() -> dict:
    return json_response(404, {"message": "Adresse inconnue."})


# --- Sign-in pages. -------------------------------------------------------------------------


def _page(editor: Editor, template: str, scope: str, status: int = 200, **context) -> dict:
    territory = editor.sign_in.catalogue.get(scope)
    html = render(
        template,
        settings=editor.settings,
        territory=territory,
        scope_of=signin.scope_of(editor.sign_in, scope),
        minutes=int(signin.LINK_TTL.total_seconds() // 60),
        **{"action": f"{PREFIX}{scope}/connexion", "error": None, **context},
    )
    return html_response(status, html)


def _form_fields(event: dict) -> dict:
    """The fields of a posted form (or JSON); BodyError when unreadable."""
    _, data = decode(_raw_body(event), _headers(event).get("content-type"))
    return {k: v for k, v in data.items() if isinstance(v, str)}


def _form(editor: Editor, scope: str, status: int = 200, email: str = "", error=None) -> dict:
    """The sign-in form, with what was typed and what went wrong."""
    return _page(
        editor,
        "editor_sign_in_form.html",
        scope,
        status,
        heading="Se connecter à l'éditeur",
        email=email[:254],
        error=error,
    )


def sign_in_page(event: dict, editor: Editor, scope: str) -> dict:
    """GET shows the form; POST asks for a link and says the same whoever asked."""
    if _method(event) != "POST":
        return _form(editor, scope)
    try:
        email = _form_fields(event).get("email", "")
    except BodyError as error:
        return _form(editor, scope, 400, error=error.message)
    try:
        signin.request_link(editor.sign_in, scope, email, _client(event))
    except signin.SignInError as error:
        return _form(editor, scope, 429 if error.kind == "limited" else 400, email, error.message)
    except MailError:
        log.error("editor sign-in: the link could not be sent")
        message = "L'envoi du lien a échoué : réessayez dans quelques minutes."
        return _form(editor, scope, 503, email, message)
    sent = "editor_link_sent.html"
    return _page(editor, sent, scope, heading="Vérifiez vos e-mails", email=email.strip()[:254])


def link_page(event: dict, editor: Editor, scope: str) -> dict:
    """GET asks to confirm (mail scanners follow links: they change nothing); POST signs in."""
    if _method(event) != "POST":
        action, token = f"{PREFIX}{scope}/connexion/lien", _query(event).get("t", "")
        heading = "Connexion à l'éditeur"
        return _page(
            editor, "editor_confirm.html", scope, heading=heading, token=token, action=action
        )
    try:
        token, session = signin.use_link(editor.sign_in, scope, _form_fields(event).get("t", ""))
    except (BodyError, signin.SignInError) as error:
        return _form(editor, scope, 400, error=error.message)
    return _page(
        editor,
        "editor_signed_in.html",
        scope,
        heading="Vous êtes connecté·e",
        session=token,
        email=session.email,
        editor_path=_editor_path(editor, scope),
        hours=int(signin.SESSION_TTL.total_seconds() // 3600),
    )


def _editor_path(editor: Editor, scope: str) -> str:
    """Where the scope's editor is: /<slug>/admin/ (or /admin/, operators and standalone)."""
    territory = editor.sign_in.catalogue.get(scope)
    return f"{territory.site_path}admin/" if territory else "/admin/"


# --- The API. -------------------------------------------------------------------------------


def _session_token(event: dict) -> str:
    """The token of `Authorization: token …` (Decap's) or `Bearer …`."""
    value = _headers(event).get("authorization", "")
    kind, _, token = value.partition(" ")
    return token.strip() if kind.lower() in ("token", "bearer") else ""


def api_call(event: dict, editor: Editor, scope: str, rest: str) -> dict:
    """One of Decap's GitHub calls, for a signed-in editor of `scope`."""
    token = _session_token(event)
    if not token:
        return json_response(401, {"message": "Connexion requise."})
    try:
        session = signin.check_session(
            editor.sign_in.keys,
            editor.sign_in.catalogue,
            editor.sign_in.operators,
            token,
            scope,
            editor.sign_in.clock(),
        )
    except signin.SessionError as error:
        return json_response(401, {"message": error.message})
    body = _raw_body(event)
    if len(body) > MAX_API_BODY_BYTES:
        return json_response(413, {"message": "Envoi trop volumineux."})
    call = proxy.Call(_method(event), scope, rest, _query(event), body)
    result = proxy.answer(editor.api() if editor.api else None, session, call)
    return json_response(result.status, result.data, result.headers)


# --- Entry points. --------------------------------------------------------------------------


def handle_sign_in(event: dict, editor: Editor) -> dict:
    """The sign-in routes (their own function on AWS: the store and e-mail, no GitHub)."""
    found = split_path((event.get("rawPath") or "").rstrip("/"))
    if found is None or signin.scope_of(editor.sign_in, found[0]) is None:
        return not_found()
    scope, rest = found
    method = _method(event)
    if method not in ("GET", "HEAD", "POST"):
        return json_response(405, {"message": "Méthode non acceptée."}, {"allow": "GET, POST"})
    if rest == "/connexion":
        return sign_in_page(event, editor, scope)
    if rest == "/connexion/lien":
        return link_page(event, editor, scope)
    return not_found()


def handle_api(event: dict, editor: Editor) -> dict:
    """The GitHub routes (their own function on AWS: the App's secret, no store)."""
    found = split_path(event.get("rawPath") or "")
    if found is None or signin.scope_of(editor.sign_in, found[0]) is None:
        return not_found()
    return api_call(event, editor, *found)


def is_sign_in(raw_path: str) -> bool:
    """Whether a path is one of the sign-in routes (the local server routes by it)."""
    found = split_path(raw_path.rstrip("/"))
    return found is not None and found[1] in ("/connexion", "/connexion/lien")


def guarded(route: Callable[[dict, Editor], dict], event: dict, editor: Editor) -> dict:
    """`route`'s answer; a bug answers a plain 500, never its trace."""
    try:
        return route(event, editor)
    except Exception:
        log.exception("unexpected error in the editor's API")
        return json_response(500, {"message": "Erreur inattendue : réessayez dans un instant."})


def handle(event: dict, editor: Editor) -> dict:
    """Any editor route (the local server serves both)."""
    sign_in = is_sign_in(event.get("rawPath") or "")
    return guarded(handle_sign_in if sign_in else handle_api, event, editor)
