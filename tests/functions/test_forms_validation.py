"""Validation as a function: structured errors, normalised values, no HTTP involved."""

from __future__ import annotations

import pytest
from forms.ports import PACK_ORDER, WELCOMER_REQUEST
from forms.validation import FieldError, ValidationFailed, validate
from formskit import NOW, sample_fields


def valid(catalogue, form=WELCOMER_REQUEST, **changes):
    return validate(form, {**sample_fields(form), **changes}, catalogue, NOW)


def errors(catalogue, form=WELCOMER_REQUEST, **changes) -> list[FieldError]:
    with pytest.raises(ValidationFailed) as failed:
        valid(catalogue, form, **changes)
    return failed.value.errors


def test_errors_name_the_field_the_rule_and_a_french_message(catalogue):
    assert errors(catalogue, PACK_ORDER, quantity=0, siret="7328293200007") == [
        FieldError("siret", "siret", "Le SIRET compte 14 chiffres."),
        FieldError("quantity", "range", "Indiquez un nombre entre 1 et 50."),
    ]


def test_the_maximum_quantity_comes_from_the_territory(catalogue):
    assert valid(catalogue, PACK_ORDER, quantity=50).fields["quantity"] == 50
    assert errors(catalogue, PACK_ORDER, quantity=51)[0].rule == "range"


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("4, 9", "4, 9"), ("4 ans et 9 ans", "4, 9"), ("4;9", "4, 9"), (" 12 ", "12")],
)
def test_children_ages_are_normalised(catalogue, typed, stored):
    assert valid(catalogue, children_ages=typed).fields["children_ages"] == stored


def test_text_is_trimmed_and_nfc_normalised(catalogue):
    decomposed = "He\u0301le\u0300ne"  # "Hélène" typed with combining accents
    assert valid(catalogue, first_name=f"  {decomposed} ").fields["first_name"] == "Hélène"


def test_a_single_interest_from_a_form_becomes_a_list_without_repeats(catalogue):
    assert valid(catalogue, interests="sport").fields["interests"] == ["sport"]
    assert valid(catalogue, interests=["sport", "sport"]).fields["interests"] == ["sport"]


def test_buyer_kind_is_matched_regardless_of_case_and_stored_as_in_the_yaml(catalogue):
    assert (
        valid(catalogue, PACK_ORDER, organisation_kind="epci").fields["organisation_kind"] == "EPCI"
    )


def test_the_honeypot_and_timer_are_not_kept_in_the_fields(catalogue):
    result = valid(catalogue, website="x", started_at=str(int(NOW.timestamp() * 1000)))
    assert result.spam == "honeypot"
    assert "website" not in result.fields and "started_at" not in result.fields


def test_optional_fields_left_blank_are_simply_absent(catalogue):
    result = valid(catalogue, phone="", arrival="  ", interests=[], placement="")
    assert not {"phone", "arrival", "interests", "placement"} & set(result.fields)
