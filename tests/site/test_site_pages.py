"""The built pages of every territory: what appears, and only when the content has it."""

from __future__ import annotations

import pytest
from sitekit import FIXTURES, SHIPPED, TODAY
from territories.loader import load_territories

ALL = SHIPPED + FIXTURES

# Landing-page section id → whether the territory's data calls for it.
SECTIONS = {
    "chiffres": lambda t: t.key_figures,
    "offres": lambda t: t.open_placements(TODAY),
    "carte": lambda t: (
        any(x.coordinates for x in (*t.castles, *t.open_placements(TODAY), *t.housing, *t.schools))
        or any(e.coordinates for e in t.events if (e.end or e.start).date() >= TODAY)
    ),
    "atouts": lambda t: t.assets,
    "patrimoine": lambda t: t.castles,
    "ecoles": lambda t: t.schools,
    "conjoint": lambda t: t.spouse_jobs,
    "logement": lambda t: t.housing,
    "aides": lambda t: t.aids,
    "welcomers": lambda t: t.welcomers,
    "rencontres": lambda t: [e for e in t.events if (e.end or e.start).date() >= TODAY],
    "temoignages": lambda t: t.testimonials,
    "a-lire": lambda t: t.pages,
    "collectivites": lambda t: t.pack,
}


@pytest.fixture(scope="module")
def territories(territories_dir):
    return {t.slug: t for t in load_territories(territories_dir)}


def test_the_home_page_lists_every_territory_with_its_open_placements(site, territories):
    home = site.page("/")
    cards = home.find_all("li", class_="card territory-card")
    assert len(cards) == len(ALL)
    for territory in territories.values():
        card = next(c for c in cards if c.find("a", href=f"/{territory.slug}/"))
        assert territory.tagline in card.text()
        assert territory.kind.capitalize() in card.text()
        count = len(territory.open_placements(TODAY))
        assert (str(count) in card.text()) if count else ("Aucune offre" in card.text())


@pytest.mark.parametrize("slug", ALL)
def test_landing_shows_name_tagline_and_exactly_the_sections_its_data_has(site, territories, slug):
    territory = territories[slug]
    landing = site.page(f"/{slug}/")
    assert landing.find("h1").text() == territory.name
    assert territory.tagline in landing.find("p", class_="tagline").text()
    shown = {
        s.attrs["aria-labelledby"]
        for s in landing.find_all("section")
        if "aria-labelledby" in s.attrs
    }
    expected = {section for section, has in SECTIONS.items() if has(territory)}
    assert shown == expected


@pytest.mark.parametrize("slug", ALL)
def test_calls_to_action_and_section_pages_exist_only_with_their_data(site, territories, slug):
    t = territories[slug]
    hero = site.page(f"/{slug}/").find("section", class_="hero")
    for url, present in (
        (f"/{slug}/welcomers/", bool(t.welcomers)),
        (f"/{slug}/offres/", bool(t.open_placements(TODAY))),
        (f"/{slug}/pack/", t.pack is not None),
    ):
        assert bool(hero.find("a", href=url)) == present, url
        assert site.file(url).exists() == present, url
    has_events = bool(SECTIONS["rencontres"](t))
    assert site.file(f"/{slug}/evenements.ics").exists() == has_events


def test_a_territory_with_only_required_fields_has_a_landing_page_and_nothing_else(site):
    folder = site.output / "hameau"
    assert sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()) == [
        "brand.css",
        "index.html",
    ]
    assert site.page("/hameau/").find_all("h2") == []


def test_past_placements_and_events_are_left_out(site):
    assert not site.file("/bourg/offres/remplacement-passe/").exists()
    assert site.file("/bourg/offres/stage-ouvert/").exists()
    for url in ("/bourg/", "/bourg/offres/", "/bourg/offres/stage-ouvert/"):
        text = site.file(url).read_text(encoding="utf-8")
        assert "remplacement-passe" not in text and "Remplacement déjà terminé" not in text
    landing = site.file("/bourg/").read_text(encoding="utf-8")
    assert "Rencontre déjà passée" not in landing and "Rencontre à venir" in landing
    assert "Rencontre déjà passée" not in site.file("/bourg/evenements.ics").read_text()


@pytest.mark.parametrize("slug", ALL)
def test_every_open_placement_has_its_page_and_appears_in_its_filter_pages(site, territories, slug):
    for p in territories[slug].open_placements(TODAY):
        page = site.page(f"/{slug}/offres/{p.id}/")
        assert page.find("h1").text() == p.title
        listing = site.page(f"/{slug}/offres/")
        assert listing.find("a", href=f"/{slug}/offres/{p.id}/")
        filters = listing.find("nav", class_="filters")
        for link in filters.find_all("a"):
            if link.text().lower() in (p.profession.lower(), p.kind.lower()):
                assert site.page(link.attrs["href"]).find("a", href=f"/{slug}/offres/{p.id}/")


@pytest.mark.parametrize("slug", ALL)
def test_free_pages_are_published_under_their_file_name(site, territories, slug):
    for page in territories[slug].pages:
        assert site.page(f"/{slug}/{page.slug}/").find("h1").text() == page.title


@pytest.mark.parametrize("slug", ALL)
def test_the_brand_colours_reach_the_pages_through_custom_properties(site, territories, slug):
    brand = territories[slug].brand
    css = site.file(f"/{slug}/brand.css").read_text()
    assert f"--brand-primary:{brand.primary}" in css
    assert f"--brand-accent:{brand.accent or brand.primary}" in css
    assert site.page(f"/{slug}/").find("link", href=f"/{slug}/brand.css")
    if brand.logo:
        assert site.file(f"/{slug}/{brand.logo}").exists()


def test_thank_you_pages_say_what_happens_next_and_are_not_indexed(site):
    for url in ("/loiret/welcomers/merci/", "/loiret/pack/merci/"):
        page = site.page(url)
        assert page.find("meta", name="robots", content="noindex")
        assert len(page.find("ol").find_all("li")) >= 2


def test_operator_pages_are_built_with_the_privacy_facts(site):
    privacy = site.page("/confidentialite/").text()
    for fact in ("3 ans", "10 ans", "eu-west-3", "CNIL"):
        assert fact in privacy
    for url in ("/a-propos/", "/mentions-legales/", "/accessibilite/"):
        assert site.page(url).find("h1")


def test_the_forms_catalogue_lists_open_placements_under_each_site_path(site, territories):
    import json

    catalogue = json.loads(site.catalogue.read_text())["territories"]
    assert set(catalogue) == set(territories)
    assert catalogue["loiret"]["site_path"] == "/loiret/"
    assert list(catalogue["bourg"]["placements"]) == ["stage-ouvert"]
