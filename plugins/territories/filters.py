"""Jinja filters for French dates, amounts and URLs."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

from . import professions
from .aids import STAGE_LABELS
from .pages import slugify

MONTHS = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
]
DAYS = ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"]
LANGUAGES = {
    "fr": "français",
    "en": "anglais",
    "de": "allemand",
    "es": "espagnol",
    "it": "italien",
    "pt": "portugais",
    "ar": "arabe",
    "nl": "néerlandais",
}
PARIS = ZoneInfo("Europe/Paris")


def date_fr(day: dt.date) -> str:
    """6 septembre 2027; 1er for the first of the month."""
    number = "1er" if day.day == 1 else str(day.day)
    return f"{number} {MONTHS[day.month - 1]} {day.year}"


def datetime_fr(moment: dt.datetime) -> str:
    """jeudi 14 octobre 2027 à 19 h 00, in Paris time."""
    local = moment.astimezone(PARIS)
    return f"{DAYS[local.weekday()]} {date_fr(local.date())} à {local:%H} h {local:%M}"


def euros(amount: Decimal) -> str:
    """499 €, 1 234,50 € (narrow no-break spaces, as French typography wants)."""
    amount = Decimal(amount)
    whole = amount == amount.to_integral_value()
    text = f"{amount:,.0f}" if whole else f"{amount:,.2f}"
    return text.replace(",", "\u202f").replace(".", ",") + "\u00a0€"


def language(code: str) -> str:
    return LANGUAGES.get(code, code)


def upper_first(text: str) -> str:
    """« Centre-Val de Loire » kept as it is, « sage-femme » → « Sage-femme » (Jinja's
    `capitalize` lowers the rest of the text)."""
    return text[:1].upper() + text[1:]


def profession_plural(label: str) -> str:
    """« sages-femmes » for « sage-femme »: the plural of a profession of the vocabulary."""
    found = professions.find(label)
    return found.plural if found else label


def stage_label(stage: str) -> str:
    """An aid's stage as its filter link reads (« internes », « installation »)."""
    return STAGE_LABELS[stage][0]


FILTERS = {
    "date_fr": date_fr,
    "datetime_fr": datetime_fr,
    "euros": euros,
    "slugify": slugify,
    "language": language,
    "profession_plural": profession_plural,
    "stage_label": stage_label,
    "upper_first": upper_first,
}
