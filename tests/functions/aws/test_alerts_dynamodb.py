"""The alerts against DynamoDB (moto): the same scenarios as locally, and the two handlers."""

from __future__ import annotations

import json

import boto3
import pytest
from alertskit import SITE, Alerts, crash_between_two_subscribers, end_to_end, with_placement
from aws_testkit import REGION
from forms.app import App, Settings
from forms.aws import handlers
from forms.aws.dynamodb_alerts import DynamoDBAlerts
from forms.tokens import new_key
from formskit import MAIL_FROM


def create_alerts_table(template: dict, name: str) -> str:
    """The alerts table in moto, with exactly the template's properties."""
    props = template["Resources"]["AlertsTable"]["Properties"]
    client = boto3.client("dynamodb", region_name=REGION)
    client.create_table(
        TableName=name,
        KeySchema=props["KeySchema"],
        AttributeDefinitions=props["AttributeDefinitions"],
        BillingMode=props["BillingMode"],
    )
    client.update_time_to_live(
        TableName=name, TimeToLiveSpecification=props["TimeToLiveSpecification"]
    )
    return name


@pytest.fixture
def alerts_table(aws, template, monkeypatch) -> str:
    name = create_alerts_table(template, "alerts-test")
    monkeypatch.setenv("ALERTS_TABLE", name)
    return name


@pytest.fixture
def world(catalogue, store, alerts_table, clock) -> Alerts:
    app = App(
        catalogue=catalogue,
        store=store,
        token_key=new_key(),
        clock=clock,
        # The limits per client are tested on their own (one client sends everything here).
        settings=Settings(mail_from=MAIL_FROM, site_url=SITE, rate_limit=False),
        alerts=DynamoDBAlerts(store, alerts_table),
    )
    return Alerts(app, clock)


def test_subscribe_confirm_announce_twice_unsubscribe_announce(world):
    end_to_end(world)


def test_a_crash_between_two_subscribers_mails_sends_each_digest_once(world):
    crash_between_two_subscribers(world)


def test_at_most_three_confirmation_emails_a_day_to_one_address(world):
    for _ in range(4):
        world.subscribe("cible@example.org")
    world.send()
    assert len(world.mails_to("cible@example.org")) == 3


def test_erase_and_expiry_remove_the_subscriptions(world):
    world.subscribe("claire@example.org")
    world.subscribe("pending@example.org")
    world.send()
    world.confirm("claire@example.org")
    assert world.app.alerts.erase("claire@example.org") == 1
    world.clock.advance(days=8)
    assert world.app.alerts.purge_expired(world.clock()) == 1  # the unconfirmed one
    items = boto3.client("dynamodb", region_name=REGION).scan(TableName="alerts-test")["Items"]
    assert [i for i in items if i["pk"]["S"].startswith("ALERT#")] == []


def test_the_handlers_subscribe_and_announce(world, monkeypatch, catalogue, clock):
    monkeypatch.setenv("FORM_TOKEN_KEY", world.app.token_key.decode())
    monkeypatch.setenv("SITE_URL", SITE)
    monkeypatch.setattr(handlers, "clock", clock)
    handlers.reset()
    monkeypatch.setattr(handlers, "catalogue", lambda: catalogue)
    body = {"email": "lambda@example.org", "professions": ["infirmier"], "consent": True}
    from alertskit import alert_event

    event = alert_event(
        "POST", "/api/alert-subscription", json.dumps(body).encode(), "application/json"
    )
    response = handlers.alert_subscription(event)
    assert response["statusCode"] == 202
    world.app = handlers.app()
    world.send()
    world.confirm("lambda@example.org")
    clock.advance(days=1)
    monkeypatch.setattr(
        handlers, "catalogue", lambda: with_placement(catalogue, "loiret", "nouvelle-offre")
    )
    handlers.app.cache_clear()
    report = handlers.announce({})
    assert (report["subscribers"], report["digests"], report["placements_announced"]) == (1, 1, 1)
    assert handlers.announce({})["digests"] == 0
    for cached in (handlers.store, handlers.alerts_store, handlers.app):
        cached.cache_clear()  # the next test's moto is another one
