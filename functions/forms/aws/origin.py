"""The forms API's authorizer: only the requests that came through CloudFront go on.

CloudFront adds a secret header (`x-origin-verify`) to every request it sends the API (the
value is the OriginVerifySecret of template.yaml, replacing any header of that name a visitor
sent). API Gateway answers 401 by itself when the header is missing and asks this function
otherwise, caching the answer five minutes per value: a wrong value gets 403, no form runs.
AWS WAF, which limits each client IP, can be attached to CloudFront, not to an HTTP API:
this is what makes CloudFront the only way in.
"""

from __future__ import annotations

import hmac
import os
import time

import boto3

HEADER = "x-origin-verify"
# A changed secret (docs/aws.md, rotation) is read again within this many seconds.
SECRET_TTL = 300.0

_cache: dict[str, tuple[float, bytes]] = {}  # secret ARN → (read at, value), per container


def expected_value(secret_arn: str, now: float | None = None) -> bytes:
    """The secret, read at most once per SECRET_TTL per container."""
    now = time.monotonic() if now is None else now
    cached = _cache.get(secret_arn)
    if cached is None or now - cached[0] > SECRET_TTL:
        client = boto3.client("secretsmanager")
        value = client.get_secret_value(SecretId=secret_arn)["SecretString"].encode("utf-8")
        _cache[secret_arn] = cached = (now, value)
    return cached[1]


def verify(event: dict, context=None) -> dict:
    """Lambda authorizer (HTTP API, payload 2.0, simple responses)."""
    given = (event.get("headers") or {}).get(HEADER, "").encode("utf-8")
    expected = expected_value(os.environ["ORIGIN_VERIFY_SECRET_ARN"])
    return {"isAuthorized": hmac.compare_digest(given, expected)}
