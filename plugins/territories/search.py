"""Full-text search with Pagefind: which pages are indexed, their filters, and the index run.

Pagefind indexes the built HTML after Pelican has written it (`finalized` signal), into
`output/pagefind/`, for the whole site as for a standalone territory. A page is indexed when
its <main> carries `data-pagefind-body`: the pages that say something of their own (landings,
placements, aids, free pages, welcomers, pack, the operator's pages). Lists and filter pages
only repeat the titles of the placements they link to, so they are left out of the results.
Filters (`data-pagefind-filter`) let the results be narrowed by territory and profession.
"""

from __future__ import annotations

import logging
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .pages import Output
from .settings import with_defaults

log = logging.getLogger(__name__)

BUNDLE = "pagefind"  # output/pagefind/: Pagefind's script, its index and its fragments
# The templates of the pages worth finding (aids: only the unfiltered list).
INDEXED = {
    "territory.html",
    "offre.html",
    "territory_page.html",
    "welcomers.html",
    "pack.html",
    "aides.html",
}


def page_filters(output: Output, site) -> dict[str, list[str]] | None:
    """A territory page's search filters, or None when the page is not indexed."""
    if site is None or output.template not in INDEXED or output.values.get("filter"):
        return None
    found = {"territoire": [site.territory.name]}
    placement = output.values.get("placement")
    if placement is not None:
        found["profession"] = [placement.profession]
        found["type"] = [placement.kind]
    found.update(output.values.get("search") or {})
    return found


def index(output_path: Path) -> float:
    """Run Pagefind over the built site into output/pagefind/; returns the seconds it took."""
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="pagefind-") as fresh:
        command = [
            sys.executable,
            "-m",
            "pagefind",
            "--site",
            str(output_path),
            "--output-path",
            fresh,
            "--silent",
        ]
        result = subprocess.run(command, capture_output=True, text=True)
        if result.returncode != 0:
            raise SystemExit(
                f"L'index de recherche (Pagefind) n'a pas pu être construit :\n{result.stderr}"
            )
        sync(Path(fresh), output_path / BUNDLE)
    return time.perf_counter() - started


def sync(fresh: Path, bundle: Path) -> None:
    """Make `bundle` hold exactly the files of `fresh`, rewriting only those that changed.

    Pagefind names its fragments by their hash and never removes old ones; an index written in
    place would keep growing, and rewriting it whole would upload it whole at every deploy.
    """
    wanted = {p.relative_to(fresh): p for p in fresh.rglob("*") if p.is_file()}
    if bundle.is_dir():
        for path in sorted(bundle.rglob("*"), reverse=True):
            rel = path.relative_to(bundle)
            if path.is_file() and rel not in wanted:
                path.unlink()
            elif path.is_dir() and not any(path.iterdir()):
                path.rmdir()
    for rel, source in wanted.items():
        target = bundle / rel
        data = source.read_bytes()
        if not target.is_file() or target.read_bytes() != data:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)


def on_finalized(pelican) -> None:
    """Index the site Pelican just wrote (setting TERRITORIES_SEARCH, on by default)."""
    if not with_defaults(pelican.settings)["TERRITORIES_SEARCH"]:
        return
    seconds = index(Path(pelican.output_path))
    log.info("index de recherche construit en %.2f s", seconds)
