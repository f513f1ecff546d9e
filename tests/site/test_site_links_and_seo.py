"""Every internal link resolves; every page carries its SEO metadata and loads nothing foreign."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest
from sitekit import STANDALONE_URL, TODAY, internal_links, parse
from territories.loader import load_territories

ATOM = "{http://www.w3.org/2005/Atom}"


def pages_of(site):
    return [
        (site.url_of(path), parse(path.read_text(encoding="utf-8"))) for path in site.html_files()
    ]


def assert_links_resolve(site, url, doc):
    for link in internal_links(doc):
        target, _, fragment = link.partition("#")
        target = target.split("?")[0] or url
        assert site.file(target).exists(), f"{url} → {link}"
        if fragment:
            assert site.page(target).by_id(fragment), f"{url} → {link}: no #{fragment}"


def test_every_internal_link_and_asset_resolves(site):
    for url, doc in pages_of(site):
        assert_links_resolve(site, url, doc)


def test_no_page_loads_anything_from_another_origin(site):
    for url, doc in pages_of(site):
        loaded = [n.attrs.get("src", "") for n in doc.iter() if "src" in n.attrs]
        loaded += [n.attrs["href"] for n in doc.find_all("link", rel="stylesheet")]
        assert all(u.startswith("/") and not u.startswith("//") for u in loaded), url


def test_every_page_has_one_h1_a_title_a_description_and_open_graph_tags(site):
    for url, doc in pages_of(site):
        assert doc.find("html").attrs["lang"] == "fr"
        assert len(doc.find_all("h1")) == 1, url
        assert doc.find("title").text(), url
        assert doc.find("meta", name="description").attrs["content"].strip(), url
        assert doc.find("meta", property="og:title").attrs["content"], url


def test_without_a_public_address_no_page_claims_a_relative_canonical_url(site):
    for url, doc in pages_of(site):
        assert not doc.find("link", rel="canonical"), url
        assert not doc.find("meta", property="og:url"), url


def test_with_a_public_address_every_page_has_its_absolute_canonical_url(standalone):
    for url, doc in pages_of(standalone):
        expected = STANDALONE_URL + url
        assert doc.find("link", rel="canonical").attrs["href"] == expected
        assert doc.find("meta", property="og:url").attrs["content"] == expected
    locs = ET.parse(standalone.output / "sitemap.xml").getroot().iter()
    assert all(e.text.startswith(STANDALONE_URL + "/") for e in locs if e.tag.endswith("loc"))
    robots = (standalone.output / "robots.txt").read_text()
    assert f"Sitemap: {STANDALONE_URL}/sitemap.xml" in robots


def test_every_page_has_a_skip_link_to_its_main_landmark(site):
    for url, doc in pages_of(site):
        assert doc.find("a", class_="skip").attrs["href"] == "#contenu", url
        assert doc.find("main", id="contenu"), url
        assert doc.find("header") and doc.find("footer"), url


def test_every_image_has_an_alt_text(site):
    for url, doc in pages_of(site):
        assert all("alt" in img.attrs for img in doc.find_all("img")), url


def test_the_sitemap_lists_every_indexable_page_and_only_existing_ones(site):
    locs = [
        e.text
        for e in ET.parse(site.output / "sitemap.xml").getroot().iter()
        if e.tag.endswith("loc")
    ]
    for loc in locs:
        assert site.file(loc).exists(), loc
    assert "/loiret/offres/stage-kine-gien/" in locs and "/confidentialite/" in locs
    assert not [loc for loc in locs if loc.endswith("/merci/")]
    # robots.txt names the sitemap only by an absolute URL, as the standard requires.
    assert "Sitemap:" not in (site.output / "robots.txt").read_text()


def test_robots_txt_keeps_crawlers_out_of_the_api_and_the_content_editors(site):
    rules = (site.output / "robots.txt").read_text().splitlines()
    for path in ("/api/", "/admin/", "/*/admin/"):  # /loiret/admin/: a territory's Decap CMS
        assert f"Disallow: {path}" in rules, path
    assert "Allow: /" in rules


def jsonld_of(doc):
    return [json.loads(s.text()) for s in doc.find_all("script", type="application/ld+json")]


def test_each_placement_page_describes_a_job_posting_valid_through_its_last_day(
    site, territories_dir
):
    for territory in load_territories(territories_dir):
        for p in territory.open_placements(TODAY):
            (posting,) = jsonld_of(site.page(f"/{territory.slug}/offres/{p.id}/"))
            assert posting["@type"] == "JobPosting"
            assert posting["validThrough"].startswith(p.last_day.isoformat() + "T23:59:59")
            assert posting["datePosted"] == TODAY.isoformat()
            assert posting["hiringOrganization"]["name"] == (p.structure or territory.name)
            address = posting["jobLocation"]["address"]
            assert (address["addressLocality"], address["addressCountry"]) == (p.commune, "FR")
            assert posting["employmentType"] in {"TEMPORARY", "INTERN", "CONTRACTOR", "FULL_TIME"}


def test_each_upcoming_event_is_described_on_the_landing_page_and_in_the_calendar(site):
    events = [d for d in jsonld_of(site.page("/bourg/")) if d["@type"] == "Event"]
    assert [e["name"] for e in events] == ["Rencontre à venir"]
    assert events[0]["startDate"] == "2027-01-14T19:00:00+01:00"
    ics = (site.output / "bourg" / "evenements.ics").read_bytes()
    assert ics.count(b"BEGIN:VEVENT") == 1 and b"DTSTART:20270114T180000Z" in ics
    assert all(len(line) <= 75 for line in ics.split(b"\r\n"))


@pytest.mark.parametrize("slug", ["loiret", "bourg"])
def test_the_atom_feed_has_one_entry_per_open_placement(site, territories_dir, slug):
    (territory,) = load_territories(territories_dir, only=slug)
    feed = ET.parse(site.output / slug / "offres" / "atom.xml").getroot()
    titles = [e.find(f"{ATOM}title").text for e in feed.iter(f"{ATOM}entry")]
    assert titles == [p.title for p in territory.open_placements(TODAY)]
