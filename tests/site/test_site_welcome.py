"""The welcome service's pages in the build: events, « devenir welcomer », the pack's prices,
and what must never be published (welcomers' e-mail, phone and SIRET)."""

from __future__ import annotations

import json

LEC = "/loir-et-cher/"


def test_each_upcoming_event_has_its_page_linked_from_the_landing(site):
    landing = site.page(LEC)
    section = next(
        s for s in landing.find_all("section") if s.attrs.get("aria-labelledby") == "rencontres"
    )
    links = {a.attrs["href"] for a in section.find_all("a") if "/evenements/" in a.attrs["href"]}
    assert {
        f"{LEC}evenements/job-dating-mai-2027/",
        f"{LEC}evenements/afterwork-juin-2027/",
        f"{LEC}evenements/2027-11-20-visite-de-chambord-en-famille/",  # no id: day and title
    } <= links
    for url in links:
        assert site.file(url).is_file(), url


def test_an_event_taking_registrations_has_its_form_with_one_radio_per_slot(site):
    page = site.page(f"{LEC}evenements/job-dating-mai-2027/")
    form = page.find("form", **{"data-form": "registration"})
    assert form.attrs["action"].endswith("/api/event-registration")
    assert form.attrs["method"] == "post"  # works without JavaScript
    hidden = {i.attrs["name"]: i.attrs["value"] for i in form.find_all("input", type="hidden")}
    assert hidden["event"] == "job-dating-mai-2027" and hidden["territory"] == "loir-et-cher"
    slots = form.find_all("input", type="radio")
    assert [s.attrs["value"] for s in slots][:2] == [
        "2027-05-20T09:00:00+02:00",
        "2027-05-20T09:20:00+02:00",
    ]
    assert len(slots) == 6
    labels = [
        label.text()
        for label in form.find_all("label")
        if label.attrs.get("for", "").startswith("registration-slot-")
    ]
    assert labels[0] == "9 h 00 – 9 h 20"
    assert (
        form.attrs["data-thanks-waitlisted"]
        == f"{LEC}evenements/job-dating-mai-2027/liste-d-attente/"
    )
    for thanks in ("merci/", "liste-d-attente/"):
        assert site.file(f"{LEC}evenements/job-dating-mai-2027/{thanks}").is_file()


def test_an_event_without_registration_has_a_page_but_no_form(site):
    page = site.page(f"{LEC}evenements/2027-11-20-visite-de-chambord-en-famille/")
    assert page.find("h1").text() == "Visite de Chambord en famille"
    assert page.find("form") is None
    assert not site.file(
        f"{LEC}evenements/2027-11-20-visite-de-chambord-en-famille/merci/"
    ).exists()


def test_the_catalogue_carries_what_the_flows_need_and_the_pages_never_show(site):
    catalogue = json.loads(site.catalogue.read_text(encoding="utf-8"))
    territory = catalogue["territories"]["loir-et-cher"]
    sophie = next(w for w in territory["welcomers"] if w["id"] == "sophie")
    assert (sophie["email"], sophie["siret"]) == ("sophie@example.org", "54756834567143")
    assert territory["welcomer_rate_eur"] == "100"
    events = {e["id"]: e for e in territory["events"]}
    assert set(events) == {
        "job-dating-mai-2027",
        "afterwork-juin-2027",
    }  # those taking registrations
    assert events["job-dating-mai-2027"]["registration"]["capacity"] == 6
    assert events["afterwork-juin-2027"]["registration"]["closes"] == "2027-06-17T19:00:00+02:00"
    assert events["afterwork-juin-2027"]["page_path"] == f"{LEC}evenements/afterwork-juin-2027/"
    placement = territory["placements"]["remplacement-mg-vendome"]
    assert placement["contact"] == "accueil-41@example.org"
    secrets = ("sophie@example.org", "karim@example.org", "06 48 27 19 53", "54756834567143")
    for path in site.output.rglob("*"):
        if path.is_file() and path.suffix in (".html", ".xml", ".ics", ".json", ".txt"):
            text = path.read_text(encoding="utf-8", errors="replace")
            assert not any(s in text for s in secrets), path


def test_the_recruitment_page_has_its_form_and_tells_the_rate(site):
    page = site.page(f"{LEC}devenir-welcomer/")
    form = page.find("form", **{"data-form": "application"})
    assert form.attrs["action"].endswith("/api/welcomer-application")
    names = {i.attrs.get("name") for i in form.find_all("input")}
    assert {
        "first_name",
        "last_name",
        "email",
        "phone",
        "commune",
        "siret",
        "topics",
        "languages",
        "consent",
    } <= names
    assert "100 € HT" in page.text()  # text() folds no-break spaces
    assert site.page(f"{LEC}welcomers/").find("a", href=f"{LEC}devenir-welcomer/") is not None


def test_pack_prices_say_ht_and_ttc_and_the_form_asks_for_chorus_pro_codes(site):
    page = site.page("/loiret/pack/")
    text = page.text()
    assert "499 € HT" in text and "299 € HT par coffret, soit 358,80 € TTC (TVA 20 %)" in text
    form = page.find("form", **{"data-form": "pack"})
    names = {i.attrs.get("name") for i in form.find_all("input")}
    assert {"service_code", "engagement_number", "purchase_order"} <= names
