"""The welcome service's pages as people use them, JavaScript on and off, through the real
local server: registering for an event (and cancelling from the e-mail's link), applying to
become a welcomer, and the staff's signed links."""

from __future__ import annotations

import contextlib
import json
import re
import sqlite3
from email import message_from_bytes
from email.policy import default

import pytest
from test_browser_forms import JS, errors_shown, open_form, submit, tick, type_into, unique_email
from test_browser_pages import violations

from tools.local_site import wait_until

pytestmark = pytest.mark.browser
JOB_DATING = "/loir-et-cher/evenements/job-dating-mai-2027/"
AFTERWORK = "/loir-et-cher/evenements/afterwork-juin-2027/"
CORRECTION = re.compile(r".*/api/event-registration/correction\?t=.+")


def registration(store, email: str) -> dict | None:
    with contextlib.closing(sqlite3.connect(store.var / "submissions.sqlite3")) as db:
        db.row_factory = sqlite3.Row
        row = db.execute("SELECT * FROM registrations WHERE email = ?", (email,)).fetchone()
        return dict(row) if row else None


def mail(store, record: str, kind: str):
    """The e-mail `<record>/<kind>` once the local worker has written it to the outbox."""
    found = lambda: [p for p in store.emails(record) if p.name.startswith(f"{record}-{kind}-")]  # noqa: E731
    assert wait_until(lambda: bool(found()), timeout=15), f"{record}/{kind} not written"
    return message_from_bytes(found()[0].read_bytes(), policy=default)


def link_in(message) -> str:
    text = message.get_body(("plain",)).get_content()
    return next(w for w in text.split() if "/api/action?t=" in w)


def fill_registration(page, email: str) -> None:
    type_into(page, "Prénom (obligatoire)", "Inès")
    type_into(page, "Nom (obligatoire)", "Lefèvre")
    type_into(page, "Adresse e-mail (obligatoire)", email)
    type_into(page, "Profession (obligatoire)", "sage-femme")
    tick(page, "J'accepte que")


@pytest.mark.parametrize(
    ("js", "slot"), [(True, "9 h 20 – 9 h 40"), (False, "9 h 40 – 10 h 00")], ids=JS.keys()
)
def test_a_job_dating_registration_takes_its_slot_and_mails_the_event(new_context, store, js, slot):
    email = unique_email("ines")
    page = open_form(new_context, JOB_DATING, js)
    fill_registration(page, email)
    tick(page, slot)
    submit(page, "M'inscrire")
    page.wait_for_url(f"**{JOB_DATING}merci/")
    assert (
        page.get_by_role("heading", level=1).inner_text()
        == "Merci, votre inscription est confirmée"
    )
    stored = registration(store, email)
    assert stored["status"] == "confirmed" and stored["slot"].startswith("2027-05-20T09:")
    confirmation = mail(store, stored["id"], "confirmed")
    assert any(p.get_filename() == "evenement.ics" for p in confirmation.iter_attachments())
    assert "Votre entretien" in confirmation.get_body(("plain",)).get_content()


@pytest.mark.parametrize("js", JS.values(), ids=JS.keys())
def test_a_registration_without_a_slot_is_told_to_choose_one(new_context, store, js):
    email = unique_email("sans-creneau")
    page = open_form(new_context, JOB_DATING, js)
    fill_registration(page, email)
    submit(page, "M'inscrire")
    if not js:
        page.wait_for_url(CORRECTION)
    page.locator(".form-errors").wait_for()
    assert set(errors_shown(page, "registration")) == {"slot"}
    assert page.get_by_label("Adresse e-mail (obligatoire)").input_value() == email
    assert registration(store, email) is None
    if js:
        assert violations(page) == []


def test_the_cancellation_link_asks_first_then_cancels_without_javascript(new_context, store):
    email = unique_email("annule")
    page = open_form(new_context, AFTERWORK, js=False)
    fill_registration(page, email)
    submit(page, "M'inscrire")
    page.wait_for_url(f"**{AFTERWORK}merci/")
    stored = registration(store, email)
    link = link_in(mail(store, stored["id"], "confirmed"))
    page.goto(link)
    assert page.get_by_role("heading", level=1).inner_text() == "Annuler votre inscription ?"
    assert registration(store, email)["status"] == "confirmed"  # opening it changed nothing
    submit(page, "Annuler mon inscription")
    page.get_by_text("votre inscription est annulée").wait_for()
    assert registration(store, email)["status"] == "cancelled"
    page.goto(link)
    assert "Déjà fait" in page.get_by_role("heading", level=1).inner_text()


@pytest.mark.parametrize("js", JS.values(), ids=JS.keys())
def test_a_welcomer_application_reaches_the_staff_with_its_yaml_entry(new_context, store, js):
    email = unique_email("camille")
    page = open_form(new_context, "/loir-et-cher/devenir-welcomer/", js)
    for label, text in {
        "Prénom (obligatoire)": "Camille",
        "Nom (obligatoire)": "Roussel",
        "Adresse e-mail (obligatoire)": email,
        "Téléphone (obligatoire)": "+32 470 12 34 56",
        "Commune où vous habitez (obligatoire)": "Blois",
        "Numéro SIRET (obligatoire)": "32347969198230",
        "Autre sujet": "chorales",
        "Présentez-vous": "J'habite Blois depuis dix ans.",
    }.items():
        type_into(page, label, text)
    tick(page, "Écoles")
    tick(page, "Espagnol")
    tick(page, "J'accepte que")
    submit(page, "Envoyer ma candidature")
    page.wait_for_url("**/loir-et-cher/devenir-welcomer/merci/")
    submission = store.find(email)
    fields = json.loads(submission["fields"])
    assert fields["topics"] == ["écoles", "chorales"] and fields["languages"] == ["es"]
    assert fields["phone"] == "+32470123456"
    notify = mail(store, submission["id"], "notify").get_body(("plain",)).get_content()
    assert "- id: camille" in notify and 'siret: "32347969198230"' in notify


def test_a_staff_link_shows_an_accessible_confirmation_page(new_context, store):
    email = unique_email("famille")
    page = open_form(new_context, "/loir-et-cher/welcomers/", js=False)
    type_into(page, "Prénom (obligatoire)", "Léa")
    type_into(page, "Nom (obligatoire)", "Petit")
    type_into(page, "Adresse e-mail (obligatoire)", email)
    type_into(page, "Profession (obligatoire)", "kinésithérapeute")
    tick(page, "J'accepte que")
    submit(page, "Envoyer ma demande")
    page.wait_for_url("**/loir-et-cher/welcomers/merci/")
    notify = mail(store, store.find(email)["id"], "notify")
    link = link_in(notify)
    checked = new_context().new_page()  # axe runs as a script
    checked.goto(link)
    assert "Présenter" in checked.get_by_role("heading", level=1).inner_text()
    assert violations(checked) == []
