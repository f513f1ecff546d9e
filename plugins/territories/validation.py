"""Checks that involve several fields: dates in order, subsidy within price, brand contrast."""

from __future__ import annotations

import math
import re

from stdnum.fr import siren

from .fields import Where

# WCAG 2.1 success criterion 1.4.3 (AA): normal text needs 4.5:1.
MIN_CONTRAST = 4.5
WHITE = "#ffffff"

# First path segments of a territory's site that pages must not take (contract section 2).
# Paths the site itself uses beside a territory's free pages (in a standalone build the operator's
# pages and the theme's assets share the root with them).
RESERVED_PAGE_SLUGS = (
    "offres",
    "aides",
    "recherche",
    "alertes",
    "pagefind",
    "welcomers",
    "pack",
    "merci",
    "evenements",
    "devenir-welcomer",
    "admin",
    "api",
    "images",
    "theme",
    "a-propos",
    "mentions-legales",
    "confidentialite",
    "accessibilite",
)

SLUG = r"[a-z0-9-]+"
# The longest placement id the forms accept (functions/forms/validation.py, `placement`): the id
# travels in the welcomer request, so a longer one could never be asked about.
MAX_PLACEMENT_ID = 120


def is_slug(name: str) -> bool:
    """True for folder and file names usable as a URL path segment: a-z, 0-9 and '-'."""
    return re.fullmatch(SLUG, name) is not None


def _channel(value: int) -> float:
    """Linearised sRGB channel (WCAG 2.1 definition of relative luminance)."""
    c = value / 255
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def relative_luminance(colour: str) -> float:
    """WCAG relative luminance of a #rrggbb colour, from 0 (black) to 1 (white)."""
    red, green, blue = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * _channel(red) + 0.7152 * _channel(green) + 0.0722 * _channel(blue)


def contrast_ratio(colour_a: str, colour_b: str) -> float:
    """WCAG 2.1 contrast ratio of two #rrggbb colours, from 1 to 21."""
    lighter, darker = sorted((relative_luminance(colour_a), relative_luminance(colour_b)))[::-1]
    return (lighter + 0.05) / (darker + 0.05)


def format_ratio(ratio: float) -> str:
    """A ratio the French way (2,3), never rounded up to the required 4,5 when below it."""
    shown = f"{ratio:.1f}"
    if ratio < MIN_CONTRAST <= float(shown):
        shown = f"{ratio:.2f}"  # 4.46 reads 4,46, not 4,5
    if ratio < MIN_CONTRAST <= float(shown):
        shown = f"{math.floor(ratio * 100) / 100:.2f}"  # 4.497 reads 4,49
    return shown.replace(".", ",")


def check_brand_contrast(values: dict, at) -> None:
    """White text on each brand colour, and each colour as text on white, must reach 4.5:1."""
    # The contrast ratio is symmetric: white on the colour and the colour on white are the same
    # pair, so one computation covers both uses the theme makes of each colour.
    for key in ("primary", "accent"):
        colour = values.get(key)
        if colour is None:
            continue
        ratio = contrast_ratio(WHITE, colour)
        if ratio < MIN_CONTRAST:
            at(key).error(
                f"le texte blanc sur « {colour} » a un contraste de {format_ratio(ratio)}:1 ; "
                f"{format_ratio(MIN_CONTRAST)}:1 au moins est exigé (WCAG AA) ; "
                "choisissez une couleur plus foncée"
            )


def check_period(values: dict, at) -> None:
    """An end, when given, is not before the start."""
    start, end = values.get("start"), values.get("end")
    if start is not None and end is not None and end < start:
        at("end").error(f"la fin ({end.isoformat()}) est avant le début ({start.isoformat()})")


def check_registration(values: dict, at) -> None:
    """An event taking registrations has an id (registrations refer to it, its page too)."""
    if values.get("registration") is not None and not values.get("id"):
        at("id").error(
            "un événement avec « registration » doit avoir un « id » "
            "(ex. id: afterwork-octobre-2027) : les inscriptions s'y rattachent"
        )


def check_captions(values: dict, at) -> None:
    """An MP4 file needs its captions: a video without them excludes deaf visitors."""
    url, captions = values.get("url"), values.get("captions")
    if url and url.lower().split("?")[0].endswith(".mp4") and not captions:
        at("captions").error(
            "sous-titres manquants : une vidéo .mp4 a besoin de son fichier de sous-titres "
            "WebVTT (captions: https://….vtt)"
        )
    if captions and not captions.lower().split("?")[0].endswith(".vtt"):
        at("captions").error("les sous-titres doivent être un fichier WebVTT (.vtt)")


def check_subsidy(values: dict, at) -> None:
    """The subsidy is between 0 and the price: the buyer never gets paid."""
    price, subsidy = values.get("price_eur"), values.get("subsidy_eur")
    if price is not None and subsidy is not None and subsidy > price:
        at("subsidy_eur").error(
            f"la subvention ({subsidy} €) dépasse le prix ({price} €) ; "
            "elle doit être comprise entre 0 et le prix"
        )


def check_one_amount(values: dict, at) -> None:
    """An aid gives its amount once: as a number (amount_eur) or as text (amount)."""
    if values.get("amount_eur") is not None and values.get("amount") is not None:
        at("amount").error(
            "indiquez le montant une seule fois : `amount_eur` (nombre) ou `amount` (texte)"
        )


def check_placement_name(name: str, where: Where) -> bool:
    """A placement's file name is its id and URL path: a slug the forms accept."""
    if not is_slug(name):
        where.error(
            f"le nom de fichier « {name}.md » ne convient pas : lettres minuscules sans accent, "
            "chiffres et tirets seulement (ex. remplacement-mg-blois.md)"
        )
        return False
    if len(name) > MAX_PLACEMENT_ID:
        where.error(
            f"le nom de fichier est trop long ({len(name)} caractères sans « .md ») : "
            f"{MAX_PLACEMENT_ID} au plus, sinon le formulaire de demande refuserait cette offre ; "
            "raccourcissez-le"
        )
        return False
    return True


def check_page_slug(slug: str, where: Where) -> bool:
    """A page's file name must be a slug and must not hide one of the site's own paths."""
    if not is_slug(slug):
        where.error(
            f"le nom de fichier « {slug}.md » ne convient pas : lettres minuscules sans accent, "
            "chiffres et tirets seulement (ex. vivre-a-blois.md)"
        )
        return False
    if slug in RESERVED_PAGE_SLUGS:
        where.error(
            f"« {slug} » est une adresse réservée du site ({', '.join(RESERVED_PAGE_SLUGS)}) ; "
            "renommez la page"
        )
        return False
    return True


# Départements: 01 to 95 (20 became 2A and 2B), and the overseas 971 to 976.
DEPARTEMENT = re.compile(r"0[1-9]|1[0-9]|2[1-9AB]|[3-8][0-9]|9[0-5]|97[1-6]")
# A commune's INSEE code: its département (2A/2B for Corsica) and three digits, never 000 (a
# postal code such as 41000 is not one); overseas, 97x and two digits.
COMMUNE = re.compile(r"(?!..000)(?:(?:0[1-9]|[1-8][0-9]|9[0-5]|2[AB])[0-9]{3}|97[1-6][0-9]{2})")
EPCI_KINDS = ("agglomération", "communauté de communes")


def check_code(values: dict, at) -> None:
    """`code` is the official code of the territory's kind: a département's number, a
    commune's INSEE code, an EPCI's SIREN (9 digits, its Luhn key right)."""
    code, kind = values.get("code"), values.get("kind")
    if code is None or kind is None:
        return
    if kind == "département" and not DEPARTEMENT.fullmatch(code):
        at("code").error(
            f"« {code} » n'est pas un numéro de département (01 à 95, 2A, 2B, 971 à 976), "
            'entre guillemets (ex. "45")'
        )
    elif kind == "commune" and not COMMUNE.fullmatch(code):
        at("code").error(
            f"« {code} » n'est pas un code INSEE de commune : 5 caractères, entre guillemets "
            '(ex. "41018" pour Blois ; ce n\'est pas le code postal)'
        )
    elif kind in EPCI_KINDS:
        _check_siren(code, at)


def _check_siren(code: str, at) -> None:
    if not re.fullmatch(r"[0-9]{9}", code):
        at("code").error(
            f"« {code} » n'est pas un SIREN : une intercommunalité a pour code son SIREN, "
            '9 chiffres entre guillemets (ex. "200030385")'
        )
    elif not siren.is_valid(code):
        at("code").error(
            f"« {code} » n'est pas un SIREN valide : sa clé de contrôle ne correspond pas "
            "(vérifiez les chiffres sur annuaire-entreprises.data.gouv.fr)"
        )
