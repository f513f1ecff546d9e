"""Both forms as a person fills them, with JavaScript on and off, through the real local server."""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from email import message_from_bytes
from email.policy import default

import pytest
from test_browser_pages import violations

from tools.local_site import wait_until

pytestmark = pytest.mark.browser
JS = {"js": True, "nojs": False}
# forms.js stamps started_at when the page loads; the server takes a form sent within 3 s for
# spam. The browser's clock starts this far back: the person took that long to fill the form.
FILLING_TIME = dt.timedelta(seconds=20)
CORRECTION = re.compile(r".*/api/(welcomer-request|pack-order)/correction\?t=.+")


def unique_email(name: str) -> str:
    """An address no other test uses, to find this test's submission in the shared store."""
    return f"{name}.{uuid.uuid4().hex[:8]}@example.org"


def open_form(new_context, url: str, js: bool):
    """A fresh page at `url`, JavaScript on or off; its clock started FILLING_TIME ago."""
    page = new_context(java_script_enabled=js).new_page()
    if js:
        page.clock.install(time=dt.datetime.now(dt.UTC) - FILLING_TIME)
    page.goto(url)
    return page


def type_into(page, label: str, text: str) -> None:
    """Focus the field named by its label and type, key by key, as a person does."""
    page.get_by_label(label, exact=True).focus()
    page.keyboard.type(text)


def tick(page, label: str) -> None:
    page.get_by_label(label).focus()
    page.keyboard.press("Space")


def submit(page, name: str) -> None:
    """Press Enter on the submit button (the correction page's says the same)."""
    page.get_by_role("button", name=name, exact=True).focus()
    page.keyboard.press("Enter")


WELCOMER = {
    "Prénom (obligatoire)": "Claire",
    "Nom (obligatoire)": "Martin",
    "Profession (obligatoire)": "infirmière",
    "Téléphone": "06 12 34 56 78",
    "Âges des enfants": "4, 9",
    "Votre message": "Nous arrivons avec un chien.",
}
PACK = {
    "Nom de la collectivité (obligatoire)": "Commune de Gien",
    "Numéro SIRET (obligatoire)": "73282932000074",
    "Adresse de livraison (obligatoire)": "Place de l'Hôtel de Ville",
    "Code postal (obligatoire)": "45500",
    "Commune (obligatoire)": "Gien",
    "Prénom (obligatoire)": "Jean",
    "Nom (obligatoire)": "Dupont",
    "Nombre de coffrets (obligatoire)": "3",
}


def fill_welcomer(page, email: str) -> None:
    for label, text in WELCOMER.items():
        type_into(page, label, text)
    type_into(page, "Adresse e-mail (obligatoire)", email)
    tick(page, "Écoles")
    tick(page, "J'accepte que")


def fill_pack(page, email: str) -> None:
    for label, text in PACK.items():
        type_into(page, label, text)
    page.get_by_label("Type de collectivité (obligatoire)").select_option(index=1)
    type_into(page, "Adresse e-mail (obligatoire)", email)
    tick(page, "J'accepte que")


def mailed(store, submission_id: str) -> dict:
    """The e-mails of a submission in the outbox, by kind, once both are written."""
    assert wait_until(lambda: len(store.emails(submission_id)) == 2), "e-mails not written"
    messages = {}
    for path in store.emails(submission_id):
        kind = "notify" if "-notify-" in path.name else "acknowledgement"
        messages[kind] = message_from_bytes(path.read_bytes(), policy=default)
    return messages


@pytest.mark.parametrize("js", JS.values(), ids=JS.keys())
def test_a_welcomer_request_reaches_the_store_and_the_outbox(new_context, store, js):
    email = unique_email("claire")
    page = open_form(new_context, "/loiret/offres/stage-kine-gien/", js)
    fill_welcomer(page, email)
    submit(page, "Envoyer ma demande")
    page.wait_for_url("**/loiret/welcomers/merci/")
    assert (
        page.get_by_role("heading", level=1).inner_text() == "Merci, votre demande est bien reçue"
    )

    submission = store.find(email)
    fields = json.loads(submission["fields"])
    assert (submission["form"], submission["territory"]) == ("welcomer-request", "loiret")
    assert fields["placement"] == "stage-kine-gien" and fields["interests"] == ["écoles"]
    assert fields["phone"] == "+33612345678"
    emails = mailed(store, submission["id"])
    assert emails["notify"]["Subject"] == "[Loiret] Demande de welcomer — Claire Martin"
    assert emails["notify"]["Reply-To"].addresses[0].addr_spec == email
    assert emails["acknowledgement"]["To"].addresses[0].addr_spec == email


@pytest.mark.parametrize("js", JS.values(), ids=JS.keys())
def test_a_pack_order_reaches_the_store_and_the_outbox_with_its_price(new_context, store, js):
    email = unique_email("jean")
    page = open_form(new_context, "/loiret/pack/", js)
    fill_pack(page, email)
    submit(page, "Commander")
    page.wait_for_url("**/loiret/pack/merci/")
    assert (
        page.get_by_role("heading", level=1).inner_text() == "Merci, votre commande est bien reçue"
    )

    submission = store.find(email)
    assert (submission["form"], submission["territory"]) == ("pack-order", "loiret")
    assert json.loads(submission["fields"])["quantity"] == 3
    assert json.loads(submission["pricing"])["total_eur"]
    emails = mailed(store, submission["id"])
    assert emails["notify"]["Subject"] == "[Loiret] Commande de coffrets — Jean Dupont"
    assert emails["acknowledgement"]["To"].addresses[0].addr_spec == email


def errors_shown(page, form: str) -> dict[str, str]:
    """Field name → the error message shown inside that field's own block."""
    blocks = page.locator(f"div.field[id^='field-{form}-']")
    shown = {}
    for i in range(blocks.count()):
        block = blocks.nth(i)
        if text := block.locator(".field-error").inner_text().strip():
            shown[block.get_attribute("id").removeprefix(f"field-{form}-")] = text
    return shown


def invalid_fields(page, form: str) -> set[str]:
    controls = page.locator(f"[id^='{form}-'][aria-invalid='true']")
    return {
        controls.nth(i).get_attribute("id").removeprefix(f"{form}-")
        for i in range(controls.count())
    }


@pytest.mark.parametrize("js", JS.values(), ids=JS.keys())
def test_every_error_of_a_welcomer_request_shows_at_once_beside_its_field(new_context, store, js):
    email = "claire.martin@"  # no domain
    page = open_form(new_context, "/loiret/welcomers/", js)
    for label in ("Prénom (obligatoire)", "Profession (obligatoire)"):
        type_into(page, label, WELCOMER[label])
    type_into(page, "Adresse e-mail (obligatoire)", email)
    type_into(page, "Âges des enfants", "4, quarante")
    submit(page, "Envoyer ma demande")  # no last name, no consent

    if not js:
        page.wait_for_url(CORRECTION)
    page.locator(".form-errors").wait_for()
    expected = {"last_name", "email", "children_ages", "consent"}
    assert set(errors_shown(page, "welcomer")) == expected
    assert invalid_fields(page, "welcomer") == expected
    assert page.get_by_label("Adresse e-mail (obligatoire)").input_value() == email
    assert page.get_by_label("Prénom (obligatoire)", exact=True).input_value() == "Claire"
    assert page.get_by_label("Âges des enfants").input_value() == "4, quarante"
    assert page.locator(".form-errors li").count() == len(expected)
    if js:  # axe is a script: the correction page, served without JavaScript, has its own test
        assert violations(page) == []
    assert store.find(email) is None and not any(
        "quarante" in s["fields"] for s in store.submissions()
    )


@pytest.mark.parametrize("js", JS.values(), ids=JS.keys())
def test_every_error_of_a_pack_order_shows_at_once_and_can_then_be_corrected(
    new_context, store, js
):
    email = unique_email("jean")
    page = open_form(new_context, "/loiret/pack/", js)
    fill_pack(page, email)
    siret = page.get_by_label("Numéro SIRET (obligatoire)")
    siret.fill("")  # then a SIRET with a wrong checksum and a quantity over the maximum
    type_into(page, "Numéro SIRET (obligatoire)", "73282932000075")
    page.get_by_label("Nombre de coffrets (obligatoire)").fill("")
    type_into(page, "Nombre de coffrets (obligatoire)", "9999")
    submit(page, "Commander")

    if not js:
        page.wait_for_url(CORRECTION)
    page.locator(".form-errors").wait_for()
    assert set(errors_shown(page, "pack")) == {"siret", "quantity"}
    assert page.get_by_label("Commune (obligatoire)", exact=True).input_value() == "Gien"
    assert page.get_by_label("Code postal (obligatoire)").input_value() == "45500"
    assert store.find(email) is None

    page.get_by_label("Numéro SIRET (obligatoire)").fill("73282932000074")
    page.get_by_label("Nombre de coffrets (obligatoire)").fill("2")
    if not js and not page.get_by_label("J'accepte que").is_checked():
        tick(page, "J'accepte que")
    submit(page, "Commander")
    page.wait_for_url("**/loiret/pack/merci/")
    assert json.loads(store.find(email)["fields"])["quantity"] == 2


@pytest.mark.parametrize("width", [390, 1280])
def test_the_correction_page_has_no_wcag_violation(new_context, width):
    form = open_form(new_context, "/loir-et-cher/welcomers/", js=False)
    type_into(form, "Adresse e-mail (obligatoire)", "pas-une-adresse")
    submit(form, "Envoyer ma demande")
    form.wait_for_url(CORRECTION)
    page = new_context(viewport={"width": width, "height": 900}).new_page()
    page.goto(form.url)  # axe runs as a script: the same page, in a context with JavaScript
    assert page.locator(".field-error").filter(has_text="adresse").count() >= 1
    assert violations(page) == []


def test_a_form_sent_within_three_seconds_of_loading_is_kept_apart_as_spam(new_context, store):
    email = unique_email("bot")
    page = new_context().new_page()
    page.goto("/loiret/welcomers/")
    for label, text in WELCOMER.items():
        page.get_by_label(label, exact=True).fill(text)
    page.get_by_label("Adresse e-mail (obligatoire)").fill(email)
    page.get_by_label("J'accepte que").check()
    page.get_by_role("button", name="Envoyer ma demande").click()
    page.wait_for_url("**/loiret/welcomers/merci/")  # a bot learns nothing
    assert store.find(email)["email_status"] == "spam"
    assert store.emails(store.find(email)["id"]) == []
