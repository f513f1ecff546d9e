"""Fixtures of the editor tests: a content repository behind a fake GitHub, the App's key in
Secrets Manager (moto), a catalogue with `editors:`, and the editor's API over all of them."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from forms.app import Settings
from forms.catalogue import load_catalogue
from forms.editor import proxy, signin, web
from forms.editor.github import AppCredentials, GitHub, InstallationTokens
from forms.editor.store import SQLiteSignInStore
from moto import mock_aws
from territories.catalogue import write_catalogue
from territories.loader import load_territories

from .editorkit import Clock, RecordingMailer
from .githubfake import FakeGitHub, GitHubServer

ROOT = Path(__file__).resolve().parents[2]
REPO = "collectivites/territoires"
SITE_URL = "https://territoires.example"
EDITOR = "claire.martin@loiret.example"  # in territories/loiret's editors:
OTHER_EDITOR = "paul.durand@loir-et-cher.example"  # in territories/loir-et-cher's editors:
OPERATOR = "operateur@territoires.example"
APP_ID, INSTALLATION_ID = "424242", "777"
EDITORS = {"loiret": [EDITOR, "Accueil@Loiret.example"], "loir-et-cher": [OTHER_EDITOR]}


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), *args], check=True, capture_output=True, text=True
    ).stdout


def add_editors(path: Path, addresses: list[str]) -> None:
    """Insert an `editors:` list after `notify:`'s list, as a collectivity would."""
    text = path.read_text(encoding="utf-8")
    block = "editors:\n" + "".join(f"  - {a}\n" for a in addresses)
    lines = text.splitlines(keepends=True)
    start = next(i for i, line in enumerate(lines) if line.startswith("notify:"))
    end = next(i for i in range(start + 1, len(lines)) if not lines[i].startswith(("  ", "\t")))
    path.write_text("".join(lines[:end]) + block + "".join(lines[end:]), encoding="utf-8")


@pytest.fixture(scope="session")
def app_key() -> tuple[str, str]:
    """The GitHub App's private key (PEM) and public key (PEM)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private, public


@pytest.fixture(scope="session")
def template_repo(tmp_path_factory) -> Path:
    """The content's repository, made once: both shipped territories (with editors), and
    the workflows (a folder no editor may touch)."""
    repo = tmp_path_factory.mktemp("template") / "repo"
    for slug in ("loiret", "loir-et-cher"):
        shutil.copytree(ROOT / "territories" / slug, repo / "territories" / slug)
        add_editors(repo / "territories" / slug / "territory.yaml", EDITORS[slug])
    shutil.copytree(ROOT / ".github", repo / ".github")
    git(repo.parent, "init", "-q", "-b", "main", str(repo))
    for key, value in (
        ("user.email", "t@example.org"),
        ("user.name", "T"),
        ("commit.gpgsign", "false"),
    ):
        git(repo, "config", key, value)
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "contenu initial")
    return repo


@pytest.fixture
def content_repo(tmp_path, template_repo) -> Path:
    """A fresh copy of the content's repository for one test."""
    return Path(shutil.copytree(template_repo, tmp_path / "repo", symlinks=True))


@pytest.fixture(scope="session")
def catalogue_file(tmp_path_factory, template_repo) -> Path:
    """The catalogue the build writes for the repository's territories."""
    path = tmp_path_factory.mktemp("catalogue") / "catalogue.json"
    territories = load_territories(template_repo / "territories")
    write_catalogue(territories, lambda t: f"/{t.slug}/", dt.date(2026, 11, 24), path)
    return path


@pytest.fixture(scope="session")
def catalogue(catalogue_file):
    return load_catalogue(catalogue_file)


@pytest.fixture
def github(content_repo, app_key):
    """The fake GitHub over the content repository, on a local port."""
    fake = FakeGitHub(content_repo, REPO, APP_ID, INSTALLATION_ID, app_key[1])
    with GitHubServer(fake) as server:
        yield server


@pytest.fixture
def aws(monkeypatch):
    """moto in place of AWS, with dummy credentials."""
    for name, value in (
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
        ("AWS_DEFAULT_REGION", "eu-west-3"),
    ):
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        yield


@pytest.fixture
def app_secret_arn(aws, app_key) -> str:
    """The App's credentials stored as the operator stores them (docs/editing.md)."""
    import boto3

    value = {"app_id": APP_ID, "installation_id": INSTALLATION_ID, "private_key": app_key[0]}
    client = boto3.client("secretsmanager")
    return client.create_secret(Name="territoires/github-app", SecretString=json.dumps(value))[
        "ARN"
    ]


@pytest.fixture
def clock():
    return Clock(dt.datetime.now(dt.UTC).replace(microsecond=0))


@pytest.fixture
def mailer():
    return RecordingMailer()


@pytest.fixture
def sign_in_flow(tmp_path, catalogue, clock, mailer) -> signin.SignIn:
    """The sign-in flow with its own store and a recording mailer."""
    return signin.SignIn(
        catalogue=catalogue,
        store=SQLiteSignInStore(tmp_path / "editor.sqlite3"),
        mailer=mailer,
        keys=signin.Keys.from_secret(os.urandom(32)),
        clock=clock,
        site_url=SITE_URL,
        mail_from="Territoires <no-reply@territoires.example>",
        operators=(OPERATOR,),
    )


@pytest.fixture
def editor(sign_in_flow, catalogue, github, app_key, clock) -> web.Editor:
    """The editor's routes as deployed: sign-in with its store and mailer, the API with GitHub
    (the App's credentials given directly: test_github.py reads them from Secrets Manager)."""
    tokens = InstallationTokens(
        credentials=lambda: AppCredentials(APP_ID, INSTALLATION_ID, app_key[0]),
        api_root=github.url,
        repository=REPO,
        clock=lambda: dt.datetime.now(dt.UTC),
    )
    api = proxy.EditorApi(GitHub(github.url, tokens), catalogue, REPO, "main", clock=clock)
    return web.Editor(sign_in_flow, Settings(site_url=SITE_URL, editor_repo=REPO), lambda: api)


@pytest.fixture
def sign_in_only(sign_in_flow) -> web.Editor:
    """The editor's routes without GitHub behind them: enough for signing in."""
    return web.Editor(sign_in_flow, Settings(site_url=SITE_URL, editor_repo=REPO), None)
