"""The GitHub workflows: what runs on a content change, on every change, and to deploy."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
WORKFLOWS = REPO / ".github" / "workflows"


def workflow(name: str) -> dict:
    """A workflow file, parsed (YAML reads the `on:` key as True)."""
    return yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))


def steps(name: str) -> list[dict]:
    """The steps of a workflow's only job."""
    (job,) = workflow(name)["jobs"].values()
    return job["steps"]


def step(name: str, title: str) -> dict:
    """One step of a workflow, by its name."""
    return next(s for s in steps(name) if s.get("name") == title)


def run_step_command(command: str, cwd: Path) -> subprocess.CompletedProcess:
    """Run a workflow step's command with this interpreter, as the job's environment would."""
    argv = shlex.split(command)
    argv[0] = sys.executable  # `.venv/bin/python` in the workflow
    # The job's PYTHONPATH is `plugins`, relative to the checkout.
    env = {**os.environ, "PYTHONPATH": str(REPO / "plugins")}
    return subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("name", ["content.yml", "ci.yml", "deploy.yml"])
def test_every_workflow_only_reads_the_repository(name):
    assert workflow(name)["permissions"]["contents"] == "read"


def test_content_workflow_runs_on_territory_changes_in_pull_requests_and_pushes():
    triggers = workflow("content.yml")[True]

    assert "territories/**" in triggers["pull_request"]["paths"]
    assert "territories/**" in triggers["push"]["paths"]


def test_content_workflow_checks_before_it_builds_and_publishes_the_preview():
    runs = [s.get("run", s.get("uses", "")) for s in steps("content.yml")]
    check = next(i for i, r in enumerate(runs) if "territories.check --github territories" in r)
    build = runs.index("make html")
    upload = next(i for i, r in enumerate(runs) if r.startswith("actions/upload-artifact"))

    assert check < build < upload
    assert steps("content.yml")[upload]["with"]["path"] == "output/"


def test_each_content_error_becomes_an_annotation_on_its_file_and_line(tmp_path):
    shutil.copytree(REPO / "territories" / "loiret", tmp_path / "territories" / "loiret")
    yaml_path = tmp_path / "territories" / "loiret" / "territory.yaml"
    lines = yaml_path.read_text(encoding="utf-8").splitlines()
    line = next(n for n, text in enumerate(lines, 1) if text.strip().startswith("primary:"))
    lines[line - 1] = '  primary: "bleu"'
    yaml_path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    result = run_step_command(step("content.yml", "Vérifier le contenu")["run"], tmp_path)

    assert result.returncode == 1
    annotation = f"::error file=territories/loiret/territory.yaml,line={line},"
    assert annotation in result.stdout


def test_content_workflow_passes_on_the_repository_territories():
    result = run_step_command(step("content.yml", "Vérifier le contenu")["run"], REPO)

    assert result.returncode == 0, result.stdout + result.stderr


def test_content_workflow_checks_that_codeowners_is_up_to_date():
    result = run_step_command(step("content.yml", "Vérifier CODEOWNERS")["run"], REPO)

    assert result.returncode == 0, result.stdout + result.stderr


def test_ci_runs_the_same_entry_point_as_the_developers():
    assert ".ci/run" in [s.get("run") for s in steps("ci.yml")]


def test_deploy_runs_nightly_and_by_hand_with_a_dry_run_choice():
    triggers = workflow("deploy.yml")[True]

    assert triggers["schedule"][0]["cron"]
    assert triggers["workflow_dispatch"]["inputs"]["dry_run"]["type"] == "boolean"
    assert any("make deploy" in s.get("run", "") for s in steps("deploy.yml"))


def test_deploy_gets_aws_credentials_through_oidc_not_stored_secrets():
    text = (WORKFLOWS / "deploy.yml").read_text(encoding="utf-8")
    credentials = next(
        s for s in steps("deploy.yml") if s.get("uses", "").startswith("aws-actions/configure-aws")
    )

    assert workflow("deploy.yml")["permissions"]["id-token"] == "write"
    assert "role-to-assume" in credentials["with"]
    assert "secrets." not in text


def test_deploy_ships_the_editor_for_this_repository_unless_told_otherwise():
    deploy = next(s for s in steps("deploy.yml") if "make deploy" in s.get("run", ""))
    uses = [s for s in steps("deploy.yml") if s.get("uses", "").startswith("actions/setup-node")]
    (node,) = uses

    assert deploy["env"]["EDITOR_REPO"] == "${{ vars.EDITOR_REPO || github.repository }}"
    assert node["with"]["cache-dependency-path"] == "admin/package-lock.json"


@pytest.mark.parametrize("name", sorted(p.name for p in WORKFLOWS.glob("*.yml")))
def test_every_workflow_installs_from_the_lock_files(name):
    # `pip install -e .` would take whatever versions, without boto3 (an extra since the locks).
    for job in workflow(name)["jobs"].values():
        for s in job["steps"]:
            command = s.get("run", "")
            assert "pip install" not in command, (name, s.get("name"))
