"""The local server behind `make serve`: the built site and the forms API on one origin.

    python -m forms.local --root output --port 8000

Static files from `--root`; the forms' POST /api/<form> (welcomer request, pack order, welcomer
application, event registration) and their GET /correction pages, and the signed links'
/api/action, go through `forms.http` in API Gateway v2 events, as on AWS; the online editor's
/api/editor/… through `forms.editor.web.handle`. The store is `var/submissions.sqlite3`
(submissions, follow-ups, registrations); e-mails go to `var/outbox/*.eml`, or over SMTP when
SMTP_HOST is set.
"""

from __future__ import annotations

import argparse
import base64
import dataclasses
import datetime as dt
import io
import json
import logging
import mimetypes
import os
import posixpath
import secrets
import socket
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

from .app import App, Settings
from .catalogue import CatalogueError, load_catalogue
from .editor import web as editor_web
from .editor.local import local_editor
from .http import ALERTS, handle, handle_action, handle_alerts
from .local_alerts import SQLiteAlerts
from .local_store import SQLiteStore
from .mailers import OutboxMailer, mailer_from_env
from .ports import EVENT_REGISTRATION, PACK_ORDER, WELCOMER_APPLICATION, WELCOMER_REQUEST
from .tokens import local_key, new_key
from .welcome_store import SQLiteWelcomeStore
from .worker import DeliveryWorker

log = logging.getLogger("forms")
ROUTES = {
    "/api/welcomer-request": WELCOMER_REQUEST,
    "/api/pack-order": PACK_ORDER,
    "/api/welcomer-application": WELCOMER_APPLICATION,
    "/api/event-registration": EVENT_REGISTRATION,
    "/api/alert-subscription": ALERTS,
    "/api/alert-subscription/confirm": ALERTS,
    "/api/alert-unsubscribe": ALERTS,
}
ACTION_ROUTE = "/api/action"  # signed links: GET shows, POST acts
TOO_LARGE = "Le formulaire envoyé est trop volumineux (32 Ko au maximum)."
BAD_LENGTH = "En-tête Content-Length invalide."
TOO_SLOW = "La requête est arrivée trop lentement : réessayez."
NOT_ALLOWED = "Méthode non acceptée."
MAX_READ_BYTES = 1024 * 1024  # larger bodies are refused unread (API Gateway caps at 10 MB)
MAX_EDITOR_READ_BYTES = 6 * 1024 * 1024  # the editor uploads images (Lambda's own limit)
# A request's headers, and then its body, must arrive within these (an idle keep-alive
# connection is closed after HEADER_TIMEOUT too): a client that stalls, or announces more bytes
# than it sends, never holds a thread for longer.
HEADER_TIMEOUT = 10.0
BODY_TIMEOUT = 10.0
MAX_THREADS = 64  # requests handled at once; the next connections wait in the listen backlog
LISTEN_BACKLOG = 1024  # connections the kernel keeps waiting (capped by net.core.somaxconn)
JSON_TYPE = "application/json; charset=utf-8"
EXTRA_TYPES = {
    ".ics": "text/calendar",
    ".webmanifest": "application/manifest+json",
    ".xml": "application/xml",
    ".svg": "image/svg+xml",
    ".js": "text/javascript",
    ".woff2": "font/woff2",
    ".json": "application/json",
    ".atom": "application/atom+xml",
}
TEXT_TYPES = (
    "text/",
    "application/javascript",
    "application/json",
    "application/xml",
    "image/svg+xml",
)


def content_type(path: Path) -> str:
    """The Content-Type of a static file, with a UTF-8 charset for text."""
    kind = EXTRA_TYPES.get(path.suffix.lower()) or mimetypes.guess_type(path.name)[0]
    kind = kind or "application/octet-stream"
    return (
        f"{kind}; charset=utf-8" if kind.startswith(TEXT_TYPES) or kind.endswith("+xml") else kind
    )


def token_key(var: Path) -> bytes:
    """FORM_TOKEN_KEY, else a key generated once and kept in var/form_token.key."""
    return local_key("FORM_TOKEN_KEY", var / "form_token.key", new_key)


def build_event(method: str, target: str, headers, body: bytes, client: str) -> dict:
    """An API Gateway HTTP API payload v2 event, as AWS would build it for this request."""
    url = urlsplit(target)
    merged: dict[str, str] = {}
    for name, value in headers.items():  # repeated headers are joined by commas, as on AWS
        key = name.lower()
        if key == "cloudfront-viewer-address":  # CloudFront's to set, never a client's
            continue
        merged[key] = f"{merged[key]},{value}" if key in merged else value
    query: dict[str, str] = {}
    for name, value in parse_qsl(url.query, keep_blank_values=True):
        query[name] = f"{query[name]},{value}" if name in query else value
    try:
        text, encoded = body.decode("utf-8"), False
    except UnicodeDecodeError:
        text, encoded = base64.b64encode(body).decode("ascii"), True
    now = time.time()
    return {
        "version": "2.0",
        "routeKey": f"{method} {url.path}",
        "rawPath": url.path,
        "rawQueryString": url.query,
        "headers": merged,
        "queryStringParameters": query or None,
        "requestContext": {
            "http": {
                "method": method,
                "path": url.path,
                "protocol": "HTTP/1.1",
                "sourceIp": client,
                "userAgent": merged.get("user-agent", ""),
            },
            "requestId": secrets.token_hex(8),
            "timeEpoch": int(now * 1000),
            "time": dt.datetime.fromtimestamp(now, dt.UTC).strftime("%d/%b/%Y:%H:%M:%S +0000"),
        },
        "body": text,
        "isBase64Encoded": encoded,
    }


class DeadlineReader(io.RawIOBase):
    """The socket's bytes, refused after `deadline` (time.monotonic()): a total time limit,
    not merely one per read — a client trickling a byte every few seconds is cut off too."""

    def __init__(self, sock: socket.socket):
        self.sock = sock
        self.deadline: float | None = None

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if self.deadline is not None:
            left = self.deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("read deadline passed")
            self.sock.settimeout(left)
        return self.sock.recv_into(buffer)


class LocalHTTPServer(ThreadingHTTPServer):
    """ThreadingHTTPServer with a real listen backlog and a bounded number of threads."""

    # Read by server_activate() inside __init__: setting it on an instance afterwards (as the
    # first release did) left the default of 5, and simultaneous clients timed out.
    request_queue_size = LISTEN_BACKLOG
    daemon_threads = True

    def __init__(self, address, handler, max_threads: int | None = None):
        self._slots = threading.BoundedSemaphore(max_threads or MAX_THREADS)
        super().__init__(address, handler)

    def process_request(self, request, client_address):
        """Start a thread when one of the slots is free; until then, accept no more."""
        self._slots.acquire()
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._slots.release()
            raise

    def process_request_thread(self, request, client_address):
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._slots.release()


@dataclass
class Site:
    """What the request handler needs: the static root and the forms app."""

    root: Path
    app: App
    editor: editor_web.Editor | None = None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: every response carries a Content-Length
    # Headers and body are written apart: with Nagle's algorithm, the body would wait for the
    # client's delayed ACK (40 ms) on every keep-alive request.
    disable_nagle_algorithm = True
    server_version = "territoires-local"
    site: Site  # set on the subclass made by make_server

    def setup(self):
        super().setup()
        self.rfile.close()  # the stock reader, replaced by one with a total time limit
        self.reader = DeadlineReader(self.connection)
        self.rfile = io.BufferedReader(self.reader)

    def handle_one_request(self):
        """One request, its headers within HEADER_TIMEOUT of the wait's start."""
        self.reader.deadline = time.monotonic() + HEADER_TIMEOUT
        super().handle_one_request()

    def __getattr__(self, name: str):
        # Every method reaches _route (BaseHTTPRequestHandler looks up do_<METHOD>): /api/
        # answers 405 in JSON, as API Gateway does, instead of an HTML 501.
        if name.startswith("do_") and name[3:].isascii() and name[3:].isalpha():
            return lambda: self._route(name[3:].upper())
        raise AttributeError(name)

    def _route(self, method: str) -> None:
        path = urlsplit(self.path).path
        form = ROUTES.get(path.removesuffix("/correction").rstrip("/"))
        # The online editor speaks GitHub's API: it alone reads PUT, PATCH and DELETE bodies.
        editor = path.startswith(editor_web.PREFIX) and self.site.editor is not None
        if not editor and method not in ("GET", "HEAD", "POST") and self._has_body():
            self.close_connection = True  # its unread body must not be taken for a request
        if editor:
            self._editor(method)
        elif form is not None:
            self._api(method, form)
        elif path.rstrip("/") == ACTION_ROUTE:
            self._api(method, None)
        elif path.startswith("/api/"):
            self._json(404, {"errors": {"body": "Adresse inconnue."}}, method)
        elif method not in ("GET", "HEAD"):
            self._send(
                405,
                {"allow": "GET, HEAD", "content-type": "text/plain; charset=utf-8"},
                f"{NOT_ALLOWED}\n".encode(),
                method,
            )
        else:
            self._static(path, method)

    def _has_body(self) -> bool:
        return bool(self.headers.get("transfer-encoding")) or self.headers.get(
            "content-length", "0"
        ) not in ("", "0")

    def _json(self, status: int, data: dict, method: str, headers: dict | None = None) -> None:
        body = json.dumps(data, ensure_ascii=False).encode()
        self._send(status, {"content-type": JSON_TYPE, **(headers or {})}, body, method)

    def _refuse(self, status: int, message: str) -> None:
        """A JSON error, then close: what is left of the request must not be read as another."""
        self._json(status, {"errors": {"body": message}}, "POST")
        self.close_connection = True

    def _read_body(self, limit: int = MAX_READ_BYTES) -> bytes | None:
        """The request body, or None after answering 400/408/411/413 when it cannot be read."""
        if self.headers.get("transfer-encoding"):
            self._refuse(411, "En-tête Content-Length nécessaire.")
            return None
        lengths = self.headers.get_all("content-length") or ["0"]
        if len(lengths) > 1:  # two lengths: which one a proxy believed is anyone's guess
            self._refuse(400, BAD_LENGTH)
            return None
        length = lengths[0].strip()
        if not length.isascii() or not length.isdigit():
            self._refuse(400, BAD_LENGTH)
            return None
        if int(length) > limit:
            self._refuse(413, TOO_LARGE)
            return None
        self.reader.deadline = time.monotonic() + BODY_TIMEOUT
        try:
            body = self.rfile.read(int(length))
        except (TimeoutError, OSError):
            body = None
        if body is None or len(body) < int(length):  # stalled, or closed before the end
            self._refuse(408, TOO_SLOW)
            return None
        return body

    def _api(self, method: str, form: str | None) -> None:
        body = self._read_body() if method == "POST" else b""
        if body is None:
            return
        event = build_event(
            "GET" if method == "HEAD" else method,
            self.path,
            self.headers,
            body,
            self.client_address[0],
        )
        app = self.site.app
        if form is None:
            response = handle_action(event, app)
        elif form == ALERTS:
            response = handle_alerts(event, app)
        else:
            response = handle(event, app, form)
        self._answer(response, method)

    def _editor(self, method: str) -> None:
        reads = method in ("POST", "PUT", "PATCH", "DELETE")
        body = self._read_body(MAX_EDITOR_READ_BYTES) if reads else b""
        if body is None:
            return
        verb = "GET" if method == "HEAD" else method
        event = build_event(verb, self.path, self.headers, body, self.client_address[0])
        self._answer(editor_web.handle(event, self.site.editor), method)

    def _answer(self, response: dict, method: str) -> None:
        payload = response.get("body") or ""
        data = (
            base64.b64decode(payload)
            if response.get("isBase64Encoded")
            else payload.encode("utf-8")
        )
        self._send(response["statusCode"], response.get("headers") or {}, data, method)

    def _static(self, path: str, method: str) -> None:
        file = self._resolve(path)
        if file is None and not path.endswith("/") and self._resolve(path + "/") is not None:
            self._send(301, {"location": path + "/"}, b"", method)
            return
        if file is None:
            missing = self.site.root / "404.html"
            data = missing.read_bytes() if missing.is_file() else b"Page introuvable.\n"
            kind = "text/html; charset=utf-8" if missing.is_file() else "text/plain; charset=utf-8"
            self._send(404, {"content-type": kind}, data, method)
            return
        self._send(
            200,
            {"content-type": content_type(file), "cache-control": "no-cache"},
            file.read_bytes(),
            method,
        )

    def _resolve(self, path: str) -> Path | None:
        """The file a URL path names under the root (index.html for folders); never outside it."""
        clean = posixpath.normpath(unquote(path))
        if "\x00" in clean or clean.startswith(".."):
            return None
        file = (self.site.root / clean.lstrip("/")).resolve()
        root = self.site.root.resolve()
        if file != root and root not in file.parents:
            return None
        if file.is_dir():
            file = file / "index.html" if path.endswith("/") else None
        return file if file is not None and file.is_file() else None

    def _send(self, status: int, headers: dict, data: bytes, method: str) -> None:
        # The reads' deadline may have left the socket a tiny timeout: writing gets its own.
        self.connection.settimeout(HEADER_TIMEOUT)
        self.send_response(status)
        for name, value in headers.items():
            if name.lower() != "content-length":
                self.send_header(name, value)
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        if method != "HEAD":
            self.wfile.write(data)

    def log_message(self, format, *args):
        """Requests go to our logger, without query strings (they may carry a token)."""
        log.debug("%s %s", self.command, urlsplit(self.path).path)


class LocalServer:
    """The site, the API, the store and the delivery worker, started and stopped together."""

    def __init__(
        self, root: Path, host: str, port: int, var: Path, catalogue_path: Path | None = None
    ):
        catalogue = load_catalogue(catalogue_path)
        self.store = SQLiteStore(var / "submissions.sqlite3")
        self.records = SQLiteWelcomeStore(var / "submissions.sqlite3")
        self.mailer = mailer_from_env(var / "outbox")
        settings = Settings.from_env()
        self.worker = DeliveryWorker(self.store, self.mailer, catalogue, settings.mail_from)
        self.app = App(
            catalogue,
            self.store,
            token_key(var),
            settings=settings,
            wake_delivery=self.worker.wake,
            followups=self.records,
            registrations=self.records,
            alerts=SQLiteAlerts(self.store),
        )
        site = Site(Path(root), self.app)
        handler = type("BoundHandler", (Handler,), {"site": site})
        self.httpd = LocalHTTPServer((host, port), handler)
        if not settings.site_url:  # links in e-mails point at this server
            self.app.settings = dataclasses.replace(settings, site_url=self.url.rstrip("/"))
        site.editor = local_editor(catalogue, self.mailer, var, self.app.settings)

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}/"

    def where_mail_goes(self) -> str:
        if isinstance(self.mailer, OutboxMailer):
            return f"e-mails: {self.mailer.directory}/*.eml"
        return f"e-mails: SMTP {self.mailer.host}:{self.mailer.port}"

    def serve_forever(self) -> None:
        self.store.purge_expired(dt.datetime.now(dt.UTC))
        self.records.purge_expired(dt.datetime.now(dt.UTC))
        self.app.alerts.purge_expired(dt.datetime.now(dt.UTC))
        if isinstance(self.mailer, OutboxMailer):
            self.mailer.clean_partial()  # left by a crash mid-write
        self.worker.start()
        self.httpd.serve_forever()

    def shutdown(self) -> None:
        """Stop accepting requests, finish queued deliveries, close everything."""
        self.httpd.shutdown()
        self.close()

    def close(self) -> None:
        self.httpd.server_close()
        self.worker.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m forms.local", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--root", default="output", help="the built site (default: output)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT") or 8000))
    parser.add_argument("--var", default="var", help="store, outbox and key (default: var)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    try:
        server = LocalServer(Path(args.root), args.host, args.port, Path(args.var))
    except CatalogueError as error:
        log.error("%s — lancez d'abord `make html`, qui l'écrit.", error)
        return 1
    except OSError as error:
        log.error(
            "impossible d'écouter sur %s:%s (%s) — essayez PORT=8001",
            args.host,
            args.port,
            error.strerror,
        )
        return 1
    log.info("Site et formulaires : %s (Ctrl-C pour arrêter)", server.url)
    log.info("Demandes : %s ; %s", server.store.path, server.where_mail_goes())
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        log.info("Arrêt demandé : fin des envois en cours…")
    finally:
        server.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
