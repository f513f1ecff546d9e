"""The editor on AWS (moto): the Lambda handlers, the sign-in table built from template.yaml's
own properties, SES sending the link, the session key and the GitHub App in Secrets Manager."""

from __future__ import annotations

import email
import email.policy
import json
import re

import boto3
import pytest
from forms.aws import handlers
from forms.aws.editor_store import DynamoDBSignInStore
from forms.editor.store import Link
from forms.local import build_event
from moto.core import DEFAULT_ACCOUNT_ID

from tests.functions.aws.aws_testkit import load_template

from .conftest import EDITOR, REPO, SITE_URL
from .editorkit import link_in, token_of

SENDER = "formulaires@territoires.example.fr"


@pytest.fixture
def editor_table(aws):
    """The editor's table, made with exactly the template's properties."""
    props = load_template()["Resources"]["EditorTable"]["Properties"]
    client = boto3.client("dynamodb")
    client.create_table(
        TableName="editor-test",
        KeySchema=props["KeySchema"],
        AttributeDefinitions=props["AttributeDefinitions"],
        BillingMode=props["BillingMode"],
    )
    client.update_time_to_live(
        TableName="editor-test", TimeToLiveSpecification=props["TimeToLiveSpecification"]
    )
    return "editor-test"


@pytest.fixture
def deployed(monkeypatch, aws, editor_table, app_secret_arn, catalogue_file, github):
    """The handlers' environment as template.yaml sets it, every resource in moto."""
    from moto.ses.models import ses_backends

    boto3.client("sesv2").create_email_identity(EmailIdentity=SENDER)
    secrets = boto3.client("secretsmanager")
    session_arn = secrets.create_secret(Name="editor-session", SecretString="s3cr3t" * 10)["ARN"]
    for name, value in {
        "CATALOGUE_PATH": str(catalogue_file),
        "MAIL_FROM": f"Territoires <{SENDER}>",
        "SITE_URL": SITE_URL,
        "EDITOR_TABLE": editor_table,
        "EDITOR_SESSION_SECRET_ARN": session_arn,
        "EDITOR_GITHUB_APP_SECRET_ARN": app_secret_arn,
        "EDITOR_REPO": REPO,
        "EDITOR_GITHUB_API": github.url,
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("EDITOR_SESSION_KEY", raising=False)
    handlers.reset()
    yield ses_backends[DEFAULT_ACCOUNT_ID]["eu-west-3"].sent_messages
    handlers.reset()


def event(method, path, form=None, token=None, query=""):
    headers = {"content-type": "application/x-www-form-urlencoded"} if form else {}
    if token:
        headers["authorization"] = f"token {token}"
    body = "&".join(f"{k}={v}" for k, v in (form or {}).items()).encode()
    return build_event(method, path + (f"?{query}" if query else ""), headers, body, "203.0.113.9")


def test_an_editor_signs_in_through_the_lambda_handlers(deployed):
    asked = handlers.editor_sign_in(
        event("POST", "/api/editor/loiret/connexion", {"email": EDITOR})
    )
    (sent,) = deployed
    message = email.message_from_bytes(sent.raw_data.encode(), policy=email.policy.default)
    link_token = token_of(link_in(message))

    used = handlers.editor_sign_in(
        event("POST", "/api/editor/loiret/connexion/lien", {"t": link_token})
    )
    session = re.search(r'data-token="([^"]+)"', used["body"]).group(1)
    again = handlers.editor_sign_in(
        event("POST", "/api/editor/loiret/connexion/lien", {"t": link_token})
    )
    user = handlers.editor_api(event("GET", "/api/editor/loiret/user", token=session))
    tree = handlers.editor_api(
        event(
            "GET",
            f"/api/editor/loiret/repos/{REPO}/git/trees/main:territories/loiret",
            token=session,
        )
    )

    assert asked["statusCode"] == 200
    assert message["To"] == EDITOR
    assert used["statusCode"] == 200 and again["statusCode"] == 400
    assert json.loads(user["body"])["login"] == EDITOR
    assert tree["statusCode"] == 200
    assert any(e["path"] == "territory.yaml" for e in json.loads(tree["body"])["tree"])


def test_a_bug_answers_a_plain_500_in_french(deployed, monkeypatch):
    monkeypatch.setattr(handlers.web, "sign_in_page", lambda *a: 1 / 0)

    answer = handlers.editor_sign_in(event("GET", "/api/editor/loiret/connexion"))

    assert answer["statusCode"] == 500
    assert "Erreur inattendue" in json.loads(answer["body"])["message"]
    assert "ZeroDivisionError" not in answer["body"]


def test_a_link_works_once(editor_table):
    """One conditional update (used = false) takes the link: the second finds it used. Run in
    turn: moto does not make concurrent conditional updates atomic as DynamoDB does (the
    SQLite store's race is tested in test_store.py)."""
    import datetime as dt

    store = DynamoDBSignInStore(editor_table)
    now = dt.datetime.now(dt.UTC)
    store.add_link(Link("d" * 64, EDITOR, "loiret", now + dt.timedelta(minutes=15)))

    outcomes = [store.use_link("d" * 64, now)[1] for _ in range(3)]

    assert outcomes == ["ok", "used", "used"]
    assert store.use_link("e" * 64, now) == (None, "unknown")


def test_an_expired_link_is_told_apart_from_a_used_one(editor_table):
    import datetime as dt

    store = DynamoDBSignInStore(editor_table)
    now = dt.datetime.now(dt.UTC)
    store.add_link(Link("f" * 64, EDITOR, "loiret", now - dt.timedelta(seconds=1)))

    link, status = store.use_link("f" * 64, now)

    assert status == "expired" and link.email == EDITOR


def test_counters_count_per_window(editor_table):
    import datetime as dt

    store = DynamoDBSignInStore(editor_table)
    start = dt.datetime(2026, 12, 1, 10, tzinfo=dt.UTC)
    later = start + dt.timedelta(hours=1)

    assert [store.hit("client#x", start, later) for _ in range(3)] == [1, 2, 3]
    assert store.hit("client#x", later, later + dt.timedelta(hours=1)) == 1
