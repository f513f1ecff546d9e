"""GitHub's REST API as the editor's API calls it: with a GitHub App installation token.

The App's id, installation id and private key are one JSON secret in Secrets Manager
(`{"app_id": "123", "installation_id": "456", "private_key": "-----BEGIN …"}`). An installation
token is minted from a JWT signed with the key (RS256, ten minutes), limited to the content
repository and to the permissions the editor needs, and kept until five minutes before it
expires (an hour): one mint per container and hour, not one per call.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field

import jwt

API_VERSION = "2022-11-28"
USER_AGENT = "territoires-editor"
TIMEOUT_S = 10
# What the editor's token may do, whatever else the App may: read and write the repository's
# files and branches, open pull requests and set their labels, read commit statuses (previews).
PERMISSIONS = {"contents": "write", "pull_requests": "write", "statuses": "read"}
REFRESH_BEFORE = dt.timedelta(minutes=5)


class GitHubUnavailable(Exception):
    """GitHub could not be reached, or refused the App's credentials."""


@dataclass(frozen=True)
class Response:
    """One answer of GitHub's API."""

    status: int
    headers: dict[str, str]  # names in lower case
    body: bytes

    def json(self):
        return json.loads(self.body or b"null")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer, never followed: the token must not travel to another URL."""

    def redirect_request(self, *args, **kwargs):
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def http_call(method: str, url: str, headers: dict, body: bytes | None) -> Response:
    """One HTTPS request (urllib: no dependency); an HTTP error status is an answer too."""
    request = urllib.request.Request(url, data=body, method=method, headers=headers)
    try:
        with _OPENER.open(request, timeout=TIMEOUT_S) as reply:
            return Response(reply.status, _lower(reply.headers), reply.read())
    except urllib.error.HTTPError as error:
        return Response(error.code, _lower(error.headers), error.read())
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        raise GitHubUnavailable(f"GitHub injoignable ({type(error).__name__})") from None


def _lower(headers) -> dict[str, str]:
    return {k.lower(): v for k, v in headers.items()}


@dataclass(frozen=True)
class AppCredentials:
    app_id: str
    installation_id: str
    private_key: str  # PEM

    @classmethod
    def from_secret(cls, text: str) -> AppCredentials:
        """From the secret's JSON text; GitHubUnavailable when it is incomplete."""
        try:
            data = json.loads(text)
            return cls(str(data["app_id"]), str(data["installation_id"]), data["private_key"])
        except (ValueError, KeyError, TypeError):
            raise GitHubUnavailable("secret de l'application GitHub incomplet") from None


@dataclass
class InstallationTokens:
    """Installation tokens of the App, minted when needed, shared by a container's requests."""

    credentials: Callable[[], AppCredentials]  # read lazily (Secrets Manager)
    api_root: str
    repository: str  # owner/name: the token is limited to it
    clock: Callable[[], dt.datetime]
    call: Callable[..., Response] = http_call
    _token: str | None = None
    _expires: dt.datetime | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def token(self) -> str:
        """A token valid for at least five more minutes."""
        with self._lock:
            now = self.clock()
            if (
                self._token is None
                or self._expires is None
                or now >= self._expires - REFRESH_BEFORE
            ):
                self._token, self._expires = self._mint(now)
            return self._token

    def _mint(self, now: dt.datetime) -> tuple[str, dt.datetime]:
        app = self.credentials()
        issued = int(now.timestamp()) - 60  # GitHub's clock may be a little behind ours
        claims = {"iat": issued, "exp": issued + 9 * 60, "iss": app.app_id}
        try:
            signed = jwt.encode(claims, app.private_key, algorithm="RS256")
        except (ValueError, TypeError, jwt.PyJWTError):
            raise GitHubUnavailable("clé privée de l'application GitHub illisible") from None
        body = {"repositories": [self.repository.split("/", 1)[1]], "permissions": PERMISSIONS}
        url = f"{self.api_root}/app/installations/{app.installation_id}/access_tokens"
        reply = self.call("POST", url, _headers(f"Bearer {signed}"), json.dumps(body).encode())
        if reply.status != 201:
            raise GitHubUnavailable(f"jeton d'installation refusé par GitHub ({reply.status})")
        data = reply.json()
        expires = dt.datetime.fromisoformat(data["expires_at"].replace("Z", "+00:00"))
        return data["token"], expires


def _headers(authorization: str) -> dict[str, str]:
    return {
        "Authorization": authorization,
        "Accept": "application/vnd.github+json",
        "X-GitHub-Api-Version": API_VERSION,
        "User-Agent": USER_AGENT,
        "Content-Type": "application/json",
    }


@dataclass
class GitHub:
    """The content repository's API, called with the App's installation token."""

    api_root: str
    tokens: InstallationTokens
    call: Callable[..., Response] = http_call

    def request(self, method: str, path: str, query: str = "", body: bytes | None = None):
        """`method` on `path` (already checked and encoded, starting with /) → Response."""
        url = f"{self.api_root}{path}" + (f"?{query}" if query else "")
        return self.call(method, url, _headers(f"token {self.tokens.token()}"), body)

    def get_json(self, path: str, query: str = ""):
        """(status, decoded JSON) of a GET."""
        reply = self.request("GET", path, query)
        return reply.status, reply.json() if reply.body else None
