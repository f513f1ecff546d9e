"""What the operator asks of a store beyond ports.SubmissionStore: select, find by e-mail, erase.

Selections are by calendar day in Paris time (what the operator means by « le 24 novembre »),
compared with the stored UTC instants.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from ..delivery import file_name
from ..local_store import COLUMNS, SQLiteStore, _submission
from ..ports import Submission

PARIS = ZoneInfo("Europe/Paris")


@dataclass(frozen=True)
class Summary:
    """One line of `list`: no personal data, only what identifies and locates a submission."""

    id: str
    received_at: dt.datetime
    form: str
    territory: str
    email_status: str

    @classmethod
    def of(cls, submission: Submission) -> Summary:
        return cls(
            submission.id,
            submission.received_at,
            submission.form,
            submission.territory,
            submission.email_status,
        )


@dataclass(frozen=True)
class Selection:
    """Which submissions: a territory, a form, and days from `start` to `end` included."""

    territory: str | None = None
    form: str | None = None
    start: dt.date | None = None
    end: dt.date | None = None

    def lower(self) -> dt.datetime | None:
        """The first instant selected (UTC), or None for no lower bound."""
        return _midnight(self.start) if self.start else None

    def upper(self) -> dt.datetime | None:
        """The first instant after the selection (UTC), or None for no upper bound."""
        return _midnight(self.end + dt.timedelta(days=1)) if self.end else None

    def matches(self, summary: Summary | Submission) -> bool:
        """Whether a submission (or its summary) is selected."""
        lower, upper = self.lower(), self.upper()
        return (
            (self.territory is None or summary.territory == self.territory)
            and (self.form is None or summary.form == self.form)
            and (lower is None or summary.received_at >= lower)
            and (upper is None or summary.received_at < upper)
        )


def _midnight(day: dt.date) -> dt.datetime:
    """Midnight in Paris on `day`, in UTC."""
    return dt.datetime.combine(day, dt.time(), PARIS).astimezone(dt.UTC)


def same_address(stored: object, wanted: str) -> bool:
    """E-mail addresses compared without regard to case (the person may type either)."""
    return isinstance(stored, str) and stored.strip().casefold() == wanted.strip().casefold()


class SQLiteAdmin:
    """Operator queries over the local SQLiteStore (reads its table directly)."""

    def __init__(self, store: SQLiteStore, outbox: Path | None = None):
        self.store = store
        self.outbox = outbox  # the local .eml copies, erased with their submission

    def select(self, selection: Selection) -> list[Submission]:
        """The selected submissions, oldest first."""
        db = self.store._connection()
        where, values = [], []
        for column in ("territory", "form"):
            if getattr(selection, column) is not None:
                where.append(f"{column} = ?")
                values.append(getattr(selection, column))
        query = f"SELECT {COLUMNS} FROM submissions"
        if where:
            query += " WHERE " + " AND ".join(where)
        rows = db.execute(query + " ORDER BY id", values).fetchall()
        return [s for s in map(_submission, rows) if selection.matches(s)]

    def summaries(self, selection: Selection) -> list[Summary]:
        """The selection's lines for `list`."""
        return [Summary.of(s) for s in self.select(selection)]

    def with_email(self, address: str) -> list[Submission]:
        """Every submission sent with this address, oldest first."""
        return [s for s in self.store.all() if same_address(s.fields.get("email"), address)]

    def failed_legacy(self) -> list[Submission]:
        """First-release submissions set aside as failed (their territory left the catalogue)."""
        return self.store.failed_legacy()

    def requeue_legacy(self, submission_id: str) -> bool:
        return self.store.requeue_legacy(submission_id)

    def _jobs_to_erase(self, db, submissions: list[Submission], address: str | None) -> list[str]:
        """Keys of the jobs about these submissions or addressed to `address`."""
        records = {s.id for s in submissions}
        return [
            key
            for key, record, recipients in db.execute(
                "SELECT key, record, recipients FROM email_jobs"
            )
            if record in records
            or (address and any(same_address(r, address) for r in json.loads(recipients)))
        ]

    def erase(self, submissions: list[Submission], address: str | None = None) -> int:
        """Delete these submissions and their e-mail jobs (and any job to `address`).

        Their idempotency keys are columns of the same rows; the local .eml copies go too.
        """
        db = self.store._connection()
        # Overwrite the freed pages, then fold the WAL into the file: no copy left behind.
        db.execute("PRAGMA secure_delete = ON")
        with self.store.transaction() as db:
            keys = self._jobs_to_erase(db, submissions, address)
            db.executemany("DELETE FROM email_jobs WHERE key = ?", [(k,) for k in keys])
            deleted = sum(
                db.execute("DELETE FROM submissions WHERE id = ?", (s.id,)).rowcount
                for s in submissions
            )
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self._erase_outbox([s.id for s in submissions], keys)
        return deleted

    def _erase_outbox(self, submission_ids: list[str], keys: list[str]) -> None:
        if self.outbox is None or not self.outbox.is_dir():
            return
        for key in keys:
            (self.outbox / file_name(key)).unlink(missing_ok=True)
        for submission_id in submission_ids:  # the first release's names: <id>-<kind>-<random>
            for path in self.outbox.glob(f"{submission_id}-*.eml"):
                path.unlink(missing_ok=True)
