"""The report scripts: screenshots of the right pages at the right widths, Lighthouse's pages."""

from __future__ import annotations

import struct

import pytest
from browserkit import ROOT

from tools import lighthouse_report, screenshots

pytestmark = pytest.mark.browser
SLUGS = sorted(p.name for p in (ROOT / "territories").iterdir() if p.is_dir())


def png_size(path) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk."""
    data = path.read_bytes()[:24]
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_screenshots_cover_each_territory_main_pages_at_each_width(
    built, origin, browser, tmp_path
):
    pages = screenshots.territory_pages(built / "output")
    assert {name.rsplit("-", 1)[-1] for name in pages} == {
        "accueil",
        "offres",
        "welcomers",
        "coffret",
    }
    assert {url.split("/")[1] for url in pages.values()} == set(SLUGS)
    written = screenshots.shoot(browser, origin, pages, tmp_path, [390, 1280])
    assert len(written) == 2 * len(pages)
    assert {png_size(p) for p in written} == {(390, 844), (1280, 800)}


def test_lighthouse_audits_landing_a_placement_welcomers_and_pack_of_each_territory(built):
    output = built / "output"
    urls = lighthouse_report.report_pages(output)
    for slug in SLUGS:
        mine = [u for u in urls if u.startswith(f"/{slug}/")]
        assert mine[0] == f"/{slug}/" and mine[-2:] == [f"/{slug}/welcomers/", f"/{slug}/pack/"]
        (placement,) = [u for u in mine if "/offres/" in u]
        assert (output / placement.lstrip("/") / "index.html").is_file()
    assert urls[-2:] == ["/offres/", "/recherche/"]
