"""French formats for what a person reads in an e-mail: Paris time, months, euros, phones,
languages, SIRET numbers."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

import phonenumbers
from babel import Locale
from babel.dates import format_date
from babel.numbers import format_decimal

LOCALE = "fr_FR"
PARIS = ZoneInfo("Europe/Paris")


def paris_time(moment: dt.datetime) -> str:
    """« 24 novembre 2026 à 15 h 04 », in Paris time (a naive time is taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    local = moment.astimezone(PARIS)
    day = format_date(local.date(), "d MMMM y", locale=LOCALE)
    day = "1er" + day[1:] if local.day == 1 else day
    return f"{day} à {time_fr(local)}"


def month(value: str) -> str:
    """« septembre 2027 » for 2027-09; anything else as it is."""
    try:
        year, number = (int(part) for part in str(value).split("-"))
        return format_date(dt.date(year, number, 1), "MMMM y", locale=LOCALE)
    except ValueError:
        return str(value)


def euros(amount) -> str:
    """« 3 588 € », « 1 234,50 € » (narrow no-break space between thousands)."""
    try:
        value = Decimal(str(amount))
    except InvalidOperation:
        return str(amount)
    pattern = "#,##0" if value == value.to_integral_value() else "#,##0.00"
    return format_decimal(value, pattern, locale=LOCALE) + "\u00a0€"


def phone(number: str) -> str:
    """« 06 12 34 56 78 » for a French number, « +44 20 7946 0958 » for another."""
    try:
        parsed = phonenumbers.parse(str(number), "FR")
    except phonenumbers.NumberParseException:
        return str(number)
    if parsed.country_code == 33:
        return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def language(code: str) -> str:
    """« anglais » for en (ISO 639, named by CLDR); an unknown code as it is."""
    return Locale.parse(LOCALE).languages.get(str(code), str(code))


def siret(number: str) -> str:
    """« 732 829 320 00074 »: the SIREN's three groups, then the establishment's five digits."""
    digits = str(number)
    if len(digits) != 14 or not digits.isdigit():
        return digits
    return f"{digits[:3]} {digits[3:6]} {digits[6:9]} {digits[9:]}"


FILTERS = {"paris_time": paris_time, "month": month, "euros": euros, "phone": phone}


# --- The welcome service's dates (registrations, digests, statements). -----------------------

DAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
NBSP = "\u00a0"


def date_fr(day: dt.date) -> str:
    """« 6 septembre 2027 »; « 1er » for the first of the month."""
    text = format_date(day, "d MMMM y", locale=LOCALE)
    return "1er" + text[1:] if day.day == 1 else text


def time_fr(moment: dt.datetime) -> str:
    """« 9 h 20 », in Paris time (no-break spaces: the hour never leaves its minutes)."""
    local = moment.astimezone(PARIS)
    return f"{local.hour}{NBSP}h{NBSP}{local:%M}"


def datetime_fr(moment: dt.datetime) -> str:
    """« jeudi 20 mai 2027 à 9 h 00 », in Paris time."""
    local = moment.astimezone(PARIS)
    return f"{DAYS[local.weekday()]} {date_fr(local.date())} à {time_fr(local)}"


month_fr = month  # « novembre 2026 » for 2026-11
