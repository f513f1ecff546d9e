"""End to end through the real local server (`python -m forms.local`) on a free port."""

from __future__ import annotations

import http.client
import json
import os
import signal
import sqlite3
import subprocess
import sys
from email import message_from_bytes
from email.policy import default
from urllib.parse import urlencode

import pytest
from forms import outbox
from forms.delivery import deliver
from forms.mailers import OutboxMailer
from forms.ports import PACK_ORDER, WELCOMER_REQUEST
from formskit import (
    MAIL_FROM,
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
def server(site, tmp_path, catalogue_path):
    """`python -m forms.local` as `make serve` runs it, with its console captured."""
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT / "functions"),
        "CATALOGUE_PATH": str(catalogue_path),
        "PORT": str(port),
        "PYTHONUNBUFFERED": "1",
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
    deliver(forms_app.store.get(body["id"]), catalogue, mailer, forms_app.store, MAIL_FROM)
    assert outbox.main(["--var", str(tmp_path / "var")]) == 0
    listing = capsys.readouterr().out
    assert "notify: [Loiret] Commande de coffrets — Jean Dupont" in listing
    assert "acknowledgement: [Loiret] Nous avons bien reçu votre commande de coffrets" in listing
    assert outbox.main(["--var", str(tmp_path / "var"), body["id"]]) == 0
    out = capsys.readouterr().out.replace("\u00a0", " ").replace("\u202f", " ")
    assert "Total : 2 990 €" in out
    assert outbox.main(["--var", str(tmp_path / "var"), "nothing-like-this"]) == 1
