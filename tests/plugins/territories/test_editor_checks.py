"""The content checks collectivities' officers met, tried as a new editor writes: official
codes, event times in Paris, languages, oui/non, YAML in French, indentation, positions from 1,
photo names."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import yaml
from contentkit import MINIMAL
from territories.fields import PARIS
from territories.loader import ContentErrors, load_territories
from territories.schema import TERRITORY

from tools import decap_config

PLACEMENT = (
    "---\ntitle: Remplacement\nkind: stage\nprofession: infirmier\ncommune: Blois\n"
    "start: 2027-09-01\nend: 2027-10-01\n---\nTexte de l'offre.\n"
)
T = "territories/x/territory.yaml"
P = "territories/x/placements/offre.md"
EPCI = MINIMAL.replace("kind: commune", "kind: communauté de communes")
DEPARTEMENT = MINIMAL.replace("kind: commune", "kind: département")
EVENT = "events:\n  - title: Afterwork\n    place: Blois\n    start: {start}\n"
ENGLISH = re.compile(r"\b(found|expected|character|mapping|allowed|while|scanning)\b")


def setup_territory(tmp_path, monkeypatch, files: dict[str, str]):
    for name, text in files.items():
        path = tmp_path / "territories" / "x" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path.relative_to(tmp_path) / "territories"


def errors_of(tmp_path, monkeypatch, files: dict[str, str]) -> list[str]:
    """Every error the build reports for these files, as the checker prints them."""
    with pytest.raises(ContentErrors) as raised:
        load_territories(setup_territory(tmp_path, monkeypatch, files))
    return [str(error) for error in raised.value.errors]


def load_one(tmp_path, monkeypatch, files: dict[str, str]):
    (territory,) = load_territories(setup_territory(tmp_path, monkeypatch, files))
    return territory


def only(tmp_path, monkeypatch, text: str, name: str = "territory.yaml") -> str:
    files = {"territory.yaml": MINIMAL, name: text} if name != "territory.yaml" else {name: text}
    (error,) = errors_of(tmp_path, monkeypatch, files)
    return error


# --- Official codes. ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "code"),
    [
        (EPCI, '"200030385"'),
        (EPCI, "200030385"),
        (DEPARTEMENT, '"2A"'),
        (DEPARTEMENT, "2b"),
        (DEPARTEMENT, '"974"'),
        (MINIMAL, '"41018"'),
        (MINIMAL, '"2A004"'),
    ],
)
def test_each_kind_of_territory_takes_its_own_official_code(tmp_path, monkeypatch, text, code):
    territory = load_one(tmp_path, monkeypatch, {"territory.yaml": text + f"code: {code}\n"})
    assert territory.code == code.strip('"').upper()


@pytest.mark.parametrize(
    ("text", "code", "message"),
    [
        (
            EPCI,
            '"41"',
            "« 41 » n'est pas un SIREN : une intercommunalité a pour code son SIREN, 9 chiffres",
        ),
        (EPCI, '"20003038"', "« 20003038 » n'est pas un SIREN"),
        (
            EPCI,
            '"200030386"',
            "« 200030386 » n'est pas un SIREN valide : sa clé de contrôle ne correspond pas",
        ),
        (
            DEPARTEMENT,
            '"100"',
            "« 100 » n'est pas un numéro de département (01 à 95, 2A, 2B, 971 à 976)",
        ),
        (DEPARTEMENT, '"20"', "« 20 » n'est pas un numéro de département"),
        (MINIMAL, '"41000"', "« 41000 » n'est pas un code INSEE de commune"),
        (MINIMAL, '"4101"', "ce n'est pas le code postal"),
    ],
    ids=[
        "epci-department-number",
        "siren-8-digits",
        "siren-bad-key",
        "department-100",
        "corsica-20",
        "postal-code",
        "four-digits",
    ],
)
def test_a_code_that_is_not_the_kinds_is_refused_in_french(
    tmp_path, monkeypatch, text, code, message
):
    error = only(tmp_path, monkeypatch, text + f"code: {code}\n")
    assert error.startswith(f"{T}:9: code: ")
    assert message in error


# --- Event times: Paris time, an offset checked, never shifted. ------------------------------


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("2027-10-14T19:00", "2027-10-14T19:00:00+02:00"),  # summer time
        ("2027-12-02T19:00", "2027-12-02T19:00:00+01:00"),  # winter time
        ("2027-10-14T19:00:00", "2027-10-14T19:00:00+02:00"),  # YAML reads it as a date-time
        ('"2027-10-14 19:00"', "2027-10-14T19:00:00+02:00"),
        ("2027-10-14T19:00:00+02:00", "2027-10-14T19:00:00+02:00"),  # the right offset
        ("2027-10-31T02:30", "2027-10-31T02:30:00+02:00"),  # the hour that happens twice: first
    ],
)
def test_an_event_time_is_paris_time(tmp_path, monkeypatch, written, expected):
    territory = load_one(
        tmp_path, monkeypatch, {"territory.yaml": MINIMAL + EVENT.format(start=written)}
    )
    start = territory.events[0].start
    assert start.isoformat() == expected
    assert start.tzinfo == PARIS


def test_a_wrong_offset_is_flagged_not_shifted_by_an_hour(tmp_path, monkeypatch):
    error = only(tmp_path, monkeypatch, MINIMAL + EVENT.format(start="2027-10-14T19:00+01:00"))

    assert error.startswith(f"{T}:12: events[1].start: décalage +01:00 incorrect pour Paris")
    assert "(heure d'été : +02:00)" in error
    assert "écrivez l'heure de Paris sans décalage (ex. 2027-10-14T19:00)" in error


def test_what_the_editor_writes_is_read_as_paris_time(tmp_path, monkeypatch):
    cfg = decap_config.config({"x": "Testville"})
    (events,) = [f for f in cfg["collections"][0]["files"][0]["fields"] if f["name"] == "events"]
    (start,) = [f for f in events["fields"] if f["name"] == "start"]
    # Decap formats with moment.js: this is "2027-10-14T19:00", without an offset.
    assert start["format"] == "YYYY-MM-DDTHH:mm"
    written = dt.datetime(2027, 10, 14, 19, 0).strftime("%Y-%m-%dT%H:%M")

    territory = load_one(
        tmp_path, monkeypatch, {"territory.yaml": MINIMAL + EVENT.format(start=written)}
    )

    assert territory.events[0].start == dt.datetime(2027, 10, 14, 17, 0, tzinfo=dt.UTC)


# --- Languages. -----------------------------------------------------------------------------

WELCOMER = "welcomers:\n  - id: claire\n    first_name: Claire\n    commune: Blois\n    bio: B\n"


def test_language_codes_are_iso_639_1_and_named_in_french(tmp_path, monkeypatch):
    from territories.filters import language

    text = MINIMAL + WELCOMER + "    languages: [fr, EN, oc, br]\n"
    territory = load_one(tmp_path, monkeypatch, {"territory.yaml": text})

    assert territory.welcomers[0].languages == ("fr", "en", "oc", "br")
    assert [language(c) for c in territory.welcomers[0].languages] == [
        "français",
        "anglais",
        "occitan",
        "breton",
    ]


def test_an_unknown_language_code_gets_a_suggestion(tmp_path, monkeypatch):
    error = only(tmp_path, monkeypatch, MINIMAL + WELCOMER + "    languages: [fr, an, ag]\n")

    assert error.startswith(f"{T}:14: welcomers[1].languages[3]: « ag » n'est pas un code")
    assert re.search(r"vouliez-vous dire « \w\w » \(\w+", error)


# --- oui / non. -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "value"), [("oui", True), ("Non", False), ("true", True), ("no", False)]
)
def test_housing_is_written_oui_or_non(tmp_path, monkeypatch, written, value):
    offer = PLACEMENT.replace("end:", f"housing: {written}\nend:")
    territory = load_one(
        tmp_path, monkeypatch, {"territory.yaml": MINIMAL, "placements/offre.md": offer}
    )
    assert territory.placements[0].housing is value


# --- YAML errors, always in French. ---------------------------------------------------------


@pytest.mark.parametrize(
    "front",
    [
        "title: Stage\n\tkind: stage\n",
        "title: Stage\n...\nkind: stage\n",
        "%YAML 1.1\ntitle: x\n",
        "title: &\n",
        "title: |\n x\n  y\n bad: [\n",
    ],
    ids=["tab", "document-end", "directive", "bare-anchor", "block-scalar"],
)
def test_a_placements_front_matter_error_is_explained_in_french(tmp_path, monkeypatch, front):
    offer = f"---\n{front}---\nTexte.\n"

    errors = errors_of(
        tmp_path, monkeypatch, {"territory.yaml": MINIMAL, "placements/offre.md": offer}
    )

    assert errors
    for error in errors:
        assert error.startswith(P), error
        assert not ENGLISH.search(error), error


# --- Indentation. ---------------------------------------------------------------------------


def test_a_key_not_indented_under_its_section_says_where_to_indent(tmp_path, monkeypatch):
    text = MINIMAL.replace(
        "contact:\n  email: contact@example.org", "contact:\nemail: contact@example.org"
    )

    errors = errors_of(tmp_path, monkeypatch, {"territory.yaml": text})

    assert (
        f"{T}:7: email: clé inconnue ici : « email » est un champ de contact: ; "
        "indentez sous contact: (deux espaces en début de ligne)" in errors
    )


def test_a_key_misaligned_in_its_section_says_indentez_sous_the_parent(tmp_path, monkeypatch):
    text = MINIMAL.replace(
        "  email: contact@example.org", "  email: contact@example.org\n name: Mairie"
    )

    error = only(tmp_path, monkeypatch, text)

    assert error.startswith(f"{T}:8: YAML invalide")
    assert "indentez sous contact:" in error


# --- Positions, photo names. ----------------------------------------------------------------


def test_list_positions_are_counted_from_one(tmp_path, monkeypatch):
    text = MINIMAL + "castles:\n  - name: Chambord\n  - name: Cheverny\n    url: cheverny.fr\n"

    error = only(tmp_path, monkeypatch, text)

    assert error.startswith(f"{T}:12: castles[2].url:")  # the second castle


@pytest.mark.parametrize("written", ["images/logo.png", "images/LOGO.svg", "images/logo"])
def test_a_photo_path_off_by_its_extension_gets_a_suggestion(tmp_path, monkeypatch, written):
    text = MINIMAL.replace('  primary: "#1f4e79"', f'  primary: "#1f4e79"\n  logo: {written}')
    files = {"territory.yaml": text, "images/logo.svg": "<svg xmlns='http://www.w3.org/2000/svg'/>"}

    (error,) = errors_of(tmp_path, monkeypatch, files)

    if written == "images/logo":
        assert "n'est pas une image" in error  # no extension: said plainly
    else:
        assert error.endswith("vouliez-vous dire « images/logo.svg » ?")


def test_the_json_schema_accepts_paris_time_and_oui(tmp_path):
    from jsonschema import Draft202012Validator

    schema = TERRITORY.schema()
    start = schema["properties"]["events"]["items"]["properties"]["start"]
    assert re.match(start["pattern"], "2027-10-14T19:00")
    assert Draft202012Validator(
        {"anyOf": [{"type": "boolean"}, {"type": "string", "enum": ["oui", "non"]}]}
    ).is_valid("oui")
    assert yaml.safe_load("housing: oui") == {"housing": "oui"}  # YAML 1.1 reads it as text
