"""What the operator reads: tables of submissions, delivery outcomes, expiring placements."""

from __future__ import annotations

import datetime as dt

from ..catalogue import Catalogue
from ..delivery import DeliveryResult
from ..ports import EMAIL_PENDING, EMAIL_SENT, EMAIL_SPAM, Submission
from .queries import PARIS, Summary

STATUS = {EMAIL_SENT: "envoyés", EMAIL_PENDING: "en attente", EMAIL_SPAM: "spam"}
HEADERS = ("id", "date (Paris)", "formulaire", "territoire", "e-mails")
ERASE_NOTE = (
    "Reste à faire : les e-mails déjà envoyés sont dans la boîte des destinataires du "
    "territoire (liste notify), qui doit les supprimer ; sur AWS, les sauvegardes "
    "(point-in-time recovery) gardent les éléments effacés 35 jours."
)


def summary_of(submission: Submission) -> Summary:
    return Summary.of(submission)


def paris(moment: dt.datetime) -> str:
    """A stored UTC instant as the operator reads it."""
    return moment.astimezone(PARIS).strftime("%d/%m/%Y %H:%M")


def table(rows: list[tuple[str, ...]]) -> str:
    """Columns aligned on the widest cell."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    )


def summary_table(summaries: list[Summary], total: bool = True) -> str:
    """The `list` table; with `total`, a last line counting the lines."""
    if not summaries:
        return "Aucune demande."
    rows = [HEADERS] + [
        (
            s.id,
            paris(s.received_at),
            s.form,
            s.territory,
            STATUS.get(s.email_status, s.email_status),
        )
        for s in summaries
    ]
    text = table(rows)
    return f"{text}\n{len(summaries)} demande(s)." if total else text


def delivery_line(result: DeliveryResult) -> str:
    """One resent submission: what went out now, or why it is still pending."""
    sent = ", ".join(result.sent_now) or "rien de nouveau"
    if result.status == EMAIL_PENDING:
        return f"{result.submission_id}  toujours en attente ({result.error})"
    return f"{result.submission_id}  {STATUS.get(result.status, result.status)} : {sent}"


def expiring(catalogue: Catalogue, today: dt.date, days: int, only: str | None = None) -> str:
    """Per territory, the placements whose last day (end, else start) is before today + days."""
    limit = today + dt.timedelta(days=days)
    blocks = []
    for slug in sorted(catalogue.territories):
        territory = catalogue.territories[slug]
        if only and slug != only:
            continue
        ending = sorted(
            (dt.date.fromisoformat(p.end or p.start), p)
            for p in territory.placements.values()
            if dt.date.fromisoformat(p.end or p.start) <= limit
        )
        if ending:
            rows = [
                (last.strftime("%d/%m/%Y"), left(last, today), p.id, p.title) for last, p in ending
            ]
            lines = table(rows).replace("\n", "\n  ")
            blocks.append(
                f"{territory.name} ({slug}) — contact : {territory.contact_email}\n  {lines}"
            )
    when = f"d'ici le {limit.strftime('%d/%m/%Y')} ({days} jours)"
    if not blocks:
        return f"Aucune offre ne se termine {when}."
    return f"Offres qui se terminent {when} :\n\n" + "\n\n".join(blocks)


def left(last: dt.date, today: dt.date) -> str:
    """« dans 3 jours », « aujourd'hui » or « terminée » (a catalogue older than the offer)."""
    days = (last - today).days
    if days < 0:
        return "terminée"
    return "aujourd'hui" if days == 0 else f"dans {days} jour{'s' if days > 1 else ''}"
