"""What the editor may read and write: paths, branches, pull requests. Pure functions.

A session's scope names its territories (one slug; all of them for the operators). It may read
under `territories/<slug>/` and write only these files there:

    territories/<slug>/territory.yaml
    territories/<slug>/placements/<name>.md
    territories/<slug>/pages/<name>.md
    territories/<slug>/images/<name>.{jpg,jpeg,png,webp,avif,svg}

and only on Decap's branches of its collections: `cms/<slug>/…`, `cms/<slug>-offres/…`,
`cms/<slug>-pages/…` (tools/decap_config.py names the collections). A path is checked once
decoded: `..`, `.`, empty segments, backslashes, control characters and what is still
percent-encoded after one decoding (`%2e%2e`, `%252F`) are refused, never normalised.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

from .media import TYPE_OF_SUFFIX

ROOT = "territories"
SHA = re.compile(r"[0-9a-f]{40}")
_NAME = r"[A-Za-z0-9][A-Za-z0-9._-]{0,150}"
_MARKDOWN_NAME = r"[A-Za-z0-9][A-Za-z0-9_-]{0,150}\.md"
_IMAGE_NAME = (
    r"[A-Za-z0-9][A-Za-z0-9._-]{0,150}\.(?:" + "|".join(s.lstrip(".") for s in TYPE_OF_SUFFIX) + ")"
)
_SUFFIXES = ("", "-offres", "-pages")  # the collections of a territory: file, offers, pages
_BAD_CHARACTERS = re.compile(r"[\x00-\x1f\x7f\\%]")


# The status of a refusal: 422, as GitHub answers a request it will not carry out. Never 403:
# CloudFront shows the site's 404 page for a 403 (S3's answer for a missing file), whatever
# the path, and the editor must read the message.
REFUSED = 422


class Refused(Exception):
    """A call the editor may not make: its HTTP status and a French message for the editor."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


def decode_path(raw: str) -> str:
    """The path decoded once; Refused when it hides anything (see the module's docstring)."""
    path = unquote(raw, errors="strict") if "%" in raw else raw
    if _BAD_CHARACTERS.search(path):
        raise Refused(400, "Adresse invalide : caractères non autorisés.")
    return path


def clean_repo_path(path: str) -> str:
    """A file or folder path of the repository, relative, without `.`/`..`/empty segments."""
    parts = path.split("/")
    if path.startswith("/") or any(p in ("", ".", "..") for p in parts):
        raise Refused(REFUSED, f"Chemin refusé : « {path} ».")
    return path


def readable(path: str, slugs: tuple[str, ...], everything: bool) -> bool:
    """Whether the scope may read `path` (a file or a folder)."""
    if everything and (path == ROOT or path.startswith(ROOT + "/")):
        return True
    return any(path == f"{ROOT}/{slug}" or path.startswith(f"{ROOT}/{slug}/") for slug in slugs)


def writable(path: str, slugs: tuple[str, ...]) -> str | None:
    """What `path` is for the scope ("territory", "placement", "page", "image"), or None."""
    for slug in slugs:
        folder = f"{ROOT}/{slug}/"
        if not path.startswith(folder):
            continue
        rest = path[len(folder) :]
        if rest == "territory.yaml":
            return "territory"
        for kind, pattern in (
            ("placement", "placements/" + _MARKDOWN_NAME),
            ("page", "pages/" + _MARKDOWN_NAME),
            ("image", "images/" + _IMAGE_NAME),
        ):
            if re.fullmatch(pattern, rest, re.IGNORECASE if kind == "image" else 0):
                return kind
    return None


def outside_message(path: str, slugs: tuple[str, ...]) -> str:
    """Why a path may not be written, naming the folder that may be."""
    where = f"{ROOT}/{slugs[0]}/" if len(slugs) == 1 else f"{ROOT}/<territoire>/"
    return (
        f"« {path} » ne peut pas être modifié depuis l'éditeur : seuls territory.yaml, "
        f"placements/*.md, pages/*.md et images/ du dossier {where} le peuvent."
    )


def editor_branch(branch: str, slugs: tuple[str, ...]) -> bool:
    """Whether `branch` is one of Decap's branches of the scope's collections."""
    collections = "|".join(re.escape(slug + suffix) for slug in slugs for suffix in _SUFFIXES)
    return bool(collections) and re.fullmatch(rf"cms/(?:{collections})/{_NAME}", branch) is not None


def is_sha(text: str) -> bool:
    return SHA.fullmatch(text) is not None
