"""The two forms carry every field of the contract, labelled, in the markup the API shares."""

from __future__ import annotations

import pytest
from sitekit import TODAY
from territories.catalogue import interests_of
from territories.loader import load_territories

# CONTRACT section 3: (name, required).
WELCOMER_FIELDS = {
    "first_name": True, "last_name": True, "email": True, "profession": True, "consent": True,
    "phone": False, "placement": False, "arrival": False, "partner_occupation": False,
    "children_ages": False, "interests": False, "message": False,
}  # fmt: skip
PACK_FIELDS = {
    "organisation": True, "organisation_kind": True, "siret": True, "first_name": True,
    "last_name": True, "email": True, "street": True, "postal_code": True, "city": True,
    "quantity": True, "consent": True, "phone": False, "purchase_order": False, "message": False,
}  # fmt: skip


@pytest.fixture(scope="module")
def loiret(territories_dir):
    (territory,) = load_territories(territories_dir, only="loiret")
    return territory


def form_on(site, url, api):
    form = site.page(url).find("form", action=f"/api/{api}")
    assert form is not None, url
    return form


def assert_field_markup(form, prefix, fields):
    for name, required in fields.items():
        box = form.by_id(f"field-{prefix}-{name}")
        assert box is not None and "field" in box.attrs["class"].split(), name
        control = form.by_id(f"{prefix}-{name}")
        error = form.by_id(f"{prefix}-{name}-error")
        assert error.attrs["class"] == "field-error" and error.text() == "", name
        assert f"{prefix}-{name}-error" in control.attrs["aria-describedby"].split(), name
        if control.tag == "fieldset":
            assert control.find("legend").text(), name
            assert all(c.attrs["name"] == name for c in control.find_all("input")), name
            continue
        assert control.attrs["name"] == name
        label = form.find("label", for_=f"{prefix}-{name}")
        assert label is not None and label.text(), name
        assert ("(obligatoire)" in label.text()) == required, name
        assert ("required" in control.attrs) == required, name
        hint = form.by_id(f"{prefix}-{name}-hint")
        if hint:
            assert f"{prefix}-{name}-hint" in control.attrs["aria-describedby"].split()


def assert_common_parts(site, form, prefix, slug):
    assert form.attrs["method"] == "post" and "enctype" not in form.attrs
    assert site.file(form.attrs["data-thanks"]).exists()
    assert form.find("input", type="hidden", name="territory").attrs["value"] == slug
    assert form.find("input", name="started_at").attrs["value"] == ""
    summary = form.find("div", class_="form-errors")
    assert summary.attrs["role"] == "alert" and summary.attrs["tabindex"] == "-1"
    assert "hidden" in summary.attrs
    trap = form.find("input", name="website")
    assert trap.attrs["tabindex"] == "-1" and trap.attrs["autocomplete"] == "off"
    assert form.by_id(f"{prefix}-website").parent.attrs["aria-hidden"] == "true"
    assert form.find("label", for_=f"{prefix}-website").text() == "Ne pas remplir"
    consent = form.by_id(f"{prefix}-consent")
    assert (consent.attrs["type"], consent.attrs["value"]) == ("checkbox", "true")
    assert form.find("a", href="/confidentialite/")


def test_the_welcomer_request_form_has_every_contract_field(site, loiret):
    form = form_on(site, "/loiret/welcomers/", "welcomer-request")
    assert_field_markup(form, "welcomer", WELCOMER_FIELDS)
    assert_common_parts(site, form, "welcomer", "loiret")
    types = {
        n: form.by_id(f"welcomer-{n}").attrs.get("type") for n in ("email", "phone", "arrival")
    }
    assert types == {"email": "email", "phone": "tel", "arrival": "month"}
    assert form.by_id("welcomer-email").attrs["autocomplete"] == "email"
    assert "ex. 4, 9" in form.by_id("welcomer-children_ages-hint").text()
    boxes = form.by_id("welcomer-interests").find_all("input", type="checkbox")
    assert [b.attrs["value"] for b in boxes] == interests_of(loiret)
    # Labels the form does not offer are kept (CONTRACT 3.1): one may be typed, without JS too.
    other = form.by_id("welcomer-interests-other")
    assert (other.attrs["name"], other.attrs["maxlength"]) == ("interests", "80")


def test_the_placement_choice_offers_every_open_placement_or_none(site, loiret):
    select = form_on(site, "/loiret/welcomers/", "welcomer-request").by_id("welcomer-placement")
    options = select.find_all("option")
    assert options[0].attrs["value"] == "" and options[0].text() == "Aucune en particulier"
    assert [o.attrs["value"] for o in options[1:]] == [p.id for p in loiret.open_placements(TODAY)]
    assert not [o for o in options if "selected" in o.attrs]


def test_each_placement_page_embeds_the_request_form_naming_that_placement(site, loiret):
    others = {name: req for name, req in WELCOMER_FIELDS.items() if name != "placement"}
    for p in loiret.open_placements(TODAY):
        page = site.page(f"/loiret/offres/{p.id}/")
        assert "Être contacté(e) au sujet de cette offre" in page.text()
        form = page.find("form", action="/api/welcomer-request")
        assert_field_markup(form, "welcomer", others)
        assert form.find("select") is None  # not the territory's whole list of placements
        (sent,) = form.find_all("input", name="placement")
        assert (sent.attrs["type"], sent.attrs["value"]) == ("hidden", p.id)
        box = form.by_id("field-welcomer-placement")
        sentence = box.by_id("welcomer-placement")
        assert sentence.text() == f"Votre demande concerne l'offre : {p.title}"
        assert "welcomer-placement-error" in sentence.attrs["aria-describedby"].split()
        assert box.by_id("welcomer-placement-error").attrs["class"] == "field-error"


def test_the_pack_page_shows_price_subsidy_payer_and_net_price(site, loiret):
    text = site.page("/loiret/pack/").find("main").text()
    for expected in ("499", "200", "299", loiret.pack.subsidy_by, *loiret.pack.contents):
        assert expected in text


def test_the_pack_order_form_has_every_contract_field(site, loiret):
    form = form_on(site, "/loiret/pack/", "pack-order")
    assert_field_markup(form, "pack", PACK_FIELDS)
    assert_common_parts(site, form, "pack", "loiret")
    kinds = form.by_id("pack-organisation_kind").find_all("option")
    assert [o.attrs["value"] for o in kinds if o.attrs["value"]] == list(loiret.pack.buyers)
    quantity = form.by_id("pack-quantity").attrs
    assert (quantity["type"], quantity["min"], quantity["max"]) == (
        "number", "1", str(loiret.pack.max_quantity)
    )  # fmt: skip
    assert form.by_id("pack-siret").attrs["inputmode"] == "numeric"
    assert "14 chiffres" in form.by_id("pack-siret-hint").text()


def test_form_pages_load_the_enhancing_script_and_work_without_it(site):
    for url in ("/loiret/welcomers/", "/loiret/pack/", "/loiret/offres/stage-kine-gien/"):
        page = site.page(url)
        script = page.find("script", src=True)
        assert script.attrs["src"].startswith("/theme/js/forms.js") and "defer" in script.attrs
        assert page.find("button", type="submit")
