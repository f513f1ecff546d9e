"""Registrations through the real local server (`python -m forms.local`), many at once:
SQLite's BEGIN IMMEDIATE never lets two request threads take the same last seat or slot."""

from __future__ import annotations

import contextlib
import datetime as dt
import http.client
import json
import sqlite3
import threading
from email import message_from_bytes
from email.policy import default
from urllib.parse import urlencode, urlsplit

import pytest
from forms.delivery import file_name
from formskit import sample_fields

from tools.local_site import serve, wait_until


@pytest.fixture(scope="module")
def server(tmp_path_factory, catalogue_path):
    """The local server with the test catalogue, its events moved a month ahead of today
    (the server runs on the real clock)."""
    folder = tmp_path_factory.mktemp("registrations-server")
    data = json.loads(catalogue_path.read_text(encoding="utf-8"))
    day = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    for event in data["territories"]["ateliers"]["events"]:
        for holder in (event, event["registration"], *event["registration"]["slots"]):
            for name in ("start", "end", "closes"):
                if holder.get(name):
                    holder[name] = day + holder[name][10:]
    catalogue = folder / "catalogue.json"
    catalogue.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    (folder / "output").mkdir()
    (folder / "output" / "index.html").write_text("<title>Accueil</title>", encoding="utf-8")
    # Fifty people at once from one address: the limits per client are off, as for any load
    # test (CONTRACT 3.1: FORMS_RATE_LIMIT=off).
    env = {"FORMS_RATE_LIMIT": "off"}
    with serve(
        folder / "output", folder / "var", catalogue, folder / "console.log", env=env
    ) as url:
        yield url, folder / "var" / "submissions.sqlite3", day


def post(url: str, path: str, body: bytes, content_type: str) -> tuple[int, dict, bytes]:
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    try:
        connection.request("POST", path, body=body, headers={"content-type": content_type})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def register(url: str, event: str, n: int, **changes) -> tuple[int, dict]:
    fields = {
        **sample_fields("event-registration"),
        "territory": "ateliers",
        "event": event,
        "email": f"inscrit{n}@example.org",
        **changes,
    }
    status, _, body = post(
        url, "/api/event-registration", json.dumps(fields).encode(), "application/json"
    )
    return status, json.loads(body)


def at_once(count: int, work) -> list:
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


def rows(db_path, query: str, *values) -> list[tuple]:
    with contextlib.closing(sqlite3.connect(db_path)) as db:
        return db.execute(query, values).fetchall()


def test_fifty_requests_at_once_on_ten_seats_confirm_exactly_ten(server):
    url, db, _ = server
    results = at_once(50, lambda n: register(url, "dix-places", n))
    assert [status for status, _ in results] == [202] * 50
    statuses = [body["status"] for _, body in results]
    assert statuses.count("confirmed") == 10 and statuses.count("waitlisted") == 40
    stored = rows(
        db,
        "SELECT status, count(*) FROM registrations WHERE event = ? GROUP BY status",
        "dix-places",
    )
    assert dict(stored) == {"confirmed": 10, "waitlisted": 40}
    positions = [
        p for (p,) in rows(db, "SELECT position FROM registrations WHERE event = ?", "dix-places")
    ]
    assert sorted(positions) == list(range(1, 51))


def test_requests_at_once_for_the_same_slot_hold_it_once(server):
    url, db, day = server
    slot = f"{day}T09:20:00+01:00"
    results = at_once(20, lambda n: register(url, "entretiens", 100 + n, slot=slot))
    assert sorted(status for status, _ in results) == [202] + [422] * 19
    assert all("pris" in body["errors"]["slot"] for status, body in results if status == 422)
    held = rows(
        db, "SELECT slot FROM registrations WHERE event = ? AND status = 'confirmed'", "entretiens"
    )
    assert held == [(slot,)]


def test_a_cancellation_link_promotes_the_first_in_line_through_the_server(server):
    url, db, _ = server
    ids = [register(url, "deux-places", 200 + n)[1]["id"] for n in range(3)]
    sent = db.parent / "outbox" / file_name(f"{ids[0]}/confirmed")  # the worker sends it
    assert wait_until(sent.exists, timeout=20)
    mail = message_from_bytes(sent.read_bytes(), policy=default)
    link = next(
        line
        for line in mail.get_body(("plain",)).get_content().splitlines()
        if "/api/action" in line
    )
    assert link.startswith(url)  # the local server fills in its own address
    token = link.split("t=", 1)[1]
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    connection.request("GET", "/api/action?" + urlencode({"t": token}))
    page = connection.getresponse()
    assert page.status == 200 and b"Annuler mon inscription" in page.read()
    connection.close()
    status, _, body = post(
        url, "/api/action", urlencode({"t": token}).encode(), "application/x-www-form-urlencoded"
    )
    assert status == 200 and "annulée".encode() in body
    states = dict(rows(db, "SELECT id, status FROM registrations WHERE id IN (?, ?, ?)", *ids))
    assert [states[i] for i in ids] == ["cancelled", "confirmed", "confirmed"]
    promoted = db.parent / "outbox" / file_name(f"{ids[2]}/promoted")
    assert wait_until(promoted.exists, timeout=20)
    assert (
        "Une place s'est libérée"
        in message_from_bytes(promoted.read_bytes(), policy=default)
        .get_body(("plain",))
        .get_content()
    )
