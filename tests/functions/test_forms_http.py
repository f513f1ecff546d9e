"""The forms API as a client sees it: forms.http.handle on API Gateway v2 events."""

from __future__ import annotations

import base64
import datetime as dt
import json
import re

import pytest
from forms.ports import EMAIL_PENDING, EMAIL_SPAM, PACK_ORDER, WELCOMER_REQUEST, StoreUnavailable
from formskit import (
    NOW,
    call,
    event,
    form_event,
    json_event,
    load_event,
    sample_fields,
)

ID = re.compile(r"[0-9]{8}T[0-9]{6}Z-[0-9a-f]{8}")
REMOVE = object()
FORM_TYPE = "application/x-www-form-urlencoded"


def changed(form: str, **changes) -> dict:
    """The sample fields of `form` with `changes` applied (REMOVE deletes a field)."""
    fields = sample_fields(form)
    for name, value in changes.items():
        if value is REMOVE:
            fields.pop(name, None)
        else:
            fields[name] = value
    return fields


def json_with(form: str, **changes) -> dict:
    return json_event(form, changed(form, **changes))


def raw_json(form: str, text: str) -> dict:
    return event(form, text)


W, P = WELCOMER_REQUEST, PACK_ORDER
SAMPLE = json.dumps(sample_fields(W), ensure_ascii=False)

# (form, request, expected status, field the error is reported on)
BAD_INPUT = {
    # The body itself cannot be read.
    "body over 32 KB": (W, lambda: json_with(W, message="x" * 33_000), 413, "body"),
    "text/plain": (W, lambda: event(W, SAMPLE, "text/plain"), 415, "body"),
    "no content type": (W, lambda: event(W, SAMPLE, None), 415, "body"),
    "multipart": (W, lambda: event(W, SAMPLE, "multipart/form-data; boundary=x"), 415, "body"),
    "latin-1 charset": (
        W,
        lambda: event(W, SAMPLE, "application/json; charset=latin-1"),
        415,
        "body",
    ),
    "malformed JSON": (W, lambda: raw_json(W, SAMPLE[:-1]), 400, "body"),
    "NaN": (P, lambda: raw_json(P, '{"territory": "loiret", "quantity": NaN}'), 400, "body"),
    "Infinity": (
        P,
        lambda: raw_json(P, '{"territory": "loiret", "quantity": Infinity}'),
        400,
        "body",
    ),
    "duplicate keys": (
        W,
        lambda: raw_json(W, '{"email": "a@example.org", "email": "b@example.org"}'),
        400,
        "body",
    ),
    "top-level list": (W, lambda: raw_json(W, "[" + SAMPLE + "]"), 400, "body"),
    "bad UTF-8": (
        W,
        lambda: event(W, SAMPLE.encode().replace(b"Claire", b"Cl\xe9ire"), encode=True),
        400,
        "body",
    ),
    "deep nesting": (
        W,
        lambda: raw_json(W, '{"interests": ' + "[" * 5000 + "]" * 5000 + "}"),
        400,
        "body",
    ),
    "bad base64": (
        W,
        lambda: {**json_with(W), "body": "%%%not base64", "isBase64Encoded": True},
        400,
        "body",
    ),
    "repeated form field": (
        W,
        lambda: form_event(W, [("first_name", "Claire"), ("first_name", "Marc")]),
        400,
        "first_name",
    ),
    "bad UTF-8 in form": (
        W,
        lambda: event(W, "territory=loiret&first_name=Cl%E9ire", FORM_TYPE),
        400,
        "body",
    ),
    "bad idempotency key": (
        W,
        lambda: json_event(W, sample_fields(W), {"idempotency-key": "clé avec espaces"}),
        400,
        "idempotency_key",
    ),
    # The fields are read but refused.
    "unknown field": (W, lambda: json_with(W, admin=True), 422, "admin"),
    "unknown territory": (W, lambda: json_with(W, territory="atlantide"), 422, "territory"),
    "pack for a territory without pack": (
        P,
        lambda: json_with(P, territory="sans-coffret"),
        422,
        "territory",
    ),
    "missing first name": (W, lambda: json_with(W, first_name=REMOVE), 422, "first_name"),
    "blank profession": (W, lambda: json_with(W, profession="   "), 422, "profession"),
    "name not a string": (W, lambda: json_with(W, first_name=["Claire"]), 422, "first_name"),
    "name too long": (W, lambda: json_with(W, last_name="Martin" * 20), 422, "last_name"),
    "CR/LF in a name": (
        W,
        lambda: json_with(W, last_name="Martin\r\nBcc: evil@example.com"),
        422,
        "last_name",
    ),
    "encoded word in a name": (
        W,
        lambda: json_with(W, last_name="=?UTF-8?Q?=0A?=Bcc: evil@example.com"),
        422,
        "last_name",
    ),
    "lone surrogate": (
        W,
        lambda: raw_json(W, SAMPLE.replace('"Martin"', '"Mar\\ud800tin"')),
        422,
        "last_name",
    ),
    "control character": (P, lambda: json_with(P, city="Pithi\x07viers"), 422, "city"),
    "invalid e-mail": (W, lambda: json_with(W, email="claire.martin@@example"), 422, "email"),
    "encoded word in e-mail": (
        W,
        lambda: json_with(W, email="=?utf-8?q?x?=@example.org"),
        422,
        "email",
    ),
    "foreign phone": (W, lambda: json_with(W, phone="+44 20 7946 0958"), 422, "phone"),
    "fullwidth phone digits": (W, lambda: json_with(W, phone="０６１２３４５６７８"), 422, "phone"),
    "short postal code": (P, lambda: json_with(P, postal_code="4530"), 422, "postal_code"),
    "postal code 00xxx": (P, lambda: json_with(P, postal_code="00100"), 422, "postal_code"),
    "Arabic-Indic postal code": (P, lambda: json_with(P, postal_code="٤٥٣٠٠"), 422, "postal_code"),
    "past arrival": (W, lambda: json_with(W, arrival="2026-10"), 422, "arrival"),
    "month 13": (W, lambda: json_with(W, arrival="2027-13"), 422, "arrival"),
    "arrival as a date": (W, lambda: json_with(W, arrival="2027-09-01"), 422, "arrival"),
    "SIRET checksum": (P, lambda: json_with(P, siret="73282932000075"), 422, "siret"),
    "SIRET all zeros": (P, lambda: json_with(P, siret="00000000000000"), 422, "siret"),
    "SIRET 13 digits": (P, lambda: json_with(P, siret="7328293200007"), 422, "siret"),
    "SIRET fullwidth digits": (
        P,
        lambda: json_with(P, siret="７３２８２９３２００００７４"),
        422,
        "siret",
    ),
    "quantity true": (P, lambda: json_with(P, quantity=True), 422, "quantity"),
    "quantity float": (P, lambda: json_with(P, quantity=2.0), 422, "quantity"),
    "quantity zero": (P, lambda: json_with(P, quantity=0), 422, "quantity"),
    "quantity over the maximum": (P, lambda: json_with(P, quantity=51), 422, "quantity"),
    "quantity in Arabic-Indic digits": (
        P,
        lambda: form_event(P, changed(P, quantity="١٠")),
        303,
        "quantity",
    ),
    "buyer kind not offered": (
        P,
        lambda: json_with(P, organisation_kind="particulier"),
        422,
        "organisation_kind",
    ),
    "unknown placement": (
        W,
        lambda: json_with(W, placement="chirurgien-a-paris"),
        422,
        "placement",
    ),
    "interest not offered": (W, lambda: json_with(W, interests=["casino"]), 422, "interests"),
    "interests not a list": (W, lambda: json_with(W, interests={"écoles": True}), 422, "interests"),
    "consent false": (W, lambda: json_with(W, consent=False), 422, "consent"),
    "consent as a string in JSON": (W, lambda: json_with(W, consent="yes"), 422, "consent"),
    "message too long": (W, lambda: json_with(W, message="é" * 4001), 422, "message"),
    "children ages in words": (
        W,
        lambda: json_with(W, children_ages="quatre et neuf"),
        422,
        "children_ages",
    ),
    "started_at not a number": (W, lambda: json_with(W, started_at="hier"), 422, "started_at"),
}


@pytest.mark.parametrize("case", BAD_INPUT, ids=list(BAD_INPUT))
def test_bad_input_is_refused_and_nothing_is_stored_or_sent(
    case, forms_app, sqlite_store, stored_events
):
    form, build, status, field = BAD_INPUT[case]
    request = build()
    got, headers, body = call(forms_app, form, request)
    assert got == status
    if status == 303:  # form-encoded: the errors travel to the correction page
        assert "/correction?t=" in headers["location"]
    elif headers["content-type"].startswith("text/html"):  # a plain form posted by a browser
        assert 'class="form-errors"' in body
    else:
        assert field in body["errors"]
        assert all(isinstance(m, str) and m for m in body["errors"].values())
    assert sqlite_store.all() == []
    assert stored_events == []


def test_error_messages_never_echo_the_value_a_class_name_or_a_trace(forms_app):
    hostile = "<script>alert(1)</script>"
    _, _, body = call(forms_app, W, json_with(W, first_name=hostile, email=hostile, phone=hostile))
    text = json.dumps(body, ensure_ascii=False)
    assert set(body["errors"]) == {"first_name", "email", "phone"}
    assert "script" not in text
    assert not re.search(r"Error|Exception|Traceback|Invalid", text)


def test_every_error_is_reported_at_once(forms_app):
    status, _, body = call(
        forms_app, P, json_with(P, siret="1", quantity=0, postal_code="x", email="x")
    )
    assert status == 422
    assert {"siret", "quantity", "postal_code", "email"} <= set(body["errors"])


def test_welcomer_request_is_stored_normalised_and_handed_to_delivery(
    forms_app, sqlite_store, stored_events
):
    status, headers, body = call(forms_app, W, load_event("welcomer_request_json.json"))
    assert status == 202
    assert headers["content-type"].startswith("application/json")
    assert body == {"id": body["id"], "status": "received"}
    assert ID.fullmatch(body["id"])
    stored = sqlite_store.get(body["id"])
    assert stored.fields["phone"] == "+33612345678"
    assert stored.fields["interests"] == ["écoles", "sport"]
    assert stored.fields["consent"] is True
    assert "website" not in stored.fields and "started_at" not in stored.fields
    assert stored.email_status == EMAIL_PENDING
    assert stored.expires_at == NOW.replace(year=NOW.year + 3)
    assert [s.id for s in stored_events] == [body["id"]]


def test_pack_order_is_priced_from_the_territory_yaml(forms_app, sqlite_store):
    status, _, body = call(forms_app, P, load_event("pack_order_json.json"))
    assert status == 202
    # Loiret: 499 € less a 200 € subsidy = 299 € a pack; the sample orders 10.
    assert body["unit_price_eur"] == 299
    assert body["total_eur"] == 2990
    stored = sqlite_store.get(body["id"])
    assert stored.pricing["unit_price_eur"] == "299"
    assert stored.pricing["subsidy_by"] == "Département du Loiret"
    assert stored.expires_at == NOW.replace(year=NOW.year + 10)


def test_prices_with_cents_are_json_numbers_rounded_to_cents(forms_app):
    _, _, body = call(forms_app, P, json_with(P, territory="centimes", quantity=3))
    assert body["unit_price_eur"] == 39.5
    assert body["total_eur"] == 118.5


def test_form_encoded_welcomer_request_redirects_to_the_thank_you_page(forms_app, sqlite_store):
    status, headers, _ = call(forms_app, W, load_event("welcomer_request_form.json"))
    assert status == 303
    assert headers["location"] == "/loiret/welcomers/merci/"
    (stored,) = sqlite_store.all()
    assert stored.fields["interests"] == ["écoles", "sport"]
    assert stored.fields["consent"] is True


def test_form_encoded_pack_order_redirects_to_the_pack_thank_you_page(forms_app, sqlite_store):
    status, headers, _ = call(forms_app, P, load_event("pack_order_form.json"))
    assert status == 303
    assert headers["location"] == "/loiret/pack/merci/"
    assert sqlite_store.all()[0].fields["quantity"] == 10


@pytest.mark.parametrize(
    ("phone", "normalised"),
    [("0692 12 34 56", "+262692123456"), ("+262 692 12 34 56", "+262692123456"),
     ("05.90.12.34.56", "+590590123456"), ("0033 6 12 34 56 78", "+33612345678")],
)  # fmt: skip
def test_french_phones_overseas_included_are_accepted(forms_app, sqlite_store, phone, normalised):
    status, _, body = call(forms_app, W, json_with(W, phone=phone))
    assert status == 202
    assert sqlite_store.get(body["id"]).fields["phone"] == normalised


@pytest.mark.parametrize("code", ["97400", "97150", "20000", "01000"])
def test_postal_codes_overseas_and_corsica_are_accepted(forms_app, code):
    assert call(forms_app, P, json_with(P, postal_code=code))[0] == 202


def test_la_poste_siret_is_accepted_despite_its_luhn_checksum(forms_app):
    # La Poste's establishments (SIREN 356 000 000) use a digit sum divisible by 5 instead.
    assert call(forms_app, P, json_with(P, siret="356 000 000 49837"))[0] == 202


def test_form_encoded_quantity_and_consent_on_are_accepted(forms_app, sqlite_store):
    fields = changed(P, quantity="3", consent="on")
    assert call(forms_app, P, form_event(P, fields))[0] == 303
    assert sqlite_store.all()[0].fields["quantity"] == 3


def test_a_retry_with_the_same_idempotency_key_returns_the_first_id(
    forms_app, sqlite_store, stored_events
):
    request = load_event("pack_order_json.json")
    first = call(forms_app, P, request)
    again = call(forms_app, P, request)
    assert first[0] == again[0] == 202
    assert again[2] == first[2]
    assert len(sqlite_store.all()) == 1
    assert len(stored_events) == 1


def test_a_new_idempotency_key_is_a_new_submission(forms_app, sqlite_store):
    for key in ("key-1", "key-2"):
        call(forms_app, W, json_event(W, sample_fields(W), {"idempotency-key": key}))
    assert len(sqlite_store.all()) == 2


@pytest.mark.parametrize("spam", ["honeypot", "too fast"])
def test_spam_gets_the_same_answer_is_kept_apart_and_never_mailed(
    forms_app, sqlite_store, stored_events, spam
):
    if spam == "honeypot":
        fields = changed(W, website="https://casino.example")
    else:
        fields = changed(W, started_at=int(NOW.timestamp() * 1000) - 1500)
    status, _, body = call(forms_app, W, json_event(W, fields))
    assert status == 202 and set(body) == {"id", "status"}
    assert sqlite_store.get(body["id"]).email_status == EMAIL_SPAM
    assert stored_events == []
    assert call(forms_app, W, form_event(W, fields))[1]["location"] == "/loiret/welcomers/merci/"


@pytest.mark.parametrize("delay_ms", [3500, -60_000], ids=["slow enough", "client clock ahead"])
def test_a_person_taking_their_time_is_not_spam(forms_app, sqlite_store, delay_ms):
    started = int(NOW.timestamp() * 1000) - delay_ms
    _, _, body = call(forms_app, W, json_with(W, started_at=started))
    assert sqlite_store.get(body["id"]).email_status == EMAIL_PENDING


class BrokenStore:
    def add(self, submission, jobs=()):
        raise StoreUnavailable("disk full")

    def hit(self, key, expires_at, weight=1):
        raise StoreUnavailable("disk full")


def test_a_store_failure_answers_503_and_nothing_is_mailed(forms_app, stored_events):
    forms_app.store = BrokenStore()
    status, headers, body = call(forms_app, W, load_event("welcomer_request_json.json"))
    assert status == 503
    assert headers["retry-after"] == "60"
    assert "body" in body["errors"] and "disk" not in json.dumps(body)
    assert stored_events == []
    html = call(forms_app, W, load_event("welcomer_request_form.json"))
    assert html[0] == 503 and html[1]["content-type"].startswith("text/html")


def test_other_methods_are_refused(forms_app):
    request = load_event("welcomer_request_json.json")
    request["requestContext"]["http"]["method"] = "PUT"
    status, headers, _ = call(forms_app, W, request)
    assert status == 405 and headers["allow"] == "POST"


def test_a_plain_body_and_a_base64_body_are_read_alike(forms_app, sqlite_store):
    request = load_event("welcomer_request_json.json")
    request["body"] = base64.b64encode(request["body"].encode()).decode()
    request["isBase64Encoded"] = True
    assert call(forms_app, W, request)[0] == 202


def test_the_clock_decides_which_months_are_past(forms_app, clock):
    clock.now = dt.datetime(2029, 10, 1, tzinfo=dt.UTC)
    status, _, body = call(
        forms_app, W, load_event("welcomer_request_json.json")
    )  # arrival 2029-09
    assert status == 422 and "arrival" in body["errors"]


class BuggyStore:
    def add(self, submission, jobs=()):
        raise RuntimeError("bug with a secret inside")

    def hit(self, key, expires_at, weight=1):
        return 1


def test_an_unexpected_error_is_a_plain_500_without_trace(forms_app, caplog):
    forms_app.store = BuggyStore()
    status, _, body = call(forms_app, W, load_event("welcomer_request_json.json"))
    assert status == 500
    assert list(body["errors"]) == ["body"]
    assert "secret" not in json.dumps(body) and "RuntimeError" not in json.dumps(body)
    assert "RuntimeError" in caplog.text  # operators get the trace, in the logs only
