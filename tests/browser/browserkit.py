"""Helpers of the browser tests: build the site, run the local server, watch what a page does."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from pelican import Pelican
from pelican.settings import read_settings

from tools.local_site import serve

ROOT = Path(__file__).resolve().parents[2]
TODAY = dt.date(2026, 11, 24)
WIDTHS = {"phone": 390, "desktop": 1280}
MAX_PAGE_BYTES = 30 * 1024
# A territory's landing also carries its photos' <picture> markup and the inline SVG map.
MAX_LANDING_BYTES = 40 * 1024


def build(output: Path, catalogue: Path) -> None:
    """Build every folder under territories/ into `output`, as `make html` would, on TODAY."""
    settings = {
        "OUTPUT_PATH": str(output),
        "TERRITORIES_PATH": str(ROOT / "territories"),
        "TERRITORIES_TODAY": TODAY,
        "FORMS_CATALOGUE_PATH": str(catalogue),
        "TERRITORY": "",
    }
    previous = Path.cwd()
    os.chdir(ROOT)  # Pelican's settings hold paths relative to the project root
    try:
        Pelican(read_settings("pelicanconf.py", override=settings)).run()
    finally:
        os.chdir(previous)


def local_server(root: Path, var: Path, catalogue: Path, log: Path):
    """`python -m forms.local` serving `root`, its store and outbox in `var`; yields its URL.

    The whole browser run sends its submissions from one client: the limits per client would
    challenge them (they are tested in tests/functions/test_forms_abuse.py and, in the page,
    tests/site/test_site_forms_js.py).
    """
    return serve(root, var, catalogue, console=log, env={"FORMS_RATE_LIMIT": "off"})


@dataclass
class Store:
    """The local server's SQLite store and .eml outbox, read as the tests need."""

    var: Path

    def submissions(self) -> list[dict]:
        path = self.var / "submissions.sqlite3"
        if not path.exists():
            return []
        with contextlib.closing(sqlite3.connect(path)) as db:
            db.row_factory = sqlite3.Row
            return [dict(row) for row in db.execute("SELECT * FROM submissions ORDER BY id")]

    def find(self, email: str) -> dict | None:
        """The submission whose fields hold this e-mail address (addresses are unique per test)."""
        return next((s for s in self.submissions() if email in s["fields"]), None)

    def emails(self, submission_id: str) -> list[Path]:
        return sorted((self.var / "outbox").glob(f"{submission_id}-*.eml"))


# Body bytes of the document and of the stylesheets and scripts it loaded, as the browser
# itself measured them (Resource Timing): exact per page, unlike asynchronous network events.
WEIGHTS = """() => Object.fromEntries(
  [...performance.getEntriesByType('navigation'), ...performance.getEntriesByType('resource')]
  .filter(e => e.entryType === 'navigation' || ['link', 'script', 'css'].includes(e.initiatorType))
  .map(e => [e.name, e.encodedBodySize]))"""


@dataclass
class Watch:
    """What a page did: every request it made, and its console errors."""

    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def attach(self, page) -> Watch:
        page.on("request", lambda request: self.requests.append(request.url))
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        return self

    def _console(self, message) -> None:
        if message.type == "error":
            self.errors.append(message.text)

    def clear(self) -> None:
        self.requests.clear()
        self.errors.clear()

    def foreign(self, origin: str) -> list[str]:
        """Requests to anywhere but the local origin (data: URLs stay in the page)."""
        return [u for u in self.requests if not u.startswith((origin + "/", "data:"))]


def weights(page) -> dict[str, int]:
    """URL → body bytes of the page's HTML and of the CSS and JS it loaded (the local server
    does not compress: these are the bytes transferred)."""
    return page.evaluate(WEIGHTS)


def html_pages(output: Path) -> list[str]:
    """The URL path of every HTML page the build wrote."""
    urls = []
    for path in sorted(output.rglob("*.html")):
        relative = path.relative_to(output).as_posix()
        urls.append("/" + relative.removesuffix("index.html"))
    return urls
