"""The build as a whole: page weight budget, standalone sites, and content errors that stop it."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest
from sitekit import DATA, ROOT, STANDALONE_URL, build, internal_links, page_kind, page_weight, parse
from territories.generator import BuildStopped

BUDGET = 30 * 1024  # bytes of HTML + CSS + JS per page, images excluded
# A landing also carries its hero and photos' <picture> markup and the inline SVG map with its
# list of places (4 to 8 KB raw, about 2 KB compressed; its HTML stays under 7 KB gzipped).
LANDING_BUDGET = 40 * 1024


def test_every_page_weighs_at_most_30_kb_of_html_css_and_js(site):
    heaviest = {}
    for path in site.html_files():
        weight = page_weight(site, path)
        landing = page_kind(site.url_of(path)) == "territoire (accueil)"
        budget = LANDING_BUDGET if landing else BUDGET
        assert weight["total"] <= budget, (site.url_of(path), weight)
        kind = page_kind(site.url_of(path))
        heaviest[kind] = max(heaviest.get(kind, weight), weight, key=lambda w: w["total"])
    # Shown with `pytest -rP`: the figures the README reports.
    for kind, weight in sorted(heaviest.items()):
        print(f"{kind:20} {weight}")


def test_a_territory_built_alone_has_its_pages_at_the_root(standalone):
    landing = standalone.page("/")
    assert landing.find("h1").text() == "Loiret"
    assert standalone.file("/offres/stage-kine-gien/").exists()
    assert standalone.file("/welcomers/").exists() and standalone.file("/pack/").exists()
    assert standalone.file("/images/logo.svg").exists()
    assert not (standalone.output / "loiret").exists()
    assert not (standalone.output / "loir-et-cher").exists()
    catalogue = json.loads(standalone.catalogue.read_text())["territories"]
    assert list(catalogue) == ["loiret"] and catalogue["loiret"]["site_path"] == "/"


def test_a_standalone_site_keeps_the_operator_pages_in_its_colours(standalone):
    privacy = standalone.page("/confidentialite/")
    assert privacy.find("link", href=f"{STANDALONE_URL}/brand.css")
    assert privacy.find("a", class_="brand").attrs["href"] == f"{STANDALONE_URL}/"
    for path in standalone.html_files():
        doc = parse(path.read_text(encoding="utf-8"))
        for link in internal_links(doc, STANDALONE_URL):
            target = link.split("#")[0].split("?")[0] or standalone.url_of(path)
            assert standalone.file(target).exists(), (path, link)


def test_an_invalid_folder_stops_the_build_with_every_error_located(tmp_path):
    with pytest.raises(BuildStopped) as stopped:
        build(tmp_path / "output", DATA / "invalid")
    message = str(stopped.value)
    assert "La construction du site s'arrête" in message
    for located in (
        "casse/placements/sans-date.md:2: start:",
        "casse/territory.yaml:1: tagline:",
        "casse/territory.yaml:2: kind:",
        "casse/territory.yaml:3: tagine:",
        "casse/territory.yaml:5: brand.primary:",
        "casse/territory.yaml:7: contact.email:",
    ):
        assert located in message
    assert stopped.value.code != 0
    assert not (tmp_path / "output-catalogue.json").exists()


def test_pelican_exits_non_zero_and_prints_the_errors_without_a_traceback(tmp_path):
    result = subprocess.run(
        [
            str(ROOT / ".venv" / "bin" / "pelican"),
            "--settings", "pelicanconf.py",
            "--output", str(tmp_path / "output"),
            "--extra-settings", f'TERRITORIES_PATH="{DATA / "invalid"}"',
            f'FORMS_CATALOGUE_PATH="{tmp_path / "catalogue.json"}"',
        ],
        cwd=ROOT, capture_output=True, text=True, timeout=60, env={"PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    assert result.returncode == 1
    assert "tagine: clé inconnue" in result.stderr
    assert "brand.primary" in result.stderr and "sans-date.md:2" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_a_folder_named_like_a_site_path_stops_the_build(tmp_path):
    content = tmp_path / "territories"
    shutil.copytree(DATA / "territories" / "hameau", content / "a-propos")
    with pytest.raises(BuildStopped) as stopped:
        build(tmp_path / "output", content)
    assert "« a-propos » est réservé" in str(stopped.value)


def test_a_page_named_like_a_site_path_stops_the_build_at_its_file(tmp_path):
    content = tmp_path / "territories"
    shutil.copytree(DATA / "territories" / "hameau", content / "hameau")
    (content / "hameau" / "pages").mkdir()
    (content / "hameau" / "pages" / "images.md").write_text("---\ntitle: Images\n---\nTexte.\n")
    with pytest.raises(BuildStopped) as stopped:
        build(tmp_path / "output", content)
    assert "pages/images.md:1:" in str(stopped.value)
    assert "« images » est une adresse réservée du site" in str(stopped.value)


def test_a_new_territory_folder_adds_its_site_with_no_other_change(site):
    # The session build reads a copy of territories/ plus two fixture folders: no settings list.
    for slug in ("hameau", "bourg", *(p.name for p in (ROOT / "territories").iterdir())):
        assert site.file(f"/{slug}/").exists()
