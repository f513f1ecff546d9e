"""The monthly statement of each welcomer: the families accompanied, the calls, the amount at
the territory's rate — what the welcomer invoices under their SIRET. As CSV, and e-mailed to
the operator (key statement/<territory>/<welcomer>/<YYYY-MM>) with the CSV attached.

Rule: a mission (a family introduced to the welcomer) is billed once, in the month of its first
recorded call — the month the work began; later calls are listed, not billed again.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from decimal import Decimal

from .catalogue import TerritoryInfo, WelcomerInfo
from .followup import FollowUp
from .french import PARIS, euros, month_fr
from .letters import Attachment, Letter, Section, job
from .ports import Submission

KEPT = dt.timedelta(days=90)  # a statement's job, after which it is deleted
COLUMNS = (
    "territoire", "welcomer", "siret", "mois", "demande", "famille", "présentée le",
    "appels du mois", "dates des appels", "facturée ce mois", "montant HT (EUR)",
)  # fmt: skip


def month_of(moment: dt.datetime | str) -> str:
    """YYYY-MM of an instant, in Paris time."""
    if isinstance(moment, str):
        moment = dt.datetime.fromisoformat(moment)
    return moment.astimezone(PARIS).strftime("%Y-%m")


@dataclass(frozen=True)
class Mission:
    request_id: str
    family: str  # first name and initial: enough to recognise, no more
    introduced_at: str
    calls: tuple[str, ...]  # the month's calls, Paris dates (YYYY-MM-DD)
    billed: bool


@dataclass(frozen=True)
class Statement:
    territory: TerritoryInfo
    welcomer: WelcomerInfo
    month: str
    missions: tuple[Mission, ...]

    @property
    def calls(self) -> int:
        return sum(len(m.calls) for m in self.missions)

    @property
    def billed(self) -> int:
        return sum(m.billed for m in self.missions)

    @property
    def amount(self) -> Decimal:
        return self.territory.welcomer_rate_eur * self.billed


def _family(request: Submission | None) -> str:
    if request is None:
        return "(demande effacée)"
    return f"{request.fields['first_name']} {request.fields['last_name'][:1]}."


def _mission(state: FollowUp, welcomer: str, month: str, request) -> Mission | None:
    introduced = next((i for i in state.introductions if i["welcomer"] == welcomer), None)
    calls = [c for c in state.calls if c["welcomer"] == welcomer]
    in_month = [c for c in calls if month_of(c["at"]) == month]
    billed = bool(calls) and month_of(calls[0]["at"]) == month
    if introduced is None or not in_month:
        return None
    dates = tuple(
        dt.datetime.fromisoformat(c["at"]).astimezone(PARIS).date().isoformat() for c in in_month
    )
    return Mission(state.request_id, _family(request), introduced["at"][:10], dates, billed)


def statements(
    territory: TerritoryInfo, followups: list[FollowUp], requests: dict[str, Submission], month: str
) -> list[Statement]:
    """The month's statement of each welcomer of the territory who made calls in it."""
    found = []
    for welcomer in territory.welcomers:
        missions = [
            m
            for state in followups
            if state.territory == territory.slug
            for m in [_mission(state, welcomer.id, month, requests.get(state.request_id))]
            if m is not None
        ]
        if missions:
            found.append(Statement(territory, welcomer, month, tuple(missions)))
    return found


def to_csv(statement: Statement, excel: bool = False) -> bytes:
    """One line per mission, then the total line."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";" if excel else ",")
    writer.writerow(COLUMNS)
    rate = statement.territory.welcomer_rate_eur
    head = (statement.territory.slug, statement.welcomer.id, statement.welcomer.siret or "")
    for m in statement.missions:
        writer.writerow(
            (*head, statement.month, m.request_id, m.family, m.introduced_at, len(m.calls),
             " ".join(m.calls), "oui" if m.billed else "non", str(rate) if m.billed else "0")
        )  # fmt: skip
    writer.writerow(
        (*head, statement.month, "TOTAL", "", "", statement.calls, "", statement.billed,
         str(statement.amount))
    )  # fmt: skip
    return buffer.getvalue().encode("utf-8-sig" if excel else "utf-8")


def letter(statement: Statement, operator_email: str) -> Letter:
    """The statement e-mailed to the operator, its CSV attached."""
    w, t = statement.welcomer, statement.territory
    month = month_fr(statement.month)
    return Letter(
        kind="statement",
        subject=f"[{t.name}] Relevé de {w.first_name} — {month} : {euros(statement.amount)} HT",
        to=((operator_email, ""),),
        sections=(
            Section(
                paragraphs=(
                    f"Le relevé de {w.first_name} ({w.commune}) pour {month} : le montant à "
                    "facturer sous son SIRET. Une mission est facturée le mois de son premier "
                    "appel.",
                ),
                facts=(
                    ("SIRET", w.siret or "à demander au welcomer"),
                    ("Familles accompagnées ce mois", str(len(statement.missions))),
                    ("Appels du mois", str(statement.calls)),
                    ("Missions facturées", f"{statement.billed} × {euros(t.welcomer_rate_eur)} HT"),
                    ("Montant", f"{euros(statement.amount)} HT"),
                ),
            ),
            Section(
                "Missions",
                paragraphs=tuple(
                    f"{m.request_id} — {m.family} : {len(m.calls)} appel(s) "
                    f"({', '.join(m.calls)}){' — facturée' if m.billed else ''}"
                    for m in statement.missions
                ),
            ),
        ),
        attachments=(
            Attachment(
                f"releve-{t.slug}-{w.id}-{statement.month}.csv",
                "text/csv; charset=utf-8",
                to_csv(statement),
            ),
        ),
    )


def statement_jobs(app, items: list[Statement]) -> list:
    """The e-mail of each statement to the operator (none without an operator address)."""
    if not app.settings.operator_email:
        return []
    now = app.clock()
    jobs = []
    for s in items:
        key = f"statement/{s.territory.slug}/{s.welcomer.id}/{s.month}"
        message = letter(s, app.settings.operator_email)
        jobs.append(job(key, message, app.settings.mail_from, now, key, now + KEPT))
    return jobs
