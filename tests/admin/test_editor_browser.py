"""The editor in a real browser, against Decap's local backend (decap-server over a git repo)."""

from __future__ import annotations

import datetime as dt
import re
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml
from playwright.sync_api import Page, expect
from territories.loader import load_territories

from .conftest import git

pytestmark = pytest.mark.browser

TERRITORY_FILE = "territories/loiret/territory.yaml"
NEW_TAGLINE = "Soigner en bord de Loire, modifié depuis l'éditeur"


@pytest.fixture
def editor(admin_site, chromium):
    """A Chromium page logged in to the editor, and the URLs it requested."""
    requested: list[str] = []
    context = chromium.new_context()
    page = context.new_page()
    page.on("request", lambda request: requested.append(request.url))
    page.goto(admin_site)
    # The local backend needs no account: its login page has a single button.
    page.get_by_role("button").first.click()
    expect(page.get_by_text("Loiret : territoire").first).to_be_visible(timeout=20_000)
    yield page, requested
    context.close()


def publish(page: Page) -> None:
    """Publish the entry being edited and wait for Decap to confirm."""
    page.get_by_role("button", name=re.compile("^Publier")).click()
    page.get_by_text(re.compile("^Publier maintenant")).click()
    confirmation = page.get_by_text(re.compile("enregistrée|publiée", re.IGNORECASE)).first
    expect(confirmation).to_be_visible(timeout=15_000)


def commits(repo: Path) -> int:
    return int(git(repo, "rev-list", "--count", "HEAD"))


def wait_for_commit(repo: Path, commits_before: int, timeout: float = 15) -> None:
    """Return once decap-server has committed the save."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if commits(repo) > commits_before:
            return
        time.sleep(0.2)
    raise TimeoutError("aucun commit après la publication")


def test_editing_the_tagline_commits_only_that_field_of_territory_yaml(content_repo, editor):
    page, requested = editor
    before = yaml.safe_load((content_repo / TERRITORY_FILE).read_text(encoding="utf-8"))
    commits_before = commits(content_repo)

    page.goto(page.url.split("#")[0] + "#/collections/loiret/entries/territory")
    tagline = page.get_by_label("Accroche affichée sous le nom (tagline)")
    expect(tagline).to_have_value(re.compile("Val de Loire"), timeout=20_000)
    tagline.fill(NEW_TAGLINE)
    publish(page)
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


def test_a_new_offer_becomes_a_markdown_file_named_after_its_title(content_repo, editor):
    page, _ = editor
    commits_before = commits(content_repo)

    page.goto(page.url.split("#")[0] + "#/collections/loiret-offres/new")
    page.get_by_label("Titre de l'offre (title)").fill("Stage d'été à Gien")
    page.get_by_label("Type d'offre (kind)").click()
    page.get_by_text("stage", exact=True).click()
    page.get_by_label("Profession recherchée (profession)").fill("kinésithérapeute")
    page.get_by_label("Commune (commune)").fill("Gien")
    page.get_by_label("Premier jour (start)").fill("2027-07-05")
    page.locator("[contenteditable=true]").first.click()
    page.keyboard.type("Quatre semaines au centre de rééducation.")
    publish(page)
    wait_for_commit(content_repo, commits_before)

    new_file = "territories/loiret/placements/stage-dete-a-gien.md"
    assert git(content_repo, "diff", "--name-only", "HEAD~1", "HEAD").split() == [new_file]
    (territory,) = load_territories(content_repo / "territories")
    (offer,) = [p for p in territory.placements if p.id == "stage-dete-a-gien"]
    assert (offer.title, offer.kind, offer.commune) == ("Stage d'été à Gien", "stage", "Gien")
    assert offer.start == dt.date(2027, 7, 5)
    assert "Quatre semaines" in offer.body_html
