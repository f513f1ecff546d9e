"""The collectivity's report: per month, what the welcome service did in its territory —
requests, introductions, calls, settled families, event registrations, pack orders — as CSV,
and as one HTML page with a bar chart (inline SVG, no script, no third party) and the table.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass

from .followup import FollowUp
from .french import month_fr
from .ports import EMAIL_SPAM, PACK_ORDER, WELCOMER_REQUEST, Submission
from .registrations import CANCELLED, Registration
from .rendering import render
from .statements import month_of

MEASURES = (
    ("requests", "Demandes reçues"),
    ("introductions", "Mises en relation"),
    ("calls", "Appels des welcomers"),
    ("settled", "Familles installées"),
    ("registrations", "Inscriptions aux événements"),
    ("pack_orders", "Commandes de coffrets"),
)
# Colours of the chart's bars: distinct for colour-blind readers (Okabe–Ito), each with a
# 3:1 contrast at least against white (WCAG 1.4.11), and named in the legend and the table.
COLOURS = ("#0072b2", "#d55e00", "#009e73", "#cc79a7", "#8a6d00", "#56606b")
SHORT_MONTHS = ("janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.",
                "oct.", "nov.", "déc.")  # fmt: skip


@dataclass(frozen=True)
class Month:
    month: str  # YYYY-MM
    counts: dict[str, int]

    @property
    def label(self) -> str:
        return month_fr(self.month)

    @property
    def short(self) -> str:
        """« nov. 26 », under the chart's bars."""
        return f"{SHORT_MONTHS[int(self.month[5:]) - 1]} {self.month[2:4]}"


def months_between(first: str, last: str) -> list[str]:
    """Every YYYY-MM from `first` to `last` included."""
    year, month = map(int, first.split("-"))
    found = []
    while f"{year:04d}-{month:02d}" <= last:
        found.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return found


def last_months(today: dt.date, count: int = 12) -> tuple[str, str]:
    """The `count` months up to today's, as (first, last)."""
    year, month = today.year, today.month - (count - 1)
    while month < 1:
        year, month = year - 1, month + 12
    return f"{year:04d}-{month:02d}", today.strftime("%Y-%m")


def monthly(
    territory: str,
    months: list[str],
    submissions: list[Submission],
    followups: list[FollowUp],
    registrations: list[Registration],
) -> list[Month]:
    """The counts of each month for one territory (Paris months)."""
    counts = {m: dict.fromkeys((k for k, _ in MEASURES), 0) for m in months}

    def bump(moment, measure: str, by: int = 1) -> None:
        month = month_of(moment)
        if month in counts:
            counts[month][measure] += by

    for s in submissions:
        if s.territory != territory or s.email_status == EMAIL_SPAM:
            continue
        if s.form == WELCOMER_REQUEST:
            bump(s.received_at, "requests")
        elif s.form == PACK_ORDER:
            bump(s.received_at, "pack_orders")
    for state in followups:
        if state.territory != territory:
            continue
        for introduction in state.introductions:
            bump(introduction["at"], "introductions")
        for entry in state.calls:
            bump(entry["at"], "calls")
        if state.settled_at:
            bump(state.settled_at, "settled")
    for r in registrations:
        if r.territory == territory and r.status != CANCELLED:
            bump(r.received_at, "registrations")
    return [Month(m, counts[m]) for m in months]


def to_csv(territory: str, rows: list[Month], excel: bool = False) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";" if excel else ",")
    writer.writerow(["territoire", "mois", *(label for _, label in MEASURES)])
    for row in rows:
        writer.writerow([territory, row.month, *(row.counts[k] for k, _ in MEASURES)])
    totals = [sum(r.counts[k] for r in rows) for k, _ in MEASURES]
    writer.writerow([territory, "total", *totals])
    return buffer.getvalue().encode("utf-8-sig" if excel else "utf-8")


def chart(rows: list[Month], width: int = 960, height: int = 320) -> dict:
    """The geometry of a grouped bar chart: one group per month, one bar per measure."""
    top = max([1, *(v for r in rows for v in r.counts.values())])
    left, bottom, plot_h = 40, 40, height - 60
    group = (width - left - 10) / max(1, len(rows))
    bar = max(2.0, (group - 8) / len(MEASURES))
    ticks = sorted({0, top // 2, top}) if top > 1 else [0, 1]
    bars, labels = [], []
    for i, row in enumerate(rows):
        x0 = left + i * group + 4
        for j, (key, name) in enumerate(MEASURES):
            value = row.counts[key]
            h = plot_h * value / top
            bars.append(
                {
                    "x": round(x0 + j * bar, 1),
                    "y": round(height - bottom - h, 1),
                    "w": round(bar - 1, 1),
                    "h": round(h, 1),
                    "colour": COLOURS[j],
                    "title": f"{row.label} — {name} : {value}",
                }
            )
        labels.append({"x": round(x0 + group / 2 - 4, 1), "text": row.short})
    return {
        "width": width,
        "height": height,
        "bars": bars,
        "labels": labels,
        "ticks": [{"y": round(height - bottom - plot_h * t / top, 1), "value": t} for t in ticks],
        "left": left,
        "base": height - bottom,
    }


def to_html(territory_name: str, rows: list[Month], generated: dt.date) -> str:
    """A self-contained page: title, legend, chart, table; readable printed or on screen."""
    totals = {k: sum(r.counts[k] for r in rows) for k, _ in MEASURES}
    return render(
        "report.html",
        territory=territory_name,
        rows=rows,
        measures=list(zip(MEASURES, COLOURS, strict=True)),
        totals=totals,
        chart=chart(rows),
        period=f"{rows[0].label} – {rows[-1].label}" if rows else "",
        generated=generated,
    )
