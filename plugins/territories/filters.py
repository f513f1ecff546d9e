"""Jinja filters for French dates, amounts and URLs."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

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


def time_fr(moment: dt.datetime) -> str:
    """9 h 20, in Paris time."""
    local = moment.astimezone(PARIS)
    return f"{local.hour} h {local:%M}"


def euros(amount: Decimal) -> str:
    """499 €, 1 234,50 € (narrow no-break spaces, as French typography wants)."""
    amount = Decimal(amount)
    whole = amount == amount.to_integral_value()
    text = f"{amount:,.0f}" if whole else f"{amount:,.2f}"
    return text.replace(",", "\u202f").replace(".", ",") + "\u00a0€"


def percent(rate: Decimal) -> str:
    """20 %, 5,5 % (a no-break space before the sign)."""
    text = format(Decimal(rate).normalize(), "f")
    return text.replace(".", ",") + "\u00a0%"


def language(code: str) -> str:
    return LANGUAGES.get(code, code)


FILTERS = {
    "date_fr": date_fr,
    "datetime_fr": datetime_fr,
    "time_fr": time_fr,
    "euros": euros,
    "percent": percent,
    "slugify": slugify,
    "language": language,
}
