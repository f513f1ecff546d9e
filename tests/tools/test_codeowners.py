"""`python -m tools.codeowners`: CODEOWNERS generated from the territories' `owners:` lists."""

from __future__ import annotations

from pathlib import Path

import pytest

from tools import codeowners
from tools.codeowners import CODEOWNERS_PATH, DEFAULT_OWNERS

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def repo(tmp_path):
    """A repository with two territories that name owners and one that does not."""
    add_territory(tmp_path, "vierzon", "owners:\n  - '@vierzon/communication'\n  - '@jdupont'\n")
    add_territory(tmp_path, "loiret", "owners: ['@loiret/com']\n")
    add_territory(tmp_path, "gien", "tagline: Sans relecteurs désignés\n")
    return tmp_path


def add_territory(root: Path, slug: str, yaml_text: str) -> None:
    folder = root / "territories" / slug
    folder.mkdir(parents=True)
    (folder / "territory.yaml").write_text(f"name: {slug}\n{yaml_text}", encoding="utf-8")


def rules(text: str) -> list[str]:
    """The CODEOWNERS lines that are rules, not comments or blank lines."""
    return [line for line in text.splitlines() if line and not line.startswith("#")]


def test_operators_own_everything_and_each_collectivity_its_folder(repo):
    assert codeowners.main(["--root", str(repo)]) == 0

    written = (repo / CODEOWNERS_PATH).read_text(encoding="utf-8")
    assert rules(written) == [
        f"* {' '.join(DEFAULT_OWNERS)}",
        "/territories/loiret/ @loiret/com",
        "/territories/vierzon/ @vierzon/communication @jdupont",
    ]


def test_the_default_line_comes_first_since_the_last_match_wins(repo):
    lines = rules(codeowners.generate(repo))

    assert lines[0].startswith("* ")
    assert all(line.startswith("/territories/") for line in lines[1:])


def test_the_file_says_it_is_generated(repo):
    assert "do not edit by hand" in codeowners.generate(repo)


def test_generation_does_not_depend_on_the_order_folders_were_created(tmp_path):
    territories = {"vierzon": "owners: ['@vierzon/com']\n", "loiret": "owners: ['@loiret/com']\n"}
    for name, order in (("a", sorted(territories)), ("b", sorted(territories, reverse=True))):
        for slug in order:
            add_territory(tmp_path / name, slug, territories[slug])

    assert codeowners.generate(tmp_path / "a") == codeowners.generate(tmp_path / "b")


def test_repeated_owners_are_listed_once(tmp_path):
    add_territory(tmp_path, "gien", "owners: ['@gien/com', '@gien/com', '@maire']\n")

    assert rules(codeowners.generate(tmp_path))[1] == "/territories/gien/ @gien/com @maire"


def test_folders_without_territory_yaml_are_ignored(repo):
    (repo / "territories" / "brouillon").mkdir()

    assert "brouillon" not in codeowners.generate(repo)


def test_check_passes_when_the_committed_file_is_up_to_date(repo, capsys):
    codeowners.main(["--root", str(repo)])

    assert codeowners.main(["--root", str(repo), "--check"]) == 0
    assert "est à jour" in capsys.readouterr().out


def test_check_fails_and_shows_the_difference_after_an_owners_change(repo, capsys):
    codeowners.main(["--root", str(repo)])
    add_territory(repo, "orleans", "owners: ['@orleans/com']\n")
    before = (repo / CODEOWNERS_PATH).read_text(encoding="utf-8")

    status = codeowners.main(["--root", str(repo), "--check"])

    assert status == 1
    err = capsys.readouterr().err
    assert "n'est pas à jour : lancez `make codeowners`" in err
    assert "+/territories/orleans/ @orleans/com" in err
    assert (repo / CODEOWNERS_PATH).read_text(encoding="utf-8") == before


def test_check_fails_when_the_file_is_missing(repo):
    assert codeowners.main(["--root", str(repo), "--check"]) == 1
    assert not (repo / CODEOWNERS_PATH).exists()


def test_check_can_annotate_the_file_on_github(repo, capsys):
    codeowners.main(["--root", str(repo), "--check", "--github"])

    assert f"::error file={CODEOWNERS_PATH},title=CODEOWNERS::" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("yaml_text", "message"),
    [
        ("owners: '@gien/com'\n", "owners doit être une liste"),
        ("owners: ['gien/com']\n", "« gien/com » n'est pas un identifiant"),
        ("owners: ['@gien/com @autre']\n", "« @gien/com @autre » n'est pas un identifiant"),
        ("owners: [42]\n", "« 42 » n'est pas un identifiant"),
        ("owners: [\n", "fichier illisible"),
    ],
)
def test_unusable_owners_are_reported_in_french_naming_the_file(
    tmp_path, capsys, yaml_text, message
):
    add_territory(tmp_path, "gien", yaml_text)

    status = codeowners.main(["--root", str(tmp_path)])

    err = capsys.readouterr().err
    assert status == 2
    assert "territories/gien/territory.yaml" in err
    assert message in err
    assert not (tmp_path / CODEOWNERS_PATH).exists()


def test_the_committed_codeowners_is_up_to_date():
    """The repository's own file: regenerate it with `make codeowners` after an owners change."""
    assert (REPO / CODEOWNERS_PATH).read_text(encoding="utf-8") == codeowners.generate(REPO)
