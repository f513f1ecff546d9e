"""The loader turns territory folders into the typed models, or reports every error at once."""

import datetime as dt
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from contentkit import MINIMAL
from territories.loader import ContentError, ContentErrors, load_territories
from territories.model import Page, Placement, Territory

PROJECT = Path(__file__).resolve().parents[3]
TERRITORIES = PROJECT / "territories"
DATA = Path(__file__).parent / "data"


def write(folder: Path, files: dict[str, str]) -> Path:
    """Create `files` (relative path → text) under `folder`."""
    for name, text in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return folder


def raw_yaml(slug: str) -> dict:
    return yaml.safe_load((TERRITORIES / slug / "territory.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def project_territories() -> dict[str, Territory]:
    return {t.slug: t for t in load_territories(TERRITORIES)}


def test_every_project_territory_loads_sorted_by_slug():
    territories = load_territories(TERRITORIES)
    slugs = [t.slug for t in territories]
    assert slugs == sorted(p.name for p in TERRITORIES.iterdir() if p.is_dir())
    assert {"loiret", "loir-et-cher"} <= set(slugs)


@pytest.mark.parametrize("slug", ["loiret", "loir-et-cher"])
def test_every_list_section_of_the_yaml_reaches_the_model(project_territories, slug):
    territory, raw = project_territories[slug], raw_yaml(slug)
    for section in ("key_figures", "assets", "castles", "schools", "spouse_jobs", "housing"):
        assert len(getattr(territory, section)) == len(raw.get(section) or [])
    for section in ("aids", "welcomers", "events", "testimonials", "notify"):
        assert len(getattr(territory, section)) == len(raw.get(section) or [])
    assert territory.name == raw["name"]
    assert territory.brand.primary == raw["brand"]["primary"]


def test_loiret_reference_is_read_into_the_typed_model(project_territories):
    loiret, raw = project_territories["loiret"], raw_yaml("loiret")
    assert loiret.code == raw["code"]
    assert loiret.source_dir == TERRITORIES / "loiret"
    assert loiret.pack.price_eur == Decimal(raw["pack"]["price_eur"])
    assert loiret.pack.net_price_eur == Decimal(
        raw["pack"]["price_eur"] - raw["pack"]["subsidy_eur"]
    )
    assert loiret.pack.buyers == tuple(raw["pack"]["buyers"])
    assert loiret.castles[0].coordinates == tuple(raw["castles"][0]["coordinates"])
    assert loiret.welcomers[0].languages == tuple(raw["welcomers"][0]["languages"])
    event = loiret.events[0]
    assert event.start == raw["events"][0]["start"]
    assert event.start.utcoffset() is not None


def test_markdown_is_rendered_to_html(project_territories):
    loiret = project_territories["loiret"]
    assert "<strong>et leur famille</strong>" in loiret.intro_html
    assert loiret.placements[0].body_html.startswith("<p>")
    assert loiret.pages[0].body_html.startswith("<p>")


def test_placements_and_pages_are_read_from_their_folders(project_territories):
    loiret = project_territories["loiret"]
    placement_files = sorted((TERRITORIES / "loiret" / "placements").glob("*.md"))
    assert [p.id for p in loiret.placements] == [f.stem for f in placement_files]
    assert all(isinstance(p, Placement) for p in loiret.placements)
    first = loiret.placements[0]
    assert first.source_path == placement_files[0]
    assert isinstance(first.start, dt.date)
    assert [p.slug for p in loiret.pages] == ["vivre-a-orleans"]
    assert isinstance(loiret.pages[0], Page)
    assert loiret.pages[0].order == 1


def test_loir_et_cher_has_the_sections_the_issue_asks_for(project_territories):
    territory = project_territories["loir-et-cher"]
    assert territory.kind == "département"
    assert territory.code == "41"
    assert len(territory.placements) >= 2
    assert len(territory.welcomers) >= 2
    assert territory.pack is not None
    assert {c.commune for c in territory.castles} >= {
        "Chambord",
        "Blois",
        "Cheverny",
        "Chaumont-sur-Loire",
    }
    assert all(c.coordinates for c in territory.castles)
    # Its sample offers are dated 2027 so that they are still open when the site is built.
    assert set(territory.open_placements(dt.date(2026, 11, 24))) == set(territory.placements)


def test_a_territory_with_only_required_fields_has_empty_sections():
    (territory,) = load_territories(DATA / "valid")
    assert territory.slug == "minimal"
    assert territory.pack is None
    assert territory.intro_html == ""
    assert territory.placements == territory.pages == territory.welcomers == ()


def test_only_loads_the_named_territory():
    territories = load_territories(TERRITORIES, only="loiret")
    assert [t.slug for t in territories] == ["loiret"]


def test_only_with_an_unknown_slug_is_an_error():
    with pytest.raises(ContentErrors) as raised:
        load_territories(TERRITORIES, only="atlantide")
    assert "territoire « atlantide » introuvable" in str(raised.value)


def test_past_placements_are_loaded_and_left_to_the_model_to_filter(tmp_path):
    write(
        tmp_path / "x",
        {
            "territory.yaml": MINIMAL,
            "placements/passe.md": "---\ntitle: T\nkind: stage\nprofession: infirmier\ncommune: c\n"
            "start: 2020-01-06\n---\n",
            "placements/futur.md": "---\ntitle: T\nkind: stage\nprofession: infirmier\ncommune: c\n"
            "start: 2030-01-07\n---\n",
        },
    )
    (territory,) = load_territories(tmp_path)
    assert [p.id for p in territory.placements] == ["futur", "passe"]
    assert [p.id for p in territory.open_placements(dt.date(2026, 1, 1))] == ["futur"]


def test_every_error_of_every_file_is_collected_then_raised_once(monkeypatch):
    monkeypatch.chdir(DATA)
    with pytest.raises(ContentErrors) as raised:
        load_territories(Path("invalid"))
    located = {(e.path, e.line, e.field) for e in raised.value.errors}
    assert located == {
        ("invalid/Mauvais_Nom/territory.yaml", 1, ""),
        ("invalid/bad-brand/pages/offres.md", 1, ""),
        ("invalid/bad-brand/placements/offre.md", 3, "kind"),
        ("invalid/bad-brand/placements/offre.md", 7, "end"),
        ("invalid/bad-brand/territory.yaml", 1, "tagline"),  # required, and misspelt below
        ("invalid/bad-brand/territory.yaml", 3, "tagine"),
        ("invalid/bad-brand/territory.yaml", 5, "brand.primary"),
        ("invalid/bad-brand/territory.yaml", 6, "brand.accent"),
        ("invalid/bad-brand/territory.yaml", 8, "contact.email"),
    }


def test_errors_are_listed_file_by_file_and_line_by_line(monkeypatch):
    monkeypatch.chdir(DATA)
    with pytest.raises(ContentErrors) as raised:
        load_territories(Path("invalid"))
    errors = raised.value.errors
    assert errors == sorted(errors, key=lambda e: (e.path, e.line))


def test_error_text_is_path_line_field_message():
    error = ContentError(
        "territories/x/territory.yaml", 4, "brand.primary", "« bleu » n'est pas une couleur"
    )
    assert (
        str(error)
        == "territories/x/territory.yaml:4: brand.primary: « bleu » n'est pas une couleur"
    )


def test_an_error_about_a_whole_file_has_no_field_part():
    error = ContentError("territories/x/territory.yaml", 2, "", "YAML invalide")
    assert str(error) == "territories/x/territory.yaml:2: YAML invalide"


def test_content_errors_text_has_a_french_count_then_one_error_per_line():
    errors = [ContentError("a.yaml", 1, "name", "texte vide"), ContentError("b.md", 2, "", "x")]
    assert str(ContentErrors(errors)).splitlines() == [
        "2 erreurs dans le contenu des territoires :",
        "a.yaml:1: name: texte vide",
        "b.md:2: x",
    ]
    assert str(ContentErrors(errors[:1])).startswith("1 erreur dans")


def test_paths_are_shown_relative_to_the_current_directory(tmp_path, monkeypatch):
    write(tmp_path / "territories" / "x", {"territory.yaml": MINIMAL.replace("commune", "ville")})
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ContentErrors) as raised:
        load_territories(tmp_path / "territories")
    assert raised.value.errors[0].path == "territories/x/territory.yaml"


def test_a_new_folder_is_a_new_territory_with_no_other_change(tmp_path):
    for slug in ("loiret", "loir-et-cher"):
        shutil.copytree(TERRITORIES / slug, tmp_path / slug)
    shutil.copytree(TERRITORIES / "loir-et-cher", tmp_path / "agglo-de-blois")
    slugs = [t.slug for t in load_territories(tmp_path)]
    assert slugs == ["agglo-de-blois", "loir-et-cher", "loiret"]


def test_folders_starting_with_an_underscore_or_a_dot_are_ignored(tmp_path):
    for name in ("_modele", ".git", "ville"):
        write(tmp_path / name, {"territory.yaml": MINIMAL})
    assert [t.slug for t in load_territories(tmp_path)] == ["ville"]


def test_paths_outside_the_current_directory_are_shown_whole(tmp_path):
    write(tmp_path / "x", {"territory.yaml": MINIMAL.replace("commune", "ville")})
    with pytest.raises(ContentErrors) as raised:
        load_territories(tmp_path)
    assert raised.value.errors[0].path == str(tmp_path / "x" / "territory.yaml")
