"""Fixtures for the AWS adapters: moto, with the table built from template.yaml's own properties."""

from __future__ import annotations

import boto3
import pytest
from aws_testkit import REGION, SENDER, create_table_from_template, load_template
from forms.aws.dynamodb_store import DynamoDBStore
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID


@pytest.fixture(scope="session")
def template() -> dict:
    return load_template()


@pytest.fixture
def aws(monkeypatch):
    """moto for every AWS call of the test, with dummy credentials in eu-west-3."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SECURITY_TOKEN": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        yield


@pytest.fixture
def table(aws, template, monkeypatch) -> str:
    name = "submissions-test"
    create_table_from_template(template, name)
    monkeypatch.setenv("TABLE_NAME", name)
    return name


@pytest.fixture
def store(table) -> DynamoDBStore:
    return DynamoDBStore(table)


@pytest.fixture
def ses(aws, monkeypatch):
    """SES with the sender identity verified; returns the list moto records sent mail in."""
    from moto.ses.models import ses_backends

    boto3.client("sesv2", region_name=REGION).create_email_identity(EmailIdentity=SENDER)
    monkeypatch.setenv("MAIL_FROM", f"Territoires <{SENDER}>")
    return ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages


@pytest.fixture(scope="session")
def moto_server():
    """moto as a real HTTP endpoint, for retry tests whose hooks must stop requests short."""
    from moto.server import ThreadedMotoServer

    with pytest.MonkeyPatch.context() as env:
        env.setenv("AWS_ACCESS_KEY_ID", "testing")
        env.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        env.setenv("AWS_DEFAULT_REGION", REGION)
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        server.start()
        host, port = server.get_host_and_port()
        yield f"http://{host}:{port}"
        server.stop()


@pytest.fixture
def no_backoff(monkeypatch) -> list:
    """botocore's retry delays, recorded instead of slept: retry tests stay fast."""
    from botocore.retries.standard import ExponentialBackoff

    delays = []
    original = ExponentialBackoff.delay_amount

    def record(self, context):
        delays.append(original(self, context))
        return 0

    monkeypatch.setattr(ExponentialBackoff, "delay_amount", record)
    return delays
