"""Submissions as CSV: one row each, one column per validated field, in the forms' order."""

from __future__ import annotations

import csv
import io
import re

from ..ports import Submission
from ..validation import FIELD_ORDER
from .queries import PARIS

FIRST_COLUMNS = ("id", "received_at", "form", "territory", "email_status")
# A spreadsheet runs a cell starting with one of these as a formula (CSV injection); numbers
# and E.164 phone numbers ("+33612345678") are harmless and kept as they are.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
HARMLESS = re.compile(r"[+-]?[\d .,]+")


def columns(submissions: list[Submission]) -> list[str]:
    """The header: fixed columns, then every field met, in the forms' order, then prices."""
    names: list[str] = list(FIRST_COLUMNS)
    forms = sorted({s.form for s in submissions})
    for form in forms:
        names += [n for n in FIELD_ORDER.get(form, []) if n not in names]
    for submission in submissions:  # fields unknown to this version, then prices
        names += [n for n in submission.fields if n not in names]
    for submission in submissions:
        names += [n for n in (submission.pricing or {}) if n not in names]
    return names


def cell(value) -> str:
    """A value as text: lists joined, booleans in French, formulas neutralised."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, list):
        value = ", ".join(str(v) for v in value)
    text = str(value)
    if text.startswith(FORMULA_START) and not HARMLESS.fullmatch(text):
        return "'" + text
    return text


def row(submission: Submission, names: list[str]) -> list[str]:
    values = {
        "id": submission.id,
        "received_at": submission.received_at.astimezone(PARIS).isoformat(timespec="seconds"),
        "form": submission.form,
        "territory": submission.territory,
        "email_status": submission.email_status,
        **submission.fields,
        **(submission.pricing or {}),
    }
    return [cell(values.get(name)) for name in names]


def to_csv(submissions: list[Submission], excel: bool = False) -> bytes:
    """The CSV document; `excel`: a BOM and « ; » separators, as French Excel expects."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";" if excel else ",")
    names = columns(submissions)
    writer.writerow(names)
    writer.writerows(row(s, names) for s in submissions)
    return buffer.getvalue().encode("utf-8-sig" if excel else "utf-8")
