"""`python -m territories.launch` (make html) skips Pelican only when a build would write nothing.

Every kind of input a build reads, and every file it leaves, is changed in turn: each change
must start a real build, and the launch after it may skip again.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import sys
import time
from pathlib import Path

import pytest
from sitekit import DATA, ROOT

from territories import launch


class Project:
    """A copy of the project's settings, operator pages, theme and one territory."""

    def __init__(self, root: Path):
        self.root = root
        shutil.copy(ROOT / "pelicanconf.py", root / "pelicanconf.py")
        shutil.copytree(ROOT / "content", root / "content")
        shutil.copytree(ROOT / "theme", root / "theme")
        (root / "plugins").symlink_to(ROOT / "plugins")
        shutil.copytree(DATA / "territories" / "bourg", root / "territories" / "bourg")
        self.output = root / "output"
        self.catalogue = root / "catalogue.json"
        self.argv = [
            "--settings",
            "pelicanconf.py",
            "-e",
            'TERRITORIES_TODAY="2026-11-24"',
            f"FORMS_CATALOGUE_PATH={json.dumps(str(self.catalogue))}",
        ]
        # Files written just now are "racy" (they may change again within the same mtime
        # tick): a stamp does not vouch for them. Copied files are made older.
        past = time.time() - 60
        for path in root.rglob("*"):
            if not path.is_symlink():
                os.utime(path, (past, past))
        self.pelican_runs = 0

    def launch(self, argv: list[str] | None = None) -> str:
        """'built' when Pelican ran, 'skipped' when the launcher stopped before it."""
        before = self.pelican_runs
        # pytest names the test phase in the environment, which is part of the build key.
        phase = os.environ.pop("PYTEST_CURRENT_TEST", None)
        try:
            launch.main(argv or self.argv)
        finally:
            if phase is not None:
                os.environ["PYTEST_CURRENT_TEST"] = phase
        return "built" if self.pelican_runs > before else "skipped"

    def settle(self) -> None:
        """Launch until nothing is left to build (racy files need a second look)."""
        results = [self.launch() for _ in range(3)]
        assert results[-1] == "skipped", results

    def stamp(self) -> dict:
        path = self.root / launch.stamp_path(self.argv)
        return json.loads(path.read_text("utf-8"))


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Project:
    """One project for the module, built once: each test leaves it up to date."""
    root = tmp_path_factory.mktemp("launch")
    project = Project(root)
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(root)
        real = launch.run_pelican

        def counted(argv):
            project.pelican_runs += 1
            return real(argv)

        patch.setattr(launch, "run_pelican", counted)
        assert project.launch() == "built"
        yield project


@pytest.fixture
def project(built, monkeypatch) -> Project:
    """The module's project, up to date before the test."""
    monkeypatch.chdir(built.root)
    built.settle()
    return built


def page(project: Project, rel: str) -> str:
    return (project.output / rel).read_text("utf-8")


def test_nothing_changed_skips_pelican_and_says_so(project, capsys):
    capsys.readouterr()
    assert project.launch() == "skipped"
    assert "Rien n'a changé depuis la dernière construction" in capsys.readouterr().out


def test_an_edited_placement_is_built(project):
    placement = project.root / "territories" / "bourg" / "placements" / "stage-ouvert.md"
    placement.write_text(placement.read_text("utf-8") + "\nCabinet rénové.\n", "utf-8")
    assert project.launch() == "built"
    assert "Cabinet rénové." in page(project, "bourg/offres/stage-ouvert/index.html")


def test_an_added_then_removed_file_is_built_each_time(project):
    extra = project.root / "territories" / "bourg" / "placements" / "stage-copie.md"
    shutil.copy(extra.with_name("stage-ouvert.md"), extra)
    assert project.launch() == "built"
    assert (project.output / "bourg" / "offres" / "stage-copie" / "index.html").is_file()
    project.settle()
    extra.unlink()
    assert project.launch() == "built"
    assert not (project.output / "bourg" / "offres" / "stage-copie").exists()


def test_a_file_rewritten_with_the_same_size_and_mtime_right_after_a_build_is_seen(project):
    # Within one mtime tick a file can change without its mtime or size changing: a file
    # modified less than 2 s before the scan is compared by content.
    placement = project.root / "territories" / "bourg" / "placements" / "stage-ouvert.md"
    text = placement.read_text("utf-8")
    placement.write_text(text + "\nVersion A.\n", "utf-8")
    assert project.launch() == "built"
    stat = placement.stat()
    placement.write_text(text + "\nVersion B.\n", "utf-8")
    os.utime(placement, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert project.launch() == "built"
    assert "Version B." in page(project, "bourg/offres/stage-ouvert/index.html")


@pytest.mark.parametrize(
    "rel", ["theme/templates/base.html", "content/pages/a-propos.md", "pelicanconf.py"]
)
def test_the_theme_the_operator_pages_and_the_settings_are_inputs(project, rel):
    path = project.root / rel
    original = path.read_text("utf-8")
    mark = "\n{# modifié #}\n" if rel.endswith(".html") else "\n\n"
    path.write_text(original + mark, "utf-8")
    assert project.launch() == "built"
    project.settle()
    path.write_text(original, "utf-8")
    assert project.launch() == "built"


def test_every_folder_the_build_reads_is_scanned(project):
    roots = project.stamp()["roots"]
    for name in ("content", "theme", "plugins", "territories", "pelicanconf.py"):
        assert str(project.root / name) in roots


def test_an_environment_variable_read_by_the_settings_is_an_input(project, monkeypatch):
    monkeypatch.setenv("OPERATOR_NAME", "Santé en Sologne")
    assert project.launch() == "built"
    assert "Santé en Sologne" in page(project, "bourg/offres/stage-ouvert/index.html")
    monkeypatch.delenv("OPERATOR_NAME")
    assert project.launch() == "built"


def test_another_command_line_is_built(project):
    other = [*project.argv, 'SITEURL="https://exemple.fr"']
    assert project.launch(other) == "built"
    assert project.launch() == "built"  # the output now holds the other build's pages


@pytest.mark.parametrize(
    "rel",
    [
        "<first>",  # a territory's first file: the incremental build trusts its manifest with it
        "a-propos/index.html",  # Pelican's own page
        "theme/css/site.css",  # Pelican's copy of the theme's files
    ],
)
def test_a_deleted_output_file_is_built_again(project, rel):
    if rel == "<first>":
        manifest = json.loads((project.root / ".output-cache" / "manifest.json").read_text())
        rel = manifest["territories"]["bourg"]["first"]
    (project.output / rel).unlink()
    assert project.launch() == "built"
    assert (project.output / rel).is_file()


def test_a_deleted_catalogue_or_manifest_is_built_again(project):
    project.catalogue.unlink()
    assert project.launch() == "built"
    assert project.catalogue.is_file()
    project.settle()
    (project.root / ".output-cache" / "manifest.json").unlink()
    assert project.launch() == "built"


def test_a_failed_build_leaves_no_stamp(project):
    territory = project.root / "territories" / "bourg" / "territory.yaml"
    original = territory.read_text("utf-8")
    territory.write_text(original + "\nclé_inconnue: 1\n", "utf-8")
    with pytest.raises(SystemExit):
        project.launch()
    assert not (project.root / launch.stamp_path(project.argv)).exists()
    with pytest.raises(SystemExit):
        project.launch()
    territory.write_text(original, "utf-8")
    assert project.launch() == "built"


def test_the_build_date_and_installed_packages_are_in_the_key(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    argv = ["--settings", "pelicanconf.py"]
    today = launch.build_key(argv, dt.date(2026, 11, 24))
    assert launch.build_key(argv, dt.date(2026, 11, 25)) != today
    packages = tmp_path.parent / f"{tmp_path.name}-site-packages"
    packages.mkdir()
    monkeypatch.setattr(sys, "path", [*sys.path, str(packages)])
    before = launch.build_key(argv, dt.date(2026, 11, 24))
    (packages / "nouveau-1.0.dist-info").mkdir()
    os.utime(packages, ns=(0, time.time_ns() + 10**9))
    assert launch.build_key(argv, dt.date(2026, 11, 24)) != before


@pytest.mark.parametrize("option", ["--autoreload", "-r", "--listen", "-l", "-d", "--help"])
def test_options_other_than_one_build_always_go_to_pelican(option):
    assert not launch.one_build(["--settings", "pelicanconf.py", option])
    assert launch.one_build(["--settings", "pelicanconf.py", "-e", 'TERRITORY="loiret"'])
