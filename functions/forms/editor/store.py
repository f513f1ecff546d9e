"""Where sign-in links and rate counters live: the port, and its SQLite implementation.

A link is stored by the SHA-256 of its token (the token itself is only in the e-mail), with the
address and scope it signs in, until it expires; consuming it is one atomic update, so a link
works once even when two requests race. Counters are fixed windows keyed by a keyed hash of
what they count (an address, a client): no address is stored for rate limiting.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol


@dataclass(frozen=True)
class Link:
    """A sign-in link as stored: who it signs in, where, until when, and whether it served."""

    digest: str  # SHA-256 of the token, hex
    email: str
    scope: str  # a territory's slug, or the operators' scope
    expires_at: dt.datetime
    used: bool = False


class SignInStore(Protocol):
    def hit(self, key: str, window_start: dt.datetime, expires_at: dt.datetime) -> int:
        """Count one more hit of `key` in the window starting at `window_start`; the count."""

    def add_link(self, link: Link) -> None:
        """Store a new, unused link."""

    def use_link(self, digest: str, now: dt.datetime) -> tuple[Link | None, str]:
        """Mark the link used, once: (link, "ok"), or (link or None, "expired"/"used"/"unknown")."""


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat()


class SQLiteSignInStore:
    """The local store (`make serve`): one SQLite file, safe across threads."""

    def __init__(self, path: Path | str):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        with self._connect() as db:
            db.execute(
                "CREATE TABLE IF NOT EXISTS links (digest TEXT PRIMARY KEY, email TEXT NOT NULL,"
                " scope TEXT NOT NULL, expires_at TEXT NOT NULL, used INTEGER NOT NULL DEFAULT 0)"
            )
            db.execute(
                "CREATE TABLE IF NOT EXISTS hits (key TEXT NOT NULL, window TEXT NOT NULL,"
                " count INTEGER NOT NULL, expires_at TEXT NOT NULL, PRIMARY KEY (key, window))"
            )

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=10, isolation_level=None)

    def hit(self, key: str, window_start: dt.datetime, expires_at: dt.datetime) -> int:
        with self._lock, self._connect() as db:
            db.execute("DELETE FROM hits WHERE expires_at < ?", (_iso(window_start),))
            (count,) = db.execute(
                "INSERT INTO hits (key, window, count, expires_at) VALUES (?, ?, 1, ?)"
                " ON CONFLICT (key, window) DO UPDATE SET count = count + 1 RETURNING count",
                (key, _iso(window_start), _iso(expires_at)),
            ).fetchone()
        return count

    def add_link(self, link: Link) -> None:
        with self._lock, self._connect() as db:
            db.execute(
                "INSERT INTO links (digest, email, scope, expires_at, used) VALUES (?, ?, ?, ?, 0)",
                (link.digest, link.email, link.scope, _iso(link.expires_at)),
            )

    def use_link(self, digest: str, now: dt.datetime) -> tuple[Link | None, str]:
        with self._lock, self._connect() as db:
            # A day after expiry a link is forgotten (GDPR: it holds an address).
            db.execute("DELETE FROM links WHERE expires_at < ?", (_iso(now - dt.timedelta(1)),))
            taken = db.execute(
                "UPDATE links SET used = 1 WHERE digest = ? AND used = 0 AND expires_at > ?"
                " RETURNING email, scope, expires_at",
                (digest, _iso(now)),
            ).fetchone()
            if taken:
                email, scope, expires = taken
                return Link(digest, email, scope, dt.datetime.fromisoformat(expires), True), "ok"
            row = db.execute(
                "SELECT email, scope, expires_at, used FROM links WHERE digest = ?", (digest,)
            ).fetchone()
        if row is None:
            return None, "unknown"
        link = Link(digest, row[0], row[1], dt.datetime.fromisoformat(row[2]), bool(row[3]))
        return link, "used" if link.used else "expired"
