"""« Devenir welcomer »: the application form, its staff e-mail and the ready YAML entry."""

from __future__ import annotations

import pytest
import yaml
from forms.emails import ACKNOWLEDGEMENT, NOTIFY, compose
from forms.ports import WELCOMER_APPLICATION
from forms.welcomer_applications import suggested_id, yaml_entry
from formskit import MAIL_FROM, call, form_event, json_event, sample_fields
from territories.fields import FileContext, Where
from territories.schema import WELCOMER

A = WELCOMER_APPLICATION


def apply(app, **changes):
    fields = {**sample_fields(A), **changes}
    return call(app, A, json_event(A, {k: v for k, v in fields.items() if v is not None}))


def test_an_application_is_stored_like_a_submission(forms_app, sqlite_store, stored_events):
    status, _, body = apply(forms_app)
    assert status == 202 and body["status"] == "received"
    stored = sqlite_store.get(body["id"])
    assert stored.form == A and stored.fields["siret"] == "32347969198230"
    assert stored.fields["topics"] == ["écoles", "musique"] and stored.fields["languages"] == [
        "fr",
        "es",
    ]
    assert stored.fields["phone"] == "+33698765432"
    assert (stored.expires_at.year - stored.received_at.year) == 2  # retention: two years
    assert stored_events == [stored]


def test_a_form_post_lands_on_the_thank_you_page(forms_app):
    fields = {**sample_fields(A)}
    status, headers, _ = call(forms_app, A, form_event(A, fields))
    assert status == 303 and headers["location"] == "/loir-et-cher/devenir-welcomer/merci/"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"siret": "32347969198231"}, "siret"),
        ({"siret": None}, "siret"),
        ({"phone": None}, "phone"),
        ({"commune": None}, "commune"),
        ({"topics": []}, "topics"),
        ({"languages": ["fr", "xx"]}, "languages"),
        ({"languages": ["français"]}, "languages"),
        ({"topics": ["t"] * 3 + [f"sujet {n}" for n in range(10)]}, "topics"),
        ({"availability": "x" * 201}, "availability"),
    ],
)
def test_bad_applications_are_refused_with_the_field_named(forms_app, sqlite_store, changes, field):
    status, _, body = apply(forms_app, **changes)
    assert status == 422 and field in body["errors"]
    assert sqlite_store.all() == []


def test_the_staff_e_mail_carries_a_territory_yaml_entry_the_build_accepts(forms_app, sqlite_store):
    _, _, body = apply(forms_app, first_name="Sophie")  # an id the territory already uses
    stored = sqlite_store.get(body["id"])
    territory = forms_app.catalogue.get("loir-et-cher")
    entry = yaml_entry(stored, territory)
    item = yaml.safe_load(entry)[0]
    assert item["id"] == "sophie-2" and item["siret"] == "32347969198230"
    errors = []
    WELCOMER.check(item, Where(FileContext("territory.yaml", territory_dir(), errors), "", 1))
    assert errors == []
    messages = compose(stored, territory, MAIL_FROM, operator_email="ops@territoires.example")
    notify = messages[NOTIFY].get_body(("plain",)).get_content()
    assert entry in notify and "Candidature de welcomer" in messages[NOTIFY]["Subject"]
    # Read by a person above the entry: languages by name, the SIRET in its groups.
    plain = notify.replace("\u00a0", " ").replace("\u202f", " ")
    assert "Langues : français, espagnol" in plain and "SIRET : 323 479 691 98230" in plain
    recipients = {a.addr_spec for a in messages[NOTIFY]["To"].addresses}
    assert "ops@territoires.example" in recipients and set(territory.notify) <= recipients
    assert "candidature" in messages[ACKNOWLEDGEMENT].get_body(("plain",)).get_content()


def test_suggested_ids_are_slugs_unique_in_the_territory(catalogue):
    territory = catalogue.get("loir-et-cher")
    assert suggested_id("Élodie-Anne", territory) == "elodie-anne"
    assert suggested_id("Karim", territory) == "karim-2"
    assert suggested_id("李", territory) == "welcomer"


def territory_dir():
    from formskit import ROOT

    return ROOT / "territories" / "loir-et-cher"
