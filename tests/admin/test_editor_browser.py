"""The editor in a real browser, against Decap's local backend (decap-server over a git repo)."""

from __future__ import annotations

import re
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml
from playwright.sync_api import expect, sync_playwright
from territories.loader import load_territories

from .conftest import git

pytestmark = pytest.mark.browser

TERRITORY_FILE = "territories/loiret/territory.yaml"
NEW_TAGLINE = "Soigner en bord de Loire, modifié depuis l'éditeur"


def wait_for_commit(repo: Path, commits_before: int, timeout: float = 15) -> None:
    """Return once decap-server has committed the save."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if int(git(repo, "rev-list", "--count", "HEAD")) > commits_before:
            return
        time.sleep(0.2)
    raise TimeoutError("aucun commit après la publication")


def edit_tagline(admin_url: str, requested: list[str]) -> None:
    """Open the editor, change the territory's tagline, publish."""
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--no-sandbox", "--disable-background-networking"],
        )
        page = browser.new_page()
        page.on("request", lambda request: requested.append(request.url))
        page.goto(admin_url)
        # The local backend needs no account: its login page has a single button.
        page.get_by_role("button").first.click()
        page.goto(admin_url + "#/collections/loiret/entries/territory")
        tagline = page.get_by_label("Accroche affichée sous le nom (tagline)")
        expect(tagline).to_have_value(re.compile("Val de Loire"), timeout=20_000)
        tagline.fill(NEW_TAGLINE)
        page.get_by_role("button", name=re.compile("^Publier")).click()
        page.get_by_text(re.compile("^Publier maintenant")).click()
        expect(page.get_by_text(re.compile("enregistrée|publiée", re.I)).first).to_be_visible(
            timeout=15_000
        )
        browser.close()


def test_editing_the_tagline_commits_only_that_field_of_territory_yaml(content_repo, admin_site):
    before = yaml.safe_load((content_repo / TERRITORY_FILE).read_text(encoding="utf-8"))
    commits_before = int(git(content_repo, "rev-list", "--count", "HEAD"))
    requested: list[str] = []

    edit_tagline(admin_site, requested)
    wait_for_commit(content_repo, commits_before)

    changed = git(content_repo, "diff", "--name-only", "HEAD~1", "HEAD").split()
    assert changed == [TERRITORY_FILE]
    assert git(content_repo, "status", "--porcelain") == ""
    after = yaml.safe_load((content_repo / TERRITORY_FILE).read_text(encoding="utf-8"))
    assert after == {**before, "tagline": NEW_TAGLINE}
    # What the editor wrote, the build accepts.
    (territory,) = load_territories(content_repo / "territories")
    assert territory.tagline == NEW_TAGLINE
    # The editor, its chunks and its config come from this site, the API from decap-server;
    # data: and blob: URLs (inline icons, previews) stay inside the page.
    web = [urlsplit(url) for url in requested if not url.startswith(("data:", "blob:"))]
    assert {(url.scheme, url.hostname) for url in web} == {("http", "127.0.0.1")}
