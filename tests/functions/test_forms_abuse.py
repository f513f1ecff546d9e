"""The forms cannot be used against strangers: acknowledgements limited and echoing nothing
typed, a proof-of-work challenge beyond a few submissions, a time trap that cannot be skipped."""

from __future__ import annotations

import base64
import dataclasses
import json
from email import message_from_bytes
from email.policy import default
from urllib.parse import parse_qs, urlsplit

import altcha
import pytest
from forms import abuse
from forms.app import Settings
from forms.emails import ACKNOWLEDGEMENT, NOTIFY, job_key
from forms.http import client_address
from forms.local import build_event
from forms.ports import PACK_ORDER, WELCOMER_REQUEST
from formskit import call, form_event, json_event, sample_fields

PHISHING = {
    "organisation": "VOTRE COMPTE AMELI EST SUSPENDU, connectez-vous : ameli-remboursement.example",
    "first_name": "Votre compte",
    "last_name": "Suspendu",
    "street": "Cliquez sur ameli-remboursement.example",
    "city": "Remboursement immédiat",
    "purchase_order": "AMELI-URGENT",
    "message": "Votre carte Vitale sera bloquée sous 24 h : http://ameli-remboursement.example",
    "email": "stranger@example.org",
}


@pytest.fixture
def limited(forms_app):
    """The app with the limits per client on, as in production."""
    forms_app.settings = dataclasses.replace(forms_app.settings, rate_limit=True)
    return forms_app


def every_text(raw: bytes) -> str:
    """Headers and decoded parts of a message, as its reader would see them."""
    message = message_from_bytes(raw, policy=default)
    texts = [f"{name}: {value}" for name, value in message.items()]
    texts += [
        part.get_content() for part in message.walk() if part.get_content_maintype() == "text"
    ]
    return "\n".join(texts)


def post(app, form=WELCOMER_REQUEST, ip="203.0.113.7", **changes):
    request = json_event(form, {**sample_fields(form), **changes})
    request["requestContext"]["http"]["sourceIp"] = ip
    return call(app, form, request)


# --- Acknowledgements. ----------------------------------------------------------------------


def test_a_phishing_order_reaches_the_territory_but_not_the_stranger(forms_app):
    status, _, body = post(forms_app, PACK_ORDER, **PHISHING)
    assert status == 202
    ack = forms_app.store.get_job(job_key(body["id"], ACKNOWLEDGEMENT))
    notify = forms_app.store.get_job(job_key(body["id"], NOTIFY))
    assert ack.recipients == ["stranger@example.org"]
    seen = every_text(ack.message).casefold()
    for typed in PHISHING.values():
        if typed != PHISHING["email"]:
            assert typed.casefold() not in seen
    for word in ("ameli", "suspendu", "vitale", "votre compte"):
        assert word not in seen
    amounts = seen.replace("\u202f", " ").replace("\u00a0", " ")  # French number spacing
    assert "2 990 €" in amounts and body["id"].casefold() in seen  # what we computed stays
    assert PHISHING["organisation"] in every_text(notify.message)  # the staff see it all


def test_a_welcomer_acknowledgement_repeats_no_name_nor_message(forms_app):
    _, _, body = post(forms_app, first_name="Gagnant", last_name="Loterie", message="Cliquez ici")
    seen = every_text(forms_app.store.get_job(job_key(body["id"], ACKNOWLEDGEMENT)).message)
    assert "Gagnant" not in seen and "Loterie" not in seen and "Cliquez" not in seen


def test_at_most_three_acknowledgements_a_day_to_one_address_even_with_limits_off(forms_app, clock):
    assert forms_app.settings.rate_limit is False  # FORMS_RATE_LIMIT=off
    ids = []
    for number in range(5):  # from five different clients, the address typed differently
        address = "Stranger@Example.org" if number % 2 else "stranger@example.org"
        status, _, body = post(forms_app, ip=f"198.51.100.{number}", email=address)
        assert status == 202
        ids.append(body["id"])
    acks = [forms_app.store.get_job(job_key(i, ACKNOWLEDGEMENT)) for i in ids]
    notifies = [forms_app.store.get_job(job_key(i, NOTIFY)) for i in ids]
    assert [a is not None for a in acks] == [True, True, True, False, False]
    assert all(n is not None for n in notifies)  # every request still reaches the territory
    clock.advance(days=1)
    _, _, body = post(forms_app, email="stranger@example.org")
    assert forms_app.store.get_job(job_key(body["id"], ACKNOWLEDGEMENT)) is not None


def test_counters_hold_pseudonyms_not_addresses(forms_app):
    post(forms_app, email="stranger@example.org")
    with forms_app.store.transaction() as db:
        keys = [row[0] for row in db.execute("SELECT key FROM counters")]
    assert keys and not any("stranger" in key or "203.0.113" in key for key in keys)


# --- The challenge. -------------------------------------------------------------------------


def solve(challenge: dict) -> str:
    """What the page's script does: find the number, send the payload back (base64 JSON)."""
    solution = altcha.solve_challenge_v1(
        challenge["challenge"], challenge["salt"], max_number=challenge["maxnumber"]
    )
    payload = {
        "algorithm": challenge["algorithm"],
        "challenge": challenge["challenge"],
        "number": solution.number,
        "salt": challenge["salt"],
        "signature": challenge["signature"],
    }
    return base64.b64encode(json.dumps(payload).encode()).decode()


def test_beyond_three_submissions_from_one_client_a_solved_challenge_is_needed(limited):
    for number in range(3):
        assert post(limited, email=f"p{number}@example.org")[0] == 202
    status, _, body = post(limited, email="p3@example.org")
    assert status == 429 and "anti-robot" in body["errors"]["altcha"]
    challenge = body["challenge"]
    assert set(challenge) == {"algorithm", "challenge", "maxnumber", "salt", "signature"}
    assert len(limited.store.all()) == 3  # nothing stored
    payload = solve(challenge)
    status, _, body = post(limited, email="p3@example.org", altcha=payload)
    assert status == 202
    assert "altcha" not in limited.store.get(body["id"]).fields
    # The same solution twice: refused, another challenge given.
    status, _, body = post(limited, email="p4@example.org", altcha=payload)
    assert status == 429 and body["challenge"]["salt"] != challenge["salt"]


def test_a_forged_or_expired_solution_is_refused(limited, clock):
    for number in range(3):
        post(limited, email=f"p{number}@example.org")
    challenge = post(limited, email="x@example.org")[2]["challenge"]
    forged = json.loads(base64.b64decode(solve(challenge)))
    forged["number"] += 1
    forged = base64.b64encode(json.dumps(forged).encode()).decode()
    assert post(limited, email="x@example.org", altcha=forged)[0] == 429
    payload = solve(challenge)
    clock.advance(minutes=11)  # challenges last ten minutes
    assert post(limited, email="x@example.org", altcha=payload)[0] == 429
    assert post(limited, email="x@example.org", altcha="bm90IGpzb24=")[0] == 429


def test_beyond_three_a_day_with_one_address_from_any_client_a_challenge_is_needed(limited):
    for number in range(3):
        assert post(limited, ip=f"198.51.100.{number}")[0] == 202
    assert post(limited, ip="198.51.100.9")[0] == 429


def test_without_javascript_the_next_submission_gets_a_correction_page_that_says_why(limited):
    for number in range(3):
        post(limited, email=f"p{number}@example.org")
    fields = {**sample_fields(WELCOMER_REQUEST), "email": "p3@example.org", "started_at": ""}
    status, headers, _ = call(limited, WELCOMER_REQUEST, form_event(WELCOMER_REQUEST, fields))
    assert status == 303 and "/correction?t=" in headers["location"]
    token = parse_qs(urlsplit(headers["location"]).query)["t"][0]
    page_event = json_event(WELCOMER_REQUEST, {})
    page_event.update(
        rawPath="/api/welcomer-request/correction",
        rawQueryString=f"t={token}",
        queryStringParameters={"t": token},
    )
    page_event["requestContext"]["http"]["method"] = "GET"
    status, _, page = call(limited, WELCOMER_REQUEST, page_event)
    assert status == 200
    assert "Sans JavaScript, renvoyez ce formulaire" in page and "p3@example.org" in page
    assert len(limited.store.all()) == 3


def test_leaving_out_the_timer_counts_for_three(limited):
    untimed = {"started_at": ""}
    assert post(limited, email="a@example.org", **untimed)[0] == 202  # a plain form post: kept
    assert post(limited, email="b@example.org", **untimed)[0] == 429  # the next one: challenged
    assert post(limited, ip="198.51.100.1", email="c@example.org")[0] == 202  # others unaffected


def test_with_forms_rate_limit_off_no_client_is_challenged(forms_app):
    assert Settings.from_env({"FORMS_RATE_LIMIT": "off"}).rate_limit is False
    assert Settings.from_env({}).rate_limit is True
    for number in range(10):
        assert post(forms_app, email=f"p{number}@example.org", started_at="")[0] == 202


def test_the_client_is_cloudfronts_viewer_address_and_no_local_client_can_forge_it():
    event = json_event(WELCOMER_REQUEST, {})
    assert client_address(event) == event["requestContext"]["http"]["sourceIp"]
    event["headers"]["cloudfront-viewer-address"] = "2001:db8::7:46532"
    assert client_address(event) == "2001:db8::7"
    event["headers"]["cloudfront-viewer-address"] = "198.51.100.4:1234"
    assert client_address(event) == "198.51.100.4"
    local = build_event("POST", "/api/x", {"CloudFront-Viewer-Address": "1.2.3.4:5"}, b"", "::1")
    assert client_address(local) == "::1"


def test_challenges_are_signed_with_a_key_of_their_own(limited):
    assert abuse._key(limited, "altcha") not in (limited.token_key, abuse._key(limited, "counters"))
