"""The API's authorizer lets through only the requests CloudFront sent (its secret header)."""

from __future__ import annotations

import boto3
import pytest
from aws_testkit import REGION
from forms.aws import origin


@pytest.fixture
def secret(aws, monkeypatch) -> str:
    """The origin-verify secret in moto's Secrets Manager; its value."""
    value = "Zq8yJ2mR0s6dV4kP1tX9wL3cB7nF5hA2"
    created = boto3.client("secretsmanager", region_name=REGION).create_secret(
        Name="origin-verify", SecretString=value
    )
    monkeypatch.setenv("ORIGIN_VERIFY_SECRET_ARN", created["ARN"])
    monkeypatch.setattr(origin, "_cache", {})
    return value


def event(headers: dict) -> dict:
    """An HTTP API (payload 2.0) authorizer event."""
    return {
        "version": "2.0",
        "type": "REQUEST",
        "routeKey": "POST /api/pack-order",
        "headers": headers,
    }


def test_a_request_with_cloudfront_s_header_is_authorized(secret):
    assert origin.verify(event({"x-origin-verify": secret})) == {"isAuthorized": True}


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"x-origin-verify": ""},
        {"x-origin-verify": "guess"},
        {"x-origin-verify": "Zq8yJ2mR0s6dV4kP1tX9wL3cB7nF5hA"},  # one character short
        {"x-origin-verify-other": "Zq8yJ2mR0s6dV4kP1tX9wL3cB7nF5hA2"},
    ],
)
def test_a_direct_call_is_refused(secret, headers):
    assert origin.verify(event(headers)) == {"isAuthorized": False}


def test_the_secret_is_read_once_per_container_then_again_after_its_ttl(secret, monkeypatch):
    arn = origin.os.environ["ORIGIN_VERIFY_SECRET_ARN"]
    assert origin.expected_value(arn, now=0.0) == secret.encode()
    boto3.client("secretsmanager", region_name=REGION).put_secret_value(
        SecretId=arn, SecretString="rotated"
    )
    assert origin.expected_value(arn, now=origin.SECRET_TTL) == secret.encode()  # cached
    assert origin.expected_value(arn, now=origin.SECRET_TTL + 1) == b"rotated"
