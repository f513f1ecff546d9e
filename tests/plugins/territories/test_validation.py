"""Each class of content error is reported at its file, line and field, in French."""

from decimal import Decimal
from pathlib import Path

import pytest
from contentkit import MINIMAL, PLACEMENT, jpeg
from territories.loader import ContentErrors, load_territories
from territories.model import PLACEMENT_KINDS

T = "territories/x/territory.yaml"
P = "territories/x/placements/offre.md"


PAGE = "---\ntitle: Une page\n---\nTexte.\n"

WELCOMER = "welcomers:\n  - id: claire\n    first_name: Claire\n    commune: Blois\n    bio: B\n"

PACK = """\
pack:
  name: Coffret
  contents: [Un livre]
  price_eur: 100
  subsidy_eur: 40
  buyers: [commune]
  max_quantity: 10
"""


def setup_territory(tmp_path: Path, monkeypatch, files: dict[str, str | bytes]) -> Path:
    """Write territories/x/ with `files` (text, or bytes) under tmp_path and make tmp_path
    the cwd."""
    for name, text in files.items():
        path = tmp_path / "territories" / "x" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return Path("territories")


def errors_of(tmp_path, monkeypatch, files: dict[str, str]) -> list[str]:
    """The text of every error the loader reports for these files."""
    root = setup_territory(tmp_path, monkeypatch, files)
    with pytest.raises(ContentErrors) as raised:
        load_territories(root)
    return [str(error) for error in raised.value.errors]


def load_one(tmp_path, monkeypatch, files: dict[str, str]):
    """The single territory these (valid) files make."""
    (territory,) = load_territories(setup_territory(tmp_path, monkeypatch, files))
    return territory


def only_error(tmp_path, monkeypatch, files) -> str:
    errors = errors_of(tmp_path, monkeypatch, files)
    assert len(errors) == 1, errors
    return errors[0]


TERRITORY_ERRORS = {
    # YAML syntax
    "colon_in_plain_text": (
        MINIMAL + "intro: Paris : une heure\n",
        f"{T}:9: YAML invalide : deux-points inattendu",
    ),
    "unclosed_quote_points_at_its_opening": (
        MINIMAL + 'intro: "Bienvenue\n',
        f"{T}:9: YAML invalide : guillemet ou crochet non fermé",
    ),
    "tab_indentation": (
        MINIMAL + "assets:\n\t- title: x\n",
        f"{T}:10: YAML invalide : caractère interdit ici (une tabulation ?",
    ),
    "not_a_mapping": ("- name: Testville\n", f"{T}:1: des champs « clé: valeur » sont attendus"),
    "empty_file": ("", f"{T}:1: des champs « clé: valeur » sont attendus"),
    "duplicate_key": (MINIMAL + "name: Autre\n", f"{T}:9: name: clé écrite deux fois"),
    # required fields
    "missing_name": (MINIMAL.replace("name: Testville\n", ""), f"{T}:1: name: champ obligatoire"),
    "missing_kind": (MINIMAL.replace("kind: commune\n", ""), f"{T}:1: kind: champ obligatoire"),
    "missing_tagline": (
        MINIMAL.replace("tagline: Une ville pour tester\n", ""),
        f"{T}:1: tagline: champ obligatoire manquant (ex. tagline: ",
    ),
    "empty_tagline": (
        MINIMAL.replace("tagline: Une ville pour tester", "tagline:"),
        f"{T}:3: tagline: champ obligatoire vide",
    ),
    "missing_brand_primary": (
        MINIMAL.replace('  primary: "#1f4e79"', '  accent: "#1f4e79"'),
        f"{T}:4: brand.primary: champ obligatoire manquant",
    ),
    "missing_contact_email": (
        MINIMAL.replace("  email: contact@example.org", "  name: Mairie"),
        f"{T}:6: contact.email: champ obligatoire manquant",
    ),
    "missing_notify": (
        MINIMAL.replace("notify: [accueil@example.org]\n", ""),
        f"{T}:1: notify: champ obligatoire manquant",
    ),
    "empty_notify": (
        MINIMAL.replace("[accueil@example.org]", "[]"),
        f"{T}:8: notify: la liste ne doit pas être vide",
    ),
    # wrong types
    "list_for_text": (
        MINIMAL.replace("name: Testville", "name: [Test, ville]"),
        f"{T}:1: name: texte attendu, trouvé une liste",
    ),
    "number_for_text": (
        MINIMAL.replace("tagline: Une ville pour tester", "tagline: 2027"),
        f"{T}:3: tagline: texte attendu, trouvé « 2027 », lu comme un nombre ; mettez-le entre",
    ),
    "yaml_boolean_for_text": (
        MINIMAL + WELCOMER + "    languages: [fr, no]\n",
        f"{T}:14: welcomers[0].languages[1]: texte attendu, trouvé « no », lu comme un booléen",
    ),
    "text_for_list": (
        MINIMAL.replace("[accueil@example.org]", "accueil@example.org"),
        f"{T}:8: notify: liste attendue, trouvé du texte",
    ),
    "text_for_section": (
        MINIMAL.replace("contact:\n  email: contact@example.org", "contact: contact@example.org"),
        f"{T}:6: contact: section attendue (clé: valeur), trouvé du texte",
    ),
    "text_for_integer": (
        MINIMAL + PACK.replace("max_quantity: 10", 'max_quantity: "10"'),
        f"{T}:15: pack.max_quantity: nombre entier attendu, trouvé du texte",
    ),
    "boolean_is_not_an_integer": (
        MINIMAL + PACK.replace("max_quantity: 10", "max_quantity: true"),
        f"{T}:15: pack.max_quantity: nombre entier attendu, trouvé un booléen",
    ),
    # unknown keys
    "misspelt_key_gets_a_suggestion": (
        MINIMAL + "tagine: Bienvenue\n",
        f"{T}:9: tagine: clé inconnue ; vouliez-vous dire « tagline » ?",
    ),
    "misspelt_nested_key": (
        MINIMAL.replace("contact:\n", "contact:\n  nmae: Mairie\n"),
        f"{T}:7: contact.nmae: clé inconnue ; vouliez-vous dire « name » ?",
    ),
    "unknown_key_lists_the_known_ones": (
        MINIMAL + "zzz: 1\n",
        f"{T}:9: zzz: clé inconnue ; clés possibles : name, kind, code, tagline",
    ),
    # colours, e-mails, phone, url
    "colour_name": (
        MINIMAL.replace('"#1f4e79"', "bleu"),
        f"{T}:5: brand.primary: « bleu » n'est pas une couleur (#rrggbb attendu)",
    ),
    "short_colour": (
        MINIMAL.replace('"#1f4e79"', '"#1f4"'),
        f"{T}:5: brand.primary: « #1f4 » n'est pas une couleur (#rrggbb attendu)",
    ),
    "email": (
        MINIMAL.replace("contact@example.org", "contact.example.org"),
        f"{T}:7: contact.email: « contact.example.org » n'est pas une adresse e-mail valide",
    ),
    "email_in_a_list": (
        MINIMAL.replace("[accueil@example.org]", "[accueil@example.org, accueil@]"),
        f"{T}:8: notify[1]: « accueil@ » n'est pas une adresse e-mail valide",
    ),
    "phone": (
        MINIMAL.replace("contact:\n", "contact:\n  phone: appelez-nous\n"),
        f"{T}:7: contact.phone: « appelez-nous » n'est pas un numéro de téléphone",
    ),
    "url": (
        MINIMAL + "castles:\n  - name: Chambord\n    url: www.chambord.org\n",
        f"{T}:11: castles[0].url: « www.chambord.org » n'est pas valide",
    ),
    # enums
    "territory_kind": (
        MINIMAL.replace("kind: commune", "kind: départment"),
        f"{T}:2: kind: « départment » n'est pas une valeur permise (département, agglomération, "
        "communauté de communes, commune) ; vouliez-vous dire « département » ?",
    ),
    "school_level": (
        MINIMAL + "schools:\n  - name: L\n    commune: Blois\n    level: lycee\n",
        f"{T}:12: schools[0].level: « lycee » n'est pas une valeur permise (maternelle, primaire, "
        "collège, lycée, supérieur) ; vouliez-vous dire « lycée » ?",
    ),
    "school_sector": (
        MINIMAL + "schools:\n  - {name: L, commune: Blois, level: lycée, sector: prive}\n",
        f"{T}:10: schools[0].sector: « prive » n'est pas une valeur permise (public, privé)",
    ),
    # events: date-times with a timezone offset
    "event_without_offset": (
        MINIMAL + "events:\n  - title: A\n    place: Blois\n    start: 2027-06-17T19:00:00\n",
        f"{T}:12: events[0].start: fuseau horaire manquant : ajoutez le décalage, "
        "ex. 2027-10-14T19:00:00+02:00",
    ),
    "event_date_without_time": (
        MINIMAL + "events:\n  - title: A\n    place: Blois\n    start: 2027-06-17\n",
        f"{T}:12: events[0].start: « 2027-06-17 » n'est pas une date et heure valide",
    ),
    "event_ending_before_it_starts": (
        MINIMAL + "events:\n  - title: A\n    place: Blois\n"
        "    start: 2027-06-17T19:00:00+02:00\n    end: 2027-06-17T18:00:00+02:00\n",
        f"{T}:13: events[0].end: la fin (2027-06-17T18:00:00+02:00) est avant le début",
    ),
    # code and key figures
    "code_as_a_list": (MINIMAL + "code: [41]\n", f"{T}:9: code: code attendu"),
    "key_figure_value_as_a_list": (
        MINIMAL + "key_figures:\n  - {label: L, value: [1]}\n",
        f"{T}:10: key_figures[0].value: texte ou nombre attendu, trouvé une liste",
    ),
    # pack
    "negative_price": (
        MINIMAL + PACK.replace("price_eur: 100", "price_eur: -1"),
        f"{T}:12: pack.price_eur: le montant ne peut pas être négatif (trouvé -1)",
    ),
    "price_as_text": (
        MINIMAL + PACK.replace("price_eur: 100", "price_eur: 100 €"),
        f"{T}:12: pack.price_eur: montant attendu (nombre, ex. 499), trouvé du texte",
    ),
    "subsidy_above_price": (
        MINIMAL + PACK.replace("subsidy_eur: 40", "subsidy_eur: 150"),
        f"{T}:13: pack.subsidy_eur: la subvention (150 €) dépasse le prix (100 €)",
    ),
    "negative_subsidy": (
        MINIMAL + PACK.replace("subsidy_eur: 40", "subsidy_eur: -5"),
        f"{T}:13: pack.subsidy_eur: le montant ne peut pas être négatif",
    ),
    "no_buyers": (
        MINIMAL + PACK.replace("buyers: [commune]", "buyers: []"),
        f"{T}:14: pack.buyers: la liste ne doit pas être vide",
    ),
    "buyer_not_a_string": (
        MINIMAL + PACK.replace("buyers: [commune]", "buyers: [commune, 3]"),
        f"{T}:14: pack.buyers[1]: texte attendu",
    ),
    "zero_max_quantity": (
        MINIMAL + PACK.replace("max_quantity: 10", "max_quantity: 0"),
        f"{T}:15: pack.max_quantity: doit être au moins 1 (trouvé 0)",
    ),
    "pack_without_price": (
        MINIMAL + PACK.replace("  price_eur: 100\n", ""),
        f"{T}:9: pack.price_eur: champ obligatoire manquant",
    ),
    # welcomers
    "welcomer_id_not_a_slug": (
        MINIMAL + WELCOMER.replace("id: claire", "id: Claire D"),
        f"{T}:10: welcomers[0].id: « Claire D » n'est pas valide : lettres minuscules",
    ),
    "duplicate_welcomer_id": (
        MINIMAL + WELCOMER + WELCOMER.replace("welcomers:\n", ""),
        f"{T}:14: welcomers[1].id: « claire » est déjà utilisé par un autre élément",
    ),
    "language_not_two_letters": (
        MINIMAL + WELCOMER + "    languages: [fr, fra]\n",
        f"{T}:14: welcomers[0].languages[1]: « fra » n'est pas valide : code de langue ISO 639-1",
    ),
    "missing_welcomer_photo": (
        MINIMAL + WELCOMER + "    photo: images/claire.jpg\n",
        f"{T}:14: welcomers[0].photo: le fichier « images/claire.jpg » est introuvable dans "
        "territories/x/",
    ),
    # coordinates
    "latitude_out_of_range": (
        MINIMAL + "castles:\n  - name: C\n    coordinates: [147.6, 1.5]\n",
        f"{T}:11: castles[0].coordinates: latitude hors limites (-90 à 90) : 147,6",
    ),
    "longitude_out_of_range": (
        MINIMAL + "castles:\n  - name: C\n    coordinates: [47.6, 200]\n",
        f"{T}:11: castles[0].coordinates: longitude hors limites (-180 à 180) : 200",
    ),
    "coordinates_need_two_numbers": (
        MINIMAL + "castles:\n  - name: C\n    coordinates: [47.6]\n",
        f"{T}:11: castles[0].coordinates: [latitude, longitude] attendu",
    ),
    # Markdown
    "script_in_the_intro": (
        MINIMAL + "intro: |\n  Bienvenue.\n  <script>alert(1)</script>\n",
        f"{T}:9: intro: « <script> » n'est pas autorisé",
    ),
    "event_handler_in_the_intro": (
        MINIMAL + "intro: '<img src=x.png onerror=alert(1)>'\n",
        f"{T}:9: intro: « onerror= » n'est pas autorisé",
    ),
    "event_handler_in_markdown_attributes": (
        MINIMAL + "intro: |\n  # Bienvenue {onclick=alert(1)}\n",
        f"{T}:9: intro: « onclick= » n'est pas autorisé",
    ),
    "javascript_link": (
        MINIMAL + "intro: '[clic](javascript:alert(1))'\n",
        f"{T}:9: intro: le lien « javascript:alert(1) » n'est pas autorisé",
    ),
    # images and owners
    "missing_logo": (
        MINIMAL.replace("brand:\n", "brand:\n  logo: images/logo.svg\n"),
        f"{T}:5: brand.logo: le fichier « images/logo.svg » est introuvable dans territories/x/",
    ),
    "logo_outside_the_folder": (
        MINIMAL.replace("brand:\n", "brand:\n  logo: ../loiret/images/logo.svg\n"),
        f"{T}:5: brand.logo: « ../loiret/images/logo.svg » doit être un fichier du dossier images/",
    ),
    "logo_not_an_image": (
        MINIMAL.replace("brand:\n", "brand:\n  logo: images/territory.yaml\n"),
        f"{T}:5: brand.logo: « images/territory.yaml » n'est pas une image",
    ),
    "owner_without_at_sign": (
        MINIMAL + "owners: [be-lc/communication]\n",
        f"{T}:9: owners[0]: « be-lc/communication » n'est pas valide : identifiant d'hébergement",
    ),
    "owners_as_text": (
        MINIMAL + "owners: '@be-lc'\n",
        f"{T}:9: owners: liste attendue, trouvé du texte",
    ),
}


@pytest.mark.parametrize(
    ("text", "expected"), list(TERRITORY_ERRORS.values()), ids=list(TERRITORY_ERRORS)
)
def test_territory_yaml_error_is_located_and_explained(tmp_path, monkeypatch, text, expected):
    error = only_error(tmp_path, monkeypatch, {"territory.yaml": text})
    assert error.startswith(expected)


PLACEMENT_ERRORS = {
    "misspelt_key": (
        PLACEMENT.replace("title:", "titre:"),
        # the misspelling also leaves the required title missing
        [f"{P}:2: titre: clé inconnue ; vouliez-vous dire « title » ?", f"{P}:2: title: champ"],
    ),
    "kind": (
        PLACEMENT.replace("kind: stage", "kind: vacation"),
        [f"{P}:3: kind: « vacation » n'est pas une valeur permise ({', '.join(PLACEMENT_KINDS)})"],
    ),
    "impossible_date": (
        PLACEMENT.replace("start: 2027-09-01", "start: 2027-02-30"),
        [f"{P}:6: start: « 2027-02-30 » n'est pas une date valide (AAAA-MM-JJ attendu)"],
    ),
    "date_in_words": (
        PLACEMENT.replace("start: 2027-09-01", "start: 1er septembre"),
        [f"{P}:6: start: « 1er septembre » n'est pas une date valide (AAAA-MM-JJ attendu)"],
    ),
    "date_with_a_time": (
        PLACEMENT.replace("start: 2027-09-01", "start: 2027-09-01T08:00:00"),
        [f"{P}:6: start: date sans heure attendue (AAAA-MM-JJ)"],
    ),
    "end_before_start": (
        PLACEMENT.replace("end: 2027-10-01", "end: 2027-08-01"),
        [f"{P}:7: end: la fin (2027-08-01) est avant le début (2027-09-01)"],
    ),
    "housing_in_words": (
        PLACEMENT.replace("end:", "housing: oui\nend:"),
        [f"{P}:7: housing: true ou false attendu, trouvé « oui »"],
    ),
    "contact_email": (
        PLACEMENT.replace("end:", "contact: accueil\nend:"),
        [f"{P}:7: contact: « accueil » n'est pas une adresse e-mail valide"],
    ),
    "no_front_matter": (
        "title: Offre\n\nTexte.\n",
        [f"{P}:1: en-tête manquant : le fichier doit commencer par une ligne ---"],
    ),
    "unclosed_front_matter": (
        PLACEMENT.replace("---\nTexte", "Texte"),
        [f"{P}:1: en-tête non fermé : ajoutez une ligne --- après les champs"],
    ),
    "iframe_in_the_text": (
        PLACEMENT.replace(
            "Texte de l'offre.", "Voir :\n\n<iframe src='https://x.example'></iframe>"
        ),
        [f"{P}:11: « <iframe> » n'est pas autorisé : le site ne charge ni script"],
    ),
    "front_matter_syntax": (
        PLACEMENT.replace("commune: Blois", "commune: Blois : centre"),
        [f"{P}:5: YAML invalide : deux-points inattendu"],
    ),
}


@pytest.mark.parametrize(
    ("text", "expected"), list(PLACEMENT_ERRORS.values()), ids=list(PLACEMENT_ERRORS)
)
def test_placement_error_is_located_in_the_markdown_file(tmp_path, monkeypatch, text, expected):
    errors = errors_of(
        tmp_path, monkeypatch, {"territory.yaml": MINIMAL, "placements/offre.md": text}
    )
    assert len(errors) == len(expected), errors
    for error, start in zip(errors, expected, strict=True):
        assert error.startswith(start)


@pytest.mark.parametrize("key", ["title", "kind", "profession", "commune", "start"])
def test_placement_required_fields(tmp_path, monkeypatch, key):
    text = "".join(line for line in PLACEMENT.splitlines(keepends=True) if not line.startswith(key))
    files = {"territory.yaml": MINIMAL, "placements/offre.md": text}
    error = only_error(tmp_path, monkeypatch, files)
    assert error.startswith(f"{P}:2: {key}: champ obligatoire manquant (ex. {key}: ")


def test_placement_file_name_must_be_a_slug(tmp_path, monkeypatch):
    files = {"territory.yaml": MINIMAL, "placements/Offre Blois.md": PLACEMENT}
    error = only_error(tmp_path, monkeypatch, files)
    assert error.startswith(
        "territories/x/placements/Offre Blois.md:1: le nom de fichier « Offre Blois.md » ne "
        "convient pas : lettres minuscules sans accent, chiffres et tirets"
    )


def test_only_markdown_files_are_expected_in_placements(tmp_path, monkeypatch):
    files = {"territory.yaml": MINIMAL, "placements/offre.txt": PLACEMENT}
    assert only_error(tmp_path, monkeypatch, files) == (
        "territories/x/placements/offre.txt:1: seuls des fichiers .md sont attendus dans ce dossier"
    )


@pytest.mark.parametrize(
    "slug", ["offres", "welcomers", "pack", "merci", "evenements", "admin", "api"]
)
def test_page_cannot_take_a_reserved_path(tmp_path, monkeypatch, slug):
    files = {"territory.yaml": MINIMAL, f"pages/{slug}.md": PAGE}
    error = only_error(tmp_path, monkeypatch, files)
    assert error.startswith(
        f"territories/x/pages/{slug}.md:1: « {slug} » est une adresse réservée du site"
    )


def test_page_file_name_must_be_a_slug(tmp_path, monkeypatch):
    files = {"territory.yaml": MINIMAL, "pages/Vivre à Blois.md": PAGE}
    error = only_error(tmp_path, monkeypatch, files)
    assert error.startswith("territories/x/pages/Vivre à Blois.md:1: le nom de fichier")


def test_page_requires_a_title_and_an_integer_order(tmp_path, monkeypatch):
    files = {"territory.yaml": MINIMAL, "pages/blois.md": "---\norder: premier\n---\nTexte.\n"}
    assert errors_of(tmp_path, monkeypatch, files) == [
        "territories/x/pages/blois.md:2: title: champ obligatoire manquant "
        "(ex. title: Vivre à Blois)",
        "territories/x/pages/blois.md:2: order: nombre entier attendu, trouvé du texte",
    ]


def test_folder_name_must_be_a_slug(tmp_path, monkeypatch):
    (tmp_path / "territories" / "Loir et Cher").mkdir(parents=True)
    (tmp_path / "territories" / "Loir et Cher" / "territory.yaml").write_text(MINIMAL)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ContentErrors) as raised:
        load_territories(Path("territories"))
    (error,) = raised.value.errors
    assert str(error).startswith(
        "territories/Loir et Cher/territory.yaml:1: le nom du dossier « Loir et Cher » ne convient"
    )


def test_a_folder_without_territory_yaml_is_reported(tmp_path, monkeypatch):
    error = only_error(tmp_path, monkeypatch, {"pages/a.md": PAGE})
    assert error == f"{T}:1: fichier territory.yaml manquant dans le dossier"


def test_every_error_of_a_file_is_reported_not_only_the_first(tmp_path, monkeypatch):
    text = MINIMAL.replace("commune", "ville").replace('"#1f4e79"', "bleu") + "tagine: x\n"
    errors = errors_of(tmp_path, monkeypatch, {"territory.yaml": text, "placements/offre.md": "x"})
    assert [e.split(": ")[0] for e in errors] == [
        f"{P}:1",
        f"{T}:2",
        f"{T}:5",
        f"{T}:9",
    ]


# What editors may write in more than one way


def test_code_may_be_written_as_a_number(tmp_path, monkeypatch):
    territory = load_one(tmp_path, monkeypatch, {"territory.yaml": MINIMAL + "code: 41\n"})
    assert territory.code == "41"


@pytest.mark.parametrize("written", ["01", "041"])
def test_code_keeps_its_leading_zeros_even_unquoted(tmp_path, monkeypatch, written):
    territory = load_one(tmp_path, monkeypatch, {"territory.yaml": MINIMAL + f"code: {written}\n"})
    assert territory.code == written


def test_key_figure_numbers_become_french_text(tmp_path, monkeypatch):
    figures = "key_figures:\n  - {label: a, value: 190}\n  - {label: b, value: 2.5}\n"
    territory = load_one(tmp_path, monkeypatch, {"territory.yaml": MINIMAL + figures})
    assert [f.value for f in territory.key_figures] == ["190", "2,5"]


def test_pack_amounts_become_decimals(tmp_path, monkeypatch):
    territory = load_one(tmp_path, monkeypatch, {"territory.yaml": MINIMAL + PACK})
    assert territory.pack.price_eur == Decimal(100)
    assert territory.pack.net_price_eur == Decimal(60)


def test_colours_are_kept_in_lower_case(tmp_path, monkeypatch):
    text = MINIMAL.replace("#1f4e79", "#1F4E79")
    assert load_one(tmp_path, monkeypatch, {"territory.yaml": text}).brand.primary == "#1f4e79"


def test_dates_may_be_quoted(tmp_path, monkeypatch):
    events = 'events:\n  - {title: A, place: B, start: "2027-06-17T19:00+02:00"}\n'
    placement = PLACEMENT.replace("2027-09-01", '"2027-09-01"')
    files = {"territory.yaml": MINIMAL + events, "placements/offre.md": placement}
    territory = load_one(tmp_path, monkeypatch, files)
    assert territory.events[0].start.isoformat() == "2027-06-17T19:00:00+02:00"
    assert territory.placements[0].start.isoformat() == "2027-09-01"


def test_existing_images_and_owner_handles_are_accepted(tmp_path, monkeypatch):
    text = MINIMAL.replace("brand:\n", "brand:\n  logo: images/logo.svg\n")
    text += "owners: ['@be-lc/communication', '@claire']\n"
    text += WELCOMER + "    photo: images/claire.jpg\n"
    files = {"territory.yaml": text, "images/logo.svg": "<svg/>", "images/claire.jpg": jpeg()}
    territory = load_one(tmp_path, monkeypatch, files)
    assert territory.brand.logo == "images/logo.svg"
    assert territory.welcomers[0].photo == "images/claire.jpg"
    assert territory.owners == ("@be-lc/communication", "@claire")


def test_empty_sections_are_allowed(tmp_path, monkeypatch):
    text = MINIMAL + "castles: []\nwelcomers:\npack:\n"
    territory = load_one(tmp_path, monkeypatch, {"territory.yaml": text})
    assert territory.castles == territory.welcomers == ()
    assert territory.pack is None
