"""The national list's instant filter and the search, in Chromium, against the built index."""

from __future__ import annotations

import re
from email import message_from_bytes
from email.policy import default
from pathlib import Path

import pytest
from test_browser_forms import JS, open_form, submit, tick, type_into, unique_email
from test_browser_pages import violations

from tools.local_site import wait_until

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parents[2]


def search(page, words: str, profession: str = "") -> list[str]:
    """Search as a person does; the result links' paths, once the results have arrived."""
    page.goto("/recherche/")
    page.get_by_label("Mots recherchés").fill(words)
    if profession:
        page.get_by_label("Profession").focus()  # loads Pagefind, which fills the options
        page.locator("#recherche-profession option", has_text=profession).first.wait_for(
            state="attached"
        )
        page.get_by_label("Profession").select_option(label=profession)
    page.get_by_role("button", name="Rechercher").click()
    page.locator("#recherche-statut", has_text="résultat").wait_for()
    links = page.locator("#resultats a")
    count = int(page.locator("#recherche-statut").inner_text().split()[0])
    links.nth(min(count, 10) - 1).wait_for()
    return [
        h.split("://", 1)[-1].split("/", 1)[-1]
        for h in links.evaluate_all("a => a.map(x => x.href)")
    ]


def test_the_search_finds_a_word_of_one_placement_body(page):
    found = search(page, "périnéale")
    assert found == ["loir-et-cher/offres/collaboration-sage-femme-romorantin/"]


def test_the_search_filters_by_profession(page):
    every = search(page, "cabinet")
    kine = search(page, "cabinet", profession="Masseur-kinésithérapeute")
    assert set(kine) == {"loir-et-cher/offres/stage-kine-blois/", "loiret/offres/stage-kine-gien/"}
    assert set(kine) < set(every)
    assert page.url.endswith("?profession=masseur-kin%C3%A9sith%C3%A9rapeute&q=cabinet")


def test_a_search_link_runs_its_search_and_the_results_have_no_violation(page):
    page.goto("/recherche/?q=g%C3%A9riatrie")
    page.locator("#resultats a").nth(1).wait_for()
    assert page.locator("#resultats a").count() == 2
    assert violations(page) == []


def test_without_javascript_the_search_page_leads_to_the_filter_pages(new_context):
    page = new_context(java_script_enabled=False).new_page()
    page.goto("/recherche/")
    assert not page.get_by_label("Mots recherchés").is_visible()
    page.get_by_role("link", name="Sage-femme").click()
    assert page.url.endswith("/offres/metier/sage-femme/")
    assert page.locator(".placement-card").count() == 1


def test_the_instant_filter_hides_the_other_cards_and_says_how_many_remain(page):
    page.goto("/offres/")
    cards = page.locator("#liste > li")
    total = cards.count()
    page.get_by_label("Profession").select_option(label="Masseur-kinésithérapeute")
    visible = [c for c in cards.all() if c.is_visible()]
    assert len(visible) == 2 < total
    assert all("masseur-kinésithérapeute" in c.inner_text() for c in visible)
    assert page.locator("#nombre").inner_text() == "2 offres sur cette page"
    page.get_by_label("Mots (commune, structure…)").fill("kine gien")  # accents optional
    assert [c.is_visible() for c in cards.all()].count(True) == 1
    assert violations(page) == []


def test_the_instant_filter_knows_the_words_candidates_type(page):
    page.goto("/offres/")
    page.get_by_label("Mots (commune, structure…)").fill("kiné")
    assert [c.is_visible() for c in page.locator("#liste > li").all()].count(True) == 2


def outbox_messages(store, address: str) -> list:
    """The e-mails to `address` the local server wrote to its outbox."""
    messages = [
        message_from_bytes(p.read_bytes(), policy=default)
        for p in sorted((store.var / "outbox").glob("alert-*.eml"))
    ]
    return [m for m in messages if address in m["To"]]


@pytest.mark.parametrize("js", JS.values(), ids=JS.keys())
def test_an_alert_is_created_then_confirmed_from_its_email(new_context, store, origin, js):
    email = unique_email("alerte")
    page = open_form(new_context, "/alertes/", js)
    type_into(page, "Adresse e-mail (obligatoire)", email)
    tick(page, "Médecin généraliste")
    tick(page, "Loiret")
    tick(page, "J'accepte que")
    submit(page, "Créer mon alerte")
    page.wait_for_url("**/alertes/merci/")
    assert page.get_by_role("heading", level=1).inner_text() == "Vérifiez votre boîte aux lettres"

    assert wait_until(lambda: len(outbox_messages(store, email)) == 1), "no confirmation e-mail"
    (confirmation,) = outbox_messages(store, email)
    text = confirmation.get_body(("plain",)).get_content()
    assert "médecin généraliste" in text and "Loiret" in text
    url = re.search(r"http://\S+/api/alert-subscription/confirm\?t=\S+", text).group(0)
    page.goto(url)
    if js:  # axe runs in the page
        assert violations(page) == []
    page.get_by_role("button", name="Confirmer mon alerte").click()
    page.wait_for_url("**/alertes/confirmee/")
    assert page.get_by_role("heading", level=1).inner_text() == "Alerte confirmée"


def test_an_alert_without_a_profession_says_what_to_choose(new_context):
    page = open_form(new_context, "/alertes/", True)
    type_into(page, "Adresse e-mail (obligatoire)", unique_email("sans"))
    tick(page, "J'accepte que")
    submit(page, "Créer mon alerte")
    error = page.locator("#alert-professions-error")
    error.wait_for()
    assert error.inner_text() == "Choisissez au moins une profession."
    assert violations(page) == []


def production_csp() -> str:
    """The Content-Security-Policy CloudFront adds to every page (template.yaml)."""
    text = (ROOT / "template.yaml").read_text(encoding="utf-8")
    found = re.search(r"ContentSecurityPolicy: >-\n((?:\s{14}.*\n)+)", text)
    return " ".join(found.group(1).split())


def test_the_search_works_under_the_production_content_security_policy(page):
    csp = production_csp()
    violations_seen = []
    page.on(
        "console",
        lambda m: violations_seen.append(m.text) if "Content Security" in m.text else None,
    )

    def with_csp(route):
        response = route.fetch()
        route.fulfill(
            response=response, headers={**response.headers, "content-security-policy": csp}
        )

    page.route("**/*", with_csp)
    assert search(page, "périnéale") == ["loir-et-cher/offres/collaboration-sage-femme-romorantin/"]
    assert violations_seen == []
