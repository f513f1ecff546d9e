"""End to end through the real local server (`python -m forms.local`) on a free port."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from email import message_from_bytes
from email.policy import default
from urllib.parse import urlencode

import pytest
from forms import outbox
from forms.delivery import send_due
from forms.mailers import OutboxMailer
from forms.ports import PACK_ORDER, WELCOMER_REQUEST
from formskit import (
    ROOT,
    call,
    form_pairs,
    load_event,
    sample_fields,
)

from tools.local_site import free_port, wait_until


def request(port, method, path, body=b"", headers=None):
    """(status, headers, body) of one request; redirects are not followed."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


@pytest.fixture
def site(tmp_path):
    """A small built site: a home page, a territory folder, a stylesheet and a 404 page."""
    root = tmp_path / "output"
    (root / "loiret").mkdir(parents=True)
    (root / "theme" / "css").mkdir(parents=True)
    (root / "index.html").write_text("<!doctype html><title>Accueil</title>", encoding="utf-8")
    (root / "loiret" / "index.html").write_text("<title>Loiret</title>", encoding="utf-8")
    (root / "theme" / "css" / "site.css").write_text("body{margin:0}", encoding="utf-8")
    (root / "404.html").write_text("<title>Page introuvable</title>", encoding="utf-8")
    (tmp_path / "secret.txt").write_text("not served", encoding="utf-8")
    return root


@pytest.fixture
def server(site, tmp_path, catalogue_path, request):
    """`python -m forms.local` as `make serve` runs it, with its console captured.

    A test marked `load` runs it with FORMS_RATE_LIMIT=off, as a load test should.
    """
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT / "functions"),
        "CATALOGUE_PATH": str(catalogue_path),
        "PORT": str(port),
        "PYTHONUNBUFFERED": "1",
        "FORMS_RATE_LIMIT": "off" if request.node.get_closest_marker("load") else "on",
    }
    env.pop("SMTP_HOST", None)
    log = tmp_path / "console.log"
    with log.open("wb") as console:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "forms.local",
                "--root",
                str(site),
                "--var",
                str(tmp_path / "var"),
            ],
            cwd=tmp_path,
            env=env,
            stdout=console,
            stderr=subprocess.STDOUT,
        )
    try:
        assert wait_until(lambda: _listening(port), timeout=15), log.read_text()
        yield port, tmp_path / "var", process, log
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def _listening(port) -> bool:
    try:
        return request(port, "HEAD", "/")[0] == 200
    except OSError:
        return False


def stored(var):
    with sqlite3.connect(var / "submissions.sqlite3") as db:
        return db.execute("SELECT id, form, email_status FROM submissions ORDER BY id").fetchall()


def test_submissions_are_stored_then_written_to_the_outbox(server):
    port, var, process, log = server
    body = json.dumps(sample_fields(WELCOMER_REQUEST), ensure_ascii=False).encode()
    status, _, answer = request(
        port,
        "POST",
        "/api/welcomer-request",
        body,
        {"Content-Type": "application/json", "Idempotency-Key": "e2e-1"},
    )
    assert status == 202
    first_id = json.loads(answer)["id"]
    form = urlencode(form_pairs(sample_fields(PACK_ORDER))).encode()
    status, headers, _ = request(
        port, "POST", "/api/pack-order", form, {"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert status == 303 and headers["location"] == "/loiret/pack/merci/"

    assert wait_until(lambda: [row[2] for row in stored(var)] == ["sent", "sent"], timeout=10)
    assert (first_id, WELCOMER_REQUEST, "sent") in stored(var)
    outbox = sorted((var / "outbox").glob("*.eml"))
    assert len(outbox) == 4
    mail = message_from_bytes(
        next(p for p in outbox if first_id in p.name and "notify" in p.name).read_bytes(),
        policy=default,
    )
    assert mail["Subject"] == "[Loiret] Demande de welcomer — Claire Martin"
    assert mail["Reply-To"].addresses[0].addr_spec == "claire.martin@example.org"

    process.send_signal(signal.SIGINT)  # Ctrl-C
    assert process.wait(timeout=10) == 0
    console = log.read_text(encoding="utf-8")
    assert first_id in console and str(var / "outbox") in console
    for personal in ("claire.martin@example.org", "Martin", "Dupont", "mairie-pithiviers"):
        assert personal not in console


def test_a_retried_post_with_the_same_key_is_stored_once(server):
    port, var, _, _ = server
    body = json.dumps(sample_fields(WELCOMER_REQUEST)).encode()
    headers = {"Content-Type": "application/json", "Idempotency-Key": "same-key"}
    ids = {
        json.loads(request(port, "POST", "/api/welcomer-request", body, headers)[2])["id"]
        for _ in range(3)
    }
    assert len(ids) == 1 and len(stored(var)) == 1


def test_an_invalid_form_post_leads_to_the_correction_page(server):
    port, var, _, _ = server
    fields = {**sample_fields(WELCOMER_REQUEST), "email": "claire@"}
    body = urlencode(form_pairs(fields)).encode()
    status, headers, _ = request(
        port,
        "POST",
        "/api/welcomer-request",
        body,
        {"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert status == 303
    status, headers, page = request(port, "GET", headers["location"])
    assert status == 200 and headers["content-type"] == "text/html; charset=utf-8"
    assert 'id="welcomer-email-error"' in page.decode()
    assert stored(var) == []


def test_bad_requests_get_their_status_through_the_server(server):
    port, _, _, _ = server
    post = "/api/welcomer-request"
    assert request(port, "POST", post, b"{}", {"Content-Type": "text/plain"})[0] == 415
    assert request(port, "POST", post, b"{", {"Content-Type": "application/json"})[0] == 400
    big = b'{"message": "' + b"x" * 40_000 + b'"}'
    assert request(port, "POST", post, big, {"Content-Type": "application/json"})[0] == 413
    assert request(port, "GET", post)[0] == 405
    assert (
        request(port, "POST", "/api/inconnu", b"{}", {"Content-Type": "application/json"})[0] == 404
    )


def test_the_built_site_is_served_with_content_types_and_a_404_page(server):
    port, _, _, _ = server
    status, headers, body = request(port, "GET", "/")
    assert status == 200 and headers["content-type"] == "text/html; charset=utf-8"
    assert b"Accueil" in body
    assert request(port, "GET", "/loiret")[:2][0] == 301
    assert request(port, "GET", "/loiret")[1]["location"] == "/loiret/"
    assert request(port, "GET", "/loiret/")[2] == b"<title>Loiret</title>"
    assert (
        request(port, "GET", "/theme/css/site.css")[1]["content-type"] == "text/css; charset=utf-8"
    )
    status, _, body = request(port, "GET", "/nulle-part/")
    assert status == 404 and b"Page introuvable" in body
    assert request(port, "GET", "/../secret.txt")[0] == 404
    assert request(port, "GET", "/%2e%2e/secret.txt")[0] == 404
    status, headers, body = request(port, "HEAD", "/")
    assert status == 200 and body == b"" and int(headers["content-length"]) > 0


def test_the_outbox_reader_lists_and_shows_the_messages(forms_app, catalogue, tmp_path, capsys):

    _, _, body = call(forms_app, PACK_ORDER, load_event("pack_order_json.json"))
    mailer = OutboxMailer(tmp_path / "var" / "outbox")
    send_due(forms_app.store, mailer, forms_app.clock, "test")
    assert outbox.main(["--var", str(tmp_path / "var")]) == 0
    listing = capsys.readouterr().out
    assert "notify: [Loiret] Commande de coffrets — Jean Dupont" in listing
    assert "acknowledgement: [Loiret] Nous avons bien reçu votre commande de coffrets" in listing
    assert outbox.main(["--var", str(tmp_path / "var"), body["id"]]) == 0
    out = capsys.readouterr().out.replace("\u00a0", " ").replace("\u202f", " ")
    assert "Total : 2 990 €" in out
    assert outbox.main(["--var", str(tmp_path / "var"), "nothing-like-this"]) == 1


# --- The server under load and against slow or lying clients. -------------------------------


@pytest.fixture
def live(site, tmp_path, catalogue_path, monkeypatch):
    """The local server in this process (its limits patched by the tests), on a free port."""
    from forms import local

    monkeypatch.delenv("SMTP_HOST", raising=False)
    monkeypatch.setattr(local, "HEADER_TIMEOUT", 1.0)
    monkeypatch.setattr(local, "BODY_TIMEOUT", 1.0)
    server = local.LocalServer(site, "127.0.0.1", free_port(), tmp_path / "var", catalogue_path)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.httpd.server_address[1], server
    server.shutdown()
    thread.join(10)


def raw_exchange(port, data: bytes, timeout=5.0) -> bytes:
    """Send raw bytes, return everything the server answers until it closes."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as connection:
        connection.sendall(data)
        chunks = []
        while chunk := connection.recv(65536):
            chunks.append(chunk)
        return b"".join(chunks)


def test_the_server_listens_with_the_backlog_it_asks_for(live):
    port, _ = live
    listing = subprocess.run(
        ["ss", "-ltnH", f"sport = :{port}"], capture_output=True, text=True, check=True
    ).stdout.split()
    assert int(listing[2]) >= 1024  # Send-Q of a listening socket: its backlog (was 5)


@pytest.mark.load
def test_two_hundred_simultaneous_clients_are_all_answered(server):
    port, *_ = server
    count, start = 200, threading.Barrier(200)
    results: list[object] = [None] * count
    body = json.dumps(sample_fields(WELCOMER_REQUEST), ensure_ascii=False).encode()

    def client(number: int) -> None:
        start.wait()  # every connection opened at the same moment
        try:
            if number % 4:
                results[number] = request(port, "GET", "/loiret/")[0]
            else:
                headers = {"Content-Type": "application/json"}
                results[number] = request(port, "POST", "/api/welcomer-request", body, headers)[0]
        except OSError as error:
            results[number] = type(error).__name__

    threads = [threading.Thread(target=client, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert results.count(200) == 150 and results.count(202) == 50, sorted(map(str, results))


def test_a_content_length_that_lies_is_answered_408_and_frees_its_thread(live, monkeypatch):
    port, server = live
    monkeypatch.setattr(server.httpd, "_slots", threading.BoundedSemaphore(2))
    lying = b"POST /api/welcomer-request HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
    lying += b'Content-Length: 1000\r\n\r\n{"first_name":'  # then nothing more
    stalled = [socket.create_connection(("127.0.0.1", port)) for _ in range(2)]
    for connection in stalled:  # both threads are taken
        connection.sendall(lying)
    started = time.monotonic()
    assert request(port, "GET", "/")[0] == 200  # served once a stalled request gave up
    assert time.monotonic() - started < 5
    for connection in stalled:
        connection.settimeout(5)
        answer = connection.recv(65536)
        connection.close()
        assert answer.startswith(b"HTTP/1.1 408") and b'"errors"' in answer


def test_headers_trickled_byte_by_byte_are_cut_off(live):
    port, _ = live
    with socket.create_connection(("127.0.0.1", port), timeout=5) as connection:
        connection.sendall(b"GET / HTTP/1.1\r\n")
        started = time.monotonic()
        try:
            for _ in range(40):  # a header byte every 0.1 s: never idle, never finished
                connection.sendall(b"X")
                time.sleep(0.1)
        except OSError:
            pass  # the server closed the connection: what we want
        assert connection.recv(65536) == b"" and time.monotonic() - started < 3.5


def test_two_content_lengths_are_refused_with_400(live):
    port, _ = live
    body = b"{}"
    answer = raw_exchange(
        port,
        b"POST /api/welcomer-request HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: 2\r\nContent-Length: 30\r\n\r\n" + body,
    )
    assert answer.startswith(b"HTTP/1.1 400")
    assert json.loads(answer.split(b"\r\n\r\n", 1)[1])["errors"]["body"]


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH", "OPTIONS", "PROPFIND"])
def test_other_methods_on_the_api_get_405_in_json(live, method):
    port, _ = live
    status, headers, body = request(port, method, "/api/pack-order", b"{}")
    assert status == 405 and headers["content-type"].startswith("application/json")
    assert headers["allow"] == "POST" and "errors" in json.loads(body)
    status, headers, _ = request(port, method, "/loiret/")
    assert status == 405 and headers["allow"] == "GET, HEAD"
