"""Dates, times and amounts as the flows' e-mails and pages write them: Paris time, French."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")
MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
          "septembre", "octobre", "novembre", "décembre")  # fmt: skip
DAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
NBSP, NNBSP = "\u00a0", "\u202f"


def date_fr(day: dt.date) -> str:
    """6 septembre 2027; 1er for the first of the month."""
    number = "1er" if day.day == 1 else str(day.day)
    return f"{number} {MONTHS[day.month - 1]} {day.year}"


def time_fr(moment: dt.datetime) -> str:
    """9 h 20, in Paris time."""
    local = moment.astimezone(PARIS)
    return f"{local.hour}{NBSP}h{NBSP}{local:%M}"


def datetime_fr(moment: dt.datetime) -> str:
    """jeudi 20 mai 2027 à 9 h 00, in Paris time."""
    local = moment.astimezone(PARIS)
    return f"{DAYS[local.weekday()]} {date_fr(local.date())} à {time_fr(local)}"


def month_fr(month: str) -> str:
    """2026-11 → novembre 2026."""
    year, number = month.split("-")
    return f"{MONTHS[int(number) - 1]} {year}"


def euros(amount: Decimal | str | int) -> str:
    """100 €, 1 234,50 € (narrow no-break spaces as thousands separators)."""
    amount = Decimal(amount)
    whole = amount == amount.to_integral_value()
    text = f"{amount:,.0f}" if whole else f"{amount:,.2f}"
    return text.replace(",", NNBSP).replace(".", ",") + f"{NBSP}€"
