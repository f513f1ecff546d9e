"""Every built page in Chromium: accessible (axe), local, light, and usable on a small phone."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from browserkit import MAX_LANDING_BYTES, MAX_PAGE_BYTES, WIDTHS, weights

pytestmark = pytest.mark.browser
WCAG_AA = {"runOnly": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}
SMALLEST_PHONE = 320


def violations(page) -> list[str]:
    """axe-core's WCAG 2.1 A/AA violations on the page, one line each with its elements.

    A contrast axe could not measure (text over a gradient or an image) counts too: nobody
    would check it by hand on every page.
    """
    results = Axe().run(page, options=WCAG_AA).response
    unmeasured = [v for v in results["incomplete"] if v["id"] == "color-contrast"]
    return [
        f"{v['id']}: {v['help']} → {[n['target'] for n in v['nodes']][:3]}"
        for v in results["violations"] + unmeasured
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
        watch.clear()
        page.goto(url, wait_until="load")
        sizes = weights(page)  # also a round trip: the page's events have all arrived
        problems = []
        if foreign := watch.foreign(origin):
            problems.append(f"requêtes hors du site : {foreign}")
        if watch.errors:
            problems.append(f"erreurs de console : {watch.errors}")
        landing = url.count("/") == 2 and url.endswith("/") and url != "/"
        if sum(sizes.values()) > (MAX_LANDING_BYTES if landing else MAX_PAGE_BYTES):
            problems.append(f"HTML+CSS+JS {sum(sizes.values())} octets : {sizes}")
        if problems:
            report[url] = problems
    assert report == {}


def test_the_weight_counts_the_html_the_stylesheets_and_the_script(page, origin, built):
    """The weight check measures the files served: a page with a form loads all three kinds."""
    page.goto("/loiret/welcomers/")
    sizes = {url.removeprefix(origin).split("?")[0]: size for url, size in weights(page).items()}
    output = built / "output"
    assert sizes == {
        "/loiret/welcomers/": (output / "loiret/welcomers/index.html").stat().st_size,
        "/theme/css/site.css": (output / "theme/css/site.css").stat().st_size,
        "/loiret/brand.css": (output / "loiret/brand.css").stat().st_size,
        "/theme/js/forms.js": (output / "theme/js/forms.js").stat().st_size,
    }


def test_no_page_scrolls_sideways_on_a_320_px_phone(page, pages):
    page.set_viewport_size({"width": SMALLEST_PHONE, "height": 640})
    too_wide = {}
    for url in pages:
        page.goto(url)
        width = page.evaluate("document.scrollingElement.scrollWidth")
        if width > SMALLEST_PHONE:
            too_wide[url] = width
    assert too_wide == {}


def test_an_unknown_address_gets_the_styled_404_page(page):
    response = page.goto("/loiret/offres/une-offre-pourvue/")
    assert response.status == 404
    assert page.get_by_role("heading", level=1).inner_text() == "Page introuvable"
    assert any(url.split("?")[0].endswith("/theme/css/site.css") for url in weights(page))
    page.get_by_role("link", name="Loiret").click()
    page.wait_for_url("**/loiret/")
