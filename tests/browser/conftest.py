"""One build, one local server and one Chromium per session; one browser context per test."""

from __future__ import annotations

from pathlib import Path

import pytest
from browserkit import Store, Watch, build, html_pages, local_server


@pytest.fixture(scope="session")
def built(tmp_path_factory) -> Path:
    """The sample territories (every folder under territories/) built on a fixed date."""
    folder = tmp_path_factory.mktemp("browser-site")
    build(folder / "output", folder / "catalogue.json")
    return folder


@pytest.fixture(scope="session")
def store(built) -> Store:
    return Store(built / "var")


@pytest.fixture(scope="session")
def origin(built, store) -> str:
    """`python -m forms.local` serving the build, its store and outbox in the temp folder."""
    with local_server(
        built / "output", store.var, built / "catalogue.json", built / "server.log"
    ) as url:
        yield url


@pytest.fixture(scope="session")
def pages(built) -> list[str]:
    return html_pages(built / "output")


@pytest.fixture(scope="session")
def browser(chromium):
    """The run's one Chromium (tests/conftest.py)."""
    return chromium


@pytest.fixture
def new_context(browser, origin):
    """Make browser contexts on the local origin (JavaScript on or off); closed after the test."""
    contexts = []

    def make(**options):
        context = browser.new_context(base_url=origin, locale="fr-FR", **options)
        context.set_default_timeout(10_000)  # a local server answers in milliseconds
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_context):
    return new_context().new_page()


@pytest.fixture
def watched(page) -> tuple:
    """A page and the Watch recording its requests, weights and console errors."""
    return page, Watch().attach(page)
