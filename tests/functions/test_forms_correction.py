"""The no-JavaScript path: invalid form posts land on a correction page sealed in a token."""

from __future__ import annotations

import base64
import copy
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from forms.ports import PACK_ORDER, WELCOMER_REQUEST
from forms.tokens import TOKEN_TTL_S, BadToken, seal, unseal
from formskit import call, form_event, load_event, sample_fields
from markupsafe import escape

W = WELCOMER_REQUEST


def invalid_post(app, **changes) -> str:
    """POST an invalid welcomer form; returns the correction URL it redirects to."""
    fields = {**sample_fields(W), **changes}
    status, headers, _ = call(app, W, form_event(W, fields))
    assert status == 303
    return headers["location"]


def get_correction(app, location: str, form: str = W) -> tuple[int, str]:
    """GET the correction page the way API Gateway delivers it."""
    request = copy.deepcopy(load_event("welcomer_request_correction_get.json"))
    url = urlsplit(location)
    request["rawPath"] = request["requestContext"]["http"]["path"] = url.path
    request["rawQueryString"] = url.query
    request["queryStringParameters"] = {k: v[0] for k, v in parse_qs(url.query).items()}
    status, _, body = call(app, form, request)
    return status, body


def test_an_invalid_form_post_redirects_to_the_correction_page_and_stores_nothing(
    forms_app, sqlite_store
):
    location = invalid_post(forms_app, email="claire.martin@", siret=None)
    assert location.startswith("/api/welcomer-request/correction?t=")
    assert sqlite_store.all() == []


def test_the_correction_page_shows_each_error_beside_its_field_and_keeps_what_was_typed(forms_app):
    location = invalid_post(forms_app, email="claire.martin@", phone="123", first_name="Claire")
    status, page = get_correction(forms_app, location)
    assert status == 200
    # Each error: a message slot tied to the control, the control marked invalid, a summary link.
    for name in ("email", "phone"):
        assert re.search(rf'<p class="field-error" id="welcomer-{name}-error">[^<]+</p>', page)
        control = re.search(rf'<input id="welcomer-{name}"[^>]*>', page).group(0)
        assert 'aria-invalid="true"' in control
        assert f'aria-describedby="welcomer-{name}-hint welcomer-{name}-error"' in control
        assert f'<a href="#welcomer-{name}">' in page
    assert '<div class="form-errors" role="alert"' in page
    # What was typed is back in the fields, the valid ones too.
    assert 'value="claire.martin@"' in page
    assert 'value="Claire"' in page
    assert re.search(
        r'<input id="welcomer-interests-\d+" name="interests" type="checkbox"'
        r' value="sport" checked>',
        page,
    )
    assert 'action="/api/welcomer-request"' in page
    assert 'href="/theme/css/site.css"' in page


@pytest.mark.parametrize(("form", "button"), [(W, "Envoyer ma demande"), (PACK_ORDER, "Commander")])
def test_the_correction_page_submit_button_says_what_the_site_form_says(forms_app, form, button):
    status, headers, _ = call(
        forms_app, form, form_event(form, {**sample_fields(form), "email": "x"})
    )
    assert status == 303
    status, page = get_correction(forms_app, headers["location"], form)
    assert status == 200
    assert re.findall(r'<button class="button" type="submit">([^<]*)</button>', page) == [button]


def test_what_was_typed_is_escaped_on_the_correction_page(forms_app):
    hostile = '"><script>alert(1)</script>'
    status, page = get_correction(forms_app, invalid_post(forms_app, message=hostile, email="x"))
    assert status == 200
    assert "<script>" not in page
    assert str(escape(hostile)) in page


def test_the_token_hides_what_was_typed(forms_app):
    location = invalid_post(forms_app, email="secret.address@", last_name="Confidentiel")
    token = parse_qs(urlsplit(location).query)["t"][0]
    raw = base64.urlsafe_b64decode(token + "==")
    assert b"Confidentiel" not in raw and b"secret.address" not in raw


def test_a_tampered_token_is_refused(forms_app):
    location = invalid_post(forms_app, email="x")
    token = parse_qs(urlsplit(location).query)["t"][0]
    forged = token[:40] + ("A" if token[40] != "A" else "B") + token[41:]
    status, page = get_correction(forms_app, f"/api/welcomer-request/correction?t={forged}")
    assert status == 400
    assert "expiré" in page


def test_a_token_expires_after_thirty_minutes(forms_app, clock):
    location = invalid_post(forms_app, email="x")
    clock.advance(seconds=TOKEN_TTL_S - 60)
    assert get_correction(forms_app, location)[0] == 200
    clock.advance(seconds=120)
    assert get_correction(forms_app, location)[0] == 400


def test_a_token_of_one_form_does_not_open_the_other(forms_app):
    location = invalid_post(forms_app, email="x")
    assert get_correction(forms_app, location, PACK_ORDER)[0] == 400


def test_seal_and_unseal_round_trip_and_a_wrong_key_fails(forms_app):
    payload = {"form": W, "values": {"first_name": "Élodie"}, "errors": {"email": "…"}}
    token = seal(forms_app.token_key, payload, 1_000_000)
    assert unseal(forms_app.token_key, token, 1_000_010) == payload
    with pytest.raises(BadToken):
        unseal(b"0" * 43 + b"=", token, 1_000_010)


def test_the_longest_accepted_message_still_fits_in_a_redirect_url(forms_app):
    location = invalid_post(forms_app, message="é" * 4000, email="x", partner_occupation="ü" * 120)
    assert len(location) < 8000  # well under browsers' and API Gateway's URL limits


def test_the_correction_page_posts_again_and_a_corrected_form_is_accepted(forms_app, sqlite_store):
    invalid_post(forms_app, email="x")
    status, headers, _ = call(forms_app, W, form_event(W, sample_fields(W)))
    assert status == 303 and headers["location"] == "/loiret/welcomers/merci/"
    assert len(sqlite_store.all()) == 1


def test_an_unknown_territory_is_shown_as_a_field_to_correct(forms_app):
    status, page = get_correction(forms_app, invalid_post(forms_app, territory="atlantide"))
    assert status == 200
    assert '<input id="welcomer-territory" name="territory" type="text" value="atlantide"' in page


def test_a_typed_interest_is_kept_checked_on_the_correction_page(forms_app):
    location = invalid_post(forms_app, email="pas-une-adresse", interests=["écoles", "musique"])
    status, page = get_correction(forms_app, location)
    assert status == 200
    checked = re.findall(r'name="interests" type="checkbox" value="([^"]+)" checked', page)
    assert checked == ["écoles", "musique"]
