"""Checks that involve several fields: dates in order, subsidy within price, brand contrast."""

from __future__ import annotations

import math
import re

from .fields import Where

# WCAG 2.1 success criterion 1.4.3 (AA): normal text needs 4.5:1.
MIN_CONTRAST = 4.5
WHITE = "#ffffff"

# First path segments of a territory's site that pages must not take (contract section 2).
# Paths the site itself uses beside a territory's free pages (in a standalone build the operator's
# pages and the theme's assets share the root with them).
RESERVED_PAGE_SLUGS = (
    "offres",
    "welcomers",
    "pack",
    "merci",
    "evenements",
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
