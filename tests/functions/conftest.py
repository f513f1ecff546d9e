"""Fixtures for the forms core and local adapters: the real catalogue, a store, an app."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from forms.app import App, Settings
from forms.catalogue import load_catalogue
from forms.local_store import SQLiteStore
from forms.tokens import new_key
from formskit import MAIL_FROM, ROOT, Clock
from territories.catalogue import write_catalogue
from territories.loader import load_territories


def _extra_territories(loiret: dict) -> dict:
    """Two variants of the Loiret for cases the real content lacks: no pack, prices with cents."""
    no_pack = {**loiret, "name": "Sans coffret", "site_path": "/sans-coffret/", "pack": None}
    cents = {
        **loiret,
        "name": "Centimes",
        "site_path": "/centimes/",
        "pack": {
            **loiret["pack"],
            "price_eur": "49.90",
            "subsidy_eur": "10.40",
            "net_price_eur": "39.50",
        },
    }
    return {"sans-coffret": no_pack, "centimes": cents}


@pytest.fixture(scope="session")
def catalogue_path(tmp_path_factory):
    """The catalogue the build writes for territories/, plus two test variants."""
    path = tmp_path_factory.mktemp("catalogue") / "catalogue.json"
    territories = load_territories(ROOT / "territories")
    write_catalogue(territories, lambda t: f"/{t.slug}/", dt.date(2026, 11, 24), path)
    data = json.loads(path.read_text(encoding="utf-8"))
    data["territories"].update(_extra_territories(data["territories"]["loiret"]))
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def catalogue(catalogue_path):
    return load_catalogue(catalogue_path)


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def sqlite_store(tmp_path):
    store = SQLiteStore(tmp_path / "submissions.sqlite3")
    yield store
    store.close()


@pytest.fixture
def stored_events():
    """What App.on_stored was told: the submissions handed to delivery."""
    return []


@pytest.fixture
def forms_app(catalogue, sqlite_store, clock, stored_events):
    return App(
        catalogue=catalogue,
        store=sqlite_store,
        token_key=new_key(),
        clock=clock,
        # The limits per client are tested on their own (test_forms_abuse.py); here they would
        # challenge the tests that send many submissions. The acknowledgements' limit stays.
        settings=Settings(mail_from=MAIL_FROM, rate_limit=False),
        on_stored=stored_events.append,
    )
