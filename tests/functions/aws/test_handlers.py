"""The public Lambda handlers: real API Gateway events in, DynamoDB (moto) behind."""

from __future__ import annotations

import base64
import json
from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest
from aws_testkit import REGION
from botocore.stub import Stubber
from cryptography.fernet import Fernet
from forms.aws import handlers
from formskit import NOW, Clock, load_event


def item_count(table: str) -> int:
    """Submissions, idempotency keys and e-mail jobs (not the rate counters)."""
    items = boto3.client("dynamodb", region_name=REGION).scan(TableName=table)["Items"]
    return sum(not item["pk"]["S"].startswith("COUNT#") for item in items)


@pytest.fixture
def lambda_env(table, ses, catalogue_path, monkeypatch):
    """The environment template.yaml gives the functions, against moto; a fixed clock."""
    secret = boto3.client("secretsmanager", region_name=REGION).create_secret(
        Name="form-token", SecretString="x" * 64
    )
    monkeypatch.setenv("CATALOGUE_PATH", str(catalogue_path))
    monkeypatch.setenv("FORM_TOKEN_SECRET_ARN", secret["ARN"])
    monkeypatch.delenv("FORM_TOKEN_KEY", raising=False)
    monkeypatch.setattr(handlers, "clock", Clock(NOW))
    handlers.reset()
    yield SimpleNamespace(store=handlers.store(), clock=handlers.clock)
    handlers.reset()


def test_a_welcomer_request_is_stored_and_answered_202_before_any_email(lambda_env, table, ses):
    response = handlers.welcomer_request(load_event("welcomer_request_json.json"))
    assert response["statusCode"] == 202
    body = json.loads(response["body"])
    assert body["status"] == "received"
    stored = lambda_env.store.get(body["id"])
    assert (stored.territory, stored.email_status) == ("loiret", "pending")
    assert ses == []  # store, then send: the mailer does the sending


def test_a_pack_order_is_answered_with_its_prices(lambda_env):
    response = handlers.pack_order(load_event("pack_order_json.json"))
    assert response["statusCode"] == 202
    body = json.loads(response["body"])
    stored = lambda_env.store.get(body["id"])
    assert body["total_eur"] == float(stored.pricing["total_eur"])


def test_a_plain_form_order_is_stored_and_redirected_to_its_thank_you_page(lambda_env, table):
    response = handlers.pack_order(load_event("pack_order_form.json"))
    assert response["statusCode"] == 303
    assert response["headers"]["location"] == "/loiret/pack/merci/"
    assert item_count(table) == 3  # the order and its two e-mail jobs


def test_a_retried_post_returns_the_first_id_and_stores_once(lambda_env, table):
    event = load_event("welcomer_request_json.json")
    first = json.loads(handlers.welcomer_request(event)["body"])["id"]
    lambda_env.clock.advance(seconds=3)
    retry = handlers.welcomer_request(load_event("welcomer_request_json.json"))
    assert json.loads(retry["body"])["id"] == first
    assert item_count(table) == 4  # one submission, one idempotency key, two e-mail jobs


def test_a_dynamodb_failure_answers_503_and_writes_nothing(lambda_env, table):
    with Stubber(lambda_env.store.client) as stub:
        stub.add_client_error("transact_write_items", "InternalServerError", http_status_code=500)
        response = handlers.welcomer_request(load_event("welcomer_request_json.json"))
    assert response["statusCode"] == 503
    assert "errors" in json.loads(response["body"])
    assert item_count(table) == 0


def test_an_invalid_plain_form_leads_to_its_correction_page(lambda_env, table):
    post = load_event("welcomer_request_form.json")
    body = base64.b64decode(post["body"]).replace(
        b"claire.martin%40example.org", b"pas-une-adresse"
    )
    post["body"] = base64.b64encode(body).decode()
    redirect = handlers.welcomer_request(post)
    assert redirect["statusCode"] == 303
    location = urlsplit(redirect["headers"]["location"])
    get = load_event("welcomer_request_correction_get.json")
    get["rawQueryString"] = location.query
    get["queryStringParameters"] = {k: v[0] for k, v in parse_qs(location.query).items()}
    get["pathParameters"] = {"form": "welcomer-request"}
    page = handlers.correction(get)
    assert page["statusCode"] == 200
    assert page["headers"]["content-type"].startswith("text/html")
    assert item_count(table) == 0


def test_the_correction_route_refuses_an_unknown_form(lambda_env):
    get = load_event("welcomer_request_correction_get.json")
    get["pathParameters"] = {"form": "inconnu"}
    assert handlers.correction(get)["statusCode"] == 404


def test_the_token_key_is_derived_from_the_secret_the_same_way_everywhere(lambda_env):
    key = handlers.token_key()
    assert key == handlers.app().token_key
    Fernet(key)  # a valid Fernet key: 32 bytes, URL-safe base64


def test_form_token_key_overrides_the_secret(monkeypatch):
    key = Fernet.generate_key()
    monkeypatch.setenv("FORM_TOKEN_KEY", key.decode())
    assert handlers.token_key() == key


def test_on_dynamodb_too_an_address_gets_three_acknowledgements_a_day(lambda_env, monkeypatch):
    monkeypatch.setenv("FORMS_RATE_LIMIT", "off")  # many requests from one test client
    handlers.reset()
    ids = []
    for number in range(4):
        event = load_event("welcomer_request_json.json")
        event["headers"]["idempotency-key"] = f"key-{number}"
        ids.append(json.loads(handlers.welcomer_request(event)["body"])["id"])
    store = handlers.store()
    acks = [store.get_job(f"{i}/acknowledgement") is not None for i in ids]
    assert acks == [True, True, True, False]
    assert all(store.get_job(f"{i}/notify") is not None for i in ids)


def test_on_dynamodb_the_fourth_request_of_a_client_in_an_hour_is_challenged(lambda_env):
    statuses = []
    for number in range(4):
        event = load_event("welcomer_request_json.json")
        event["headers"]["idempotency-key"] = f"key-{number}"
        event["headers"]["cloudfront-viewer-address"] = "198.51.100.20:443"
        body = json.loads(event["body"])
        event["body"] = json.dumps({**body, "email": f"p{number}@example.org"})
        response = handlers.welcomer_request(event)
        statuses.append(response["statusCode"])
    assert statuses == [202, 202, 202, 429]
    assert "challenge" in json.loads(response["body"])
