"""Every built page in Chromium: accessible (axe), local, light, and usable on a small phone."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from browserkit import MAX_PAGE_BYTES, WIDTHS

pytestmark = pytest.mark.browser
WCAG_AA = {"runOnly": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}
SMALLEST_PHONE = 320


def violations(page) -> list[str]:
    """axe-core's WCAG 2.1 A/AA violations on the page, one line each with its elements."""
    results = Axe().run(page, options=WCAG_AA).response
    return [
        f"{v['id']}: {v['help']} → {[n['target'] for n in v['nodes']][:3]}"
        for v in results["violations"]
    ]


@pytest.mark.parametrize("width", WIDTHS.values(), ids=WIDTHS.keys())
def test_every_page_has_no_wcag_violation(page, pages, width):
    page.set_viewport_size({"width": width, "height": 900})
    found = {}
    for url in pages:
        page.goto(url)
        if problems := violations(page):
            found[url] = problems
    assert found == {}


def test_every_page_stays_local_light_and_without_console_errors(watched, pages, origin):
    page, watch = watched
    report = {}
    for url in pages:
        watch.requests.clear(), watch.errors.clear(), watch.weights.clear()
        page.goto(url, wait_until="load")
        problems = []
        if foreign := watch.foreign(origin):
            problems.append(f"requêtes hors du site : {foreign}")
        if watch.errors:
            problems.append(f"erreurs de console : {watch.errors}")
        if watch.total() > MAX_PAGE_BYTES:
            problems.append(f"HTML+CSS+JS {watch.total()} octets : {watch.weights}")
        if problems:
            report[url] = problems
    assert report == {}


def test_every_page_weighs_its_html_css_and_js(watched, pages):
    """The weight check counts something: each page transfers its HTML and stylesheets."""
    page, watch = watched
    page.goto(pages[0])
    kinds = {url.rsplit(".", 1)[-1].split("?")[0] for url in watch.weights}
    assert watch.total() > 1000 and "css" in kinds


def test_no_page_scrolls_sideways_on_a_320_px_phone(page, pages):
    page.set_viewport_size({"width": SMALLEST_PHONE, "height": 640})
    too_wide = {}
    for url in pages:
        page.goto(url)
        width = page.evaluate("document.scrollingElement.scrollWidth")
        if width > SMALLEST_PHONE:
            too_wide[url] = width
    assert too_wide == {}


def test_an_unknown_address_gets_the_styled_404_page(watched):
    page, watch = watched
    response = page.goto("/loiret/offres/une-offre-pourvue/")
    assert response.status == 404
    assert page.get_by_role("heading", level=1).inner_text() == "Page introuvable"
    assert any(url.split("?")[0].endswith("/theme/css/site.css") for url in watch.weights)
    page.get_by_role("link", name="Loiret").click()
    page.wait_for_url("**/loiret/")
