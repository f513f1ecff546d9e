"""One build of the whole site per test session (and one of the Loiret alone)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sitekit import DATA, FIXTURES, ROOT, SHIPPED, STANDALONE_URL, Site, build


@pytest.fixture(scope="session")
def territories_dir(tmp_path_factory) -> Path:
    """The shipped territories and the test fixtures side by side, as one content folder."""
    folder = tmp_path_factory.mktemp("content") / "territories"
    for source in [ROOT / "territories" / s for s in SHIPPED] + [
        DATA / "territories" / f for f in FIXTURES
    ]:
        shutil.copytree(source, folder / source.name)
    return folder


@pytest.fixture(scope="session")
def site(tmp_path_factory, territories_dir) -> Site:
    """The whole site, built once for the session on 24 November 2026."""
    output = tmp_path_factory.mktemp("build") / "output"
    build(output, territories_dir)
    return Site(output, output.parent / "output-catalogue.json")


@pytest.fixture(scope="session")
def standalone(tmp_path_factory) -> Site:
    """The Loiret alone, as built for its own domain."""
    output = tmp_path_factory.mktemp("standalone") / "output"
    build(output, ROOT / "territories", TERRITORY="loiret", SITEURL=STANDALONE_URL)
    return Site(output, output.parent / "output-catalogue.json")
