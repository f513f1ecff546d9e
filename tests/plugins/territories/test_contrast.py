"""Brand colours must keep white text readable (WCAG 2.1 AA: 4.5:1), checked at load time."""

from pathlib import Path

import pytest
from territories.loader import ContentErrors, contrast_ratio, load_territories
from territories.validation import MIN_CONTRAST, format_ratio

TERRITORIES = Path(__file__).resolve().parents[3] / "territories"

TERRITORY = """\
name: Testville
kind: commune
tagline: Une ville pour tester
brand:
  primary: "{primary}"
  accent: "{accent}"
contact:
  email: contact@example.org
notify: [accueil@example.org]
"""


def brand_errors(tmp_path, monkeypatch, primary: str, accent: str) -> list[str]:
    folder = tmp_path / "territories" / "x"
    folder.mkdir(parents=True)
    text = TERRITORY.format(primary=primary, accent=accent)
    (folder / "territory.yaml").write_text(text, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    try:
        load_territories(Path("territories"))
    except ContentErrors as errors:
        return [str(error) for error in errors.errors]
    return []


def test_black_on_white_is_the_maximum_ratio():
    assert contrast_ratio("#000000", "#ffffff") == pytest.approx(21.0)


def test_a_colour_on_itself_has_no_contrast():
    assert contrast_ratio("#1f4e79", "#1f4e79") == pytest.approx(1.0)


def test_ratio_does_not_depend_on_the_order_of_the_colours():
    assert contrast_ratio("#c8102e", "#ffffff") == contrast_ratio("#ffffff", "#c8102e")


@pytest.mark.parametrize(
    ("colour", "expected"),
    [
        ("#777777", 4.48),  # the classic "almost AA" grey
        ("#767676", 4.54),  # the lightest grey that passes on white
        ("#0000ff", 8.59),  # pure blue
        ("#ff0000", 4.00),  # pure red
    ],
)
def test_ratio_matches_published_wcag_values(colour, expected):
    assert contrast_ratio("#ffffff", colour) == pytest.approx(expected, abs=0.01)


def test_ratios_are_written_the_french_way_never_rounded_up_to_the_threshold():
    assert format_ratio(2.26) == "2,3"
    assert format_ratio(4.48) == "4,48"  # « 4,5 » would contradict the refusal
    assert format_ratio(4.497) == "4,49"
    assert format_ratio(MIN_CONTRAST) == "4,5"


def test_dark_brand_colours_pass(tmp_path, monkeypatch):
    assert brand_errors(tmp_path, monkeypatch, "#1f4e79", "#c8102e") == []


def test_light_primary_names_the_pair_and_the_ratio(tmp_path, monkeypatch):
    ratio = format_ratio(contrast_ratio("#ffffff", "#88aaff"))
    assert brand_errors(tmp_path, monkeypatch, "#88aaff", "#c8102e") == [
        f"territories/x/territory.yaml:5: brand.primary: le texte blanc sur « #88aaff » a un "
        f"contraste de {ratio}:1 ; 4,5:1 au moins est exigé (WCAG AA) ; choisissez une couleur "
        "plus foncée"
    ]


def test_light_accent_is_refused_too(tmp_path, monkeypatch):
    (error,) = brand_errors(tmp_path, monkeypatch, "#1f4e79", "#777777")
    assert error.startswith(
        "territories/x/territory.yaml:6: brand.accent: le texte blanc sur « #777777 » a un "
        "contraste de 4,48:1 ; 4,5:1 au moins est exigé"
    )


def test_both_failing_colours_are_reported(tmp_path, monkeypatch):
    errors = brand_errors(tmp_path, monkeypatch, "#ffff00", "#00ff00")
    assert [e.split(": ")[1] for e in errors] == ["brand.primary", "brand.accent"]


@pytest.mark.parametrize("slug", ["loiret", "loir-et-cher"])
def test_project_brands_reach_aa(slug):
    (territory,) = load_territories(TERRITORIES, only=slug)
    for colour in filter(None, (territory.brand.primary, territory.brand.accent)):
        assert contrast_ratio("#ffffff", colour) >= MIN_CONTRAST
