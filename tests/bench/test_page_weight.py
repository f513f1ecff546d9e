"""Page weight and EcoIndex: the reference implementation's own cases, and a tiny site."""

from __future__ import annotations

import gzip

import pytest

from bench.page_weight import (
    QUANTILES_DOM,
    QUANTILES_REQ,
    QUANTILES_SIZE,
    ecoindex,
    get_quantile,
    measure_site,
)


# Cases from cnumr/ecoindex_python_fullstack, test/components/ecoindex/compute/test_ecoindex.py.
@pytest.mark.parametrize(
    ("quantiles", "value", "expected"),
    [
        (QUANTILES_SIZE, 2500, 14.086372025739513),
        (QUANTILES_DOM, 150, 2.892857142857143),
        (QUANTILES_REQ, 23, 2.8),
        (QUANTILES_SIZE, 310182.902, 20),
    ],
)
def test_quantile_position_matches_the_reference(quantiles, value, expected):
    assert get_quantile(quantiles, value) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("dom", "requests", "size_kb", "score", "grade"),
    [
        (100, 100, 100, 72, "B"),
        (100, 100, 1000, 67, "C"),
        (200, 200, 10000, 46, "D"),
        (2355, 267, 2493, 10, "G"),
        (240, 20, 331, 83, "A"),
        (2240, 100, 310182.902, 16, "F"),
    ],
)
def test_score_and_grade_match_the_reference(dom, requests, size_kb, score, grade):
    assert ecoindex(dom, requests, size_kb) == (score, grade)


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def test_a_page_counts_its_resources_once_and_its_svg_as_one_element(tmp_path):
    css = "body{color:#222}" * 50 + "@import '/theme/extra.css';"
    write(tmp_path / "theme" / "site.css", css)
    write(tmp_path / "theme" / "extra.css", "p{margin:0}")
    write(tmp_path / "loiret" / "offres" / "index.html", "<p>liste</p>")
    page = (
        '<html><head><link rel="stylesheet" href="/theme/site.css">'
        '<link rel="stylesheet" href="/theme/site.css"></head>'
        '<body><svg><path d="M0"/><circle r="1"/></svg><img src="logo.svg"></body></html>'
    )
    write(tmp_path / "index.html", "<html><body></body></html>")
    write(tmp_path / "loiret" / "index.html", page)
    write(tmp_path / "loiret" / "logo.svg", "<svg/>")

    landing = measure_site(tmp_path)["landing"][0]

    assert landing.requests == 4  # the page, site.css (once), extra.css, logo.svg
    assert landing.dom == 7  # html, head, link, link, body, svg, img: not path nor circle
    assert landing.css == len(gzip.compress(css.encode(), 9, mtime=0))
    assert not landing.missing and not landing.third_party


def test_a_picture_counts_the_webp_a_phone_loads_and_lazy_images_apart(tmp_path):
    for name, size in (("h-800.webp", 800), ("h-1600.webp", 1600), ("h.jpg", 3000), ("l.jpg", 500)):
        write(tmp_path / "loiret" / "images" / name, "x" * size)
    write(tmp_path / "index.html", "<html><body></body></html>")
    write(tmp_path / "loiret" / "offres" / "index.html", "<p>liste</p>")
    page = (
        '<html><body><picture><source type="image/webp" srcset="/loiret/images/h-800.webp 800w,'
        '/loiret/images/h-1600.webp 1600w"><img src="/loiret/images/h.jpg"></picture>'
        '<img src="/loiret/images/l.jpg" loading="lazy"></body></html>'
    )
    write(tmp_path / "loiret" / "index.html", page)

    landing = measure_site(tmp_path)["landing"][0]

    assert landing.images == 800  # the WebP candidate for ~800 px, not the JPEG fallback
    assert landing.deferred == 500 and landing.requests == 2  # the page and its hero
