"""The local sign-in store (SQLite): a link works once however many requests race for it;
counters count per window."""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor

from forms.editor.store import Link, SQLiteSignInStore

NOW = dt.datetime(2026, 12, 1, 10, tzinfo=dt.UTC)


def test_a_link_works_once_however_many_requests_race_for_it(tmp_path):
    store = SQLiteSignInStore(tmp_path / "editor.sqlite3")
    store.add_link(Link("d" * 64, "claire@example.org", "loiret", NOW + dt.timedelta(minutes=15)))

    with ThreadPoolExecutor(8) as pool:
        outcomes = list(pool.map(lambda _: store.use_link("d" * 64, NOW)[1], range(8)))

    assert sorted(outcomes) == ["ok"] + ["used"] * 7


def test_an_expired_link_is_told_apart_from_a_used_one_and_forgotten_a_day_later(tmp_path):
    store = SQLiteSignInStore(tmp_path / "editor.sqlite3")
    store.add_link(Link("f" * 64, "claire@example.org", "loiret", NOW - dt.timedelta(seconds=1)))

    assert store.use_link("f" * 64, NOW)[1] == "expired"
    assert store.use_link("f" * 64, NOW + dt.timedelta(days=1, seconds=1)) == (None, "unknown")


def test_counters_count_per_window(tmp_path):
    store = SQLiteSignInStore(tmp_path / "editor.sqlite3")
    later = NOW + dt.timedelta(hours=1)

    assert [store.hit("client#x", NOW, later) for _ in range(3)] == [1, 2, 3]
    assert store.hit("client#x", later, later + dt.timedelta(hours=1)) == 1
