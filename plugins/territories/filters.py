"""Jinja filters for French dates, amounts, names and URLs (Babel: the CLDR's French)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal

from . import professions
from .aids import STAGE_LABELS
from .french import capfirst, institution_forms
from .languages import french_name
from .pages import slugify
from .video import player

LOCALE = "fr_FR"
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
    return f"{day} {date_fr(local.date())} à {time_fr(local)}"


def time_fr(moment: dt.datetime) -> str:
    """9 h 20, in Paris time (no-break spaces: the hour never leaves its minutes)."""
    local = moment.astimezone(PARIS)
    return f"{local.hour}\u00a0h\u00a0{local:%M}"


def euros(amount: Decimal) -> str:
    """499 €, 3 588 €, 1 234,50 € (narrow no-break space between thousands, as the CLDR)."""
    amount = Decimal(amount)
    pattern = "#,##0" if amount == amount.to_integral_value() else "#,##0.00"
    return format_decimal(amount, pattern, locale=LOCALE) + "\u00a0€"


def percent(rate: Decimal) -> str:
    """20 %, 5,5 % (a no-break space before the sign)."""
    text = format(Decimal(rate).normalize(), "f")
    return text.replace(".", ",") + "\u00a0%"


def language(code: str) -> str:
    """The French name of an ISO 639-1 code (« anglais »)."""
    return french_name(code) or code


def profession_plural(label: str) -> str:
    """« sages-femmes » for « sage-femme »: the plural of a profession of the vocabulary."""
    found = professions.find(label)
    return found.plural if found else label


def stage_label(stage: str) -> str:
    """An aid's stage as its filter link reads (« internes », « installation »)."""
    return STAGE_LABELS[stage][0]


FILTERS = {
    "date_fr": date_fr,
    "month_fr": month_fr,
    "datetime_fr": datetime_fr,
    "time_fr": time_fr,
    "euros": euros,
    "percent": percent,
    "slugify": slugify,
    "language": language,
    "profession_plural": profession_plural,
    "stage_label": stage_label,
    "capfirst": capfirst,
    # « Département du Loiret » → .the « le Département du Loiret », .of « du Département… »
    "institution": institution_forms,
    "video_player": player,
}
