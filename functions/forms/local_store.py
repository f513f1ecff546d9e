"""SQLite implementation of ports.SubmissionStore, for the local server (`var/submissions.sqlite3`).

One connection per thread (sqlite3 connections must not be shared between threads) and WAL,
so that the server's request threads and the delivery worker can write concurrently.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import threading
from pathlib import Path

from .ports import EMAIL_PENDING, DuplicateSubmission, StoreUnavailable, Submission

SCHEMA = """
CREATE TABLE IF NOT EXISTS submissions (
    id TEXT PRIMARY KEY,
    form TEXT NOT NULL,
    territory TEXT NOT NULL,
    received_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    fields TEXT NOT NULL,
    pricing TEXT,
    idempotency_key TEXT,
    email_status TEXT NOT NULL,
    emails_sent TEXT NOT NULL,
    email_attempts INTEGER NOT NULL DEFAULT 0,
    last_email_error TEXT
);
CREATE UNIQUE INDEX IF NOT EXISTS submissions_idempotency
    ON submissions (form, territory, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX IF NOT EXISTS submissions_status ON submissions (email_status, id);
"""
COLUMNS = (
    "id, form, territory, received_at, expires_at, fields, pricing, idempotency_key,"
    " email_status, emails_sent, email_attempts, last_email_error"
)


def _row(submission: Submission) -> tuple:
    return (
        submission.id,
        submission.form,
        submission.territory,
        submission.received_at.isoformat(),
        submission.expires_at.isoformat(),
        json.dumps(submission.fields, ensure_ascii=False),
        json.dumps(submission.pricing, ensure_ascii=False) if submission.pricing else None,
        submission.idempotency_key,
        submission.email_status,
        json.dumps(submission.emails_sent),
        submission.email_attempts,
        submission.last_email_error,
    )


def _submission(row: tuple) -> Submission:
    return Submission(
        id=row[0],
        form=row[1],
        territory=row[2],
        received_at=dt.datetime.fromisoformat(row[3]),
        expires_at=dt.datetime.fromisoformat(row[4]),
        fields=json.loads(row[5]),
        pricing=json.loads(row[6]) if row[6] else None,
        idempotency_key=row[7],
        email_status=row[8],
        emails_sent=json.loads(row[9]),
        email_attempts=row[10],
        last_email_error=row[11],
    )


class SQLiteStore:
    """Submissions in one SQLite file; safe to use from several threads."""

    def __init__(self, path: Path | str):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        with self._connection() as db:
            db.executescript(SCHEMA)

    def _connection(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=10)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: durable at each checkpoint
            self._local.db = db
        return db

    def add(self, submission: Submission) -> None:
        """Insert; DuplicateSubmission on a reused idempotency key, StoreUnavailable on failure."""
        try:
            with self._connection() as db:
                db.execute(
                    f"INSERT INTO submissions ({COLUMNS}) VALUES ({', '.join('?' * 12)})",
                    _row(submission),
                )
        except sqlite3.IntegrityError:
            first = self._first_with_key(submission)
            if first is None:
                raise StoreUnavailable("id collision") from None
            raise DuplicateSubmission(first) from None
        except sqlite3.Error as error:
            raise StoreUnavailable(str(error)) from None

    def _first_with_key(self, submission: Submission) -> Submission | None:
        if submission.idempotency_key is None:
            return None
        row = (
            self._connection()
            .execute(
                f"SELECT {COLUMNS} FROM submissions"
                " WHERE form = ? AND territory = ? AND idempotency_key = ?",
                (submission.form, submission.territory, submission.idempotency_key),
            )
            .fetchone()
        )
        return _submission(row) if row else None

    def get(self, submission_id: str) -> Submission | None:
        """The submission with this id, or None."""
        row = (
            self._connection()
            .execute(f"SELECT {COLUMNS} FROM submissions WHERE id = ?", (submission_id,))
            .fetchone()
        )
        return _submission(row) if row else None

    def pending(self, limit: int = 100) -> list[Submission]:
        """Submissions whose e-mails are not all sent, oldest first (ids sort by time)."""
        rows = (
            self._connection()
            .execute(
                f"SELECT {COLUMNS} FROM submissions WHERE email_status = ? ORDER BY id LIMIT ?",
                (EMAIL_PENDING, limit),
            )
            .fetchall()
        )
        return [_submission(row) for row in rows]

    def record_email(
        self, submission_id: str, sent: list[str], status: str, error: str | None = None
    ) -> None:
        """Save a delivery attempt's outcome."""
        with self._connection() as db:
            db.execute(
                "UPDATE submissions SET emails_sent = ?, email_status = ?, last_email_error = ?,"
                " email_attempts = email_attempts + 1 WHERE id = ?",
                (json.dumps(list(sent)), status, error, submission_id),
            )

    def all(self) -> list[Submission]:
        """Every stored submission, oldest first (for operators and tests)."""
        rows = (
            self._connection().execute(f"SELECT {COLUMNS} FROM submissions ORDER BY id").fetchall()
        )
        return [_submission(row) for row in rows]

    def purge_expired(self, now: dt.datetime) -> int:
        """Delete submissions past their retention limit; returns how many."""
        with self._connection() as db:
            return db.execute(
                "DELETE FROM submissions WHERE expires_at < ?", (now.isoformat(),)
            ).rowcount

    def close(self) -> None:
        """Close this thread's connection."""
        db = getattr(self._local, "db", None)
        if db is not None:
            db.close()
            self._local.db = None
