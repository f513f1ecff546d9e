"""Build the same corpus with our build, stock Pelican and Hugo, in one run, and compare.

    python bench/build_bench.py [--sizes 10 100] [--runs 3] [--only ours pelican hugo]

For each size N it writes N synthetic territories (bench/corpus.py), converts them once to
plain markdown pages for the baselines (bench/baselines.py), then runs each build `--runs`
times, cold (fresh output folder, no cache), each as a child process so its CPU time and peak
memory are its own. Medians are printed, then the ratios, then a Markdown table.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from baselines import corpus_pages, write_hugo_site, write_pelican_site
from corpus import write_corpus
from harness import (
    HUGO,
    PELICAN,
    SCRATCH,
    BuildFailed,
    Measure,
    fresh_dir,
    html_pages,
    median_measure,
    note,
    our_build_cmd,
    run_measured,
)

BUILDS = ("ours", "pelican", "hugo")
LABELS = {"ours": "notre build", "pelican": "Pelican (thème par défaut)", "hugo": "Hugo 0.111"}


@dataclass(frozen=True)
class Result:
    """The median figures of one build at one size."""

    build: str
    size: int
    measure: Measure
    pages: int
    best_wall_s: float  # the fastest run: the least disturbed by other load on the machine

    @property
    def pages_per_s(self) -> float:
        """HTML pages written per second of wall time."""
        return self.pages / self.measure.wall_s


def commands(build: str, work: Path, corpus: Path, output: Path) -> list[str]:
    """The command line of one build, writing to `output`."""
    if build == "ours":
        return our_build_cmd(corpus, output)
    if build == "pelican":
        return [
            PELICAN,
            "--settings",
            str(work / "pelican-site" / "pelicanconf.py"),
            "--fatal",
            "errors",
        ]
    return [
        HUGO,
        "--quiet",
        "-s",
        str(work / "hugo-site"),
        "-d",
        str(output),
        "--cacheDir",
        str(work / "hugo-cache"),
        "--noBuildLock",
    ]


def prepare(size: int, work: Path) -> Path:
    """Write the corpus and both baseline sites; return the corpus folder."""
    corpus = work / "territories"
    write_corpus(size, corpus)
    pages = corpus_pages(corpus)
    write_pelican_site(pages, work / "pelican-site", work / "out-pelican")
    write_hugo_site(pages, work / "hugo-site")
    note(f"N={size}: corpus écrit, {len(pages)} pages markdown pour les références")
    return corpus


def run_once(build: str, work: Path, corpus: Path) -> Measure:
    """One cold build from a fresh output folder (and a fresh Hugo cache)."""
    output = fresh_dir(work / f"out-{build}")
    fresh_dir(work / "hugo-cache")
    return run_measured(commands(build, work, corpus, output))


def bench_size(size: int, runs: int, builds: tuple[str, ...]) -> list[Result]:
    """Every build at one size, in the same temporary folder (removed afterwards).

    Runs go round-robin (ours, Pelican, Hugo, ours…) so a burst of load on the shared machine
    hits every build alike instead of skewing one of them.
    """
    with tempfile.TemporaryDirectory(prefix=f"bench-build-{size}-", dir=SCRATCH) as tmp:
        work = Path(tmp)
        corpus = prepare(size, work)
        measures: dict[str, list[Measure]] = {build: [] for build in builds}
        for run in range(runs):
            for build in list(measures):
                try:
                    measures[build].append(run_once(build, work, corpus))
                except BuildFailed as error:
                    note(f"  {build} N={size} : échec\n{error}")
                    del measures[build]
                    continue
                note(f"  {build} N={size} run {run + 1}/{runs}: {measures[build][-1].wall_s:.2f} s")
        return [
            Result(
                build,
                size,
                median_measure(ms),
                len(html_pages(work / f"out-{build}")),
                min(m.wall_s for m in ms),
            )
            for build, ms in measures.items()
        ]


def ratio(results: list[Result], a: str, b: str) -> str:
    """Wall-time ratio a/b at one size, and the same per page (page counts may differ)."""
    by = {r.build: r for r in results}
    if a not in by or b not in by:
        return "n/a"
    wall = by[a].measure.wall_s / by[b].measure.wall_s
    best = by[a].best_wall_s / by[b].best_wall_s
    cpu = by[a].measure.cpu_s / by[b].measure.cpu_s
    per_page = by[b].pages_per_s / by[a].pages_per_s
    return f"{wall:.2f}× (meilleurs essais {best:.2f}×, CPU {cpu:.2f}×, par page {per_page:.2f}×)"


def print_report(results: list[Result], runs: int) -> None:
    """Plain lines, ratios, then the Markdown table for docs/benchmarks.md."""
    for r in results:
        m = r.measure
        print(
            f"N={r.size:<4} {r.build:<8} mur {m.wall_s:6.2f} s  CPU {m.cpu_s:6.2f} s  "
            f"RSS max {m.peak_rss_mib:6.0f} Mio  {r.pages:5d} pages  {r.pages_per_s:7.0f} pages/s"
        )
    for size in sorted({r.size for r in results}):
        at = [r for r in results if r.size == size]
        print(
            f"N={size}: nous/Pelican {ratio(at, 'ours', 'pelican')} ; "
            f"nous/Hugo {ratio(at, 'ours', 'hugo')}"
        )
    print(
        "\n| N | build | mur (s) | meilleur essai (s) | CPU (s) | RSS max (Mio) | pages HTML "
        "| pages/s |"
    )
    print("|---:|---|---:|---:|---:|---:|---:|---:|")
    for r in results:
        m = r.measure
        print(
            f"| {r.size} | {LABELS[r.build]} | {m.wall_s:.2f} | {r.best_wall_s:.2f} "
            f"| {m.cpu_s:.2f} | {m.peak_rss_mib:.0f} | {r.pages} | {r.pages_per_s:.0f} |"
        )
    print(f"\nMédianes sur {runs} exécutions à froid.")


def main(argv: list[str] | None = None) -> int:
    """Command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 100])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--only", nargs="+", choices=BUILDS, default=list(BUILDS))
    args = parser.parse_args(argv)
    results = [r for size in args.sizes for r in bench_size(size, args.runs, tuple(args.only))]
    print_report(results, args.runs)
    return 0 if len(results) == len(args.sizes) * len(args.only) else 1


if __name__ == "__main__":
    sys.exit(main())
