"""The welcome service on DynamoDB (moto): registrations never overbooked under concurrent
requests, one per slot, the waiting list promoted; follow-ups changed once; erasure."""

from __future__ import annotations

import functools
import json
import random
import threading
from email import message_from_bytes
from email.policy import default

import pytest
from forms.app import App, Settings
from forms.aws.dynamodb_store import DynamoDBStore
from forms.aws.welcome_dynamodb import DynamoDBWelcomeStore
from forms.http import handle
from forms.ports import EVENT_REGISTRATION, WELCOMER_REQUEST
from forms.tokens import new_key
from formskit import MAIL_FROM, Clock, act, json_event, sample_fields, token_of

R = EVENT_REGISTRATION


@pytest.fixture
def atomic_requests(monkeypatch):
    """DynamoDB applies each request atomically; moto's in-memory backend takes no lock, so
    two threads could interleave inside one TransactWriteItems. Serialise each request as
    DynamoDB does — our algorithm's several requests still interleave freely across threads."""
    from moto.dynamodb.models import DynamoDBBackend

    lock = threading.RLock()
    for name in (
        "transact_write_items",
        "update_item",
        "put_item",
        "get_item",
        "delete_item",
        "scan",
    ):
        original = getattr(DynamoDBBackend, name)

        @functools.wraps(original)
        def locked(self, *args, _original=original, **kwargs):
            with lock:
                return _original(self, *args, **kwargs)

        monkeypatch.setattr(DynamoDBBackend, name, locked)


@pytest.fixture
def records(table, atomic_requests) -> DynamoDBWelcomeStore:
    return DynamoDBWelcomeStore(table)


@pytest.fixture
def dynamo_app(catalogue, store, records) -> App:
    return App(
        catalogue=catalogue,
        store=store,
        token_key=new_key(),
        clock=Clock(),
        settings=Settings(
            mail_from=MAIL_FROM,
            rate_limit=False,  # fifty at once from one client: a load test (CONTRACT 3.1)
            site_url="https://territoires.example",
            operator_email="operateur@territoires.example",
        ),
        followups=records,
        registrations=records,
    )


def person(n: int, event: str, **changes) -> dict:
    fields = {
        **sample_fields(R),
        "territory": "ateliers",
        "event": event,
        "email": f"inscrit{n}@example.org",
        **changes,
    }
    return {k: v for k, v in fields.items() if v is not None}


def register(app, n: int, event: str = "deux-places", **changes) -> tuple[int, dict]:
    response = handle(json_event(R, person(n, event, **changes)), app, R)
    return response["statusCode"], json.loads(response["body"])


def at_once(count: int, work) -> list:
    """Run work(n) for n in range(count) in as many threads, started together."""
    results: list = [None] * count
    start = threading.Barrier(count)

    def run(n):
        start.wait()
        results[n] = work(n)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    return results


def counter(records, event: str) -> dict:
    from forms.aws.welcome_dynamodb import _plain

    return _plain(records._get(f"EVENT#ateliers#{event}"))


def test_fifty_concurrent_registrations_on_ten_seats_confirm_exactly_ten(dynamo_app, records):
    results = at_once(50, lambda n: register(dynamo_app, n, "dix-places"))
    assert all(status == 202 for status, _ in results)
    statuses = [body["status"] for _, body in results]
    assert statuses.count("confirmed") == 10 and statuses.count("waitlisted") == 40
    stored = records.registrations("ateliers", "dix-places")
    assert sum(r.status == "confirmed" for r in stored) == 10 and len(stored) == 50
    state = counter(records, "dix-places")
    assert state["confirmed"] == 10 and len(state["waiting"]) == 40
    assert len(set(state["waiting"])) == 40  # nobody twice in line
    # Each person got exactly the e-mail of their outcome.
    keys = {k for k, _ in records.outgoing()}
    for _, body in results:
        assert f"{body['id']}/{body['status']}" in keys


def test_concurrent_registrations_take_each_slot_once(dynamo_app, records):
    slots = [f"2027-03-11T09:{m:02d}:00+01:00" for m in (0, 20, 40)]
    random.seed(12)
    wanted = [random.choice(slots) for _ in range(24)]
    results = at_once(24, lambda n: register(dynamo_app, n, "entretiens", slot=wanted[n]))
    confirmed = [b for s, b in results if s == 202 and b["status"] == "confirmed"]
    waiting = [b for s, b in results if s == 202 and b["status"] == "waitlisted"]
    refused = [b for s, b in results if s == 422]
    # Three confirmed, one per slot; the others were told the slot was taken, or — once the
    # three seats were gone — put on the waiting list.
    assert len(confirmed) == 3 and len(waiting) + len(refused) == 21
    assert all(set(b["errors"]) == {"slot"} for b in refused)
    held = [
        r.slot for r in records.registrations("ateliers", "entretiens") if r.status == "confirmed"
    ]
    assert sorted(held) == slots


def test_cancelling_promotes_the_first_in_line_with_the_freed_slot(dynamo_app, records):
    slots = [f"2027-03-11T09:{m:02d}:00+01:00" for m in (0, 20, 40)]
    ids = [register(dynamo_app, n, "entretiens", slot=slots[min(n, 2)])[1]["id"] for n in range(5)]
    assert [records.registration(i).status for i in ids] == ["confirmed"] * 3 + ["waitlisted"] * 2
    mail = message_from_bytes(dict(records.outgoing(ids[1]))[f"{ids[1]}/confirmed"], policy=default)
    link = next(
        line
        for line in mail.get_body(("plain",)).get_content().splitlines()
        if "/api/action" in line
    )
    assert act(dynamo_app, "GET", token_of(link))[0] == 200
    assert records.registration(ids[1]).status == "confirmed"
    assert act(dynamo_app, "POST", token_of(link))[0] == 200
    promoted = records.registration(ids[3])
    assert promoted.status == "confirmed" and promoted.slot == slots[1]
    assert records.registration(ids[4]).status == "waitlisted"
    assert counter(records, "entretiens")["waiting"] == [ids[4]]
    assert f"{ids[3]}/promoted" in dict(records.outgoing(ids[3]))
    assert act(dynamo_app, "POST", token_of(link))[0] == 409  # replayed: nothing more


def test_concurrent_cancellations_and_registrations_never_overbook(dynamo_app, records):
    ids = [register(dynamo_app, n)[1]["id"] for n in range(4)]  # 2 confirmed, 2 waiting

    def work(n):
        if n < 2:
            return dynamo_app.registrations.cancel(ids[n], dynamo_app.clock(), lambda *a: [])
        return register(dynamo_app, 10 + n)

    at_once(8, work)
    stored = records.registrations("ateliers", "deux-places")
    confirmed = [r for r in stored if r.status == "confirmed"]
    assert len(confirmed) == 2 == counter(records, "deux-places")["confirmed"]
    assert {r.id for r in confirmed} == set(ids[2:])  # the first two in line, in order


def test_the_same_address_twice_at_once_registers_once(dynamo_app, records):
    results = at_once(6, lambda n: register(dynamo_app, 1, "dix-places"))
    assert len({body["id"] for _, body in results}) == 1
    assert len(records.registrations("ateliers", "dix-places")) == 1
    assert counter(records, "dix-places")["confirmed"] == 1


def test_a_follow_up_changes_once_under_concurrent_clicks(dynamo_app, records, store):
    from forms import introductions

    fields = {**sample_fields(WELCOMER_REQUEST), "territory": "loir-et-cher"}
    fields.pop("placement")
    response = handle(json_event(WELCOMER_REQUEST, fields), dynamo_app, WELCOMER_REQUEST)
    request = store.get(json.loads(response["body"])["id"])
    links = dict(
        introductions.staff_links(dynamo_app, request, dynamo_app.catalogue.get("loir-et-cher"))
    )
    token = token_of(next(url for label, url in links.items() if "Sophie" in label))
    statuses = at_once(6, lambda n: act(dynamo_app, "POST", token)[0])
    assert sorted(statuses) == [200] + [409] * 5
    state = records.followup(request.id)
    assert state.welcomer == "sophie" and state.version == 1
    assert len(records.outgoing(f"{request.id}/introduction/")) == 2


def test_erasing_an_address_frees_its_seat_and_deletes_its_e_mails(dynamo_app, records):
    ids = [register(dynamo_app, n)[1]["id"] for n in range(3)]
    counts = records.erase_email("INSCRIT0@example.org", [])
    assert counts["registrations"] == 1 and counts["followups"] == 0
    assert sorted(counts["keys"]) == [f"{ids[0]}/confirmed", f"{ids[0]}/notify"]
    assert records.registration(ids[0]) is None
    assert counter(records, "deux-places")["confirmed"] == 1
    assert records.outgoing(ids[0]) == []
    assert register(dynamo_app, 0)[1]["status"] == "confirmed"  # the address may come back


def test_dynamodb_store_is_the_submissions_table(store: DynamoDBStore, records):
    assert store.table_name == records.table_name
