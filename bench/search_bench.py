"""The cost of the national catalogue and of the search index, at a few corpus sizes.

    python bench/search_bench.py [--sizes 100 1000] [--baseline OTHER_CHECKOUT]

For each size N it writes N synthetic territories (bench/corpus.py), builds them once without
the search index (TERRITORIES_SEARCH=false), then runs Pagefind over the output as `make html`
does, each as a child process; it reports both times, the pages written (the national ones
apart), the pages indexed and the index's size: all of it, without Pagefind's unused UI
files, and what a first search downloads (script, WebAssembly, metadata, one index chunk).
With --baseline, the same corpus (from that checkout's corpus.py) is built once by that
checkout (e.g. `git archive main | tar -x -C /tmp/main`), to give the catalogue's own cost.
One run each: the figures are rough on a shared machine.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import CORPUS_TODAY, write_corpus
from harness import PELICAN, fresh_dir, html_pages, note, our_build_cmd, run_measured

NATIONAL = ("offres", "aides", "recherche", "alertes")
UI_FILES = ("pagefind-ui", "pagefind-component-ui", "pagefind-modular-ui", "pagefind-highlight")


def folder_bytes(folder: Path, skip=()) -> int:
    return sum(
        p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.name.startswith(skip)
    )


def first_search_bytes(bundle: Path) -> int:
    """pagefind.js, the French WebAssembly, the metadata and a median index chunk."""
    chunks = sorted(p.stat().st_size for p in (bundle / "index").iterdir())
    fixed = ["pagefind.js", "wasm.fr.pagefind"]
    meta = next(bundle.glob("pagefind.*.pf_meta")).stat().st_size
    return sum((bundle / f).stat().st_size for f in fixed) + meta + int(statistics.median(chunks))


def baseline_build(checkout: Path, size: int, work: Path):
    """The Measure of the other checkout's build of its own corpus of `size` territories."""
    corpus = work / f"baseline-corpus-{size}"
    subprocess.run(
        [sys.executable, str(checkout / "bench" / "corpus.py"), str(size), str(corpus)],
        check=True,
        capture_output=True,
    )
    output = fresh_dir(work / f"baseline-output-{size}")
    settings = {
        "TERRITORIES_PATH": str(corpus),
        "OUTPUT_PATH": str(output),
        "FORMS_CATALOGUE_PATH": str(work / f"baseline-{size}-catalogue.json"),
        "TERRITORIES_TODAY": CORPUS_TODAY,
    }
    pairs = [f"{key}={json.dumps(value)}" for key, value in settings.items()]
    env = dict(os.environ, PYTHONPATH=f"{checkout / 'plugins'}{os.pathsep}{checkout / 'functions'}")
    command = [PELICAN, "--settings", str(checkout / "pelicanconf.py"), "-e", *pairs]
    return run_measured(command, cwd=checkout, env=env)


def measure(size: int, work: Path, baseline: Path | None) -> dict:
    corpus = work / f"corpus-{size}"
    note(f"{size} territoires : corpus…")
    write_corpus(size, corpus)
    output = fresh_dir(work / f"output-{size}")
    note(f"{size} territoires : construction sans index…")
    build = run_measured(our_build_cmd(corpus, output, {"TERRITORIES_SEARCH": False}))
    note(f"{size} territoires : index Pagefind…")
    index = run_measured([sys.executable, "-m", "pagefind", "--site", str(output), "--silent"])
    bundle = output / "pagefind"
    pages = html_pages(output)
    result = {
        "size": size,
        "build_s": round(build.wall_s, 1),
        "build_cpu_s": round(build.cpu_s, 1),  # less disturbed than wall time by other load
        "index_s": round(index.wall_s, 1),
        "index_cpu_s": round(index.cpu_s, 1),
        "index_peak_mib": round(index.peak_rss_mib),
        "pages": len(pages),
        "national_pages": sum(p.relative_to(output).parts[0] in NATIONAL for p in pages),
        "indexed_pages": json.loads((bundle / "pagefind-entry.json").read_text())["languages"][
            "fr"
        ]["page_count"],
        "bundle_mib": round(folder_bytes(bundle) / 2**20, 1),
        "index_mib": round(folder_bytes(bundle, UI_FILES) / 2**20, 1),
        "first_search_kib": round(first_search_bytes(bundle) / 1024),
    }
    if baseline:
        note(f"{size} territoires : construction de référence…")
        reference = baseline_build(baseline, size, work)
        result["baseline_build_s"] = round(reference.wall_s, 1)
        result["baseline_build_cpu_s"] = round(reference.cpu_s, 1)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--baseline", type=Path, help="another checkout to build the same sizes")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="search-bench-") as tmp:
        results = [measure(n, Path(tmp), args.baseline) for n in args.sizes]
    for result in results:
        print(json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    sys.exit(main())
