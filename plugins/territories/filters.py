"""Jinja filters for French dates, amounts, names and URLs (Babel: the CLDR's French)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal

from .french import capfirst, institution_forms
from .pages import slugify
from .video import player

LOCALE = "fr_FR"
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
    """6 septembre 2027; 1er for the first of the month (the CLDR writes 1)."""
    text = format_date(day, "d MMMM y", locale=LOCALE)
    return "1er" + text[1:] if day.day == 1 else text


def month_fr(day: dt.date) -> str:
    """septembre 2027."""
    return format_date(day, "MMMM y", locale=LOCALE)


def datetime_fr(moment: dt.datetime) -> str:
    """jeudi 14 octobre 2027 à 19 h 00, in Paris time."""
    local = moment.astimezone(PARIS)
    day = format_datetime(local, "EEEE", locale=LOCALE)
    return f"{day} {date_fr(local.date())} à {local:%H} h {local:%M}"


def euros(amount: Decimal) -> str:
    """499 €, 3 588 €, 1 234,50 € (narrow no-break space between thousands, as the CLDR)."""
    amount = Decimal(amount)
    pattern = "#,##0" if amount == amount.to_integral_value() else "#,##0.00"
    return format_decimal(amount, pattern, locale=LOCALE) + "\u00a0€"


def language(code: str) -> str:
    return LANGUAGES.get(code, code)


FILTERS = {
    "date_fr": date_fr,
    "month_fr": month_fr,
    "datetime_fr": datetime_fr,
    "euros": euros,
    "slugify": slugify,
    "language": language,
    "capfirst": capfirst,
    # « Département du Loiret » → .the « le Département du Loiret », .of « du Département… »
    "institution": institution_forms,
    "video_player": player,
}
