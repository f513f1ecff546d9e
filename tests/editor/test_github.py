"""The GitHub App's installation token: its credentials from Secrets Manager, minted with a
signed JWT, limited to the content repository, reused until shortly before it expires."""

from __future__ import annotations

import datetime as dt
import json

import boto3
import pytest
from forms.aws.secrets import read_secret
from forms.editor.github import (
    PERMISSIONS,
    AppCredentials,
    GitHub,
    GitHubUnavailable,
    InstallationTokens,
)

from .conftest import APP_ID, EDITOR, INSTALLATION_ID, REPO
from .editorkit import Clock, Decap, sign_in


def tokens_for(github, credentials, clock) -> InstallationTokens:
    return InstallationTokens(credentials, github.url, REPO, clock)


def test_the_credentials_are_read_from_secrets_manager_on_first_use(github, app_secret_arn):
    reads = []

    def credentials():
        reads.append(1)
        return AppCredentials.from_secret(read_secret(app_secret_arn))

    tokens = tokens_for(github, credentials, lambda: dt.datetime.now(dt.UTC))
    assert not reads  # nothing read while nothing is asked
    client = GitHub(github.url, tokens)

    for _ in range(3):
        assert client.get_json(f"/repos/{REPO}/branches/main")[0] == 200

    assert len(reads) == 1
    (minted,) = github.fake.mints
    assert minted == {"repositories": ["territoires"], "permissions": PERMISSIONS}


def test_a_token_is_minted_again_five_minutes_before_it_expires(github, app_key):
    clock = Clock(dt.datetime.now(dt.UTC))
    tokens = tokens_for(github, lambda: AppCredentials(APP_ID, INSTALLATION_ID, app_key[0]), clock)

    first = tokens.token()
    clock.advance(minutes=54)
    assert tokens.token() == first
    clock.advance(minutes=2)
    assert tokens.token() != first
    assert len(github.fake.mints) == 2


def test_a_key_github_does_not_know_is_refused(github):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    tokens = tokens_for(
        github,
        lambda: AppCredentials(APP_ID, INSTALLATION_ID, stranger.decode()),
        lambda: dt.datetime.now(dt.UTC),
    )

    with pytest.raises(GitHubUnavailable, match="refusé par GitHub"):
        tokens.token()


@pytest.mark.parametrize(
    "text", ["{}", "pas du json", json.dumps({"app_id": 1, "installation_id": 2})]
)
def test_an_incomplete_secret_says_so(text):
    with pytest.raises(GitHubUnavailable, match="incomplet"):
        AppCredentials.from_secret(text)


def test_when_github_cannot_be_reached_the_editor_says_so_in_french(editor, mailer, github):
    decap = Decap(editor, sign_in(editor, mailer, "loiret", EDITOR))
    github.httpd.shutdown()
    github.httpd.server_close()

    status, data, _ = decap.call("GET", "/branches/main")

    assert status == 502
    assert data["message"] == "Le dépôt de contenu ne répond pas : réessayez dans un instant."


def test_the_secret_as_the_operator_stores_it(app_secret_arn, app_key):
    stored = json.loads(
        boto3.client("secretsmanager").get_secret_value(SecretId=app_secret_arn)["SecretString"]
    )

    credentials = AppCredentials.from_secret(json.dumps(stored))

    assert (credentials.app_id, credentials.installation_id) == (APP_ID, INSTALLATION_ID)
    assert credentials.private_key == app_key[0]
