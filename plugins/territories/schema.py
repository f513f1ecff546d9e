"""The content specs: every key an editor may write, in one table per file kind.

The loader validates with these specs and the JSON Schemas under `schema/` are generated from
them. Regenerate the schemas after changing a spec:

    PYTHONPATH=plugins python -m territories.schema --write
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from . import model
from .fields import (
    Amount,
    Boolean,
    Choice,
    Code,
    Colour,
    Coordinates,
    Date,
    DateTime,
    Email,
    Field,
    Image,
    Integer,
    ListOf,
    Markdown,
    Outline,
    Phone,
    PhotoFile,
    Record,
    Text,
    TextOrNumber,
    Url,
    VideoUrl,
    yaml_example,
)
from .french import ARTICLES
from .validation import check_brand_contrast, check_captions, check_period, check_subsidy

SLUG_TEXT = Text(r"[a-z0-9-]+", "lettres minuscules sans accent, chiffres et tirets", "identifiant")
LANGUAGE = Text(
    r"[a-z]{2}", "code de langue ISO 639-1 en deux lettres, ex. fr, en", "code de langue"
)
HANDLE = Text(
    r"@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:/[A-Za-z0-9._-]+)?",
    "identifiant d'hébergement git, ex. @collectivite/equipe ou @utilisateur",
    "identifiant @…",
)

PHOTO = Record(
    (
        Field(
            "image",
            PhotoFile(),
            True,
            "La photo : un fichier JPEG, PNG, WebP ou AVIF du dossier images/ (25 Mo au plus) ; "
            "le site en publie des copies réduites, sans leurs métadonnées (EXIF, GPS).",
            "images/chambord.jpg",
        ),
        Field(
            "alt",
            Text(),
            True,
            "Ce que montre la photo, pour qui ne la voit pas.",
            "Le château de Chambord au lever du soleil",
        ),
        Field(
            "credit",
            Text(),
            True,
            "Crédit affiché avec la photo.",
            "Photo : Léa Martin",
        ),
    ),
    model.Photo,
    description="Une photo : le fichier, son texte de remplacement et son crédit.",
)


def photo_field(what: str) -> Field:
    return Field("photo", PHOTO, False, f"Photo {what}.")


COORDINATES = Field(
    "coordinates",
    Coordinates(),
    False,
    "Position [latitude, longitude] en degrés décimaux : le lieu figure sur la carte.",
    (47.6161, 1.5170),
)

VIDEO = Record(
    (
        Field(
            "url",
            VideoUrl(),
            True,
            "Adresse de la vidéo : une page YouTube, Vimeo ou Dailymotion, ou un fichier .mp4 "
            "(rien n'est chargé de ce site avant que le visiteur ne lance la vidéo).",
            "https://www.youtube.com/watch?v=aqz-KE-bpKQ",
        ),
        Field("title", Text(), True, "Titre de la vidéo.", "Claire, médecin à Blois depuis 2024"),
        Field(
            "captions",
            Url(),
            False,
            "Sous-titres WebVTT (https://….vtt), obligatoires pour un fichier .mp4.",
            "https://www.example.org/temoignage.vtt",
        ),
    ),
    model.Video,
    (check_captions,),
    "Une vidéo de témoignage.",
)

MAP = Record(
    (
        Field(
            "outline",
            Outline(),
            False,
            "Contour du territoire : un fichier GeoJSON du dossier images/, dessiné sous les "
            "lieux de la carte.",
            "images/contour.geojson",
        ),
    ),
    model.MapSettings,
    description="La carte de la page d'accueil.",
)

BRAND = Record(
    (
        Field(
            "primary",
            Colour(),
            True,
            "Couleur principale (#rrggbb) : fonds des bandeaux et "
            "boutons, texte blanc dessus ; contraste d'au moins 4,5:1 avec le blanc.",
            "#1f4e79",
        ),
        Field(
            "accent",
            Colour(),
            False,
            "Couleur d'accent (#rrggbb), même exigence de contraste que la couleur principale.",
            "#c8102e",
        ),
        Field(
            "logo",
            Image(),
            False,
            "Logo : chemin d'un fichier du dossier du territoire.",
            "images/logo.svg",
        ),
    ),
    model.Brand,
    (check_brand_contrast,),
    "Identité visuelle du territoire.",
)

CONTACT = Record(
    (
        Field("email", Email(), True, "Adresse e-mail publique de contact.", "contact@example.org"),
        Field("name", Text(), False, "Nom du service ou de la personne.", "Service d'accueil"),
        Field("phone", Phone(), False, "Téléphone, entre guillemets.", "02 61 91 00 00"),
    ),
    model.Contact,
    description="Contact affiché sur le site.",
)

KEY_FIGURE = Record(
    (
        Field("label", Text(), True, "Ce que mesure le chiffre.", "Médecins installés depuis 2021"),
        Field("value", TextOrNumber(), True, "Le chiffre, tel qu'affiché (texte ou nombre).", "80"),
    ),
    model.KeyFigure,
    description="Un chiffre clé.",
)

ASSET = Record(
    (
        Field("category", Text(), True, "Catégorie, pour regrouper les atouts.", "cadre de vie"),
        Field("title", Text(), True, "Titre de l'atout.", "La Loire à vélo"),
        Field("text", Text(), False, "Une ou deux phrases de description."),
        photo_field("de l'atout"),
    ),
    model.Asset,
    description="Un atout du territoire.",
)

CASTLE = Record(
    (
        Field("name", Text(), True, "Nom du château ou du site.", "Château de Chambord"),
        Field("commune", Text(), False, "Commune.", "Chambord"),
        Field("text", Text(), False, "Une ou deux phrases de description."),
        COORDINATES,
        Field("url", Url(), False, "Site officiel.", "https://www.chambord.org"),
        photo_field("du château ou du site"),
    ),
    model.Castle,
    description="Un château ou un lieu de patrimoine.",
)

SCHOOL = Record(
    (
        Field("name", Text(), True, "Nom de l'établissement.", "Lycée Augustin-Thierry"),
        Field("commune", Text(), True, "Commune.", "Blois"),
        Field("level", Choice(model.SCHOOL_LEVELS), True, "Niveau.", "lycée"),
        Field("sector", Choice(model.SCHOOL_SECTORS), False, "Secteur.", "public"),
        Field("notes", Text(), False, "Précisions (options, internat…)."),
        COORDINATES,
    ),
    model.School,
    description="Un établissement scolaire ou d'enseignement supérieur.",
)

SPOUSE_JOB = Record(
    (
        Field("title", Text(), True, "Intitulé de l'emploi ou de la formation.", "Infirmier·e"),
        Field("organisation", Text(), False, "Employeur ou organisme."),
        Field("commune", Text(), False, "Commune."),
        Field("text", Text(), False, "Précisions."),
        Field("url", Url(), False, "Lien vers l'offre."),
    ),
    model.SpouseJob,
    description="Un emploi ou une formation pour le conjoint.",
)

HOUSING = Record(
    (
        Field("title", Text(), True, "Intitulé de l'offre de logement.", "Logements pour internes"),
        Field("commune", Text(), False, "Commune."),
        Field("text", Text(), False, "Précisions."),
        Field("url", Url(), False, "Lien."),
        COORDINATES,
        photo_field("du logement"),
    ),
    model.Housing,
    description="Une offre ou une aide au logement.",
)

AID = Record(
    (
        Field("title", Text(), True, "Nom de l'aide.", "Aide à l'installation"),
        Field("who", Text(), False, "Qui peut en bénéficier.", "Médecins généralistes"),
        Field("text", Text(), False, "Précisions."),
        Field("amount", Text(), False, "Montant, tel qu'affiché.", "jusqu'à 15 000 €"),
        Field("url", Url(), False, "Lien vers le dispositif."),
    ),
    model.Aid,
    description="Une aide à l'installation.",
)

WELCOMER = Record(
    (
        Field(
            "id",
            SLUG_TEXT,
            True,
            "Identifiant unique dans le territoire (minuscules, "
            "chiffres, tirets) : il sert dans le formulaire de demande.",
            "claire",
        ),
        Field("first_name", Text(), True, "Prénom affiché.", "Claire"),
        Field("commune", Text(), True, "Commune où vit le welcomer.", "Blois"),
        Field("bio", Text(), True, "Présentation en quelques phrases, à la première personne."),
        Field(
            "topics",
            ListOf(Text()),
            False,
            "Sujets sur lesquels il ou elle peut aider.",
            ("écoles", "logement"),
        ),
        Field(
            "languages", ListOf(LANGUAGE), False, "Langues parlées (codes ISO 639-1).", ("fr", "en")
        ),
        Field(
            "photo",
            PhotoFile(),
            False,
            "Photo : un fichier JPEG, PNG, WebP ou AVIF du dossier images/ ; le site en publie "
            "une copie réduite, sans ses métadonnées (EXIF, GPS).",
            "images/claire.jpg",
        ),
    ),
    model.Welcomer,
    description="Un welcomer : un habitant, ambassadeur du territoire rémunéré pour ses "
    "échanges (il les facture), qui accueille les professionnels de santé et leur famille.",
)

EVENT = Record(
    (
        Field("title", Text(), True, "Titre de l'événement.", "Afterwork des nouveaux arrivants"),
        Field(
            "start",
            DateTime(),
            True,
            "Début, avec l'heure et le décalage horaire (+02:00 en été, +01:00 en hiver).",
            "2027-10-14T19:00:00+02:00",
        ),
        Field("place", Text(), True, "Lieu.", "Halle aux grains, Blois"),
        Field(
            "end", DateTime(), False, "Fin, même format que le début.", "2027-10-14T21:30:00+02:00"
        ),
        Field("text", Text(), False, "Description."),
        Field("url", Url(), False, "Lien d'inscription ou d'information."),
        COORDINATES,
        photo_field("de l'événement"),
    ),
    model.Event,
    (check_period,),
    "Un événement (afterwork, visite…).",
)

PACK = Record(
    (
        Field("name", Text(), True, "Nom du coffret.", "Coffret d'accueil"),
        Field(
            "contents",
            ListOf(Text(), min_items=1),
            True,
            "Ce que contient le coffret.",
            ("Produits du terroir",),
        ),
        Field("price_eur", Amount(), True, "Prix unitaire en euros (nombre ≥ 0).", 450),
        Field(
            "subsidy_eur",
            Amount(),
            False,
            "Part du prix prise en charge (entre 0 et le prix).",
            150,
        ),
        Field(
            "subsidy_by",
            Text(),
            False,
            "Qui finance la subvention, sans article (le site l'ajoute : « pris en charge par "
            "le Département du Loiret »).",
            "Département du Loiret",
        ),
        Field(
            "buyers",
            ListOf(Text(), min_items=1),
            True,
            "Qui peut commander (choix du formulaire de commande).",
            ("commune", "EPCI"),
        ),
        Field(
            "max_quantity",
            Integer(minimum=1),
            True,
            "Quantité maximale par commande (entier ≥ 1).",
            50,
        ),
    ),
    model.Pack,
    (check_subsidy,),
    "Le coffret d'accueil que les collectivités peuvent commander.",
)

TESTIMONIAL = Record(
    (
        Field("quote", Text(), True, "La citation."),
        Field("who", Text(), True, "Qui parle (sans nom de famille).", "Une sage-femme"),
        photo_field("qui accompagne le témoignage (affiche de la vidéo s'il y en a une)"),
        Field("video", VIDEO, False, "Une vidéo du témoignage."),
    ),
    model.Testimonial,
    description="Un témoignage.",
)

TERRITORY = Record(
    (
        Field("name", Text(), True, "Nom du territoire.", "Loir-et-Cher"),
        Field("kind", Choice(model.TERRITORY_KINDS), True, "Type de collectivité.", "département"),
        Field(
            "code",
            Code(),
            False,
            "Code officiel (département ou INSEE), de préférence entre guillemets.",
            "41",
        ),
        Field(
            "tagline",
            Text(),
            True,
            "Accroche affichée sous le nom.",
            "Soigner au pays des châteaux",
        ),
        Field(
            "article",
            Choice(ARTICLES),
            False,
            "Article du nom : le site écrit alors « du Loiret », « de la Communauté de "
            "communes… », « dans le Loiret ». Sans lui, un département prend l'article "
            "officiel de son nom (le Loiret, la Somme, l'Ain, les Landes), les autres aucun.",
            "le",
        ),
        Field(
            "name_in",
            Text(),
            False,
            "Comment dire « dans » ce territoire quand l'usage diffère de la règle.",
            "en Loir-et-Cher",
        ),
        Field(
            "intro",
            Markdown(),
            False,
            "Texte d'introduction de la page d'accueil (Markdown).",
            attr="intro_html",
        ),
        Field(
            "owners",
            ListOf(HANDLE),
            False,
            "Relecteurs des modifications de ce dossier "
            "(identifiants git, ex. @collectivite/equipe).",
            ("@be-lc/communication",),
        ),
        Field(
            "hero",
            PHOTO,
            False,
            "La grande photo de la page d'accueil (au moins 1 600 pixels de large, de préférence).",
        ),
        Field("brand", BRAND, True, "Couleurs et logo."),
        Field("contact", CONTACT, True, "Contact public."),
        Field(
            "notify",
            ListOf(Email(), min_items=1),
            True,
            "Adresses qui reçoivent les demandes envoyées par les formulaires.",
            ("accueil@example.org",),
        ),
        Field("key_figures", ListOf(KEY_FIGURE), False, "Chiffres clés de la page d'accueil."),
        Field("assets", ListOf(ASSET), False, "Atouts du territoire."),
        Field("castles", ListOf(CASTLE), False, "Châteaux et patrimoine."),
        Field(
            "schools", ListOf(SCHOOL), False, "Écoles, collèges, lycées, enseignement supérieur."
        ),
        Field("spouse_jobs", ListOf(SPOUSE_JOB), False, "Emplois et formations pour le conjoint."),
        Field("housing", ListOf(HOUSING), False, "Logement."),
        Field("aids", ListOf(AID), False, "Aides à l'installation."),
        Field(
            "welcomers", ListOf(WELCOMER, unique="id"), False, "Welcomers (habitants accueillants)."
        ),
        Field("events", ListOf(EVENT), False, "Événements à venir."),
        Field("pack", PACK, False, "Coffret d'accueil."),
        Field("testimonials", ListOf(TESTIMONIAL), False, "Témoignages."),
        Field("map", MAP, False, "La carte des lieux de la page d'accueil."),
    ),
    description="Le fichier territory.yaml d'un territoire.",
)

PLACEMENT = Record(
    (
        Field("title", Text(), True, "Titre de l'offre.", "Remplacement de médecin généraliste"),
        Field("kind", Choice(model.PLACEMENT_KINDS), True, "Type d'offre.", "remplacement"),
        Field("profession", Text(), True, "Profession recherchée.", "médecin généraliste"),
        Field("commune", Text(), True, "Commune.", "Vendôme"),
        Field("start", Date(), True, "Premier jour (AAAA-MM-JJ).", "2027-07-05"),
        Field(
            "end",
            Date(),
            False,
            "Dernier jour (AAAA-MM-JJ), pas avant le début ; sans fin, "
            "l'offre disparaît après le premier jour.",
            "2027-08-27",
        ),
        Field("structure", Text(), False, "Structure d'accueil.", "Maison de santé"),
        Field("housing", Boolean(), False, "Logement fourni (true) ou non (false).", True),
        Field(
            "compensation", Text(), False, "Rémunération, telle qu'affichée.", "70 % des honoraires"
        ),
        Field(
            "contact",
            Email(),
            False,
            "Adresse e-mail de contact pour cette offre.",
            "accueil@example.org",
        ),
        COORDINATES,
        photo_field("de l'offre (le cabinet, la maison de santé…)"),
    ),
    rules=(check_period,),
    description="L'en-tête (front matter) d'une offre de stage ou de remplacement : "
    "placements/<id>.md.",
)

PAGE = Record(
    (
        Field("title", Text(), True, "Titre de la page.", "Vivre à Blois"),
        Field("order", Integer(), False, "Rang dans le menu (les plus petits d'abord).", 1),
        photo_field("en tête de la page"),
    ),
    description="L'en-tête (front matter) d'une page libre : pages/<nom>.md.",
)

# file name under schema/ → (spec, title)
SCHEMAS = {
    "territory.schema.json": (TERRITORY, "Territoire (territory.yaml)"),
    "placement.schema.json": (PLACEMENT, "Offre (placements/*.md)"),
    "page.schema.json": (PAGE, "Page libre (pages/*.md)"),
}
SCHEMA_DIR = Path(__file__).resolve().parents[2] / "schema"


def json_schema(name: str) -> dict:
    """The JSON Schema (draft 2020-12) named `name`, generated from the specs."""
    spec, title = SCHEMAS[name]
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": name,
        "title": title,
        **spec.schema(),
    }


def schema_text(name: str) -> str:
    """The schema as committed: indented JSON, non-ASCII kept readable, final newline."""
    return json.dumps(json_schema(name), ensure_ascii=False, indent=2) + "\n"


# The content reference's field tables are generated too, between these two lines.
REFERENCE_PATH = SCHEMA_DIR.parent / "docs" / "content-reference.md"
TABLES_START = "<!-- tables générées : PYTHONPATH=plugins python -m territories.schema --write -->"
TABLES_END = "<!-- fin des tables générées -->"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _table(record: Record) -> list[str]:
    """A Markdown table of a section's keys."""
    lines = [
        "| Clé | Type | Obligatoire | Description | Exemple |",
        "| --- | --- | --- | --- | --- |",
    ]
    for spec in record.fields:
        example = f"`{yaml_example(spec.example)}`" if spec.example is not None else ""
        required = "**oui**" if spec.required else "non"
        cells = (f"`{spec.key}`", spec.kind.label, required, spec.description, example)
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return lines


def _sections(record: Record, prefix: str = ""):
    """(title, record) of a record's nested sections, depth first."""
    for spec in record.fields:
        kind, suffix = (spec.kind.item, "[]") if isinstance(spec.kind, ListOf) else (spec.kind, "")
        if isinstance(kind, Record):
            path = f"{prefix}{spec.key}{suffix}"
            yield path, kind
            yield from _sections(kind, path + ".")


def reference_tables() -> str:
    """The field tables of the content reference, generated from the specs."""
    lines = [TABLES_START, "", "### territory.yaml", "", *_table(TERRITORY)]
    for path, record in _sections(TERRITORY):
        lines += ["", f"#### `{path}` — {record.description}", "", *_table(record)]
    lines += ["", "### placements/*.md (en-tête)", "", *_table(PLACEMENT)]
    lines += ["", "### pages/*.md (en-tête)", "", *_table(PAGE), "", TABLES_END]
    return "\n".join(lines)


def reference_text(current: str) -> str:
    """The content reference with its generated tables brought up to date."""
    start, end = current.index(TABLES_START), current.index(TABLES_END) + len(TABLES_END)
    return current[:start] + reference_tables() + current[end:]


def main(argv: list[str] | None = None) -> int:
    """Print a schema, or write them all under schema/ and the reference's tables (--write)."""
    parser = argparse.ArgumentParser(description="Schémas JSON du contenu des territoires.")
    parser.add_argument("name", nargs="?", default="territory.schema.json", choices=SCHEMAS)
    parser.add_argument(
        "--write", action="store_true", help="réécrire les schémas et les tables de la référence"
    )
    args = parser.parse_args(argv)
    if not args.write:
        sys.stdout.write(schema_text(args.name))
        return 0
    SCHEMA_DIR.mkdir(exist_ok=True)
    for name in SCHEMAS:
        (SCHEMA_DIR / name).write_text(schema_text(name), encoding="utf-8")
        print(f"écrit : {SCHEMA_DIR.name}/{name}")
    if REFERENCE_PATH.exists():
        text = REFERENCE_PATH.read_text(encoding="utf-8")
        REFERENCE_PATH.write_text(reference_text(text), encoding="utf-8")
        print(f"écrit : {REFERENCE_PATH.parent.name}/{REFERENCE_PATH.name} (tables)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
