"""The Lambda handlers of the welcome service, on moto: registration, signed links, digest."""

from __future__ import annotations

import copy
import datetime as dt
import json
from email import message_from_bytes
from email.policy import default
from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest
from aws_testkit import REGION
from forms.aws import handlers
from formskit import NOW, Clock, action_event, load_event


@pytest.fixture
def lambda_env(table, ses, catalogue_path, monkeypatch):
    secret = boto3.client("secretsmanager", region_name=REGION).create_secret(
        Name="form-token", SecretString="y" * 64
    )
    monkeypatch.setenv("CATALOGUE_PATH", str(catalogue_path))
    monkeypatch.setenv("FORM_TOKEN_SECRET_ARN", secret["ARN"])
    monkeypatch.setenv("SITE_URL", "https://territoires.example")
    monkeypatch.setenv("OPERATOR_EMAIL", "operateur@territoires.example")
    monkeypatch.delenv("FORM_TOKEN_KEY", raising=False)
    monkeypatch.setattr(handlers, "clock", Clock(NOW))
    handlers.reset()
    yield SimpleNamespace(store=handlers.store(), records=handlers.records())
    handlers.reset()


def link_of(records, key: str) -> str:
    message = message_from_bytes(dict(records.outgoing(key))[key], policy=default)
    text = message.get_body(("plain",)).get_content()
    return next(w for w in text.split() if "/api/action?t=" in w)


def test_a_registration_is_answered_202_with_its_status_and_its_e_mails_queued(lambda_env):
    response = handlers.event_registration(load_event("event_registration_json.json"))
    assert response["statusCode"] == 202
    body = json.loads(response["body"])
    assert body["status"] == "confirmed"
    stored = lambda_env.records.registration(body["id"])
    assert stored.event == "afterwork-juin-2027"
    keys = [k for k, _ in lambda_env.records.outgoing(body["id"])]
    assert keys == [f"{body['id']}/confirmed", f"{body['id']}/notify"]


def test_a_cancellation_link_shows_a_page_then_cancels(lambda_env):
    body = json.loads(
        handlers.event_registration(load_event("event_registration_json.json"))["body"]
    )
    url = link_of(lambda_env.records, f"{body['id']}/confirmed")
    token = parse_qs(urlsplit(url).query)["t"][0]
    page = handlers.action(action_event("GET", token))
    assert page["statusCode"] == 200 and "Annuler mon inscription" in page["body"]
    assert lambda_env.records.registration(body["id"]).status == "confirmed"
    done = handlers.action(action_event("POST", token))
    assert done["statusCode"] == 200
    assert lambda_env.records.registration(body["id"]).status == "cancelled"
    assert handlers.action(action_event("POST", token))["statusCode"] == 409
    assert handlers.action(action_event("GET", token[:-4]))["statusCode"] == 400


def test_a_welcomer_application_is_stored(lambda_env):
    response = handlers.welcomer_application(load_event("welcomer_application_json.json"))
    assert response["statusCode"] == 202
    stored = lambda_env.store.get(json.loads(response["body"])["id"])
    assert stored.form == "welcomer-application"


def test_the_digest_queues_one_e_mail_per_territory_with_requests_waiting(lambda_env, monkeypatch):
    event = copy.deepcopy(load_event("welcomer_request_json.json"))
    assert handlers.welcomer_request(event)["statusCode"] == 202
    monkeypatch.setattr(handlers, "clock", Clock(NOW + dt.timedelta(days=2)))
    assert handlers.digest({}) == {"digests": 1}
    assert handlers.digest({}) == {"digests": 1}  # the same day: the same key, one e-mail
    keys = [k for k, _ in lambda_env.records.outgoing("digest/")]
    assert keys == ["digest/loiret/2026-11-26"]
