"""Previews of content pull requests: the workflow's own commands, run here against a git
checkout and moto's S3 (as a separate AWS endpoint): a preview is built for the one territory
a pull request changes, published under /_previews/pr-<n>/, kept apart from the site's own
deploy, and removed when the pull request closes."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import urllib.request
from pathlib import Path

import boto3
import pytest
import yaml

from tools import deploy, previews

REPO = Path(__file__).resolve().parents[2]
WORKFLOW = yaml.safe_load(
    (REPO / ".github" / "workflows" / "preview.yml").read_text(encoding="utf-8")
)
REGION = "eu-west-3"
CREDENTIALS = {"aws_access_key_id": "t", "aws_secret_access_key": "t"}


def step(job: str, name: str) -> dict:
    return next(s for s in WORKFLOW["jobs"][job]["steps"] if s.get("name") == name)


def run_step(job: str, name: str, cwd: Path, values: dict, env: dict | None = None):
    """A step's shell command as the job runs it: GitHub's expressions filled in, this
    interpreter for .venv/bin/python, the job's environment; its output file is returned too."""
    command = step(job, name)["run"]
    for expression, value in values.items():
        command = command.replace("${{ " + expression + " }}", value)
    assert "${{" not in command, command
    command = command.replace(".venv/bin/python", sys.executable)
    output = cwd / "github-output.txt"
    output.write_text("")
    environment = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    environment |= {
        "PYTHONPATH": f"{REPO}:{REPO / 'plugins'}",
        "GITHUB_OUTPUT": str(output),
        "PR": values.get("github.event.pull_request.number", "12"),
        "STACK": "territoires",
        "SITE_URL": "https://territoires.example",
        **(env or {}),
    }
    result = subprocess.run(
        ["bash", "-e", "-c", command],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return result, output.read_text()


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(cwd), *args], check=True, capture_output=True, text=True
    ).stdout


@pytest.fixture
def checkout(tmp_path) -> Path:
    """A clone as actions/checkout leaves it: main on origin, the pull request's branch out."""
    origin = tmp_path / "origin"
    for slug in ("loiret", "loir-et-cher"):
        shutil.copytree(REPO / "territories" / slug, origin / "territories" / slug)
    (origin / "README.md").write_text("# Territoires\n")
    git(tmp_path, "init", "-q", "-b", "main", str(origin))
    for key, value in (
        ("user.email", "t@example.org"),
        ("user.name", "T"),
        ("commit.gpgsign", "false"),
    ):
        git(origin, "config", key, value)
    git(origin, "add", ".")
    git(origin, "commit", "-q", "-m", "contenu")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(origin), str(clone))
    for key, value in (
        ("user.email", "t@example.org"),
        ("user.name", "T"),
        ("commit.gpgsign", "false"),
    ):
        git(clone, "config", key, value)
    git(clone, "checkout", "-q", "-b", "cms/loiret/territory")
    return clone


def commit(clone: Path, path: str, text: str) -> None:
    target = clone / path
    target.parent.mkdir(parents=True, exist_ok=True)
    if path.endswith("territory.yaml"):
        text = target.read_text(encoding="utf-8") + f"# {text}\n"
    target.write_text(text, encoding="utf-8")
    git(clone, "add", path)
    git(clone, "commit", "-q", "-m", "modification")


TERRITORY_STEP = ("publish", "Territoire modifié")
BASE = {"github.base_ref": "main"}


def test_the_preview_is_for_the_one_territory_a_pull_request_changes(checkout):
    commit(checkout, "territories/loiret/territory.yaml", "Soigner au bord de la Loire")

    result, output = run_step(*TERRITORY_STEP, checkout, BASE)

    assert result.returncode == 0, result.stderr
    assert output.strip() == "territory=loiret"


@pytest.mark.parametrize(
    ("paths", "message"),
    [
        (["README.md"], "d'autres fichiers que territories/"),
        (["territories/loiret/territory.yaml", ".github/workflows/x.yml"], "d'autres fichiers"),
        (
            ["territories/loiret/territory.yaml", "territories/loir-et-cher/territory.yaml"],
            "trouvé 2",
        ),
    ],
    ids=["not-content", "content-and-workflow", "two-territories"],
)
def test_no_preview_for_a_pull_request_that_is_not_one_territorys_content(checkout, paths, message):
    for path in paths:
        commit(checkout, path, "Soigner au bord de la Loire" if path.endswith(".yaml") else "x\n")

    result, output = run_step(*TERRITORY_STEP, checkout, BASE)

    assert result.returncode == 1
    assert message in result.stderr
    assert "territory=" not in output


@pytest.fixture(scope="module")
def preview_site(tmp_path_factory) -> Path:
    """The build step's output for pull request 12 of the Loiret."""
    folder = tmp_path_factory.mktemp("checkout")
    shutil.copytree(REPO / "territories", folder / "territories")
    values = {"steps.territory.outputs.territory": "loiret"}
    result, _ = run_step("publish", "Construire l'aperçu", folder, values)
    assert result.returncode == 0, result.stderr
    return folder / "preview"


def test_the_preview_is_the_territorys_site_under_its_own_address(preview_site):
    home = (preview_site / "index.html").read_text(encoding="utf-8")

    assert "Loiret" in home
    assert 'href="https://territoires.example/_previews/pr-12/theme/css/site.css' in home
    assert not (preview_site / "loir-et-cher").exists()


def test_the_preview_forms_send_nothing(preview_site):
    page = (preview_site / "welcomers" / "index.html").read_text(encoding="utf-8")

    actions = re.findall(r'<form[^>]*action="([^"]+)"', page)
    assert actions and all(a.startswith(previews.NO_FORMS) for a in actions)


@pytest.fixture
def aws_endpoint():
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    # moto keeps its state per process: start from an empty account.
    urllib.request.urlopen(urllib.request.Request(f"{url}/moto-api/reset", method="POST"))
    yield url
    server.stop()


@pytest.fixture
def stack(aws_endpoint) -> str:
    """A stack whose outputs name a bucket that already holds the live site."""
    template = {
        "Resources": {"SiteBucket": {"Type": "AWS::S3::Bucket"}},
        "Outputs": {"SiteBucketName": {"Value": {"Ref": "SiteBucket"}}},
    }
    clients = {"region_name": REGION, "endpoint_url": aws_endpoint, **CREDENTIALS}
    boto3.client("cloudformation", **clients).create_stack(
        StackName="territoires", TemplateBody=json.dumps(template)
    )
    s3 = boto3.client("s3", **clients)
    (bucket,) = [b["Name"] for b in s3.list_buckets()["Buckets"]]
    s3.put_object(Bucket=bucket, Key="index.html", Body=b"<!doctype html>en ligne")
    return bucket


def keys(aws_endpoint, bucket) -> set[str]:
    s3 = boto3.client("s3", region_name=REGION, endpoint_url=aws_endpoint, **CREDENTIALS)
    return {o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])}


def test_the_preview_is_published_then_removed_leaving_the_site_alone(
    tmp_path, preview_site, aws_endpoint, stack
):
    shutil.copytree(preview_site, tmp_path / "preview")
    env = {"AWS_ENDPOINT_URL": aws_endpoint, "AWS_ACCESS_KEY_ID": "t", "AWS_SECRET_ACCESS_KEY": "t"}

    published, _ = run_step("publish", "Publier l'aperçu", tmp_path, {}, env)
    during = keys(aws_endpoint, stack)
    removed, _ = run_step("remove", "Supprimer l'aperçu", tmp_path, {}, env)

    assert published.returncode == 0, published.stderr
    assert "_previews/pr-12/index.html" in during
    assert "_previews/pr-12/theme/css/site.css" in during
    assert removed.returncode == 0, removed.stderr
    assert keys(aws_endpoint, stack) == {"index.html"}  # the live site untouched throughout


def test_the_sites_deploy_leaves_the_previews_alone(tmp_path, aws_endpoint, stack):
    s3 = boto3.client("s3", region_name=REGION, endpoint_url=aws_endpoint, **CREDENTIALS)
    s3.put_object(Bucket=stack, Key="_previews/pr-3/index.html", Body=b"apercu")
    site = tmp_path / "output"
    site.mkdir()
    (site / "index.html").write_text("<!doctype html>nouveau")

    plan = deploy.make_plan(deploy.scan_output(site), deploy.remote_objects(s3, stack))

    assert "_previews/pr-3/index.html" not in plan.deleted


def test_the_workflow_runs_for_content_pull_requests_and_cleans_up_on_close():
    triggers = WORKFLOW[True]["pull_request"]

    assert set(triggers["types"]) == {"opened", "synchronize", "reopened", "closed"}
    assert triggers["paths"] == ["territories/**"]
    assert WORKFLOW["permissions"] == {
        "contents": "read",
        "pull-requests": "write",
        "statuses": "write",
        "id-token": "write",
    }
    assert "head.repo.full_name == github.repository" in WORKFLOW["jobs"]["publish"]["if"]
    assert "closed" in WORKFLOW["jobs"]["remove"]["if"]


def test_the_preview_is_announced_where_the_editor_looks_for_it():
    announce = step("publish", "Annoncer l'aperçu")["run"]

    from tools import decap_config

    assert f'context="{decap_config.PREVIEW_CONTEXT}"' in announce
    assert "gh pr comment" in announce
    assert 'target_url="$url"' in announce
