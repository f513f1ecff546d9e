"""Rebuild only what changed: per-territory fingerprints, cached models, a manifest of outputs.

A territory is reloaded when the hash of its folder's files changed (files whose mtime and size
are unchanged since the last build are not reread), and re-rendered when it was reloaded or
when anything every page depends on changed (theme, settings, build date, plugin code). The
manifest lists the files each territory produced with their hashes, so a rebuild rewrites only
files whose bytes changed and removes those a territory no longer produces.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import time
from dataclasses import dataclass, field
from pathlib import Path
from stat import S_ISLNK, S_ISREG

import pelican

FORMAT = 3  # 2: each territory's summary and catalogue entry; 3: bulky parts packed as text
# Per territory, what only a re-render or a full rewrite reads is kept as one JSON text each:
# parsing a long string costs next to nothing, parsing 50,000 small objects does (a rebuild
# at 1,000 territories reads the whole manifest).
PACKED = ("outputs", "sitemap")
MANIFEST = "manifest.json"
SHARED = ""  # manifest key of the site-wide files (home page, sitemap, robots.txt)
# A file modified this close to the build may change again within the same mtime tick: its
# recorded stat is blanked so that the next build rereads it (git's "racy clean" rule).
RACY_NS = 2_000_000_000
PLUGIN_DIR = Path(__file__).parent


def digest(data: bytes) -> str:
    """A short content hash (BLAKE2b is the fastest of hashlib's secure hashes)."""
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def cache_dir(settings, output_path: str) -> Path:
    """TERRITORIES_CACHE_PATH, or `.<output>-cache/` beside the output folder (never inside)."""
    output = Path(output_path).resolve()
    configured = settings.get("TERRITORIES_CACHE_PATH")
    if not configured:
        return output.parent / f".{output.name}-cache"
    # One configured folder may serve several output folders: one sub-folder each.
    return Path(configured) / digest(str(output).encode())


def tree_hash(paths: list[Path]) -> str:
    """The hash of every file under `paths` (names and bytes), in a stable order."""
    h = hashlib.blake2b(digest_size=16)
    for top in paths:
        for path in sorted(p for p in Path(top).rglob("*") if p.is_file()):
            if "__pycache__" in path.parts:
                continue
            h.update(path.relative_to(top).as_posix().encode() + b"\0" + path.read_bytes())
    return h.hexdigest()


def stable_settings(settings) -> str:
    """Settings as text, leaving out values whose repr holds a memory address."""
    items = ((key, repr(settings[key])) for key in sorted(settings))
    return "\n".join(f"{k}={v}" for k, v in items if " at 0x" not in v)


def content_key(root: Path) -> str:
    """What loading depends on besides the folder: plugin code, versions, paths."""
    parts = [FORMAT, pelican.__version__, os.getcwd(), str(root.resolve())]
    return digest((json.dumps(parts) + tree_hash([PLUGIN_DIR])).encode())


def render_key(settings, theme: str, extra: list) -> str:
    """What every page depends on besides its territory: theme, settings, build date…"""
    text = stable_settings(settings) + json.dumps(extra, default=str) + tree_hash([Path(theme)])
    return digest(text.encode())


def fingerprint(
    folder: Path, known: dict, now_ns: int, known_digest: str | None = None
) -> tuple[str, dict]:
    """The folder's content hash and its files' [mtime_ns, size, hash], rereading changed ones.

    When every file has the mtime and size recorded with `known_digest`, that is the hash: a
    rebuild stats each file and hashes nothing (30,000 files at 1,000 territories).
    """
    files = {}
    same = True
    if os.path.islink(folder):  # refused by the loader: never walked into
        return digest(b"link:" + os.fsencode(os.readlink(folder))), files
    for rel, path, stat in walk(str(folder), ""):
        old = known.get(rel)
        if S_ISLNK(stat.st_mode):
            # A link is never followed (it may point at /proc/self/environ): its target's name
            # is hashed, so that adding one makes the loader look, and refuse it.
            sha = digest(b"link:" + os.fsencode(os.readlink(path)))
        elif old and old[0] == stat.st_mtime_ns and old[1] == stat.st_size:
            files[rel] = old
            continue
        else:
            with open(path, "rb") as file:
                sha = digest(file.read())
        same = False
        mtime = stat.st_mtime_ns if now_ns - stat.st_mtime_ns > RACY_NS else 0
        files[rel] = [mtime, stat.st_size, sha]
    if same and known_digest and len(files) == len(known):
        return known_digest, files
    whole = digest("\n".join(f"{rel} {v[2]}" for rel, v in sorted(files.items())).encode())
    return whole, files


def walk(path: str, prefix: str):
    """(relative name, path, stat) of every file and symbolic link under `path`, unsorted."""
    # os.scandir and strings: Path objects cost more than the stat itself here; the file's kind
    # is read from the stat a rebuild needs anyway.
    with os.scandir(path) as entries:
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                yield from walk(entry.path, prefix + entry.name + "/")
                continue
            stat = entry.stat(follow_symlinks=False)
            if S_ISREG(stat.st_mode) or S_ISLNK(stat.st_mode):
                yield prefix + entry.name, entry.path, stat


@dataclass
class Plan:
    """Which territories to reload, which to re-render, which disappeared."""

    folders: dict[str, Path]
    reload: list[str] = field(default_factory=list)
    render: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    # Territories whose files on disk may not be what the manifest says (output wiped).
    untrusted: set[str] = field(default_factory=set)
    fingerprints: dict[str, tuple[str, dict]] = field(default_factory=dict)


class Cache:
    """The manifest and the pickled models of one output folder."""

    def __init__(self, folder: Path, output: Path):
        self.folder = folder
        self.output = output
        self.manifest = self.read()

    def read(self) -> dict:
        """The last successful build's manifest, or an empty one."""
        try:
            manifest = json.loads((self.folder / MANIFEST).read_text("utf-8"))
        except (OSError, ValueError):
            return {"territories": {}}
        return manifest if manifest.get("format") == FORMAT else {"territories": {}}

    def entry(self, slug: str) -> dict:
        return self.manifest["territories"].get(slug, {})

    def unpacked(self, slug: str, key: str, default):
        """A packed part of a territory's entry (PACKED), decoded."""
        value = self.entry(slug).get(key, default)
        return json.loads(value) if isinstance(value, str) else value

    def outputs(self, slug: str) -> dict[str, str]:
        """Output files (relative to the output folder) of a territory, with their hashes."""
        return self.unpacked(slug, "outputs", {})

    def sitemap(self, slug: str) -> list[str]:
        """The URLs of a territory's pages that the sitemap lists."""
        return self.unpacked(slug, "sitemap", [])

    def plan(self, folders: dict[str, Path], keys: tuple[str, str], full_render: bool) -> Plan:
        """Compare each folder's fingerprint and the build keys with the last build."""
        content, render = keys
        same_content = self.manifest.get("content_key") == content
        same_render = same_content and self.manifest.get("render_key") == render
        plan = Plan(folders)
        now = time.time_ns()
        for slug, folder in folders.items():
            entry = self.entry(slug)
            if not (same_content and entry.get("digest")):
                # Reloaded whatever its files: the worker that loads it takes its fingerprint
                # (a cold build reads each file once, on both cores).
                fresh = False
            else:
                files = entry.get("files", {})
                plan.fingerprints[slug] = fingerprint(folder, files, now, entry["digest"])
                fresh = entry["digest"] == plan.fingerprints[slug][0]
            if not (fresh and os.path.isfile(os.path.join(self.folder, f"{slug}.pickle"))):
                plan.reload.append(slug)
            if full_render or not self.sentinel_ok(slug):
                plan.untrusted.add(slug)
            if not fresh or not same_render or slug in plan.untrusted:
                plan.render.append(slug)
        if full_render or not self.sentinel_ok(SHARED):
            plan.untrusted.add(SHARED)
        plan.removed = sorted(set(self.manifest["territories"]) - set(folders) - {SHARED})
        return plan

    def sentinel_ok(self, slug: str) -> bool:
        """The territory's first output is still there (the output folder was not wiped)."""
        first = self.entry(slug).get("first")
        return bool(first) and os.path.isfile(os.path.join(self.output, first))

    def load_model(self, slug: str):
        return pickle.loads((self.folder / f"{slug}.pickle").read_bytes())

    def store_model(self, slug: str, data: bytes) -> None:
        """Keep a reloaded territory's pickled model (written by the process that loaded it)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        (self.folder / f"{slug}.pickle").write_bytes(data)

    def invalidate(self) -> None:
        """Forget the manifest before writing: a build that fails halfway leaves no stale hashes."""
        (self.folder / MANIFEST).unlink(missing_ok=True)

    def stats_changed(self, plan: Plan) -> bool:
        """Whether any file's recorded mtime or size changed (its content did not)."""
        return any(
            plan.fingerprints[slug][1] != self.entry(slug).get("files") for slug in plan.folders
        )

    def save(self, keys, plan: Plan, entries: dict[str, dict]) -> None:
        """Record this build: fingerprints and outputs (reloaded models are already stored)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        for slug in plan.removed:
            (self.folder / f"{slug}.pickle").unlink(missing_ok=True)
        territories = {
            slug: {
                **packed(entries.get(slug) or self.entry(slug)),
                "digest": plan.fingerprints[slug][0],
                "files": plan.fingerprints[slug][1],
            }
            for slug in plan.folders
        }
        territories[SHARED] = packed(entries.get(SHARED) or self.entry(SHARED))
        manifest = {
            "format": FORMAT,
            "content_key": keys[0],
            "render_key": keys[1],
            "territories": territories,
        }
        # Neither sorted nor ASCII-escaped: a rebuild at 1,000 territories writes and reads 10 MB.
        text = json.dumps(manifest, ensure_ascii=False)
        (self.folder / MANIFEST).write_text(text, "utf-8")
        self.manifest = manifest


def packed(entry: dict) -> dict:
    """A manifest entry with its PACKED parts as JSON text, and its first output named."""
    entry = dict(entry)
    outputs = entry.get("outputs")
    if isinstance(outputs, dict):
        entry["first"] = min(outputs, default="")
    for key in PACKED:
        if key in entry and not isinstance(entry[key], str):
            entry[key] = json.dumps(entry[key], sort_keys=True)
    return entry


def write_if_changed(output: str, rel: str, data: bytes, known: str | None, made: dict) -> str:
    """Write `data` to output/rel unless it already holds those bytes; returns their hash.

    `made` records the folders seen by this build, True for those it created: a file in one of
    them is new, written without looking for it first (5,000 files per 100 territories).
    """
    sha = digest(data)
    if known == sha:
        return sha
    path = os.path.join(output, rel)
    folder = os.path.dirname(path)
    if folder not in made:
        made[folder] = not os.path.isdir(folder)
        if made[folder]:
            os.makedirs(folder, exist_ok=True)
    if made[folder] or known is not None or not same_bytes(path, data):
        with open(path, "wb") as file:
            file.write(data)
    return sha


def same_bytes(path: str, data: bytes) -> bool:
    """Whether the file exists with exactly these bytes (size checked first, it is cheaper)."""
    try:
        if os.stat(path).st_size != len(data):
            return False
        with open(path, "rb") as file:
            return file.read() == data
    except OSError:
        return False


def remove_stale(output: Path, old: dict, new: dict) -> None:
    """Delete files listed before but not produced now, and folders left empty."""
    for rel in sorted(set(old) - set(new)):
        path = output / rel
        path.unlink(missing_ok=True)
        for parent in path.parents:
            if parent == output or not parent.is_relative_to(output):
                break
            try:
                parent.rmdir()
            except OSError:  # not empty (or already gone): stop climbing
                break
