"""`make publish` ships the editor for EDITOR_REPO, for production only: no placeholder, no
local backend, every save a pull request; `make deploy DRY_RUN=1` needs no AWS account."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import yaml

from tools import decap_config

from .conftest import ROOT

REPO = "collectivites/territoires"
NO_AWS = {
    "AWS_CONFIG_FILE": "/nonexistent",
    "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
    "AWS_EC2_METADATA_DISABLED": "true",
}


def run(command: list[str], **env: str) -> subprocess.CompletedProcess:
    """A command at the repository's root, without AWS settings, with `env` added."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "EDITOR_"))}
    return subprocess.run(
        command, cwd=ROOT, env={**clean, **env}, capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize(
    ("repo", "message"),
    [
        ("", "EDITOR_REPO n'est pas défini"),
        ("OWNER/REPO", "EDITOR_REPO vaut « OWNER/REPO », un exemple"),
        ("territoires", "n'est pas écrit propriétaire/nom"),
    ],
    ids=["missing", "placeholder", "no-owner"],
)
def test_publish_stops_before_building_without_a_real_editor_repo(repo, message):
    result = run(["make", "publish", f"EDITOR_REPO={repo}"])

    assert result.returncode != 0
    assert message in result.stderr
    assert "pelican" not in result.stdout  # nothing was built, nothing half-shipped


def test_publish_builds_then_installs_the_production_editor():
    result = run(["make", "-n", "publish", f"EDITOR_REPO={REPO}"])
    commands = result.stdout.splitlines()

    assert result.returncode == 0, result.stderr
    check = next(i for i, c in enumerate(commands) if "decap_config --check --production" in c)
    build = next(i for i, c in enumerate(commands) if "pelican --settings publishconf.py" in c)
    install = commands.index(".venv/bin/python -m tools.decap_config --output output --production")
    assert check < build < install


def test_deploy_dry_run_publishes_then_plans_without_deploying_the_stack():
    result = run(["make", "-n", "deploy", "DRY_RUN=1", f"EDITOR_REPO={REPO}"])

    assert result.returncode == 0, result.stderr
    assert "tools.decap_config --output output --production" in result.stdout
    assert "tools.deploy --stack territoires --region eu-west-3 --dry-run" in result.stdout
    assert "sam " not in result.stdout


@pytest.fixture
def published(tmp_path, decap_packages):
    """A built site (its home page) with the production editors installed by the command."""
    output = tmp_path / "output"
    output.mkdir()
    (output / "index.html").write_text("<!doctype html><title>Accueil</title>")
    status = decap_config.main(["--output", str(output), "--production", "--repo", REPO])
    assert status == 0
    return output


def configs(output):
    """Every shipped config.yml: its text and its data, by folder."""
    found = {}
    for path in sorted(output.rglob("admin/config.yml")):
        text = path.read_text(encoding="utf-8")
        found[path.parent.relative_to(output).as_posix()] = (text, yaml.safe_load(text))
    return found


def test_every_editor_is_configured_for_our_api_and_the_real_repository(published):
    shipped = configs(published)
    territories = decap_config.find_territories(ROOT)

    assert set(shipped) == {"admin"} | {f"{slug}/admin" for slug in territories}
    for folder, (text, cfg) in shipped.items():
        scope = folder.split("/")[0] if folder != "admin" else decap_config.ALL_TERRITORIES
        assert cfg["backend"] == {
            "name": "github",
            "repo": REPO,
            "branch": "main",
            "api_root": f"/api/editor/{scope}",
            "auth_endpoint": f"api/editor/{scope}/connexion",
            "preview_context": decap_config.PREVIEW_CONTEXT,
            "commit_messages": decap_config.COMMIT_MESSAGES,
            "base_url": "https://territoires-sante.fr",  # publishconf.py's SITEURL
        }
        assert "local_backend" not in cfg
        assert "OWNER/REPO" not in text
        assert cfg["publish_mode"] == "editorial_workflow"


def test_the_editor_is_served_whole_from_the_site(published):
    admin = published / "admin"
    page = (published / "loiret" / "admin" / "index.html").read_text(encoding="utf-8")

    assert (admin / "decap-cms.js").stat().st_size > 1_000_000
    assert list(admin.glob("*.decap-cms.js"))  # the lazily loaded chunks
    assert (admin / decap_config.START_SCRIPT).is_file()
    assert '<script src="../../admin/territoires-editor.js"' in page
    assert 'data-styles="/theme/css/site.css /loiret/brand.css"' in page
    # Decap's bundle defines window.CMS, which our script extends.
    assert page.index("decap-cms.js") < page.index("territoires-editor.js")


def test_the_sign_in_origin_is_the_site_url_given(tmp_path, decap_packages):
    args = ["--output", str(tmp_path), "--production", "--repo", REPO, "--territory", "loiret"]
    assert decap_config.main([*args, "--site-url", "https://sante.loiret.fr/"]) == 0
    cfg = yaml.safe_load((tmp_path / "admin" / "config.yml").read_text(encoding="utf-8"))
    assert cfg["backend"]["base_url"] == "https://sante.loiret.fr"
    assert cfg["backend"]["api_root"] == "/api/editor/loiret"


def test_a_placeholder_repository_writes_no_editor(tmp_path, capsys):
    output = tmp_path / "output"
    output.mkdir()

    status = decap_config.main(["--output", str(output), "--production", "--repo", "OWNER/REPO"])

    assert status == 1
    assert "un exemple" in capsys.readouterr().err
    assert not (output / "admin").exists()


def test_a_dry_run_without_aws_credentials_lists_the_editor_it_would_send(published):
    command = [sys.executable, "-m", "tools.deploy", "--stack", "territoires", "--dry-run"]
    result = run([*command, "--output", str(published)], **NO_AWS)

    assert result.returncode == 0, result.stderr
    assert "Pas d'accès AWS" in result.stdout
    assert "+ admin/decap-cms.js" in result.stdout
    assert "+ loiret/admin/config.yml" in result.stdout
    assert "rien n'a été modifié" in result.stdout


def test_a_real_deploy_without_credentials_still_fails(published):
    command = [sys.executable, "-m", "tools.deploy", "--stack", "territoires"]
    result = run([*command, "--output", str(published)], **NO_AWS)

    assert result.returncode == 1
    assert "Erreur AWS" in result.stderr
