"""The professions vocabulary, the structured aids and where a territory is."""

from decimal import Decimal
from pathlib import Path

import pytest
from contentkit import MINIMAL
from territories.loader import load_territories
from territories.model import Aid
from territories.pages import slugify
from test_validation import PLACEMENT, errors_of, load_one

from territories import geography, professions

P = "territories/x/placements/offre.md"
T = "territories/x/territory.yaml"


def test_no_two_professions_share_a_form_or_a_url_name():
    forms = [professions.normalised(f) for p in professions.PROFESSIONS for f in p.forms]
    slugs = [p.slug for p in professions.PROFESSIONS]
    assert len(forms) == len(set(forms))
    assert len(slugs) == len(set(slugs))


def test_url_names_are_the_ascii_names_the_site_uses():
    for p in professions.PROFESSIONS:
        assert p.slug == slugify(p.slug)
        if p.slug != "manipulateur-electroradiologie":
            assert p.slug == slugify(p.label)


def test_the_vocabulary_holds_the_regulated_professions_and_the_specialties():
    labels = {p.label for p in professions.PROFESSIONS}
    assert {
        "médecin",
        "médecin généraliste",
        "chirurgien-dentiste",
        "sage-femme",
        "pharmacien",
        "infirmier",
        "masseur-kinésithérapeute",
        "pédicure-podologue",
        "ergothérapeute",
        "psychomotricien",
        "orthophoniste",
        "orthoptiste",
        "manipulateur d'électroradiologie médicale",
        "audioprothésiste",
        "opticien-lunetier",
        "diététicien",
        "pédiatre",
        "psychiatre",
    } <= labels


@pytest.mark.parametrize(
    ("written", "label"),
    [
        ("infirmière", "infirmier"),
        ("Kiné", "masseur-kinésithérapeute"),
        ("kinésithérapeute", "masseur-kinésithérapeute"),
        ("  Sage-Femme ", "sage-femme"),
        ("IDE", "infirmier"),
        ("manipulatrice d’électroradiologie médicale", "manipulateur d'électroradiologie médicale"),
    ],
)
def test_any_form_of_a_profession_is_kept_as_its_label(tmp_path, monkeypatch, written, label):
    files = {
        "territory.yaml": MINIMAL,
        "placements/offre.md": PLACEMENT.replace("profession: infirmier", f"profession: {written}"),
    }
    territory = load_one(tmp_path, monkeypatch, files)
    assert territory.placements[0].profession == label


def test_a_near_miss_is_refused_with_a_suggestion(tmp_path, monkeypatch):
    files = {
        "territory.yaml": MINIMAL,
        "placements/offre.md": PLACEMENT.replace("profession: infirmier", "profession: infirmièr"),
    }
    assert errors_of(tmp_path, monkeypatch, files) == [
        f"{P}:4: profession: « infirmièr » n'est pas une profession de santé de la liste "
        "(voir docs/content-reference.md, « Professions ») ; vouliez-vous dire « infirmier » ?"
    ]


def test_a_word_far_from_every_profession_gets_no_suggestion(tmp_path, monkeypatch):
    files = {
        "territory.yaml": MINIMAL,
        "placements/offre.md": PLACEMENT.replace("profession: infirmier", "profession: plombier"),
    }
    (error,) = errors_of(tmp_path, monkeypatch, files)
    assert error.endswith("« Professions »)")


def test_the_shipped_territories_and_the_reference_name_known_professions():
    for territory in load_territories(Path(__file__).parents[3] / "territories"):
        for p in territory.placements:
            assert professions.find(p.profession).label == p.profession


AIDS = """\
aids:
  - title: Bourse des internes
    professions: [médecin généraliste, sage-femme]
    stages: [interne]
    amount_eur: 12500.5
    funder: Département
    referent: {name: Claire Martin, email: aides@example.org, phone: "02 38 25 41 35"}
  - title: Accueil
    who: Tous les soignants
    amount: gratuit
"""


def test_structured_aids_are_loaded(tmp_path, monkeypatch):
    territory = load_one(tmp_path, monkeypatch, {"territory.yaml": MINIMAL + AIDS})
    bourse, accueil = territory.aids
    assert bourse.professions == ("médecin généraliste", "sage-femme")
    assert bourse.stages == ("interne",)
    assert bourse.amount_eur == Decimal("12500.5")
    assert (bourse.funder, bourse.referent.name, bourse.referent.phone) == (
        "Département",
        "Claire Martin",
        "02 38 25 41 35",
    )
    assert (accueil.professions, accueil.stages, accueil.amount) == ((), (), "gratuit")


def test_aids_apply_to_every_profession_and_stage_unless_they_say():
    targeted = Aid("Bourse", professions=("sage-femme",), stages=("interne",))
    universal = Aid("Accueil")
    assert targeted.is_for("sage-femme", "interne") and targeted.is_for("sage-femme")
    assert not targeted.is_for("infirmier") and not targeted.is_for(stage="installé")
    assert universal.is_for("infirmier", "installé")


@pytest.mark.parametrize(
    ("aid", "expected"),
    [
        (
            "  - title: A\n    stages: [internes]\n",
            f"{T}:11: aids[1].stages[1]: « internes » n'est pas une valeur permise (étudiant, "
            "interne, remplaçant, installation, installé) ; vouliez-vous dire « interne » ?",
        ),
        (
            "  - title: A\n    professions: [sage femmes]\n",
            f"{T}:11: aids[1].professions[1]: « sage femmes » n'est pas une profession de santé "
            "de la liste (voir docs/content-reference.md, « Professions ») ; "
            "vouliez-vous dire « sage-femme » ?",
        ),
        (
            "  - title: A\n    amount: 10 €\n    amount_eur: 10\n",
            f"{T}:11: aids[1].amount: indiquez le montant une seule fois : `amount_eur` "
            "(nombre) ou `amount` (texte)",
        ),
        (
            "  - title: A\n    referent: {email: a@example.org}\n",
            f"{T}:11: aids[1].referent.name: champ obligatoire manquant",
        ),
    ],
    ids=["stage", "profession", "two_amounts", "referent_without_name"],
)
def test_aid_errors_are_located_and_explained(tmp_path, monkeypatch, aid, expected):
    files = {"territory.yaml": MINIMAL + "aids:\n" + aid}
    (error,) = errors_of(tmp_path, monkeypatch, files)
    assert error.startswith(expected)


def test_every_departement_belongs_to_one_of_the_regions():
    assert len(geography.DEPARTEMENTS) == 101
    assert {region for _, region in geography.DEPARTEMENTS.values()} == set(geography.REGIONS)


@pytest.mark.parametrize(
    ("code", "region", "departement", "expected_region"),
    [
        ("41", None, "Loir-et-Cher", "Centre-Val de Loire"),
        ("41269", None, "Loir-et-Cher", "Centre-Val de Loire"),  # a commune's INSEE code
        ("2A004", None, "Corse-du-Sud", "Corse"),
        ("97411", None, "La Réunion", "La Réunion"),
        ("1", None, "Ain", "Auvergne-Rhône-Alpes"),
        ("200046977", "Bretagne", None, "Bretagne"),  # an EPCI's SIREN says nothing: `region`
        (None, None, None, None),
    ],
)
def test_a_territory_is_located_by_its_code_or_its_region(
    code, region, departement, expected_region
):
    location = geography.location_of(code, region)
    assert location.region == expected_region
    assert (location.departement.name if location.departement else None) == departement
