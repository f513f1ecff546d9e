"""The editor's API between Decap CMS and GitHub: the calls it allows, each refusal, and that a
save is always a branch and a pull request that change only the territory's folder."""

from __future__ import annotations

import os
import subprocess

import pytest

from .conftest import EDITOR, OTHER_EDITOR, REPO, git
from .editorkit import Decap, call, sign_in

TERRITORY = "territories/loiret/territory.yaml"
OTHER = "territories/loir-et-cher/territory.yaml"


@pytest.fixture
def token(editor, mailer):
    return sign_in(editor, mailer, "loiret", EDITOR)


@pytest.fixture
def decap(editor, token):
    return Decap(editor, token)


def main_of(repo) -> str:
    return git(repo, "rev-parse", "main").strip()


def reached(github, method: str, fragment: str) -> bool:
    """Whether a call with this method and path fragment reached the fake GitHub."""
    return any(r.method == method and fragment in r.path for r in github.fake.requests)


def edited_tagline(repo) -> bytes:
    text = (repo / TERRITORY).read_text(encoding="utf-8")
    return text.replace("Soigner au cœur du Val de Loire", "Soigner au bord de la Loire").encode()


# --- What is answered and what is allowed. --------------------------------------------------


def test_the_user_is_the_signed_in_address_and_may_push(decap, editor, token):
    status, user, _ = call(editor, "GET", "/api/editor/loiret/user", token=token)
    repo = decap.ok("GET", "")

    assert (status, user["login"], user["email"]) == (200, EDITOR, EDITOR)
    assert repo["permissions"]["push"] is True
    assert repo["default_branch"] == "main"


def test_the_editor_reads_its_folder_files_and_history(decap, content_repo):
    folder = decap.ok("GET", "/git/trees/main:territories/loiret")
    names = {entry["path"] for entry in folder["tree"]}
    (entry,) = [e for e in folder["tree"] if e["path"] == "territory.yaml"]
    blob = decap.ok("GET", f"/git/blobs/{entry['sha']}")
    history = decap.ok("GET", "/commits", query=f"path={TERRITORY}&sha=main")

    assert {"territory.yaml", "images", "placements"} <= names
    assert blob["encoding"] == "base64"
    assert history[0]["sha"] == main_of(content_repo)


def test_a_save_becomes_a_branch_and_a_pull_request_touching_only_the_file(
    decap, content_repo, github
):
    main_before = main_of(content_repo)

    pull = decap.save({TERRITORY: edited_tagline(content_repo)})

    assert main_of(content_repo) == main_before  # main is never written
    assert git(content_repo, "diff", "--name-only", "main", "cms/loiret/territory").split() == [
        TERRITORY
    ]
    (opened,) = github.fake.open_pulls()
    assert opened["number"] == pull["number"]
    assert opened["head"]["ref"] == "cms/loiret/territory"
    assert [label["name"] for label in opened["labels"]] == ["decap-cms/draft"]
    assert f"par {EDITOR}" in opened["body"]
    author = git(content_repo, "log", "-1", "--format=%an <%ae>", "cms/loiret/territory").strip()
    assert author == f"{EDITOR} <{EDITOR}>"


def test_the_pull_requests_listed_are_the_territorys_own(decap, editor, mailer, content_repo):
    decap.save({TERRITORY: edited_tagline(content_repo)})
    other = Decap(editor, sign_in(editor, mailer, "loir-et-cher", OTHER_EDITOR), "loir-et-cher")
    other.save({OTHER: b"name: X\n"}, branch="cms/loir-et-cher/territory")

    listed = decap.ok("GET", "/pulls", query="base=main&state=open&per_page=100")
    theirs = other.ok("GET", "/pulls", query="base=main&state=open&per_page=100")

    assert [p["head"]["ref"] for p in listed] == ["cms/loiret/territory"]
    assert [p["head"]["ref"] for p in theirs] == ["cms/loir-et-cher/territory"]


def test_a_draft_moves_through_the_workflow_and_can_be_withdrawn(decap, content_repo, github):
    pull = decap.save({TERRITORY: edited_tagline(content_repo)})
    number = pull["number"]

    decap.ok("PUT", f"/issues/{number}/labels", {"labels": ["decap-cms/pending_review"]})
    decap.ok("PATCH", f"/pulls/{number}", {"state": "closed"})
    decap.ok("DELETE", "/git/refs/heads/cms%2Floiret%2Fterritory")

    assert github.fake.pulls[number]["state"] == "closed"
    assert github.fake.branch_sha("cms/loiret/territory") is None


def test_a_save_straight_to_main_becomes_a_pull_request_of_its_own(decap, content_repo, github):
    main = decap.main_sha()
    _, tree, _ = decap.tree(
        main, {"territories/loiret/images/logo-2.svg": b"<svg xmlns='http://www.w3.org/2000/svg'/>"}
    )
    sha = decap.commit(tree["sha"], main, "Ajout de l'image « logo-2.svg »")

    moved = decap.ok("PATCH", "/git/refs/heads/main", {"sha": sha, "force": False})

    assert moved["object"]["sha"] == sha
    assert main_of(content_repo) == main
    (opened,) = github.fake.open_pulls()
    assert opened["head"]["ref"].startswith("editeur/loiret/")
    assert opened["title"] == "Ajout de l'image « logo-2.svg »"


# --- Refusals: writes outside the folder. ---------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        OTHER,
        "territories/loiret/../loir-et-cher/territory.yaml",
        "territories%2Floiret%2F..%2Floir-et-cher%2Fterritory.yaml",
        "territories/loiret/%2e%2e/loir-et-cher/territory.yaml",
        "territories/loiret/%252e%252e/x.md",
        ".github/workflows/content.yml",
        "territories/loiret/.github/workflows/x.yml",
        "/territories/loiret/territory.yaml",
        "territories/loiret//territory.yaml",
        "territories/loiret/./territory.yaml",
        "territories\\loiret\\territory.yaml",
        "territories/loiret/script.js",
        "territories/loiret/placements/offre.html",
        "territories/loiret/images/page.html",
        "territories/loiret/images/sous-dossier/photo.jpg",
        "territories/loiret-bis/territory.yaml",
        "Makefile",
    ],
    ids=[
        "another-territory",
        "dot-dot",
        "encoded-slashes",
        "encoded-dots",
        "double-encoding",
        "github-workflows",
        "nested-github",
        "absolute",
        "empty-segment",
        "dot-segment",
        "backslashes",
        "not-content",
        "html-offer",
        "html-image",
        "image-subfolder",
        "prefix-of-slug",
        "root-file",
    ],
)
def test_a_tree_writing_outside_the_folder_is_refused(decap, github, path):
    main = decap.main_sha()
    blob = decap.blob(b"name: pirate\n")
    entry = {"path": path, "mode": "100644", "type": "blob", "sha": blob}

    status, data, _ = decap.call("POST", "/git/trees", {"base_tree": main, "tree": [entry]})

    assert status in (400, 422)
    assert data["message"]
    assert not reached(github, "POST", "/git/trees")


@pytest.mark.parametrize(
    ("mode", "kind"),
    [("120000", "blob"), ("040000", "tree"), ("160000", "commit"), ("100755", "blob")],
)
def test_only_plain_files_are_written(decap, github, mode, kind):
    main = decap.main_sha()
    entry = {"path": TERRITORY, "mode": mode, "type": kind, "sha": decap.blob(b"x")}

    status, data, _ = decap.call("POST", "/git/trees", {"base_tree": main, "tree": [entry]})

    assert status == 422
    assert "seuls des fichiers ordinaires" in data["message"]


def test_a_branch_of_another_territory_is_refused(decap, content_repo, github):
    main = decap.main_sha()
    _, tree, _ = decap.tree(main, {TERRITORY: edited_tagline(content_repo)})
    sha = decap.commit(tree["sha"], main)

    for ref in (
        "refs/heads/cms/loir-et-cher/territory",
        "refs/heads/main",
        "refs/tags/v1",
        "refs/heads/x",
    ):
        assert decap.call("POST", "/git/refs", {"ref": ref, "sha": sha})[0] == 422, ref
    assert not reached(github, "POST", "/git/refs")


def smuggled_commit(repo, path: str) -> str:
    """A commit on main changing `path`, made behind the API's back (as if trees were forged)."""

    def run(*args, stdin=None, env=None):
        result = subprocess.run(
            ["git", "-C", str(repo), *args],
            input=stdin,
            capture_output=True,
            check=True,
            env={**os.environ, **(env or {})},
        )
        return result.stdout.decode().strip()

    blob = run("hash-object", "-w", "--stdin", stdin=b"pirate\n")
    index = {"GIT_INDEX_FILE": str(repo.parent / "smuggled.index")}
    run("read-tree", "main", env=index)
    run("update-index", "--add", "--cacheinfo", f"100644,{blob},{path}", env=index)
    tree = run("write-tree", env=index)
    return run("commit-tree", tree, "-p", "main", "-m", "x")


@pytest.mark.parametrize(
    "path", [OTHER, ".github/workflows/content.yml"], ids=["other-territory", "workflows"]
)
def test_a_branch_pointing_at_changes_outside_the_folder_is_refused(
    decap, content_repo, github, path
):
    sha = smuggled_commit(content_repo, path)

    created = decap.call(
        "POST", "/git/refs", {"ref": "refs/heads/cms/loiret/territory", "sha": sha}
    )
    moved = decap.call("PATCH", "/git/refs/heads/main", {"sha": sha, "force": False})

    assert created[0] == moved[0] == 422
    assert path in created[1]["message"] and "ne peut pas être modifié" in created[1]["message"]
    assert github.fake.branch_sha("cms/loiret/territory") is None
    assert not github.fake.pulls


def test_moving_a_branch_onto_changes_outside_the_folder_is_refused(decap, content_repo, github):
    decap.save({TERRITORY: edited_tagline(content_repo)})
    sha = smuggled_commit(content_repo, OTHER)

    status, _, _ = decap.call(
        "PATCH", "/git/refs/heads/cms%2Floiret%2Fterritory", {"sha": sha, "force": True}
    )

    assert status == 422
    assert github.fake.branch_sha("cms/loiret/territory") != sha


def test_a_commit_with_no_parent_or_two_is_refused(decap, content_repo):
    main = decap.main_sha()
    _, tree, _ = decap.tree(main, {TERRITORY: edited_tagline(content_repo)})

    for parents in ([], [main, main]):
        body = {"message": "x", "tree": tree["sha"], "parents": parents}
        assert decap.call("POST", "/git/commits", body)[0] == 422


def test_publishing_is_left_to_the_reviewers(decap, content_repo, github):
    pull = decap.save({TERRITORY: edited_tagline(content_repo)})

    status, data, _ = decap.call("PUT", f"/pulls/{pull['number']}/merge", {"merge_method": "merge"})

    assert status == 422
    assert "après relecture" in data["message"]
    assert not reached(github, "PUT", "/merge")
    assert github.fake.pulls[pull["number"]]["state"] == "open"


def test_another_territorys_pull_request_cannot_be_touched(decap, editor, mailer):
    other = Decap(editor, sign_in(editor, mailer, "loir-et-cher", OTHER_EDITOR), "loir-et-cher")
    pull = other.save({OTHER: b"name: X\n"}, branch="cms/loir-et-cher/territory")
    number = pull["number"]

    assert decap.call("PATCH", f"/pulls/{number}", {"state": "closed"})[0] == 422
    assert decap.call("PUT", f"/issues/{number}/labels", {"labels": ["decap-cms/draft"]})[0] == 422
    assert decap.call("DELETE", "/git/refs/heads/cms%2Floir-et-cher%2Fterritory")[0] == 422


def test_a_pull_request_can_only_be_withdrawn_and_labelled_by_decap(decap, content_repo):
    number = decap.save({TERRITORY: edited_tagline(content_repo)})["number"]

    retitled = decap.call("PATCH", f"/pulls/{number}", {"title": "Autre chose"})
    labelled = decap.call("PUT", f"/issues/{number}/labels", {"labels": ["urgent"]})

    assert retitled[0] == labelled[0] == 422
    assert "l'étiquette « urgent »" in labelled[1]["message"].lower()


# --- Refusals: reads and calls outside the list. --------------------------------------------


@pytest.mark.parametrize(
    "sub_path",
    [
        "/git/trees/main:territories/loir-et-cher",
        "/git/trees/main:territories%2Floiret%2F..%2Floir-et-cher",
        "/git/trees/main:.github",
        "/git/trees/main:territories%252Floiret",
        "/git/trees/cms%2Floir-et-cher%2Fterritory:territories/loiret",
        "/branches/cms%2Floir-et-cher%2Fterritory",
    ],
    ids=[
        "other-folder",
        "encoded-dot-dot",
        "workflows",
        "double-encoded",
        "other-branch",
        "other-branch-info",
    ],
)
def test_reading_outside_the_folder_is_refused(decap, github, sub_path):
    status, data, _ = decap.call("GET", sub_path)

    assert status in (400, 422)
    assert data["message"]
    assert not reached(github, "GET", "/git/trees/")


def test_the_commits_of_another_folder_are_not_listed(decap):
    assert decap.call("GET", "/commits", query=f"path={OTHER}&sha=main")[0] == 422


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/editor/loiret/search/issues"),
        ("GET", "/api/editor/loiret/users/territoires-editor%5Bbot%5D"),
        ("GET", "/api/editor/loiret/repos/autre/depot/git/trees/main:territories/loiret"),
        ("POST", f"/api/editor/loiret/repos/{REPO}/issues"),
        ("GET", f"/api/editor/loiret/repos/{REPO}/git/refs/meta/_decap_cms"),
        ("POST", f"/api/editor/loiret/repos/{REPO}/forks"),
        ("DELETE", f"/api/editor/loiret/repos/{REPO}"),
        ("GET", f"/api/editor/loiret/repos/{REPO}/contents/.github/workflows/content.yml"),
        ("PUT", f"/api/editor/loiret/repos/{REPO}/contents/territories/loiret/territory.yaml"),
        ("DELETE", f"/api/editor/loiret/repos/{REPO}/git/refs/heads/main"),
    ],
)
def test_a_call_not_in_the_list_is_refused(editor, token, github, method, path):
    before = len(github.fake.requests)

    status, data, _ = call(editor, method, path, body={} if method != "GET" else None, token=token)

    assert status in (404, 422)
    assert data["message"]
    assert len(github.fake.requests) == before  # nothing reached GitHub


def test_a_session_of_another_territory_cannot_call_this_territorys_api(editor, mailer, github):
    other = sign_in(editor, mailer, "loir-et-cher", OTHER_EDITOR)

    status, data, _ = call(
        editor,
        "GET",
        f"/api/editor/loiret/repos/{REPO}/git/trees/main:territories/loiret",
        token=other,
    )

    assert status == 401
    assert data["message"] == "Cette session est celle d'un autre territoire."
    assert not github.fake.requests


def test_the_operators_may_write_in_every_territory_but_nowhere_else(editor, mailer, content_repo):
    operator = Decap(
        editor, sign_in(editor, mailer, "_tous", "operateur@territoires.example"), "_tous"
    )

    operator.save({OTHER: b"name: X\n"}, branch="cms/loir-et-cher/territory")
    status, _, _ = operator.tree(operator.main_sha(), {".github/workflows/x.yml": b"on: push\n"})

    assert status == 422
    assert git(
        content_repo, "diff", "--name-only", "main", "cms/loir-et-cher/territory"
    ).split() == [OTHER]


def test_the_preview_status_of_a_saved_entry_reaches_the_editor(decap, content_repo, github):
    pull = decap.save({TERRITORY: edited_tagline(content_repo)})
    sha = github.fake.pull_view(pull["number"])["head"]["sha"]
    url = "https://territoires.example/_previews/pr-1/"
    github.fake.statuses[sha] = [
        {"context": "aperçu du territoire", "state": "success", "target_url": url}
    ]

    status = decap.ok("GET", f"/commits/{sha}/status")

    assert status["statuses"][0]["target_url"] == url
