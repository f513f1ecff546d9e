"""Secrets Manager, read once per container: the editor's session key and the GitHub App."""

from __future__ import annotations

import boto3


def read_secret(arn: str, client=None) -> str:
    """The SecretString of a secret (GetSecretValue: the only permission the functions have)."""
    client = client or boto3.client("secretsmanager")
    return client.get_secret_value(SecretId=arn)["SecretString"]
