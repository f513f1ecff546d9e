"""The editor's routes on the local server (`make serve`): the same code as on AWS, with a
SQLite store and the local mailer. The API reaches GitHub only when EDITOR_REPO and
EDITOR_GITHUB_APP_SECRET_ARN are set (the App's secret is read from Secrets Manager, as in
production); otherwise the editor signs in and says that no repository is set up here.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
from pathlib import Path

from ..app import Settings
from ..catalogue import Catalogue
from ..tokens import local_key
from . import proxy, signin, web
from .github import AppCredentials, GitHub, InstallationTokens
from .store import SQLiteSignInStore


def session_secret(var: Path) -> bytes:
    """EDITOR_SESSION_KEY, else a secret made once and kept in var/editor_session.key."""
    return local_key(
        "EDITOR_SESSION_KEY", var / "editor_session.key", lambda: secrets.token_urlsafe(48).encode()
    )


def local_editor(catalogue: Catalogue, mailer, var: Path, settings: Settings) -> web.Editor:
    """The editor's routes for the local server."""

    def clock() -> dt.datetime:
        return dt.datetime.now(dt.UTC)

    flow = signin.SignIn(
        catalogue=catalogue,
        store=SQLiteSignInStore(var / "editor.sqlite3"),
        mailer=mailer,
        keys=signin.Keys.from_secret(session_secret(var)),
        clock=clock,
        site_url=settings.site_url,
        mail_from=settings.mail_from,
        operators=settings.editor_operators,
    )
    arn = os.environ.get("EDITOR_GITHUB_APP_SECRET_ARN")
    if not (settings.editor_repo and arn):
        return web.Editor(flow, settings)

    def credentials() -> AppCredentials:
        # boto3 only when a repository is set up: `make serve` installs no AWS library.
        from ..aws.secrets import read_secret

        return AppCredentials.from_secret(read_secret(arn))

    tokens = InstallationTokens(
        credentials=credentials,
        api_root=settings.editor_github_api,
        repository=settings.editor_repo,
        clock=clock,
    )
    api = proxy.EditorApi(
        GitHub(settings.editor_github_api, tokens),
        catalogue,
        settings.editor_repo,
        settings.editor_branch,
        clock=clock,
    )
    return web.Editor(flow, settings, lambda: api)
