"""`python -m territories.check` checks content without Pelican, for CI and editors."""

import os
import subprocess
import sys
from pathlib import Path

from territories.check import github_annotation, main
from territories.loader import ContentError, ContentErrors, load_territories

PROJECT = Path(__file__).resolve().parents[3]
DATA = Path(__file__).parent / "data"


def test_valid_content_prints_the_count_and_exits_0(capsys):
    assert main([str(PROJECT / "territories")]) == 0
    count = len(load_territories(PROJECT / "territories"))
    assert capsys.readouterr().out == f"{count} territoires valides\n"


def test_a_single_valid_territory_is_counted_in_the_singular(capsys):
    assert main([str(DATA / "valid")]) == 0
    assert capsys.readouterr().out == "1 territoire valide\n"


def expected_errors(root: str) -> list[ContentError]:
    try:
        load_territories(Path(root))
    except ContentErrors as errors:
        return errors.errors
    raise AssertionError(f"{root} should be invalid")


def test_invalid_content_prints_every_error_and_exits_1(capsys, monkeypatch):
    monkeypatch.chdir(DATA)
    assert main(["invalid"]) == 1
    lines = capsys.readouterr().out.splitlines()
    errors = expected_errors("invalid")
    assert lines == [f"{len(errors)} erreurs dans le contenu des territoires :", *map(str, errors)]
    assert "invalid/bad-brand/territory.yaml:5: brand.primary: « bleu » n'est pas une couleur" in (
        "\n".join(lines)
    )


def test_github_flag_adds_one_annotation_per_error(capsys, monkeypatch):
    monkeypatch.chdir(DATA)
    assert main(["--github", "invalid"]) == 1
    annotations = [line for line in capsys.readouterr().out.splitlines() if line.startswith("::")]
    assert annotations == [github_annotation(e) for e in expected_errors("invalid")]
    assert (
        "::error file=invalid/bad-brand/territory.yaml,line=5,title=brand.primary::"
        "« bleu » n'est pas une couleur (#rrggbb attendu)"
    ) in annotations


def test_annotation_escapes_what_github_would_misread():
    error = ContentError("a,b:c.yaml", 3, "", "100 % faux\nsuite")
    assert (
        github_annotation(error)
        == "::error file=a%2Cb%3Ac.yaml,line=3,title=a%2Cb%3Ac.yaml::100 %25 faux%0Asuite"
    )


def test_only_checks_the_named_territory(capsys, monkeypatch):
    monkeypatch.chdir(DATA)
    assert main(["--only", "bad-brand", "invalid"]) == 1
    out = capsys.readouterr().out
    assert "bad-brand" in out and "Mauvais_Nom" not in out


def test_module_runs_as_a_command_from_the_project_root():
    env = {**os.environ, "PYTHONPATH": str(PROJECT / "plugins")}
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "territories.check",
            "--github",
            "tests/plugins/territories/data/invalid",
        ],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 1
    assert (
        "::error file=tests/plugins/territories/data/invalid/bad-brand/territory.yaml,line=5,"
        in run.stdout
    )
