"""SQLite implementation of alerts.AlertStore, in the local store's own database file.

The alert tables live beside `email_jobs` in `var/submissions.sqlite3`, so that a digest's job
and the (subscriber, placement) pairs it announces commit together (forms.local_store's
`transaction` and `enqueue_jobs`).
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3

from .alerts import Subscriber
from .local_store import SQLiteStore, enqueue_jobs, iso
from .ports import EmailJob, StoreUnavailable

SCHEMA = """
CREATE TABLE IF NOT EXISTS alert_subscribers (
    id TEXT PRIMARY KEY,
    email TEXT NOT NULL,
    professions TEXT NOT NULL,
    territories TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    confirmed_at TEXT,
    version INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS alert_subscribers_email ON alert_subscribers (email);
CREATE TABLE IF NOT EXISTS alert_announced (
    subscriber TEXT NOT NULL,
    placement TEXT NOT NULL,
    announced_at TEXT NOT NULL,
    PRIMARY KEY (subscriber, placement)
);
CREATE TABLE IF NOT EXISTS alert_first_seen (
    placement TEXT PRIMARY KEY,
    first_seen TEXT NOT NULL
);
"""
COLUMNS = "id, email, professions, territories, created_at, expires_at, confirmed_at, version"


def _subscriber(row: tuple) -> Subscriber:
    return Subscriber(
        id=row[0],
        email=row[1],
        professions=tuple(json.loads(row[2])),
        territories=tuple(json.loads(row[3])),
        created_at=dt.datetime.fromisoformat(row[4]),
        expires_at=dt.datetime.fromisoformat(row[5]),
        confirmed_at=dt.datetime.fromisoformat(row[6]) if row[6] else None,
        version=row[7],
    )


class SQLiteAlerts:
    """Subscribers, the placements announced to them and when each placement was first seen."""

    def __init__(self, store: SQLiteStore):
        self.store = store
        with store.transaction() as db:
            for statement in _statements():  # executescript would commit the transaction
                db.execute(statement)

    def _read(self, query: str, values: tuple = ()) -> list[tuple]:
        try:
            return self.store._connection().execute(query, values).fetchall()
        except sqlite3.Error as error:
            raise StoreUnavailable(str(error)) from None

    def add_pending(self, subscriber: Subscriber, jobs: list[EmailJob]) -> None:
        """Store a pending subscription and its confirmation job, together."""
        try:
            with self.store.transaction() as db:
                db.execute(
                    f"INSERT INTO alert_subscribers ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, NULL, 0)",
                    (
                        subscriber.id,
                        subscriber.email,
                        json.dumps(list(subscriber.professions)),
                        json.dumps(list(subscriber.territories)),
                        iso(subscriber.created_at),
                        iso(subscriber.expires_at),
                    ),
                )
                enqueue_jobs(db, jobs)
        except sqlite3.Error as error:
            raise StoreUnavailable(str(error)) from None

    def get(self, subscriber_id: str) -> Subscriber | None:
        rows = self._read(f"SELECT {COLUMNS} FROM alert_subscribers WHERE id = ?", (subscriber_id,))
        return _subscriber(rows[0]) if rows else None

    def confirm(self, subscriber: Subscriber) -> bool:
        """Save the confirmation; the address's other subscriptions (and pairs) are replaced."""
        try:
            with self.store.transaction() as db:
                changed = db.execute(
                    "UPDATE alert_subscribers SET confirmed_at = ?, expires_at = ?,"
                    " version = version + 1 WHERE id = ? AND confirmed_at IS NULL",
                    (iso(subscriber.confirmed_at), iso(subscriber.expires_at), subscriber.id),
                ).rowcount
                if changed:
                    others = [
                        r[0]
                        for r in db.execute(
                            "SELECT id FROM alert_subscribers WHERE email = ? AND id != ?",
                            (subscriber.email, subscriber.id),
                        )
                    ]
                    self._delete(db, others)
        except sqlite3.Error as error:
            raise StoreUnavailable(str(error)) from None
        return bool(changed)

    @staticmethod
    def _delete(db: sqlite3.Connection, ids: list[str]) -> int:
        for subscriber_id in ids:
            db.execute("DELETE FROM alert_announced WHERE subscriber = ?", (subscriber_id,))
            db.execute("DELETE FROM alert_subscribers WHERE id = ?", (subscriber_id,))
        return len(ids)

    def remove(self, subscriber_id: str) -> bool:
        """Delete the subscription and its pairs (unsubscribe); False if it was not there."""
        with self.store.transaction() as db:
            found = db.execute(
                "SELECT 1 FROM alert_subscribers WHERE id = ?", (subscriber_id,)
            ).fetchone()
            self._delete(db, [subscriber_id] if found else [])
        return bool(found)

    def confirmed(self, now: dt.datetime) -> list[Subscriber]:
        """Confirmed subscriptions not yet expired, oldest first."""
        rows = self._read(
            f"SELECT {COLUMNS} FROM alert_subscribers WHERE confirmed_at IS NOT NULL"
            " AND expires_at > ? ORDER BY confirmed_at, id",
            (iso(now),),
        )
        return [_subscriber(row) for row in rows]

    def announced(self, subscriber_id: str) -> set[str]:
        rows = self._read(
            "SELECT placement FROM alert_announced WHERE subscriber = ?", (subscriber_id,)
        )
        return {row[0] for row in rows}

    def record_digest(
        self, subscriber: Subscriber, placements: tuple[str, ...], job: EmailJob, now: dt.datetime
    ) -> bool:
        """The pairs and the digest's job, together; False if the subscription changed since it
        was read (unsubscribed, or another announce ran): nothing is written then."""
        try:
            with self.store.transaction() as db:
                current = db.execute(
                    "UPDATE alert_subscribers SET version = version + 1"
                    " WHERE id = ? AND version = ?",
                    (subscriber.id, subscriber.version),
                ).rowcount
                if not current:
                    return False
                db.executemany(
                    "INSERT INTO alert_announced (subscriber, placement, announced_at)"
                    " VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                    [(subscriber.id, key, iso(now)) for key in placements],
                )
                enqueue_jobs(db, [job])
        except sqlite3.Error as error:
            raise StoreUnavailable(str(error)) from None
        return True

    def first_seen(self, keys: list[str], now: dt.datetime) -> dict[str, dt.datetime]:
        """When each placement was first seen; those never seen are recorded as seen `now`."""
        with self.store.transaction() as db:
            db.executemany(
                "INSERT INTO alert_first_seen (placement, first_seen) VALUES (?, ?)"
                " ON CONFLICT DO NOTHING",
                [(key, iso(now)) for key in keys],
            )
            rows = db.execute("SELECT placement, first_seen FROM alert_first_seen").fetchall()
        wanted = set(keys)
        return {k: dt.datetime.fromisoformat(t) for k, t in rows if k in wanted}

    def purge_expired(self, now: dt.datetime) -> int:
        """Delete subscriptions past their retention (pending or confirmed)."""
        with self.store.transaction() as db:
            ids = [
                r[0]
                for r in db.execute(
                    "SELECT id FROM alert_subscribers WHERE expires_at <= ?", (iso(now),)
                )
            ]
            return self._delete(db, ids)

    def count_of(self, email: str) -> int:
        """How many subscriptions this address has (pending or confirmed)."""
        rows = self._read(
            "SELECT COUNT(*) FROM alert_subscribers WHERE lower(email) = lower(?)", (email,)
        )
        return rows[0][0]

    def erase(self, email: str) -> int:
        """Delete every subscription of this address (forms.admin erase); returns how many."""
        with self.store.transaction() as db:
            ids = [
                r[0]
                for r in db.execute(
                    "SELECT id FROM alert_subscribers WHERE lower(email) = lower(?)", (email,)
                )
            ]
            return self._delete(db, ids)


def _statements() -> list[str]:
    return [s.strip() for s in SCHEMA.split(";") if s.strip()]
