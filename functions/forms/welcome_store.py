"""SQLite records of the welcome service, beside the submissions in `var/submissions.sqlite3`:
the follow-up of welcomer requests and event registrations.

Every change runs in one `BEGIN IMMEDIATE` transaction (the write lock is taken first, so two
threads never both read « 9 seats taken » and both take the tenth), together with the e-mail
jobs it causes, in the delivery core's `email_jobs` table (forms.delivery).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import sqlite3
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

from . import local_store
from .followup import Conflict, FollowUp
from .local_store import enqueue_jobs
from .ports import EmailJob
from .registrations import (
    CANCELLED,
    CONFIRMED,
    WAITLISTED,
    AlreadyCancelled,
    Cancellation,
    Registration,
    SlotTaken,
)

SCHEMA = """
CREATE TABLE IF NOT EXISTS followups (
    request_id TEXT PRIMARY KEY,
    territory TEXT NOT NULL,
    received_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    status TEXT NOT NULL,
    version INTEGER NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS followups_territory ON followups (territory, status);
CREATE TABLE IF NOT EXISTS registrations (
    id TEXT PRIMARY KEY,
    territory TEXT NOT NULL,
    event TEXT NOT NULL,
    status TEXT NOT NULL,
    position INTEGER NOT NULL,
    slot TEXT,
    email TEXT NOT NULL,
    received_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    fields TEXT NOT NULL,
    cancelled_at TEXT,
    promoted_at TEXT
);
-- The database itself refuses two confirmed registrations on one slot.
CREATE UNIQUE INDEX IF NOT EXISTS registrations_slot
    ON registrations (territory, event, slot) WHERE status = 'confirmed' AND slot IS NOT NULL;
CREATE INDEX IF NOT EXISTS registrations_event
    ON registrations (territory, event, status, position);
"""
REGISTRATION_COLUMNS = (
    "id, territory, event, status, position, slot, email, received_at, expires_at, fields,"
    " cancelled_at, promoted_at"
)


def _time(text: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(text) if text else None


def _registration(row: tuple) -> Registration:
    return Registration(
        id=row[0],
        territory=row[1],
        event=row[2],
        status=row[3],
        position=row[4],
        slot=row[5],
        received_at=_time(row[7]),
        expires_at=_time(row[8]),
        fields=json.loads(row[9]),
        cancelled_at=_time(row[10]),
        promoted_at=_time(row[11]),
    )


def _followup(row: tuple) -> FollowUp:
    request_id, territory, received, expires, _status, version, data = row
    return FollowUp.from_dict(
        request_id, territory, _time(received), _time(expires), version, json.loads(data)
    )


class SQLiteWelcomeStore:
    """Follow-ups, registrations and their e-mails in one SQLite file; thread-safe."""

    def __init__(self, path: Path | str):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        # The submissions' and jobs' tables too: a change and its e-mails are one transaction.
        self._connection().executescript(local_store.SCHEMA + SCHEMA)  # commits by itself

    def _connection(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            # Autocommit mode: transactions are begun explicitly, IMMEDIATE, in _transaction.
            db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            self._local.db = db
        return db

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE … COMMIT, or ROLLBACK on any exception."""
        db = self._connection()
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    def close(self) -> None:
        db = getattr(self._local, "db", None)
        if db is not None:
            db.close()
            self._local.db = None

    # -- E-mails. ----------------------------------------------------------------------------

    def enqueue(self, jobs: list[EmailJob]) -> None:
        """Store e-mails that no record change causes (digests, statements), each key once."""
        with self._transaction() as db:
            enqueue_jobs(db, jobs)

    def outgoing(self, prefix: str = "") -> list[tuple[str, bytes]]:
        """(key, message bytes) of the e-mail jobs whose key starts with `prefix` (a sent
        job's bytes are dropped: read the outbox for those)."""
        rows = self._connection().execute(
            "SELECT key, message FROM email_jobs WHERE substr(key, 1, ?) = ? ORDER BY key",
            (len(prefix), prefix),
        )
        return list(rows)

    # -- Follow-ups. -------------------------------------------------------------------------

    def followup(self, request_id: str) -> FollowUp | None:
        row = (
            self._connection()
            .execute(
                "SELECT request_id, territory, received_at, expires_at, status, version, data"
                " FROM followups WHERE request_id = ?",
                (request_id,),
            )
            .fetchone()
        )
        return _followup(row) if row else None

    def save_followup(
        self, followup: FollowUp, expected_version: int, outgoing: list[EmailJob]
    ) -> None:
        """Write the new state if nobody changed it since `expected_version`; Conflict else."""
        data = json.dumps(followup.to_dict(), ensure_ascii=False)
        with self._transaction() as db:
            if expected_version == 0:
                changed = db.execute(
                    "INSERT OR IGNORE INTO followups VALUES (?, ?, ?, ?, ?, 1, ?)",
                    (
                        followup.request_id,
                        followup.territory,
                        followup.received_at.isoformat(),
                        followup.expires_at.isoformat(),
                        followup.status,
                        data,
                    ),
                ).rowcount
            else:
                changed = db.execute(
                    "UPDATE followups SET status = ?, data = ?, version = version + 1"
                    " WHERE request_id = ? AND version = ?",
                    (followup.status, data, followup.request_id, expected_version),
                ).rowcount
            if not changed:
                raise Conflict(followup.request_id)
            enqueue_jobs(db, outgoing)

    def followups(self, territory: str | None = None) -> list[FollowUp]:
        """Every stored follow-up (of one territory), oldest request first."""
        query = (
            "SELECT request_id, territory, received_at, expires_at, status, version, data"
            " FROM followups"
        )
        rows = (
            self._connection().execute(
                query + " WHERE territory = ? ORDER BY request_id", (territory,)
            )
            if territory
            else self._connection().execute(query + " ORDER BY request_id")
        )
        return [_followup(row) for row in rows]

    # -- Registrations. ----------------------------------------------------------------------

    def _select(self, db, where: str, values: tuple) -> list[Registration]:
        rows = db.execute(
            f"SELECT {REGISTRATION_COLUMNS} FROM registrations WHERE {where}", values
        ).fetchall()
        return [_registration(row) for row in rows]

    def register(
        self,
        registration: Registration,
        capacity: int,
        outgoing: Callable[[Registration], list[EmailJob]],
    ) -> tuple[Registration, bool]:
        """Confirm, or waitlist when `capacity` seats are taken; (stored, already registered).

        SlotTaken when the wanted slot is held. The same address registered (and not cancelled)
        for the same event gets its first registration back, and nothing new is stored.
        """
        email = registration.email.casefold()
        wanted = registration.fields.get("slot")
        with self._transaction() as db:
            same = self._select(
                db,
                "territory = ? AND event = ? AND email = ? AND status != ?",
                (registration.territory, registration.event, email, CANCELLED),
            )
            if same:
                return same[0], True
            confirmed = db.execute(
                "SELECT count(*) FROM registrations WHERE territory = ? AND event = ?"
                " AND status = ?",
                (registration.territory, registration.event, CONFIRMED),
            ).fetchone()[0]
            if confirmed < capacity and wanted:
                held = db.execute(
                    "SELECT 1 FROM registrations WHERE territory = ? AND event = ? AND slot = ?"
                    " AND status = ?",
                    (registration.territory, registration.event, wanted, CONFIRMED),
                ).fetchone()
                if held:
                    raise SlotTaken(wanted)
            position = db.execute(
                "SELECT coalesce(max(position), 0) + 1 FROM registrations"
                " WHERE territory = ? AND event = ?",
                (registration.territory, registration.event),
            ).fetchone()[0]
            registration.position = position
            if confirmed < capacity:
                registration.status, registration.slot = CONFIRMED, wanted or None
            else:
                registration.status, registration.slot = WAITLISTED, None
            db.execute(
                f"INSERT INTO registrations ({REGISTRATION_COLUMNS})"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    registration.id,
                    registration.territory,
                    registration.event,
                    registration.status,
                    position,
                    registration.slot,
                    email,
                    registration.received_at.isoformat(),
                    registration.expires_at.isoformat(),
                    json.dumps(registration.fields, ensure_ascii=False),
                    None,
                    None,
                ),
            )
            enqueue_jobs(db, outgoing(registration))
        return registration, False

    def cancel(
        self,
        registration_id: str,
        now: dt.datetime,
        outgoing: Callable[[Registration, Registration | None], list[EmailJob]],
    ) -> Cancellation:
        """Cancel; a freed seat (and its slot) goes to the first of the waiting list."""
        with self._transaction() as db:
            found = self._select(db, "id = ?", (registration_id,))
            if not found:
                raise KeyError(registration_id)
            cancelled = found[0]
            if cancelled.status == CANCELLED:
                raise AlreadyCancelled(registration_id)
            freed_seat, freed_slot = cancelled.status == CONFIRMED, cancelled.slot
            db.execute(
                "UPDATE registrations SET status = ?, slot = NULL, cancelled_at = ? WHERE id = ?",
                (CANCELLED, now.isoformat(), registration_id),
            )
            cancelled.status, cancelled.slot, cancelled.cancelled_at = CANCELLED, None, now
            promoted = None
            if freed_seat:
                waiting = self._select(
                    db,
                    "territory = ? AND event = ? AND status = ? ORDER BY position LIMIT 1",
                    (cancelled.territory, cancelled.event, WAITLISTED),
                )
                if waiting:
                    promoted = waiting[0]
                    promoted.status, promoted.slot, promoted.promoted_at = (
                        CONFIRMED,
                        freed_slot,
                        now,
                    )
                    db.execute(
                        "UPDATE registrations SET status = ?, slot = ?, promoted_at = ?"
                        " WHERE id = ?",
                        (CONFIRMED, freed_slot, now.isoformat(), promoted.id),
                    )
            messages = outgoing(cancelled, promoted)
            enqueue_jobs(db, messages)
        return Cancellation(cancelled, promoted, messages)

    def registration(self, registration_id: str) -> Registration | None:
        found = self._select(self._connection(), "id = ?", (registration_id,))
        return found[0] if found else None

    def registrations(self, territory: str | None = None, event: str | None = None) -> list:
        """Registrations of an event (or all), in order of arrival."""
        where, values = ["1 = 1"], []
        for column, value in (("territory", territory), ("event", event)):
            if value is not None:
                where.append(f"{column} = ?")
                values.append(value)
        return self._select(
            self._connection(),
            " AND ".join(where) + " ORDER BY territory, event, position",
            tuple(values),
        )

    # -- Retention and erasure. --------------------------------------------------------------

    def purge_expired(self, now: dt.datetime) -> int:
        """Delete records past their retention limit; returns how many."""
        with self._transaction() as db:
            count = db.execute(
                "DELETE FROM registrations WHERE expires_at < ?", (now.isoformat(),)
            ).rowcount
            count += db.execute(
                "DELETE FROM followups WHERE expires_at < ?", (now.isoformat(),)
            ).rowcount
        return count

    def registrations_of(self, address: str) -> list[Registration]:
        """Every registration made with this address (case ignored)."""
        return self._select(self._connection(), "email = ?", (address.strip().casefold(),))

    def erase_email(self, address: str, request_ids: list[str]) -> dict:
        """Delete this address's registrations, these requests' follow-ups, and every e-mail
        job to the address, about these records or naming them: counts, and the jobs' keys."""
        wanted = address.strip().casefold()
        db = self._connection()
        db.execute("PRAGMA secure_delete = ON")
        with self._transaction() as db:
            ids = [
                r[0] for r in db.execute("SELECT id FROM registrations WHERE email = ?", (wanted,))
            ]
            counts = {"registrations": len(ids)}
            db.execute("DELETE FROM registrations WHERE email = ?", (wanted,))
            counts["followups"] = sum(
                db.execute("DELETE FROM followups WHERE request_id = ?", (i,)).rowcount
                for i in request_ids
            )
            # The e-mails to the address, about these records, or naming them (digests).
            records = {*ids, *request_ids}
            ids_bytes = [i.encode("ascii") for i in records]
            keys = [
                key
                for key, record, recipients, message in db.execute(
                    "SELECT key, record, recipients, message FROM email_jobs"
                )
                if record in records
                or wanted in (r.casefold() for r in json.loads(recipients))
                or any(i in message for i in ids_bytes)
            ]
            db.executemany("DELETE FROM email_jobs WHERE key = ?", [(k,) for k in keys])
            counts["keys"] = keys
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return counts
