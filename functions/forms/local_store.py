"""SQLite implementation of ports.SubmissionStore, for the local server (`var/submissions.sqlite3`).

One connection per thread (sqlite3 connections must not be shared between threads) and WAL,
so that the server's request threads, the delivery worker and `forms.admin` (another process)
can write concurrently. Transactions start with BEGIN IMMEDIATE: a writer waits for the lock
(up to `timeout`) instead of failing when it turns out another one got there first.

Tables: `submissions`, `email_jobs` (forms.delivery). A database written by the first release
opens as it is: tables and indexes are created if missing, nothing is rewritten.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from .ports import (
    EMAIL_FAILED,
    EMAIL_PENDING,
    EMAIL_SENT,
    EMAIL_SPAM,
    JOB_FAILED,
    JOB_PENDING,
    JOB_SENT,
    DuplicateSubmission,
    EmailJob,
    StoreUnavailable,
    Submission,
)

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
CREATE TABLE IF NOT EXISTS email_jobs (
    key TEXT PRIMARY KEY,
    record TEXT NOT NULL,
    sender TEXT NOT NULL,
    recipients TEXT NOT NULL,
    message BLOB NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    lease_owner TEXT,
    lease_until TEXT,
    last_error TEXT,
    sent_at TEXT
);
CREATE INDEX IF NOT EXISTS email_jobs_due ON email_jobs (status, next_attempt_at);
CREATE INDEX IF NOT EXISTS email_jobs_record ON email_jobs (record);
CREATE TABLE IF NOT EXISTS counters (
    key TEXT PRIMARY KEY,
    count INTEGER NOT NULL,
    expires_at TEXT NOT NULL
);
"""
COLUMNS = (
    "id, form, territory, received_at, expires_at, fields, pricing, idempotency_key,"
    " email_status, emails_sent, email_attempts, last_email_error"
)
JOB_COLUMNS = (
    "key, record, sender, recipients, message, created_at, expires_at, status, attempts,"
    " next_attempt_at, last_error, sent_at"
)


def iso(moment: dt.datetime) -> str:
    """Fixed-width UTC ISO 8601: strings sort like the moments they name."""
    return moment.astimezone(dt.UTC).isoformat(timespec="microseconds")


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


def _job_row(job: EmailJob) -> tuple:
    return (
        job.key,
        job.record,
        job.sender,
        json.dumps(job.recipients),
        job.message,
        iso(job.created_at),
        iso(job.expires_at),
        job.status,
        job.attempts,
        iso(job.next_attempt_at),
        job.last_error,
        iso(job.sent_at) if job.sent_at else None,
    )


def _job(row: tuple) -> EmailJob:
    return EmailJob(
        key=row[0],
        record=row[1],
        sender=row[2],
        recipients=json.loads(row[3]),
        message=bytes(row[4]),
        created_at=dt.datetime.fromisoformat(row[5]),
        expires_at=dt.datetime.fromisoformat(row[6]),
        status=row[7],
        attempts=row[8],
        next_attempt_at=dt.datetime.fromisoformat(row[9]),
        last_error=row[10],
        sent_at=dt.datetime.fromisoformat(row[11]) if row[11] else None,
    )


def enqueue_jobs(db: sqlite3.Connection, jobs: Iterable[EmailJob]) -> None:
    """Insert jobs inside the caller's transaction; a key already stored is left untouched."""
    db.executemany(
        f"INSERT INTO email_jobs ({JOB_COLUMNS}) VALUES ({', '.join('?' * 12)})"
        " ON CONFLICT (key) DO NOTHING",
        [_job_row(job) for job in jobs],
    )


def refresh_email_status(db: sqlite3.Connection, record: str) -> None:
    """A submission's `email_status` summarises its jobs (kept for listings and old queries)."""
    db.execute(
        "UPDATE submissions SET email_status = ("
        "  SELECT CASE WHEN SUM(status = :job_failed) > 0 THEN :failed"
        "  WHEN SUM(status = :job_pending) > 0 THEN :pending ELSE :sent END"
        "  FROM email_jobs WHERE record = :record)"
        " WHERE id = :record AND email_status != :spam"
        " AND EXISTS (SELECT 1 FROM email_jobs WHERE record = :record)",
        {
            "job_failed": JOB_FAILED,
            "job_pending": JOB_PENDING,
            "failed": EMAIL_FAILED,
            "pending": EMAIL_PENDING,
            "sent": EMAIL_SENT,
            "spam": EMAIL_SPAM,
            "record": record,
        },
    )


class SQLiteStore:
    """Submissions and e-mail jobs in one SQLite file; safe to use from several threads."""

    def __init__(self, path: Path | str, timeout: float = 10.0):
        self.path = Path(path)
        self.timeout = timeout
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._connection().executescript(SCHEMA)

    def _connection(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            # Autocommit mode: transactions are explicit (transaction()), never implied.
            db = sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: a killed process loses nothing
            self._local.db = db
        return db

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE … COMMIT (ROLLBACK on error): the connection of this thread."""
        db = self._connection()
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    def _read(self, query: str, values: tuple = ()) -> list[tuple]:
        try:
            return self._connection().execute(query, values).fetchall()
        except sqlite3.Error as error:
            raise StoreUnavailable(str(error)) from None

    def _write(self, query: str, values: tuple = ()) -> int:
        try:
            with self.transaction() as db:
                return db.execute(query, values).rowcount
        except sqlite3.Error as error:
            raise StoreUnavailable(str(error)) from None

    # -- Submissions. ----------------------------------------------------------------------

    def add(self, submission: Submission, jobs: Iterable[EmailJob] = ()) -> None:
        """Insert with its jobs; DuplicateSubmission on a reused idempotency key."""
        try:
            with self.transaction() as db:
                db.execute(
                    f"INSERT INTO submissions ({COLUMNS}) VALUES ({', '.join('?' * 12)})",
                    _row(submission),
                )
                enqueue_jobs(db, jobs)
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
        rows = self._read(
            f"SELECT {COLUMNS} FROM submissions"
            " WHERE form = ? AND territory = ? AND idempotency_key = ?",
            (submission.form, submission.territory, submission.idempotency_key),
        )
        return _submission(rows[0]) if rows else None

    def get(self, submission_id: str) -> Submission | None:
        """The submission with this id, or None."""
        rows = self._read(f"SELECT {COLUMNS} FROM submissions WHERE id = ?", (submission_id,))
        return _submission(rows[0]) if rows else None

    def all(self) -> list[Submission]:
        """Every stored submission, oldest first (for operators and tests)."""
        return [
            _submission(r) for r in self._read(f"SELECT {COLUMNS} FROM submissions ORDER BY id")
        ]

    def legacy_pending(self, limit: int = 100) -> list[Submission]:
        """Pending submissions without jobs: stored by the first release, never fully sent."""
        rows = self._read(
            f"SELECT {COLUMNS} FROM submissions WHERE email_status = ? AND NOT EXISTS"
            " (SELECT 1 FROM email_jobs WHERE record = submissions.id) ORDER BY id LIMIT ?",
            (EMAIL_PENDING, limit),
        )
        return [_submission(row) for row in rows]

    def adopt(
        self, submission: Submission, jobs: list[EmailJob], failure: str | None = None
    ) -> None:
        """Give a legacy submission its jobs, or set it aside as failed (`failure`)."""
        try:
            with self.transaction() as db:
                if failure is not None:
                    db.execute(
                        "UPDATE submissions SET email_status = ?, last_email_error = ?"
                        " WHERE id = ? AND email_status = ?",
                        (EMAIL_FAILED, failure, submission.id, EMAIL_PENDING),
                    )
                    return
                if not jobs:  # every message went out before the upgrade
                    db.execute(
                        "UPDATE submissions SET email_status = ? WHERE id = ?",
                        (EMAIL_SENT, submission.id),
                    )
                    return
                enqueue_jobs(db, jobs)
                refresh_email_status(db, submission.id)
        except sqlite3.Error as error:
            raise StoreUnavailable(str(error)) from None

    def failed_legacy(self) -> list[Submission]:
        """Legacy submissions set aside as failed (they have no jobs)."""
        rows = self._read(
            f"SELECT {COLUMNS} FROM submissions WHERE email_status = ? AND NOT EXISTS"
            " (SELECT 1 FROM email_jobs WHERE record = submissions.id) ORDER BY id",
            (EMAIL_FAILED,),
        )
        return [_submission(row) for row in rows]

    def requeue_legacy(self, submission_id: str) -> bool:
        """A failed legacy submission pending again (adopted at the next pass)."""
        return bool(
            self._write(
                "UPDATE submissions SET email_status = ? WHERE id = ? AND email_status = ?",
                (EMAIL_PENDING, submission_id, EMAIL_FAILED),
            )
        )

    def hit(self, key: str, expires_at: dt.datetime, weight: int = 1) -> int:
        """Add `weight` to the counter `key` (created until `expires_at`); its new value."""
        try:
            with self.transaction() as db:
                return db.execute(
                    "INSERT INTO counters (key, count, expires_at) VALUES (?, ?, ?)"
                    " ON CONFLICT (key) DO UPDATE SET count = count + excluded.count"
                    " RETURNING count",
                    (key, weight, iso(expires_at)),
                ).fetchone()[0]
        except sqlite3.Error as error:
            raise StoreUnavailable(str(error)) from None

    def purge_expired(self, now: dt.datetime) -> int:
        """Delete submissions and jobs past their retention limit; returns how many submissions."""
        with self.transaction() as db:
            db.execute("DELETE FROM counters WHERE expires_at < ?", (iso(now),))
            db.execute("DELETE FROM email_jobs WHERE expires_at < ?", (iso(now),))
            return db.execute(
                "DELETE FROM submissions WHERE expires_at < ?", (now.isoformat(),)
            ).rowcount

    # -- E-mail jobs (ports.EmailJobStore). ------------------------------------------------

    def enqueue(self, jobs: Iterable[EmailJob]) -> None:
        """Store jobs on their own; existing keys are left untouched."""
        try:
            with self.transaction() as db:
                enqueue_jobs(db, jobs)
        except sqlite3.Error as error:
            raise StoreUnavailable(str(error)) from None

    def due_jobs(self, now: dt.datetime, limit: int = 50) -> list[str]:
        """Pending jobs whose time has come and whose lease (if any) ran out, earliest first."""
        moment = iso(now)
        rows = self._read(
            "SELECT key FROM email_jobs WHERE status = ? AND next_attempt_at <= ?"
            " AND (lease_until IS NULL OR lease_until < ?) ORDER BY next_attempt_at LIMIT ?",
            (JOB_PENDING, moment, moment, limit),
        )
        return [row[0] for row in rows]

    def next_due(self) -> dt.datetime | None:
        """When the next pending job becomes due (its attempt time or its lease's end)."""
        rows = self._read(
            "SELECT MIN(MAX(next_attempt_at, COALESCE(lease_until, ''))) FROM email_jobs"
            " WHERE status = ?",
            (JOB_PENDING,),
        )
        return dt.datetime.fromisoformat(rows[0][0]) if rows and rows[0][0] else None

    def claim_job(
        self, key: str, owner: str, now: dt.datetime, lease: dt.timedelta
    ) -> EmailJob | None:
        """One conditional UPDATE: whoever changes the row holds the job (across processes)."""
        try:
            with self.transaction() as db:
                changed = db.execute(
                    "UPDATE email_jobs SET lease_owner = ?, lease_until = ?,"
                    " attempts = attempts + 1"
                    " WHERE key = ? AND status = ? AND (lease_until IS NULL OR lease_until < ?)",
                    (owner, iso(now + lease), key, JOB_PENDING, iso(now)),
                ).rowcount
                if not changed:
                    return None
                row = db.execute(
                    f"SELECT {JOB_COLUMNS} FROM email_jobs WHERE key = ?", (key,)
                ).fetchone()
        except sqlite3.Error as error:
            raise StoreUnavailable(str(error)) from None
        return _job(row)

    def _settle(self, key: str, owner: str, sets: str, values: tuple) -> None:
        try:
            with self.transaction() as db:
                row = db.execute(
                    f"UPDATE email_jobs SET {sets}, lease_owner = NULL, lease_until = NULL"
                    " WHERE key = ? AND lease_owner = ? RETURNING record",
                    (*values, key, owner),
                ).fetchone()
                if row is not None:
                    refresh_email_status(db, row[0])
        except sqlite3.Error as error:
            raise StoreUnavailable(str(error)) from None

    def job_sent(self, key: str, owner: str, now: dt.datetime) -> None:
        """Sent: the message bytes are dropped (the recipients stay, for erasure)."""
        self._settle(
            key,
            owner,
            "status = ?, sent_at = ?, message = x'', last_error = NULL",
            (JOB_SENT, iso(now)),
        )

    def job_retry(self, key: str, owner: str, error: str, next_attempt_at: dt.datetime) -> None:
        """Pending again from `next_attempt_at`."""
        self._settle(
            key, owner, "next_attempt_at = ?, last_error = ?", (iso(next_attempt_at), error)
        )

    def job_failed(self, key: str, owner: str, reason: str, now: dt.datetime) -> None:
        """Set aside with its reason."""
        self._settle(key, owner, "status = ?, last_error = ?", (JOB_FAILED, reason))

    def get_job(self, key: str) -> EmailJob | None:
        """The job with this key, or None."""
        rows = self._read(f"SELECT {JOB_COLUMNS} FROM email_jobs WHERE key = ?", (key,))
        return _job(rows[0]) if rows else None

    def jobs_of(self, record: str) -> list[EmailJob]:
        """The jobs of one record, by key."""
        rows = self._read(
            f"SELECT {JOB_COLUMNS} FROM email_jobs WHERE record = ? ORDER BY key", (record,)
        )
        return [_job(row) for row in rows]

    def failed_jobs(self, limit: int = 1000) -> list[EmailJob]:
        """Jobs set aside as failed, oldest first."""
        rows = self._read(
            f"SELECT {JOB_COLUMNS} FROM email_jobs WHERE status = ? ORDER BY created_at, key"
            " LIMIT ?",
            (JOB_FAILED, limit),
        )
        return [_job(row) for row in rows]

    def requeue_failed(self, key: str, now: dt.datetime) -> bool:
        """Failed → pending at once, attempts from zero; False if the job was not failed."""
        try:
            with self.transaction() as db:
                row = db.execute(
                    "UPDATE email_jobs SET status = ?, attempts = 0, next_attempt_at = ?,"
                    " lease_owner = NULL, lease_until = NULL"
                    " WHERE key = ? AND status = ? RETURNING record",
                    (JOB_PENDING, iso(now), key, JOB_FAILED),
                ).fetchone()
                if row is not None:
                    refresh_email_status(db, row[0])
        except sqlite3.Error as error:
            raise StoreUnavailable(str(error)) from None
        return row is not None

    def close(self) -> None:
        """Close this thread's connection."""
        db = getattr(self._local, "db", None)
        if db is not None:
            db.close()
            self._local.db = None
