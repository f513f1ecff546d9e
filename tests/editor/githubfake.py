"""A local fake of the GitHub REST calls Decap CMS and the editor's API make, over a real git
repository: blobs, trees, commits and refs are git's own objects (git plumbing commands);
pull requests, labels and commit statuses are kept in memory.

It checks what GitHub checks for us: the App's JWT (RS256, signed by its private key) when an
installation token is minted, that token on every repository call, and git's rules (a ref that
exists, a fast-forward unless forced). Every request is recorded, so tests can say what reached
"GitHub" and what never did.
"""

from __future__ import annotations

import base64
import datetime as dt
import http.server
import json
import os
import re
import secrets
import subprocess
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

import jwt

BOT = {"login": "territoires-editor[bot]", "type": "Bot"}


class GitError(Exception):
    pass


@dataclass
class Recorded:
    method: str
    path: str  # decoded, without the query
    query: dict
    body: object


@dataclass
class FakeGitHub:
    """The fake's state: the repository, the App's key, tokens, pull requests, statuses."""

    repo_dir: Path
    full_name: str
    app_id: str
    installation_id: str
    public_key: str
    tokens: dict = field(default_factory=dict)  # token → expiry
    mints: list = field(default_factory=list)  # the bodies of token requests
    pulls: dict = field(default_factory=dict)  # number → pull request
    statuses: dict = field(default_factory=dict)  # sha → [status]
    requests: list = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    # --- git. --------------------------------------------------------------------------------

    def git(self, *args: str, stdin: bytes | None = None, env: dict | None = None) -> bytes:
        result = subprocess.run(
            ["git", "-C", str(self.repo_dir), *args],
            input=stdin,
            capture_output=True,
            env={**os.environ, **(env or {})},
        )
        if result.returncode != 0:
            raise GitError(result.stderr.decode(errors="replace"))
        return result.stdout

    def rev(self, name: str) -> str | None:
        try:
            return (
                self.git("rev-parse", "--verify", "--quiet", f"{name}^{{commit}}").decode().strip()
            )
        except GitError:
            return None

    def branch_sha(self, branch: str) -> str | None:
        return self.rev(f"refs/heads/{branch}")

    def changed_files(self, base: str, head: str) -> list[str]:
        """The paths a pull request from `head` into `base` changes (three dots)."""
        merge_base = self.git("merge-base", base, head).decode().strip()
        return self.git("diff", "--name-only", merge_base, head).decode().split()

    # --- pull requests. ----------------------------------------------------------------------

    def pull_view(self, number: int) -> dict:
        pull = self.pulls[number]
        head_sha = self.branch_sha(pull["head"]["ref"]) or pull["head"]["sha"]
        repo = {"full_name": self.full_name, "fork": False}
        return {
            **pull,
            "head": {**pull["head"], "sha": head_sha, "repo": repo},
            "base": {**pull["base"], "sha": self.branch_sha(pull["base"]["ref"]), "repo": repo},
        }

    def open_pulls(self) -> list[dict]:
        return [self.pull_view(n) for n, p in sorted(self.pulls.items()) if p["state"] == "open"]


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go apart: no 40 ms wait for each call
    fake: FakeGitHub

    def log_message(self, format, *args):
        pass

    def do_GET(self):
        self._serve("GET")

    def do_POST(self):
        self._serve("POST")

    def do_PUT(self):
        self._serve("PUT")

    def do_PATCH(self):
        self._serve("PATCH")

    def do_DELETE(self):
        self._serve("DELETE")

    # --- plumbing. ---------------------------------------------------------------------------

    def _send(self, status: int, data=None) -> None:
        body = b"" if data is None else json.dumps(data).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json; charset=utf-8")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _serve(self, method: str) -> None:
        url = urlsplit(self.path)
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        body = json.loads(raw) if raw else None
        path = unquote(url.path)
        query = dict(parse_qsl(url.query))
        fake = self.fake
        with fake.lock:
            fake.requests.append(Recorded(method, path, query, body))
            try:
                status, data = self._dispatch(method, path, query, body)
            except GitError as error:
                status, data = 422, {"message": f"git: {error}"}
        self._send(status, data)

    def _authorised(self) -> bool:
        kind, _, token = (self.headers.get("authorization") or "").partition(" ")
        expiry = self.fake.tokens.get(token)
        return kind.lower() == "token" and expiry is not None and expiry > dt.datetime.now(dt.UTC)

    def _dispatch(self, method, path, query, body):
        fake = self.fake
        found = re.fullmatch(r"/app/installations/([^/]+)/access_tokens", path)
        if found and method == "POST":
            return self._mint(found.group(1), body)
        if not self._authorised():
            return 401, {"message": "Bad credentials"}
        prefix = f"/repos/{fake.full_name}"
        if not path.startswith(prefix):
            return 404, {"message": "Not Found"}
        rest = path[len(prefix) :]
        for pattern, verb, name in ROUTES:
            found = re.fullmatch(pattern, rest)
            if found and verb == method:
                return getattr(self, name)(query, body, *found.groups())
        return 404, {"message": "Not Found"}

    def _mint(self, installation: str, body):
        fake = self.fake
        kind, _, signed = (self.headers.get("authorization") or "").partition(" ")
        try:
            # The signature and the issuer are what matter here; tests move their clocks.
            claims = jwt.decode(
                signed, fake.public_key, algorithms=["RS256"], leeway=dt.timedelta(hours=2)
            )
        except jwt.PyJWTError:
            return 401, {"message": "A JSON web token could not be decoded"}
        if (
            kind != "Bearer"
            or claims.get("iss") != fake.app_id
            or installation != fake.installation_id
        ):
            return 401, {"message": "Bad credentials"}
        fake.mints.append(body)
        token = "ghs_" + secrets.token_hex(16)
        expires = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
        fake.tokens[token] = expires
        return 201, {"token": token, "expires_at": expires.strftime("%Y-%m-%dT%H:%M:%SZ")}

    # --- git data. ---------------------------------------------------------------------------

    def get_tree(self, query, body, treeish):
        fake = self.fake
        ref, _, folder = treeish.partition(":")
        sha = fake.rev(ref) or ref
        args = ["ls-tree", "-l"] + (["-r"] if query.get("recursive") else []) + [f"{sha}:{folder}"]
        try:
            lines = fake.git(*args).decode().splitlines()
        except GitError:
            return 404, {"message": "Not Found"}
        tree = []
        for line in lines:
            meta, name = line.split("\t", 1)
            mode, kind, object_sha, size = meta.split()
            entry = {"path": name, "mode": mode, "type": kind, "sha": object_sha}
            if size != "-":
                entry["size"] = int(size)
            tree.append(entry)
        return 200, {"sha": sha, "tree": tree, "truncated": False}

    def get_blob(self, query, body, sha):
        try:
            data = self.fake.git("cat-file", "blob", sha)
        except GitError:
            return 404, {"message": "Not Found"}
        content = base64.b64encode(data).decode()
        return 200, {"sha": sha, "size": len(data), "content": content, "encoding": "base64"}

    def post_blob(self, query, body):
        raw = body["content"]
        data = base64.b64decode(raw) if body.get("encoding") == "base64" else raw.encode()
        sha = self.fake.git("hash-object", "-w", "--stdin", stdin=data).decode().strip()
        return 201, {"sha": sha}

    def post_tree(self, query, body):
        fake = self.fake
        with tempfile.TemporaryDirectory() as folder:
            env = {"GIT_INDEX_FILE": str(Path(folder) / "index")}
            if body.get("base_tree"):
                fake.git("read-tree", body["base_tree"], env=env)
            for entry in body["tree"]:
                if entry.get("sha") is None:
                    fake.git("update-index", "--force-remove", "--", entry["path"], env=env)
                else:
                    info = f"{entry['mode']},{entry['sha']},{entry['path']}"
                    fake.git("update-index", "--add", "--cacheinfo", info, env=env)
            sha = fake.git("write-tree", env=env).decode().strip()
        return 201, {"sha": sha, "tree": []}

    def post_commit(self, query, body):
        author = body.get("author") or {"name": BOT["login"], "email": "bot@example.org"}
        committer = body.get("committer") or author
        env = {
            "GIT_AUTHOR_NAME": author["name"],
            "GIT_AUTHOR_EMAIL": author["email"],
            "GIT_COMMITTER_NAME": committer["name"],
            "GIT_COMMITTER_EMAIL": committer["email"],
        }
        args = ["commit-tree", body["tree"]]
        for parent in body.get("parents") or []:
            args += ["-p", parent]
        sha = self.fake.git(*args, stdin=body["message"].encode(), env=env).decode().strip()
        return 201, self._commit(sha)

    def _commit(self, sha):
        fake = self.fake
        text = fake.git("show", "-s", "--format=%T%n%P%n%an%n%ae%n%aI%n%B", sha).decode()
        tree, parents, name, email, date, *message = text.split("\n")
        person = {"name": name, "email": email, "date": date}
        return {
            "sha": sha,
            "tree": {"sha": tree},
            "parents": [{"sha": p} for p in parents.split()],
            "message": "\n".join(message).strip(),
            "author": person,
            "committer": person,
        }

    def get_commit(self, query, body, sha):
        if not self.fake.rev(sha):
            return 404, {"message": "Not Found"}
        return 200, self._commit(sha)

    def post_ref(self, query, body):
        fake = self.fake
        ref = body["ref"]
        if fake.rev(ref):
            return 422, {"message": "Reference already exists"}
        fake.git("update-ref", ref, body["sha"])
        return 201, {"ref": ref, "object": {"sha": body["sha"], "type": "commit"}}

    def patch_ref(self, query, body, name):
        fake = self.fake
        ref = f"refs/heads/{name}"
        old = fake.rev(ref)
        if not old:
            return 422, {"message": "Reference does not exist"}
        if not body.get("force"):
            try:
                fake.git("merge-base", "--is-ancestor", old, body["sha"])
            except GitError:
                return 422, {"message": "Update is not a fast forward"}
        fake.git("update-ref", ref, body["sha"])
        return 200, {"ref": ref, "object": {"sha": body["sha"], "type": "commit"}}

    def delete_ref(self, query, body, name):
        fake = self.fake
        if not fake.branch_sha(name):
            return 422, {"message": "Reference does not exist"}
        fake.git("update-ref", "-d", f"refs/heads/{name}")
        return 204, None

    # --- repository. -------------------------------------------------------------------------

    def get_branch(self, query, body, name):
        sha = self.fake.branch_sha(name)
        if not sha:
            return 404, {"message": "Branch not found"}
        return 200, {"name": name, "commit": {"sha": sha, "commit": self._commit(sha)}}

    def get_commits(self, query, body):
        fake = self.fake
        ref = query.get("sha", "main")
        out = (
            fake.git("log", "-1", "--format=%H", ref, "--", query.get("path", "")).decode().split()
        )
        return 200, [{"sha": sha, "commit": self._commit(sha)} for sha in out]

    def get_status(self, query, body, sha):
        statuses = self.fake.statuses.get(sha, [])
        state = "success" if statuses else "pending"
        return 200, {"sha": sha, "state": state, "statuses": statuses}

    def get_compare(self, query, body, base, head):
        fake = self.fake
        head_ref = head.split(":", 1)[1] if ":" in head else head
        base_sha, head_sha = fake.rev(base), fake.rev(head_ref)
        if not base_sha or not head_sha:
            return 404, {"message": "Not Found"}
        try:
            merge_base = fake.git("merge-base", base_sha, head_sha).decode().strip()
        except GitError:
            return 404, {"message": f"No common ancestor between {base} and {head}."}
        files = []
        numstat = fake.git("diff", "--numstat", "-M", merge_base, head_sha).decode().splitlines()
        binary = {line.split("\t")[-1] for line in numstat if line.startswith("-\t-\t")}
        for line in (
            fake.git("diff", "--name-status", "-M", merge_base, head_sha).decode().splitlines()
        ):
            code, *names = line.split("\t")
            filename = names[-1]
            status = {"A": "added", "M": "modified", "D": "removed"}.get(code[0], "renamed")
            entry = {"filename": filename, "status": status}
            if status != "removed":
                entry["sha"] = fake.git("rev-parse", f"{head_sha}:{filename}").decode().strip()
            if status == "renamed":
                entry["previous_filename"] = names[0]
            if status not in ("removed", "renamed") and filename not in binary:
                entry["patch"] = "@@ -1 +1 @@"
            files.append(entry)
        revs = fake.git("rev-list", "--reverse", f"{merge_base}..{head_sha}").decode().split()
        return 200, {
            "status": "ahead",
            "base_commit": self._commit(base_sha),
            "merge_base_commit": self._commit(merge_base),
            "commits": [{**self._commit(s), "commit": self._commit(s)} for s in revs],
            "files": files,
        }

    # --- pull requests. ----------------------------------------------------------------------

    def get_pulls(self, query, body):
        fake = self.fake
        state, head, base = query.get("state", "open"), query.get("head"), query.get("base")
        found = []
        for number in sorted(fake.pulls):
            pull = fake.pull_view(number)
            if state != "all" and pull["state"] != state:
                continue
            if base and pull["base"]["ref"] != base:
                continue
            if head and head.split(":", 1)[-1] != pull["head"]["ref"]:
                continue
            found.append(pull)
        return 200, found

    def post_pull(self, query, body):
        fake = self.fake
        ref = body["head"].split(":", 1)[-1]
        if not fake.branch_sha(ref):
            return 422, {"message": "Validation Failed"}
        number = len(fake.pulls) + 1
        now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        fake.pulls[number] = {
            "number": number,
            "title": body["title"],
            "body": body.get("body", ""),
            "state": "open",
            "merged_at": None,
            "labels": [],
            "user": BOT,
            "head": {"ref": ref, "sha": fake.branch_sha(ref), "label": body["head"]},
            "base": {"ref": body["base"]},
            "created_at": now,
            "updated_at": now,
            "html_url": f"https://github.example/{fake.full_name}/pull/{number}",
        }
        return 201, fake.pull_view(number)

    def get_pull(self, query, body, number):
        if int(number) not in self.fake.pulls:
            return 404, {"message": "Not Found"}
        return 200, self.fake.pull_view(int(number))

    def patch_pull(self, query, body, number):
        pull = self.fake.pulls.get(int(number))
        if pull is None:
            return 404, {"message": "Not Found"}
        pull["state"] = body.get("state", pull["state"])
        return 200, self.fake.pull_view(int(number))

    def put_labels(self, query, body, number):
        pull = self.fake.pulls.get(int(number))
        if pull is None:
            return 404, {"message": "Not Found"}
        pull["labels"] = [{"name": name} for name in body["labels"]]
        return 200, pull["labels"]

    def put_merge(self, query, body, number):
        fake = self.fake
        pull = fake.pulls[int(number)]
        fake.git(
            "update-ref", f"refs/heads/{pull['base']['ref']}", fake.branch_sha(pull["head"]["ref"])
        )
        pull["state"], pull["merged_at"] = "closed", "now"
        return 200, {"merged": True}


ROUTES = [
    (r"/git/trees/(.+)", "GET", "get_tree"),
    (r"/git/blobs/([0-9a-f]{40})", "GET", "get_blob"),
    (r"/git/blobs", "POST", "post_blob"),
    (r"/git/trees", "POST", "post_tree"),
    (r"/git/commits", "POST", "post_commit"),
    (r"/git/commits/([0-9a-f]{40})", "GET", "get_commit"),
    (r"/git/refs", "POST", "post_ref"),
    (r"/git/refs/heads/(.+)", "PATCH", "patch_ref"),
    (r"/git/refs/heads/(.+)", "DELETE", "delete_ref"),
    (r"/branches/(.+)", "GET", "get_branch"),
    (r"/commits", "GET", "get_commits"),
    (r"/commits/([0-9a-f]{40})/status", "GET", "get_status"),
    (r"/compare/([^.]+)\.\.\.(.+)", "GET", "get_compare"),
    (r"/pulls", "GET", "get_pulls"),
    (r"/pulls", "POST", "post_pull"),
    (r"/pulls/([0-9]+)", "GET", "get_pull"),
    (r"/pulls/([0-9]+)", "PATCH", "patch_pull"),
    (r"/issues/([0-9]+)/labels", "PUT", "put_labels"),
    (r"/pulls/([0-9]+)/merge", "PUT", "put_merge"),
]


class GitHubServer:
    """The fake on a free local port, in a thread; `url` is its API root."""

    def __init__(self, fake: FakeGitHub):
        self.fake = fake
        handler = type("BoundHandler", (Handler,), {"fake": fake})
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_port}"

    def __enter__(self) -> GitHubServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
