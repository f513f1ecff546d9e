"""Where our build spends its time: cProfile of one cold build of a synthetic corpus.

    python bench/profile_build.py [--size 10] [--top 25] [--save build.prof]

Runs Pelican in this process (same settings as `make html`, pointed at a temporary corpus and
output folder) under cProfile, then prints the functions with the most cumulative time and the
most own time, grouped so that the big stages stand out (markdown, Jinja, YAML, writing…).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import CORPUS_TODAY, write_corpus
from harness import ROOT

# Substrings of file paths that name a stage of the build, for the summary by stage.
STAGES = (
    ("markdown (Python-Markdown)", "/markdown/"),
    ("Jinja (templates)", "/jinja2/"),
    ("YAML", "/yaml/"),
    ("our plugin", "/plugins/territories/"),
    ("Pelican", "/pelican/"),
    ("e-mail / phone validators", "email_validator"),
    ("phonenumbers", "/phonenumbers/"),
    ("C built-ins (re, str, I/O…)", "~"),
    ("standard library", "/lib/python3"),
)


def profiled_build(size: int) -> pstats.Stats:
    """One cold build under cProfile."""
    sys.path[:0] = [str(ROOT / "plugins"), str(ROOT / "functions")]
    os.chdir(ROOT)  # PLUGIN_PATHS and THEME are relative to the project
    from pelican import Pelican
    from pelican.settings import read_settings

    from territories import parallel

    # cProfile sees only its own process: one process does all the work, as before the
    # build used two (the wall time of a real build is build_bench.py's to measure).
    parallel.cores = lambda: 1

    with tempfile.TemporaryDirectory(prefix="bench-prof-") as tmp:
        write_corpus(size, Path(tmp) / "territories")
        override = {
            "TERRITORIES_PATH": str(Path(tmp) / "territories"),
            "OUTPUT_PATH": str(Path(tmp) / "output"),
            "FORMS_CATALOGUE_PATH": str(Path(tmp) / "catalogue.json"),
            "TERRITORIES_TODAY": CORPUS_TODAY,
        }
        profiler = cProfile.Profile()
        profiler.enable()
        Pelican(read_settings(str(ROOT / "pelicanconf.py"), override=override)).run()
        profiler.disable()
    return pstats.Stats(profiler)


def own_time_by_stage(stats: pstats.Stats) -> list[tuple[str, float]]:
    """Own (tottime) seconds summed by stage, largest first."""
    totals: dict[str, float] = {}
    for (filename, _, _), (_, _, tottime, _, _) in stats.stats.items():
        stage = next((name for name, marker in STAGES if marker in filename), "other")
        totals[stage] = totals.get(stage, 0.0) + tottime
    return sorted(totals.items(), key=lambda kv: -kv[1])


def main(argv: list[str] | None = None) -> int:
    """Command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=10)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--save", type=Path, help="write the raw profile (for snakeviz…)")
    args = parser.parse_args(argv)
    stats = profiled_build(args.size)
    if args.save:
        stats.dump_stats(args.save)
    total = sum(v for _, v in own_time_by_stage(stats))
    print(f"N={args.size} : {total:.2f} s de CPU profilé\n\n| étape | temps propre (s) | part |")
    print("|---|---:|---:|")
    for stage, seconds in own_time_by_stage(stats):
        print(f"| {stage} | {seconds:.2f} | {100 * seconds / total:.0f} % |")
    for key in ("cumulative", "tottime"):
        buffer = io.StringIO()
        stats.stream = buffer
        stats.sort_stats(key).print_stats(args.top)
        print(f"\n## Tri par {key}\n")
        print("\n".join(buffer.getvalue().splitlines()[6:]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
