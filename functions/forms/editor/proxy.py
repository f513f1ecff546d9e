"""The editor's API: Decap CMS's GitHub calls, answered here or forwarded to GitHub, filtered.

Decap's GitHub backend (decap-cms-backend-github, API.ts and implementation.tsx) is pointed at
`/api/editor/<scope>` (`backend.api_root`). The calls it makes in the editorial workflow, and
what this API does with each (anything else is refused with 404):

    GET    /user                                  answered here: the signed-in address
    GET    /repos/R                               answered here: may push, default branch
    GET    /repos/R/git/trees/<ref>:<folder>      folder readable, ref: main, a branch, a sha
    GET    /repos/R/git/blobs/<sha>               forwarded
    GET    /repos/R/commits?path=&sha=            path readable (a file's last change)
    GET    /repos/R/commits/<sha>/status          forwarded (the preview's link)
    GET    /repos/R/branches/<branch>             main or one of the scope's branches
    GET    /repos/R/pulls?base=main&state=…       only the scope's pull requests are listed
    GET    /repos/R/compare/<base>...<head>       only readable files are listed
    POST   /repos/R/git/blobs                     at most 4 MB
    POST   /repos/R/git/trees                     every entry a writable file (images checked)
    POST   /repos/R/git/commits                   author: the signed-in address
    POST   /repos/R/git/refs                      a scope's branch, its changes all writable
    PATCH  /repos/R/git/refs/heads/<branch>       same; on main, becomes a pull request
    DELETE /repos/R/git/refs/heads/<branch>       a scope's branch only
    POST   /repos/R/pulls                         from a scope's branch to main
    PUT    /repos/R/issues/<n>/labels             a scope's pull request, Decap's labels only
    PATCH  /repos/R/pulls/<n>                     closing a scope's pull request only
    PUT    /repos/R/pulls/<n>/merge               refused: the `owners:` review merges

R is the content repository (EDITOR_REPO); main its branch (EDITOR_BRANCH). Nothing ever
writes main: a save is a branch and a pull request, which the content workflow checks and the
territory's `owners:` review. A branch's changes are read back from GitHub (compare) before a
branch or pull request points at them, so however the trees and commits were made, a pull
request can only change what the scope may write.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import quote, urlencode

from ..catalogue import Catalogue
from .github import GitHub, GitHubUnavailable
from .media import MediaRefused, check_image, check_size
from .policy import (
    REFUSED,
    Refused,
    clean_repo_path,
    decode_path,
    editor_branch,
    is_sha,
    outside_message,
    readable,
    writable,
)
from .signin import ALL_TERRITORIES, Session

CMS_LABEL = re.compile(r"decap-cms/(draft|pending_review|pending_publish)")
MAX_COMPARED_FILES = 300  # GitHub's compare lists at most 300 files: more is not an edit
PROPOSAL_PREFIX = "editeur/"  # branches made of a direct save (Decap ignores them)
MAX_JSON_BYTES = 6 * 1024 * 1024


@dataclass(frozen=True)
class Call:
    """One request of the editor: method, scope, GitHub path (as received), query, body."""

    method: str
    scope: str
    path: str
    query: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


@dataclass(frozen=True)
class Answer:
    status: int
    data: object = None  # JSON-serialisable
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class EditorApi:
    """What the API needs: GitHub (with the App's token), the territories, the repository."""

    github: GitHub
    catalogue: Catalogue
    repo: str  # owner/name
    branch: str = "main"
    api_prefix: str = "/api/editor"
    clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)

    @property
    def owner(self) -> str:
        return self.repo.split("/", 1)[0]


def slugs_of(api: EditorApi, scope: str) -> tuple[str, ...]:
    """The territories a scope covers."""
    if scope == ALL_TERRITORIES:
        return tuple(sorted(api.catalogue.territories))
    return (scope,) if scope in api.catalogue.territories else ()


# --- Entry point. ---------------------------------------------------------------------------


def answer(api: EditorApi | None, session: Session, call: Call) -> Answer:
    """The answer to one call of the signed-in editor (`api` None: no repository set up)."""
    try:
        return _route(api, session, call)
    except Refused as refused:
        return Answer(refused.status, {"message": refused.message})
    except MediaRefused as refused:
        return Answer(422, {"message": str(refused)})
    except GitHubUnavailable:
        return Answer(
            502, {"message": "Le dépôt de contenu ne répond pas : réessayez dans un instant."}
        )


_ROUTES: list[tuple[str, re.Pattern, Callable[..., Answer]]] = []


def route(method: str, pattern: str):
    """Register a handler for `method` on the repository sub-path matching `pattern`."""

    def register(handler):
        _ROUTES.append((method, re.compile(pattern), handler))
        return handler

    return register


def _route(api: EditorApi | None, session: Session, call: Call) -> Answer:
    try:
        path = decode_path(call.path)
    except UnicodeDecodeError:
        raise Refused(400, "Adresse invalide.") from None
    if path == "/user" and call.method == "GET":
        return _user(session)
    if api is None:
        raise Refused(
            503, "L'éditeur n'est relié à aucun dépôt ici (EDITOR_REPO, voir docs/editing.md)."
        )
    prefix = f"/repos/{api.repo}"
    if path.lower() != prefix.lower() and not path.lower().startswith(prefix.lower() + "/"):
        raise Refused(404, "Appel non autorisé par l'éditeur (autre dépôt ou autre service).")
    rest = path[len(prefix) :]
    context = Context(api, session, slugs_of(api, session.scope), call)
    for method, pattern, handler in _ROUTES:
        found = pattern.fullmatch(rest)
        if found and method == call.method:
            return handler(context, **found.groupdict())
    raise Refused(404, f"Appel non autorisé par l'éditeur : {call.method} {rest or '/'}.")


@dataclass
class Context:
    api: EditorApi
    session: Session
    slugs: tuple[str, ...]
    call: Call

    @property
    def everything(self) -> bool:
        return self.session.scope == ALL_TERRITORIES

    @property
    def repo_path(self) -> str:
        return f"/repos/{self.api.repo}"

    def body(self) -> dict:
        """The request's JSON object; Refused if it is not one."""
        if len(self.call.body) > MAX_JSON_BYTES:
            raise Refused(413, "Envoi trop volumineux.")
        try:
            data = json.loads(self.call.body or b"{}")
        except ValueError:
            raise Refused(400, "Corps de requête illisible (JSON attendu).") from None
        if not isinstance(data, dict):
            raise Refused(400, "Corps de requête invalide (objet JSON attendu).")
        return data

    def forward(self, method: str, sub_path: str, query: dict | None = None, body=None) -> Answer:
        """Send the call to GitHub (a checked sub-path, encoded here) and pass its answer on."""
        payload = None if body is None else json.dumps(body).encode("utf-8")
        encoded = quote(sub_path, safe="/:.")
        reply = self.api.github.request(
            method, self.repo_path + encoded, urlencode(query or {}), payload
        )
        data = reply.json() if reply.body else None
        return Answer(reply.status, data, self._headers(reply.headers))

    def _headers(self, headers: dict) -> dict:
        """GitHub's pagination links, rewritten to this API (Decap follows them)."""
        link = headers.get("link")
        if not link:
            return {}
        ours = f"{self.api.api_prefix}/{self.session.scope}"
        return {"link": link.replace(self.api.github.api_root, ours)}


def _json(status: int, data) -> Answer:
    return Answer(status, data)


# --- Answered here. -------------------------------------------------------------------------


def _user(session: Session) -> Answer:
    """Decap shows the login and commits under it: the signed-in address."""
    return _json(200, {"login": session.email, "name": session.email, "email": session.email})


@route("GET", r"")
def repository(ctx: Context) -> Answer:
    """Decap checks it may push; the App may, within what this API allows."""
    owner, name = ctx.api.repo.split("/", 1)
    return _json(
        200,
        {
            "name": name,
            "full_name": ctx.api.repo,
            "owner": {"login": owner},
            "default_branch": ctx.api.branch,
            "private": True,
            "fork": False,
            "permissions": {"admin": False, "maintain": False, "push": True, "pull": True},
        },
    )


# --- Reading. -------------------------------------------------------------------------------


def _readable_ref(ctx: Context, ref: str) -> str:
    """A ref the scope may read from: main, one of its branches, or a commit."""
    if ref == ctx.api.branch or is_sha(ref) or editor_branch(ref, ctx.slugs):
        return ref
    raise Refused(REFUSED, f"Branche « {ref} » hors de ce territoire.")


def _readable_path(ctx: Context, path: str) -> str:
    path = clean_repo_path(path)
    if not readable(path, ctx.slugs, ctx.everything):
        raise Refused(REFUSED, f"« {path} » est hors du dossier de ce territoire.")
    return path


@route("GET", r"/git/trees/(?P<ref>[^:]+):(?P<folder>.+)")
def tree(ctx: Context, ref: str, folder: str) -> Answer:
    ref, folder = _readable_ref(ctx, ref), _readable_path(ctx, folder)
    query = {"recursive": "1"} if ctx.call.query.get("recursive") else {}
    return ctx.forward("GET", f"/git/trees/{ref}:{folder}", query)


@route("GET", r"/git/blobs/(?P<sha>[0-9a-f]{40})")
def blob(ctx: Context, sha: str) -> Answer:
    return ctx.forward("GET", f"/git/blobs/{sha}")


@route("GET", r"/commits")
def commits(ctx: Context) -> Answer:
    path = _readable_path(ctx, ctx.call.query.get("path", ""))
    ref = _readable_ref(ctx, ctx.call.query.get("sha") or ctx.api.branch)
    return ctx.forward("GET", "/commits", {"path": path, "sha": ref})


@route("GET", r"/commits/(?P<sha>[0-9a-f]{40})/status")
def status(ctx: Context, sha: str) -> Answer:
    return ctx.forward("GET", f"/commits/{sha}/status")


@route("GET", r"/branches/(?P<branch>.+)")
def branch(ctx: Context, branch: str) -> Answer:
    return ctx.forward("GET", f"/branches/{_readable_ref(ctx, branch)}")


@route("GET", r"/pulls")
def pulls(ctx: Context) -> Answer:
    query = ctx.call.query
    if query.get("base", ctx.api.branch) != ctx.api.branch:
        raise Refused(REFUSED, "Seules les demandes vers la branche principale sont listées.")
    state = query.get("state", "open")
    if state not in ("open", "closed", "all"):
        raise Refused(400, "État de demande inconnu.")
    forwarded = {"base": ctx.api.branch, "state": state, "per_page": "100"}
    if "head" in query:
        forwarded["head"] = _head(ctx, query["head"])
    if "page" in query and query["page"].isdigit():
        forwarded["page"] = query["page"]
    answer = ctx.forward("GET", "/pulls", forwarded)
    if answer.status == 200 and isinstance(answer.data, list):
        mine = [pr for pr in answer.data if _is_scope_pull(ctx, pr)]
        return Answer(200, mine, answer.headers)
    return answer


@route("GET", r"/compare/(?P<base>[^.]+)\.\.\.(?P<head>.+)")
def compare(ctx: Context, base: str, head: str) -> Answer:
    if base != ctx.api.branch and not is_sha(base):
        raise Refused(REFUSED, "Comparaison refusée : base inconnue.")
    head = head if is_sha(head) else _head(ctx, head)
    answer = ctx.forward("GET", f"/compare/{base}...{head}")
    if answer.status == 200 and isinstance(answer.data, dict):
        files = answer.data.get("files") or []
        visible = [f for f in files if readable(f.get("filename", ""), ctx.slugs, ctx.everything)]
        return Answer(200, {**answer.data, "files": visible}, answer.headers)
    return answer


def _head(ctx: Context, head: str) -> str:
    """`owner:branch` of one of the scope's branches (Decap names heads so)."""
    owner, _, name = head.partition(":")
    if owner.lower() != ctx.api.owner.lower() or not editor_branch(name, ctx.slugs):
        raise Refused(REFUSED, f"Branche « {head} » hors de ce territoire.")
    return f"{ctx.api.owner}:{name}"


def _is_scope_pull(ctx: Context, pull: dict) -> bool:
    head, base = pull.get("head") or {}, pull.get("base") or {}
    repo = (head.get("repo") or {}).get("full_name", "")
    return (
        editor_branch(head.get("ref", ""), ctx.slugs)
        and base.get("ref") == ctx.api.branch
        and repo.lower() == ctx.api.repo.lower()
    )


# --- Writing. -------------------------------------------------------------------------------


@route("POST", r"/git/blobs")
def new_blob(ctx: Context) -> Answer:
    data = ctx.body()
    content, encoding = data.get("content"), data.get("encoding", "utf-8")
    if (
        not isinstance(content, str)
        or encoding not in ("base64", "utf-8")
        or set(data)
        - {
            "content",
            "encoding",
        }
    ):
        raise Refused(400, "Fichier invalide.")
    size = len(content.encode("utf-8")) if encoding == "utf-8" else len(content) * 3 // 4
    check_size(size)
    return ctx.forward("POST", "/git/blobs", body={"content": content, "encoding": encoding})


@route("POST", r"/git/trees")
def new_tree(ctx: Context) -> Answer:
    data = ctx.body()
    base, entries = data.get("base_tree"), data.get("tree")
    if not (isinstance(base, str) and is_sha(base)) or not isinstance(entries, list) or not entries:
        raise Refused(400, "Arborescence invalide.")
    checked = [_tree_entry(ctx, entry) for entry in entries]
    return ctx.forward("POST", "/git/trees", body={"base_tree": base, "tree": checked})


def _tree_entry(ctx: Context, entry) -> dict:
    """One file of a new tree: a writable path, a plain file (no link, no folder), a blob."""
    if not isinstance(entry, dict) or set(entry) - {"path", "mode", "type", "sha"}:
        raise Refused(400, "Entrée d'arborescence invalide.")
    path, sha = entry.get("path"), entry.get("sha")
    if not isinstance(path, str):
        raise Refused(400, "Entrée d'arborescence sans chemin.")
    path = clean_repo_path(decode_path(path))
    kind = writable(path, ctx.slugs)
    if kind is None:
        raise Refused(REFUSED, outside_message(path, ctx.slugs))
    if entry.get("mode") != "100644" or entry.get("type") != "blob":
        raise Refused(REFUSED, f"« {path} » : seuls des fichiers ordinaires sont acceptés.")
    if sha is not None and not (isinstance(sha, str) and is_sha(sha)):
        raise Refused(400, f"« {path} » : contenu invalide.")
    if kind == "image" and sha is not None:
        check_image(path.rsplit("/", 1)[1], _blob_bytes(ctx, sha))
    return {"path": path, "mode": "100644", "type": "blob", "sha": sha}


def _blob_bytes(ctx: Context, sha: str) -> bytes:
    status, data = ctx.api.github.get_json(f"{ctx.repo_path}/git/blobs/{sha}")
    if status != 200 or not isinstance(data, dict):
        raise Refused(422, "Fichier introuvable dans le dépôt : déposez-le de nouveau.")
    try:
        return base64.b64decode(data.get("content", ""))
    except (binascii.Error, ValueError):
        raise Refused(422, "Fichier illisible : déposez-le de nouveau.") from None


@route("POST", r"/git/commits")
def new_commit(ctx: Context) -> Answer:
    data = ctx.body()
    message, tree_sha, parents = data.get("message"), data.get("tree"), data.get("parents")
    if not (isinstance(message, str) and isinstance(tree_sha, str) and is_sha(tree_sha)):
        raise Refused(400, "Enregistrement invalide.")
    if not isinstance(parents, list) or len(parents) != 1 or not is_sha(str(parents[0])):
        raise Refused(REFUSED, "Un enregistrement part d'une seule version existante.")
    # Whoever made the commit object is who the history names, whatever the editor sent.
    person = {"name": ctx.session.email, "email": ctx.session.email}
    body = {
        "message": message[:1000],
        "tree": tree_sha,
        "parents": parents,
        "author": person,
        "committer": person,
    }
    return ctx.forward("POST", "/git/commits", body=body)


def _changes_in_scope(ctx: Context, head: str) -> list[str]:
    """The files `head` changes from main; Refused when one is outside what the scope writes."""
    status, data = ctx.api.github.get_json(
        f"{ctx.repo_path}/compare/{quote(ctx.api.branch, safe='')}...{quote(head, safe=':')}"
    )
    if status != 200 or not isinstance(data, dict):
        raise Refused(409, "Cette version ne part pas de la branche principale : rechargez.")
    files = data.get("files") or []
    if len(files) >= MAX_COMPARED_FILES:
        raise Refused(REFUSED, "Trop de fichiers modifiés à la fois.")
    names = []
    for changed in files:
        for name in (changed.get("filename"), changed.get("previous_filename")):
            if name and writable(name, ctx.slugs) is None:
                raise Refused(REFUSED, outside_message(name, ctx.slugs))
            if name:
                names.append(name)
    return names


def _scope_branch(ctx: Context, name: str) -> str:
    if not editor_branch(name, ctx.slugs):
        raise Refused(REFUSED, f"Branche « {name} » hors de ce territoire.")
    return name


@route("POST", r"/git/refs")
def new_ref(ctx: Context) -> Answer:
    data = ctx.body()
    ref, sha = data.get("ref"), data.get("sha")
    if not (isinstance(ref, str) and ref.startswith("refs/heads/") and is_sha(str(sha))):
        raise Refused(REFUSED, "Seules des branches de l'éditeur peuvent être créées.")
    name = _scope_branch(ctx, ref.removeprefix("refs/heads/"))
    _changes_in_scope(ctx, sha)
    return ctx.forward("POST", "/git/refs", body={"ref": f"refs/heads/{name}", "sha": sha})


@route("PATCH", r"/git/refs/heads/(?P<name>.+)")
def move_ref(ctx: Context, name: str) -> Answer:
    data = ctx.body()
    sha = data.get("sha")
    if not is_sha(str(sha)):
        raise Refused(400, "Version invalide.")
    if name == ctx.api.branch:
        return _propose(ctx, sha)
    name = _scope_branch(ctx, name)
    _changes_in_scope(ctx, sha)
    body = {"sha": sha, "force": bool(data.get("force"))}
    return ctx.forward("PATCH", f"/git/refs/heads/{name}", body=body)


@route("DELETE", r"/git/refs/heads/(?P<name>.+)")
def delete_ref(ctx: Context, name: str) -> Answer:
    name = _scope_branch(ctx, name)
    _changes_in_scope(ctx, f"{ctx.api.owner}:{name}")
    return ctx.forward("DELETE", f"/git/refs/heads/{name}")


def _propose(ctx: Context, sha: str) -> Answer:
    """A save straight to main (an image from the media library, a deletion) becomes a pull
    request of its own, on a branch Decap does not list."""
    changed = _changes_in_scope(ctx, sha)
    slug = next(
        (s for s in ctx.slugs if any(n.startswith(f"territories/{s}/") for n in changed)), ""
    )
    status, commit = ctx.api.github.get_json(f"{ctx.repo_path}/git/commits/{sha}")
    title = (commit or {}).get("message", "") if status == 200 else ""
    stamp = ctx.api.clock().strftime("%Y%m%d-%H%M%S")
    name = f"{PROPOSAL_PREFIX}{slug or 'territoires'}/{stamp}-{sha[:7]}"
    created = ctx.forward("POST", "/git/refs", body={"ref": f"refs/heads/{name}", "sha": sha})
    if created.status != 201:
        return created
    pull = ctx.forward(
        "POST",
        "/pulls",
        body={
            "title": (title.splitlines() or ["Modification depuis l'éditeur"])[0][:200],
            "head": f"{ctx.api.owner}:{name}",
            "base": ctx.api.branch,
            "body": _pull_body(ctx, slug),
        },
    )
    if pull.status != 201:
        return pull
    # What Decap expects back from moving a branch: the ref and where it points.
    return _json(
        200, {"ref": f"refs/heads/{ctx.api.branch}", "object": {"sha": sha, "type": "commit"}}
    )


def _pull_body(ctx: Context, slug: str) -> str:
    territory = ctx.api.catalogue.get(slug)
    name = territory.name if territory else "plusieurs territoires"
    return (
        f"Modification proposée depuis l'éditeur en ligne ({name}) par {ctx.session.email}.\n\n"
        "La vérification du contenu annote les erreurs éventuelles ; l'aperçu du site est "
        "publié en commentaire. Les relecteurs du territoire (`owners:`) acceptent la demande "
        "pour la mettre en ligne."
    )


@route("POST", r"/pulls")
def new_pull(ctx: Context) -> Answer:
    data = ctx.body()
    head, base, title = data.get("head"), data.get("base"), data.get("title")
    if base != ctx.api.branch or not isinstance(head, str) or not isinstance(title, str):
        raise Refused(REFUSED, "Une demande de modification va vers la branche principale.")
    head = _head(ctx, head)
    _changes_in_scope(ctx, head)
    slug = _slug_of_branch(ctx, head.split(":", 1)[1])
    body = {"title": title[:200], "head": head, "base": base, "body": _pull_body(ctx, slug)}
    return ctx.forward("POST", "/pulls", body=body)


def _slug_of_branch(ctx: Context, branch: str) -> str:
    for slug in ctx.slugs:
        if editor_branch(branch, (slug,)):
            return slug
    return ""


def _scope_pull(ctx: Context, number: str) -> dict:
    """A pull request of the scope, read from GitHub; Refused otherwise."""
    status, pull = ctx.api.github.get_json(f"{ctx.repo_path}/pulls/{number}")
    if status != 200 or not isinstance(pull, dict) or not _is_scope_pull(ctx, pull):
        raise Refused(REFUSED, f"La demande n° {number} n'est pas une demande de ce territoire.")
    return pull


@route("PUT", r"/issues/(?P<number>[0-9]{1,9})/labels")
def labels(ctx: Context, number: str) -> Answer:
    pull = _scope_pull(ctx, number)
    wanted = ctx.body().get("labels")
    present = {label.get("name") for label in pull.get("labels") or []}
    if not isinstance(wanted, list) or not all(isinstance(w, str) for w in wanted):
        raise Refused(400, "Étiquettes invalides.")
    for label in wanted:
        if not CMS_LABEL.fullmatch(label) and label not in present:
            raise Refused(REFUSED, f"L'étiquette « {label} » ne se pose pas depuis l'éditeur.")
    return ctx.forward("PUT", f"/issues/{number}/labels", body={"labels": wanted})


@route("PATCH", r"/pulls/(?P<number>[0-9]{1,9})")
def close_pull(ctx: Context, number: str) -> Answer:
    if ctx.body() != {"state": "closed"}:
        raise Refused(REFUSED, "Depuis l'éditeur, une demande peut seulement être retirée.")
    _scope_pull(ctx, number)
    return ctx.forward("PATCH", f"/pulls/{number}", body={"state": "closed"})


@route("PUT", r"/pulls/(?P<number>[0-9]{1,9})/merge")
def merge(ctx: Context, number: str) -> Answer:
    raise Refused(
        REFUSED,
        "La mise en ligne se fait après relecture : les relecteurs du territoire acceptent la "
        "demande de modification sur le dépôt. Passez-la « Prête » pour la leur signaler.",
    )
