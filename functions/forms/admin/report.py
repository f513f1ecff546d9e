"""What the operator reads: tables of submissions, delivery outcomes, expiring placements."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from ..catalogue import Catalogue
from ..delivery import FAILED, RETRY, SENT, SKIPPED
from ..ports import EMAIL_FAILED, EMAIL_PENDING, EMAIL_SENT, EMAIL_SPAM, EmailJob, Submission
from .queries import PARIS, Summary

STATUS = {
    EMAIL_SENT: "envoyés",
    EMAIL_PENDING: "en attente",
    EMAIL_SPAM: "spam",
    EMAIL_FAILED: "en échec",
}
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


def failed_table(jobs: list[EmailJob], legacy: list[Submission]) -> str:
    """The `failed` listing: which e-mail, since when, how many tries, why (no address)."""
    if not jobs and not legacy:
        return "Aucun e-mail en échec."
    rows = [("e-mail", "créé (Paris)", "essais", "raison")]
    rows += [(j.key, paris(j.created_at), str(j.attempts), j.last_error or "") for j in jobs]
    rows += [
        (f"{s.id}/*", paris(s.received_at), str(s.email_attempts), s.last_email_error or "")
        for s in legacy
    ]
    count = len(jobs) + len(legacy)
    return (
        f"{table(rows)}\n{count} e-mail(s) en échec : corrigez la cause, puis "
        "`python -m forms.admin resend --failed`."
    )


def resend_summary(counts: Counter) -> str:
    """One line: what this run sent, what stays for later, what failed, what others had."""
    return (
        f"{counts[SENT]} e-mail(s) envoyé(s), {counts[RETRY]} toujours en attente, "
        f"{counts[FAILED]} en échec, {counts[SKIPPED]} ignoré(s) (en cours d'envoi ailleurs)."
    )


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
