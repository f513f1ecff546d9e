"""Rebuilding in place after a change gives the very bytes of a clean build, and only those."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from sitekit import DATA, ROOT, build


class Workspace:
    """A copy of some territories and of the theme, an output folder rebuilt in place."""

    def __init__(self, root: Path):
        self.root = root
        self.content = root / "territories"
        self.theme = root / "theme"
        self.site = root / "site"
        shutil.copytree(ROOT / "territories" / "loiret", self.content / "loiret")
        for name in ("bourg", "hameau"):
            shutil.copytree(DATA / "territories" / name, self.content / name)
        shutil.copytree(ROOT / "theme", self.theme)
        self.cleans = 0

    def build(self, output: Path | None = None) -> Path:
        output = output or self.site
        build(output, self.content, THEME=str(self.theme))
        return output

    def clean_build(self) -> Path:
        """A build of the same input into a folder never built before."""
        self.cleans += 1
        return self.build(self.root / f"clean-{self.cleans}")

    def placements(self, territory: str = "loiret") -> list[Path]:
        return sorted((self.content / territory / "placements").glob("*.md"))


def tree(output: Path) -> dict[str, bytes | None]:
    """Every file (its bytes) and folder (None) under `output`, and the catalogue beside it."""
    # The search index is Pagefind's: its filter files come out in a different order at each
    # run (test_search_index_keeps_no_stale_file checks it after a rebuild).
    entries = {
        p.relative_to(output).as_posix(): p.read_bytes() if p.is_file() else None
        for p in output.rglob("*")
        if p.relative_to(output).parts[0] != "pagefind"
    }
    entries["<catalogue>"] = (output.parent / f"{output.name}-catalogue.json").read_bytes()
    return entries


def search_index(output: Path) -> dict[str, int]:
    """The search index's folders and their number of files."""
    folders = [output / "pagefind", *(output / "pagefind").iterdir()]
    return {f.name: len(list(f.iterdir())) for f in folders if f.is_dir()}


def assert_same_as_clean(ws: Workspace) -> None:
    """Rebuild in place, build clean, and compare both trees byte for byte."""
    rebuilt, clean = tree(ws.build()), tree(ws.clean_build())
    differing = sorted(k for k in rebuilt.keys() | clean.keys() if rebuilt.get(k) != clean.get(k))
    assert differing == []
    assert search_index(ws.site) == search_index(ws.root / f"clean-{ws.cleans}")


def our_mtimes(ws: Workspace) -> dict[str, int]:
    """Modification times of the files our plugin writes (Pelican writes its own pages anew)."""
    ours = [ws.site / n for n in ("index.html", "sitemap.xml", "robots.txt")]
    for folder in ws.content.iterdir():
        ours += (p for p in (ws.site / folder.name).rglob("*") if p.is_file())
    return {p.relative_to(ws.site).as_posix(): p.stat().st_mtime_ns for p in ours}


@pytest.fixture
def ws(tmp_path) -> Workspace:
    """A workspace already built once."""
    workspace = Workspace(tmp_path)
    workspace.build()
    return workspace


def test_an_edited_placement_rebuilds_to_the_bytes_of_a_clean_build(ws):
    placement = ws.placements()[0]
    placement.write_text(placement.read_text("utf-8") + "\nPoste rénové en 2026.\n", "utf-8")
    assert_same_as_clean(ws)
    url = f"loiret/offres/{placement.stem}/index.html"
    assert "Poste rénové en 2026." in (ws.site / url).read_text("utf-8")


def test_a_removed_placement_leaves_no_page_behind(ws):
    placement = ws.placements()[0]
    placement.unlink()
    assert_same_as_clean(ws)
    assert not (ws.site / "loiret" / "offres" / placement.stem).exists()


def test_an_added_territory_gets_its_site_and_a_card_on_the_home_page(ws):
    shutil.copytree(ws.content / "hameau", ws.content / "vallee")
    assert_same_as_clean(ws)
    assert (ws.site / "vallee" / "index.html").is_file()


def test_a_removed_territory_leaves_no_file_or_folder_behind(ws):
    shutil.rmtree(ws.content / "bourg")
    assert_same_as_clean(ws)
    assert not (ws.site / "bourg").exists()
    assert "/bourg/" not in (ws.site / "sitemap.xml").read_text("utf-8")


def test_a_template_change_reaches_every_page(ws):
    base = ws.theme / "templates" / "base.html"
    base.write_text(base.read_text("utf-8") + "<!-- gabarit modifié -->\n", "utf-8")
    assert_same_as_clean(ws)
    assert "gabarit modifié" in (ws.site / "bourg" / "index.html").read_text("utf-8")


def test_a_wiped_output_folder_is_rebuilt_whole(ws):
    shutil.rmtree(ws.site)
    assert_same_as_clean(ws)


def test_a_rebuild_without_change_rewrites_no_file(ws):
    before = our_mtimes(ws)
    ws.build()
    assert our_mtimes(ws) == before


def test_an_edit_rewrites_only_the_files_whose_bytes_changed(ws):
    before = our_mtimes(ws)
    placement = ws.content / "bourg" / "placements" / "stage-ouvert.md"
    placement.write_text(placement.read_text("utf-8") + "\nMise à jour.\n", "utf-8")
    ws.build()
    after = our_mtimes(ws)
    # Its page and the feed carry the body; lists, other territories and the home page do not.
    changed = {k for k in before if after[k] != before[k]}
    assert changed == {"bourg/offres/stage-ouvert/index.html", "bourg/offres/atom.xml"}


def test_two_worker_processes_build_the_bytes_of_one(ws, monkeypatch):
    # Three territories are too few to fork for; lower the threshold to fork for each one.
    from territories import parallel

    monkeypatch.setattr(parallel, "MIN_ITEMS", 1)
    monkeypatch.setattr(parallel, "cores", lambda: 2)
    shutil.rmtree(ws.site)
    forked = tree(ws.build())
    monkeypatch.setattr(parallel, "cores", lambda: 1)
    assert forked == tree(ws.clean_build())


def test_chunks_of_work_come_back_whole_from_the_workers(monkeypatch):
    from territories import parallel

    monkeypatch.setattr(parallel, "MIN_ITEMS", 1)
    pids = parallel.map_chunks(lambda chunk: [(n, os.getpid()) for n in chunk], list(range(6)), 2)
    assert sorted(n for n, _ in pids) == list(range(6))
    assert len({pid for _, pid in pids}) == 2


def test_a_content_error_stops_the_rebuild_and_its_fix_rebuilds_correctly(ws):
    from territories.generator import BuildStopped

    placement = ws.placements()[0]
    text = placement.read_text("utf-8")
    placement.write_text(text.replace("title:", "titre:", 1), "utf-8")
    with pytest.raises(BuildStopped) as stopped:
        ws.build()
    assert f"{placement.name}:2: titre: clé inconnue" in str(stopped.value)
    # The site of the last good build is still served meanwhile.
    assert (ws.site / "loiret" / "offres" / placement.stem / "index.html").is_file()
    placement.write_text(text + "\nCorrigé.\n", "utf-8")
    assert_same_as_clean(ws)
