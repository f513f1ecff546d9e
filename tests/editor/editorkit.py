"""Helpers of the editor tests: requests as API Gateway events, the sign-in e-mail's link."""

from __future__ import annotations

import base64
import datetime as dt
import email
import email.policy
import html
import json
import re
from urllib.parse import parse_qs, urlencode, urlsplit

from forms.editor import web
from forms.local import build_event

CLIENT = "203.0.113.5"


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: dt.datetime):
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta) -> None:
        self.now += dt.timedelta(**delta)


class RecordingMailer:
    """Keeps the jobs it is given (ports.Mailer); `messages` are their e-mails, parsed."""

    def __init__(self):
        self.jobs = []

    def send(self, job) -> None:
        self.jobs.append(job)

    @property
    def messages(self) -> list:
        return [
            email.message_from_bytes(job.message, policy=email.policy.default) for job in self.jobs
        ]


def call(editor, method, path, body=None, token=None, form=None, client=CLIENT, query=""):
    """One request to the editor's routes; (status, JSON or HTML text, headers)."""
    headers = {}
    raw = b""
    if form is not None:
        raw = urlencode(form).encode()
        headers["content-type"] = "application/x-www-form-urlencoded"
    elif body is not None:
        raw = json.dumps(body).encode()
        headers["content-type"] = "application/json; charset=utf-8"
    if token:
        headers["authorization"] = f"token {token}"
    target = path + (f"?{query}" if query else "")
    response = web.handle(build_event(method, target, headers, raw, client), editor)
    text = response["body"]
    kind = response["headers"].get("content-type", "")
    # HTML with its white space collapsed: sentences read whole whatever the line breaks.
    data = json.loads(text) if "json" in kind else html.unescape(" ".join(text.split()))
    return response["statusCode"], data, response["headers"]


def link_in(message) -> str:
    """The sign-in link of an e-mail (its plain-text part)."""
    text = message.get_body(preferencelist=("plain",)).get_content()
    return re.search(r"https?://\S+/connexion/lien\?t=\S+", text).group(0)


def token_of(link: str) -> str:
    return parse_qs(urlsplit(link).query)["t"][0]


def ask_link(editor, scope, email, client=CLIENT):
    return call(
        editor, "POST", f"/api/editor/{scope}/connexion", form={"email": email}, client=client
    )


def use_link(editor, scope, token):
    return call(editor, "POST", f"/api/editor/{scope}/connexion/lien", form={"t": token})


def session_in(page: str) -> str:
    return re.search(r'data-token="([^"]+)"', page).group(1)


def sign_in(editor, mailer, scope, email) -> str:
    """The whole sign-in: ask, read the e-mail, use the link; the session token."""
    before = len(mailer.messages)
    status, _, _ = ask_link(editor, scope, email)
    assert status == 200 and len(mailer.messages) == before + 1
    status, page, _ = use_link(editor, scope, token_of(link_in(mailer.messages[-1])))
    assert status == 200, page
    return session_in(page)


class Decap:
    """The editor's API called as Decap's GitHub backend calls it (API.ts), for one session."""

    def __init__(
        self, editor, token: str, scope: str = "loiret", repo: str = "collectivites/territoires"
    ):
        self.editor, self.token, self.scope, self.repo = editor, token, scope, repo

    def call(self, method: str, sub_path: str, body=None, query: str = ""):
        path = f"/api/editor/{self.scope}/repos/{self.repo}{sub_path}"
        return call(self.editor, method, path, body=body, token=self.token, query=query)

    def ok(self, method: str, sub_path: str, body=None, query: str = ""):
        status, data, _ = self.call(method, sub_path, body, query)
        assert status in (200, 201, 204), (status, data)
        return data

    def main_sha(self) -> str:
        return self.ok("GET", "/branches/main")["commit"]["sha"]

    def blob(self, content: bytes) -> str:
        encoded = base64.b64encode(content).decode()
        return self.ok("POST", "/git/blobs", {"content": encoded, "encoding": "base64"})["sha"]

    def tree(self, base: str, files: dict[str, bytes | None]):
        entries = [
            {
                "path": path,
                "mode": "100644",
                "type": "blob",
                "sha": None if data is None else self.blob(data),
            }
            for path, data in files.items()
        ]
        return self.call("POST", "/git/trees", {"base_tree": base, "tree": entries})

    def commit(self, tree_sha: str, parent: str, message: str = "Loiret : modification") -> str:
        body = {"message": message, "tree": tree_sha, "parents": [parent]}
        return self.ok("POST", "/git/commits", body)["sha"]

    def save(self, files: dict[str, bytes | None], branch: str = "cms/loiret/territory") -> dict:
        """A new entry saved in the editorial workflow: branch, pull request, draft label."""
        main = self.main_sha()
        status, tree, _ = self.tree(main, files)
        assert status == 201, tree
        sha = self.commit(tree["sha"], main)
        self.ok("POST", "/git/refs", {"ref": f"refs/heads/{branch}", "sha": sha})
        owner = self.repo.split("/")[0]
        pull = self.ok(
            "POST",
            "/pulls",
            {
                "title": "Loiret : modification",
                "body": "x",
                "head": f"{owner}:{branch}",
                "base": "main",
            },
        )
        self.ok("PUT", f"/issues/{pull['number']}/labels", {"labels": ["decap-cms/draft"]})
        return pull
