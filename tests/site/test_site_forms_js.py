"""forms.js in Debian's Chromium, against a stub API: the JSON it sends and what people see."""

from __future__ import annotations

import datetime as dt
import functools
import json
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest

pytestmark = pytest.mark.browser
playwright = pytest.importorskip("playwright.sync_api")


class StubApi(SimpleHTTPRequestHandler):
    """Serves the built site; answers POSTs with the next scripted reply and records them."""

    replies: ClassVar[list] = []
    received: ClassVar[list] = []

    def log_message(self, *args):
        pass

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.received.append({"path": self.path, "headers": dict(self.headers), "body": body})
        status, payload = self.replies.pop(0)
        if status is None:  # a dropped connection: the browser sees a network error
            self.close_connection = True
            self.connection.shutdown(2)
            return
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture(scope="module")
def server(site):
    httpd = ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(StubApi, directory=str(site.output))
    )
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


@pytest.fixture
def page(chromium, server):
    StubApi.replies, StubApi.received = [], []
    context = chromium.new_context(base_url=server)
    yield context.new_page()
    context.close()


def fill_welcomer(page):
    page.fill("#welcomer-first_name", "Ana")
    page.fill("#welcomer-last_name", "Martin")
    page.fill("#welcomer-email", "ana@example.org")
    page.fill("#welcomer-profession", "sage-femme")
    page.get_by_label("Écoles", exact=True).check()
    page.get_by_label("Logement", exact=True).check()
    page.check("#welcomer-consent")


def test_an_accepted_request_is_sent_as_json_and_leads_to_the_thank_you_page(page):
    StubApi.replies = [(202, {"id": "abc", "status": "received"})]
    page.goto("/loiret/offres/stage-kine-gien/")
    fill_welcomer(page)
    page.click("button[type=submit]")
    page.wait_for_url("**/loiret/welcomers/merci/")
    (sent,) = StubApi.received
    assert sent["path"] == "/api/welcomer-request"
    assert sent["headers"]["Content-Type"] == "application/json"
    assert sent["headers"]["Accept"] == "application/json"
    assert sent["body"]["interests"] == ["écoles", "logement"]
    assert sent["body"]["consent"] is True
    assert sent["body"]["placement"] == "stage-kine-gien"
    assert sent["body"]["territory"] == "loiret" and sent["body"]["website"] == ""
    assert sent["body"]["started_at"].isdigit()
    assert "phone" not in sent["body"]  # empty optional fields are left out


def test_the_pack_quantity_is_sent_as_an_integer(page):
    StubApi.replies = [(202, {"id": "abc", "status": "received"})]
    page.goto("/loiret/pack/")
    page.fill("#pack-quantity", "12")
    page.check("#pack-consent")
    page.click("button[type=submit]")
    page.wait_for_url("**/loiret/pack/merci/")
    assert StubApi.received[0]["body"]["quantity"] == 12


def test_refused_fields_show_their_message_beside_the_field_and_in_a_focused_summary(page):
    errors = {
        "email": "Adresse e-mail invalide.",
        "consent": "Vous devez accepter.",
        "territory": "Territoire inconnu.",
    }
    StubApi.replies = [(422, {"errors": errors})]
    page.goto("/loiret/welcomers/")
    fill_welcomer(page)
    page.click("button[type=submit]")
    page.wait_for_selector(".form-errors:not([hidden])")
    assert page.inner_text("#welcomer-email-error") == "Adresse e-mail invalide."
    assert page.get_attribute("#welcomer-email", "aria-invalid") == "true"
    assert page.evaluate("document.activeElement.className") == "form-errors"
    summary = page.inner_text(".form-errors")
    assert "3 informations sont à corriger" in summary and "Territoire inconnu." in summary
    summary = summary.replace("\u00a0", " ")  # French typography: a no-break space before « : »
    assert "Consentement : Vous devez accepter." in summary  # not the whole consent sentence
    page.click(".form-errors a")
    assert page.evaluate("document.activeElement.id") == "welcomer-email"
    assert page.input_value("#welcomer-first_name") == "Ana"


def test_a_refused_placement_is_reported_beside_the_sentence_naming_it(page):
    StubApi.replies = [(422, {"errors": {"placement": "Cette offre n'est plus ouverte."}})]
    page.goto("/loiret/offres/stage-kine-gien/")
    fill_welcomer(page)
    page.click("button[type=submit]")
    page.wait_for_selector(".form-errors:not([hidden])")
    assert page.inner_text("#welcomer-placement-error") == "Cette offre n'est plus ouverte."
    assert "Cette offre n'est plus ouverte." in page.inner_text(".form-errors")
    page.click(".form-errors a")
    assert page.evaluate("document.activeElement.id") == "welcomer-placement"


def test_a_retry_after_a_network_failure_keeps_the_input_and_the_idempotency_key(page):
    StubApi.replies = [(None, None), (202, {"id": "abc", "status": "received"})]
    page.goto("/loiret/welcomers/")
    fill_welcomer(page)
    page.click("button[type=submit]")
    page.wait_for_selector(".form-errors:not([hidden])")
    assert "La connexion a échoué" in page.inner_text(".form-errors")
    assert page.input_value("#welcomer-email") == "ana@example.org"
    page.click("button[type=submit]")
    page.wait_for_url("**/merci/")
    first, retry = (r["headers"]["Idempotency-Key"] for r in StubApi.received)
    assert first == retry and len(first) == 36


def test_a_challenge_is_solved_in_the_page_and_the_request_sent_again(page):
    from types import SimpleNamespace

    import altcha
    from forms import abuse

    app = SimpleNamespace(token_key=b"k" * 32, clock=lambda: dt.datetime.now(dt.UTC))
    challenge = abuse.new_challenge(app)
    StubApi.replies = [
        (429, {"errors": {"altcha": "Vérification anti-robot."}, "challenge": challenge}),
        (202, {"id": "abc", "status": "received"}),
    ]
    page.goto("/loiret/welcomers/")
    fill_welcomer(page)
    page.click("button[type=submit]")
    page.wait_for_url("**/loiret/welcomers/merci/", timeout=30_000)
    first, second = StubApi.received
    assert "altcha" not in first["body"]
    assert second["headers"]["Idempotency-Key"] == first["headers"]["Idempotency-Key"]
    ok, _ = altcha.verify_solution_v1(
        second["body"]["altcha"], abuse._key(app, "altcha").hex(), False
    )
    assert ok  # the page found the number: the server would accept it
