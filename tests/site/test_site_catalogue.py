"""The national catalogue: /offres/ and its filters, the aids, the search index, the alerts page."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from sitekit import DATA, TODAY, build, internal_links
from territories.generator import BuildStopped
from territories.loader import load_territories
from territories.model import Aid, Brand, Contact, Placement, Territory
from territories.pages import TerritorySite, Urls

from territories import national

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture(scope="module")
def territories(territories_dir):
    return {t.slug: t for t in load_territories(territories_dir)}


@pytest.fixture(scope="module")
def open_placements(territories):
    """(territory slug, placement id) of every placement still open on the build date."""
    return {(slug, p.id) for slug, t in territories.items() for p in t.open_placements(TODAY)}


def cards(doc) -> list[tuple[str, str]]:
    """(territory slug, placement id) of each card of a national list, in order."""
    found = []
    for card in doc.find_all("li", class_="card placement-card"):
        href = card.find("h3").find("a").attrs["href"]
        slug, _, placement_id = href.strip("/").split("/")
        found.append((slug, placement_id))
    return found


def test_the_national_list_has_every_open_placement_of_every_territory(site, open_placements):
    listed = cards(site.page("/offres/"))
    assert set(listed) == open_placements
    assert len({slug for slug, _ in listed}) >= 3  # loir-et-cher, loiret, bourg
    assert ("bourg", "remplacement-passe") not in listed


def test_published_placements_come_first_then_the_soonest(site, territories):
    listed = cards(site.page("/offres/"))
    assert listed[0] == ("loir-et-cher", "stage-kine-blois")  # the one with `published`
    starts = [
        next(p for p in territories[slug].placements if p.id == pid).start for slug, pid in listed
    ]
    assert starts[1:] == sorted(starts[1:])


def test_each_card_names_its_territory(site, territories):
    doc = site.page("/offres/")
    for card in doc.find_all("li", class_="card placement-card"):
        slug = card.find("h3").find("a").attrs["href"].split("/")[1]
        assert territories[slug].name in card.text()


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "/offres/metier/sage-femme/",
            {("bourg", "stage-ouvert"), ("loir-et-cher", "collaboration-sage-femme-romorantin")},
        ),
        (
            "/offres/type/stage/",
            {
                ("bourg", "stage-ouvert"),
                ("loir-et-cher", "stage-kine-blois"),
                ("loiret", "stage-kine-gien"),
            },
        ),
        (
            "/offres/departement/41-loir-et-cher/",
            {
                ("loir-et-cher", "stage-kine-blois"),
                ("loir-et-cher", "remplacement-mg-vendome"),
                ("loir-et-cher", "collaboration-sage-femme-romorantin"),
            },
        ),
    ],
)
def test_filter_pages_list_exactly_the_matching_placements(site, url, expected):
    assert set(cards(site.page(url))) == expected


def test_the_region_page_holds_the_territories_located_there(site, open_placements):
    listed = set(cards(site.page("/offres/region/centre-val-de-loire/")))
    # The Loiret and the Loir-et-Cher give a département code; the fixture Bourg gives none.
    assert listed == {x for x in open_placements if x[0] in ("loiret", "loir-et-cher")}


def test_every_filter_link_leads_to_a_page_and_the_territory_filter_to_its_own_list(site):
    doc = site.page("/offres/")
    links = [a.attrs["href"] for a in doc.find("nav", class_="filters").find_all("a")]
    assert all(site.file(url).exists() for url in links)
    assert "/loiret/offres/" in links and "/offres/metier/medecin-generaliste/" in links
    assert "/offres/region/centre-val-de-loire/" in links


def test_the_list_works_without_javascript_and_the_instant_filter_starts_hidden(site):
    doc = site.page("/offres/")
    form = doc.by_id("filtre")
    assert "hidden" in form.attrs
    options = {o.attrs["value"] for o in form.find("select", name="profession").find_all("option")}
    assert {"", "sage-femme", "medecin-generaliste", "masseur-kinesitherapeute"} == options
    card = doc.find("li", class_="card placement-card")
    assert {"data-profession", "data-kind", "data-region", "data-words"} <= set(card.attrs)


def test_the_national_list_is_linked_from_home_and_from_each_territory_list(site, territories):
    assert site.page("/").find("a", href="/offres/")
    for slug, t in territories.items():
        if t.open_placements(TODAY):
            assert site.page(f"/{slug}/offres/").find("a", href="/offres/"), slug


def test_each_profession_has_an_atom_feed_of_its_placements(site):
    feed = ET.parse(site.file("/offres/metier/sage-femme/atom.xml")).getroot()
    entries = feed.findall(f"{ATOM}entry")
    links = sorted(e.find(f"{ATOM}link").attrib["href"] for e in entries)
    assert links == [
        "/bourg/offres/stage-ouvert/",
        "/loir-et-cher/offres/collaboration-sage-femme-romorantin/",
    ]
    assert all("–" in e.find(f"{ATOM}title").text for e in entries)  # « … – <territory> »
    assert site.page("/offres/metier/sage-femme/").find(
        "a", href="/offres/metier/sage-femme/atom.xml"
    )


def site_with(count: int, slug: str = "t") -> TerritorySite:
    """A territory site with `count` open placements (for pagination)."""
    territory = Territory(
        slug,
        "Territoire",
        "commune",
        "Accroche",
        Brand("#1f4e79"),
        Contact("a@example.org"),
        ("a@example.org",),
        Path("."),
        code="41269",
    )
    placements = tuple(
        Placement(
            f"p{i:03d}",
            "Offre",
            "stage",
            "infirmier",
            "Blois",
            dt.date(2027, 1, 1) + dt.timedelta(i),
            "",
            Path("."),
        )
        for i in range(count)
    )
    return TerritorySite(territory, Urls(f"/{slug}/"), placements, (), TODAY)


def test_long_lists_are_cut_into_pages_linked_to_each_other():
    outputs = [
        o
        for o in national.placement_lists([site_with(50)])
        if o.url.startswith("/offres/page") or o.url == "/offres/"
    ]
    assert [o.url for o in outputs] == ["/offres/", "/offres/page/2/", "/offres/page/3/"]
    assert [len(o.values["listed"]) for o in outputs] == [24, 24, 2]
    assert outputs[2].values["listed"][-1].placement.id == "p049"
    assert outputs[1].values["title"].endswith("(page 2 sur 3)")
    by_profession = [
        o.url for o in national.placement_lists([site_with(50)]) if "/metier/" in o.url
    ]
    assert by_profession == [
        "/offres/metier/infirmier/",
        "/offres/metier/infirmier/page/2/",
        "/offres/metier/infirmier/page/3/",
    ]


def test_pages_of_many_territories_link_regions_not_every_territory():
    sites = [site_with(1, f"t{i}") for i in range(national.MAX_TERRITORY_LINKS + 1)]
    first = national.placement_lists(sites)[0]
    assert first.values["territory_links"] == []
    assert [label for _, label, _, _ in first.values["nav"]["region"]] == ["Centre-Val de Loire"]


# Aids: the Loir-et-Cher has an aid for internes in general medicine and midwifery (600 €), and
# two aids open to every profession, one of them for students, interns and those settling.
def aid_titles(doc) -> list[str]:
    return [card.find("h3").text() for card in doc.find_all("li", class_="card aid-card")]


def test_the_aids_page_shows_amounts_funders_and_referents(site):
    doc = site.page("/loir-et-cher/aides/")
    assert len(aid_titles(doc)) == 3
    bourse = doc.find_all("li", class_="card aid-card")[2]
    assert "600\u00a0€" in site.file("/loir-et-cher/aides/").read_text()  # French spacing
    assert bourse.find("p", class_="amount").text() == "600 €"
    assert "Département de Loir-et-Cher" in bourse.text()
    assert bourse.find("a", href="mailto:sante-41@example.org")
    assert bourse.find("a", href="tel:0261914142")
    assert "médecins généralistes, sages-femmes" in bourse.text()


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "/loir-et-cher/aides/metier/sage-femme/",
            [
                "Plan « 41 en bonne santé »",
                "Accueil personnalisé par un welcomer",
                "Bourse des internes en stage ambulatoire",
            ],
        ),
        (
            "/loir-et-cher/aides/etape/etudiant/",
            ["Plan « 41 en bonne santé »", "Accueil personnalisé par un welcomer"],
        ),
        (
            "/loir-et-cher/aides/etape/interne/",
            [
                "Plan « 41 en bonne santé »",
                "Accueil personnalisé par un welcomer",
                "Bourse des internes en stage ambulatoire",
            ],
        ),
    ],
)
def test_aids_filter_pages_by_profession_and_stage_keep_the_aids_open_to_all(site, url, expected):
    assert aid_titles(site.page(url)) == expected


def test_aids_filter_links_work_without_javascript(site):
    nav = site.page("/loir-et-cher/aides/").find("nav", class_="filters")
    links = [a.attrs["href"] for a in nav.find_all("a")]
    assert links == [
        "/loir-et-cher/aides/metier/medecin-generaliste/",
        "/loir-et-cher/aides/metier/sage-femme/",
        "/loir-et-cher/aides/etape/etudiant/",
        "/loir-et-cher/aides/etape/interne/",
        "/loir-et-cher/aides/etape/installation/",
    ]
    assert all(site.file(url).exists() for url in links)


def test_the_landing_aids_section_links_to_the_aids_page(site):
    section = site.page("/loir-et-cher/").by_id("aides").parent
    assert section.find("a", href="/loir-et-cher/aides/")


def test_the_national_aids_view_names_the_territories_that_help_a_profession(site):
    doc = site.page("/aides/sage-femme/")
    assert doc.find("a", href="/loir-et-cher/aides/metier/sage-femme/")
    assert "Bourse des internes en stage ambulatoire" in doc.text()
    index = site.page("/aides/")
    assert index.find("a", href="/aides/sage-femme/") and index.find(
        "a", href="/aides/medecin-generaliste/"
    )
    assert index.find("a", href="/loir-et-cher/aides/")  # its aids open to every profession
    assert not site.file("/aides/infirmier/").exists()


def test_the_search_index_covers_the_content_pages_not_the_lists(site):
    entry = json.loads(site.file("/pagefind/pagefind-entry.json").read_text())
    indexed = [p for p in site.html_files() if "data-pagefind-body" in p.read_text()]
    assert entry["languages"]["fr"]["page_count"] == len(indexed)
    urls = {site.url_of(p) for p in indexed}
    assert {
        "/loiret/",
        "/loiret/offres/stage-kine-gien/",
        "/loir-et-cher/aides/",
        "/a-propos/",
    } <= urls
    assert not urls & {"/offres/", "/loiret/offres/", "/offres/metier/sage-femme/"}
    assert (site.output / "pagefind" / "pagefind.js").is_file()


def test_placement_pages_carry_their_search_filters(site):
    metas = site.page("/loiret/offres/stage-kine-gien/").find_all("meta")
    filters = {
        (m.attrs["data-pagefind-filter"], m.attrs["content"])
        for m in metas
        if "data-pagefind-filter" in m.attrs
    }
    assert filters == {
        ("profession[content]", "masseur-kinésithérapeute"),
        ("territoire[content]", "Loiret"),
        ("type[content]", "stage"),
    }


def test_the_search_page_without_javascript_leads_to_the_filter_pages(site):
    doc = site.page("/recherche/")
    # Kept out of sight (but in its place: no layout shift) until search.js shows it.
    assert "js-pending" in doc.by_id("recherche").attrs["class"]
    links = [a.attrs["href"] for a in doc.by_id("parcourir").parent.find_all("a")]
    assert "/offres/metier/sage-femme/" in links and "/offres/" in links
    assert all(site.file(u).exists() for u in links)


def test_a_standalone_territory_has_its_own_search_and_no_national_list(standalone):
    assert standalone.file("/recherche/").exists()
    assert (standalone.output / "pagefind" / "pagefind-entry.json").is_file()
    assert not standalone.file("/offres/metier/sage-femme/").exists()
    assert standalone.page("/offres/").find("h1").text().endswith("dans le Loiret")
    assert "les offres du Loiret" in standalone.page("/alertes/").text()
    alerts = standalone.page("/alertes/")
    assert alerts.find("input", name="territories").attrs == {
        "type": "hidden",
        "name": "territories",
        "value": "loiret",
    }


def test_the_alerts_form_posts_every_profession_and_territory_without_javascript(site, territories):
    form = site.page("/alertes/").find("form")
    assert (form.attrs["method"], form.attrs["action"]) == ("post", "/api/alert-subscription")
    professions = {i.attrs["value"] for i in form.find_all("input", name="professions")}
    assert {"infirmier", "sage-femme", "medecin-generaliste"} <= professions
    assert {i.attrs["value"] for i in form.find_all("input", name="territories")} == set(
        territories
    )
    assert form.find("input", name="consent").attrs.get("required") == ""
    for url in ("/alertes/merci/", "/alertes/confirmee/", "/alertes/desinscription/"):
        assert site.page(url).find("meta", name="robots").attrs["content"] == "noindex"


def test_new_pages_link_only_to_pages_that_exist(site):
    for url in ("/offres/", "/aides/", "/recherche/", "/alertes/", "/loir-et-cher/aides/"):
        for link in internal_links(site.page(url)):
            if not link.startswith("#"):
                assert site.file(link.split("?")[0].split("#")[0]).exists(), (url, link)


@pytest.mark.parametrize("folder", ["offres", "recherche", "alertes", "aides", "pagefind"])
def test_a_territory_folder_may_not_take_a_national_page_name(tmp_path, folder):
    content = tmp_path / "territories"
    shutil.copytree(DATA / "territories" / "hameau", content / folder)
    with pytest.raises(BuildStopped) as stopped:
        build(tmp_path / "output", content)
    assert f"« {folder} » est réservé" in str(stopped.value)


@pytest.mark.parametrize("page", ["aides", "recherche", "alertes"])
def test_a_free_page_may_not_take_the_name_of_a_territory_page(tmp_path, page):
    content = tmp_path / "territories"
    shutil.copytree(DATA / "territories" / "hameau", content / "hameau")
    (content / "hameau" / "pages").mkdir()
    (content / "hameau" / "pages" / f"{page}.md").write_text("---\ntitle: T\n---\nTexte.\n")
    with pytest.raises(BuildStopped) as stopped:
        build(tmp_path / "output", content)
    assert f"« {page} » est une adresse réservée du site" in str(stopped.value)


def test_aids_open_to_all_are_on_every_profession_page_of_the_national_view():
    targeted = Aid("Bourse", professions=("infirmier",))
    site = site_with(0)
    site = TerritorySite(
        Territory(**{**site.territory.__dict__, "aids": (targeted, Aid("Accueil"))}),
        site.urls,
        (),
        (),
        TODAY,
    )
    ((profession, named),) = national.aids_by_profession([site])
    assert profession.slug == "infirmier" and named[0].aids == (targeted,)
    assert [a.title for a in national.open_to_all([site])[0].aids] == ["Accueil"]


def test_departement_links_are_on_their_region_s_pages_only(site):
    def filter_links(url):
        return [a.attrs["href"] for a in site.page(url).find("nav", class_="filters").find_all("a")]

    assert not [u for u in filter_links("/offres/") if "/departement/" in u]
    region = filter_links("/offres/region/centre-val-de-loire/")
    assert {"/offres/departement/41-loir-et-cher/", "/offres/departement/45-loiret/"} <= set(region)
    assert "/offres/departement/45-loiret/" in filter_links("/offres/departement/41-loir-et-cher/")
