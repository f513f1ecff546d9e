"""Rebuild times after one small change, and determinism of our build.

    python bench/incremental_bench.py [--size 100] [--runs 3] [--no-check] [-e KEY=JSON ...]

After a full build of a synthetic corpus it times `pelican` from start to exit (a new process,
as an editor runs it), on the same output folder:
- a no-op rebuild (nothing changed), twice: the first after a build that began within 2 s of
  an edit (the launcher then distrusts the files edited in that window and runs Pelican, as git
  does with "racy" files), the second once that state is settled — what a second `make html`
  in a row costs;
- the rebuild after one placement of one territory is edited (title and body);
- the rebuild after one placement is deleted;
- the rebuild after a territory is added, then after it is removed;
- the rebuild after a template of the theme changes (on a copy of theme/, never the real one).
Each rebuild is checked against a clean build of the same input: the site is "correct again"
only if both trees are byte-identical. Two clean builds of the same input are compared too
(determinism: a no-op deploy must upload nothing). `--no-check` skips those comparisons (at
1,000 territories each costs a cold build; the tests and a run at 100 check correctness).
`-e` passes extra settings to every build, e.g. a cache switch, so the figures follow whatever
rebuild strategy the build offers. Each rebuild's CPU time and peak memory (largest process)
are reported beside its wall time.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import write_corpus
from harness import ROOT, SCRATCH, Measure, fresh_dir, note, our_build_cmd, run_measured

CHANGE_MARK = "Mise à jour du banc de mesure"


def tree_digest(root: Path) -> dict[str, bytes]:
    """Every output file by relative path with its bytes, and every folder."""
    # Folders count: an empty one left behind by a removal is a difference.
    return {
        str(p.relative_to(root)): p.read_bytes() if p.is_file() else b"<dossier>"
        for p in sorted(root.rglob("*"))
    }


def differences(a: Path, b: Path) -> list[str]:
    """Relative paths that differ between two trees (missing on one side included)."""
    ta, tb = tree_digest(a), tree_digest(b)
    return sorted(k for k in ta.keys() | tb.keys() if ta.get(k) != tb.get(k))


def pages_with(root: Path, text: str) -> int:
    """How many HTML pages contain `text` (proof that an edit reached the output)."""
    return sum(text in p.read_text("utf-8") for p in root.rglob("*.html"))


class Bench:
    """One corpus, one theme copy, one output folder, and the builds run against them."""

    def __init__(self, work: Path, size: int, extra: dict):
        self.work = work
        self.corpus = work / "territories"
        self.theme = work / "theme"
        self.extra = {"THEME": str(self.theme), **extra}
        write_corpus(size, self.corpus)
        shutil.copytree(ROOT / "theme", self.theme)

    def build(self, output: Path) -> Measure:
        """Build into `output` (kept as it is: what an incremental build starts from)."""
        return run_measured(our_build_cmd(self.corpus, output, self.extra))

    def clean_build(self, name: str) -> Path:
        """A build from an empty folder, the reference a rebuild must equal."""
        output = fresh_dir(self.work / name)
        self.build(output)
        return output

    def edit_placement(self, run: int) -> Path:
        """Change the title and body of one placement of the middle territory."""
        territories = sorted(p for p in self.corpus.iterdir() if p.is_dir())
        placement = sorted((territories[len(territories) // 2] / "placements").glob("*.md"))[0]
        text = placement.read_text("utf-8")
        head, front, body = text.split("---\n", 2)
        front = "".join(
            f'title: "{CHANGE_MARK} {run}"\n' if line.startswith("title:") else line + "\n"
            for line in front.splitlines()
        )
        placement.write_text(f"{head}---\n{front}---\n{body}\n{CHANGE_MARK} {run}.\n", "utf-8")
        return placement

    def territories(self) -> list[Path]:
        return sorted(p for p in self.corpus.iterdir() if p.is_dir())

    def remove_placement(self, run: int) -> Path:
        """Delete the first placement of a territory a quarter of the way down the list."""
        territories = self.territories()
        placement = sorted((territories[len(territories) // 4] / "placements").glob("*.md"))[0]
        placement.unlink()
        return placement

    def add_territory(self, run: int) -> Path:
        """A new territory folder (a copy of the first one under another name)."""
        added = self.corpus / f"zz-nouveau-{run}"
        shutil.copytree(self.territories()[0], added)
        return added

    def remove_territory(self, run: int) -> Path:
        """Remove the territory `add_territory` added."""
        removed = self.corpus / f"zz-nouveau-{run}"
        shutil.rmtree(removed)
        return removed

    def edit_template(self, run: int) -> Path:
        """Add a comment to the theme's base template (on the copy)."""
        base = next(iter(sorted(self.theme.rglob("base.html"))), None) or next(
            iter(sorted(self.theme.rglob("*.html")))
        )
        # An HTML comment after the last block: every page's bytes change, as with a real edit.
        base.write_text(base.read_text("utf-8") + f"<!-- {CHANGE_MARK} {run} -->\n", "utf-8")
        return base


def timed_rebuilds(bench: Bench, output: Path, runs: int, check: bool) -> dict[str, list]:
    """No-op, placement and template rebuilds, `runs` times each; checks each is correct."""
    edits = (
        ("aucun changement", None),
        ("aucun changement, une seconde fois", None),
        ("une offre modifiée", bench.edit_placement),
        ("une offre supprimée", bench.remove_placement),
        ("un territoire ajouté", bench.add_territory),
        ("un territoire supprimé", bench.remove_territory),
        ("un gabarit (base.html)", bench.edit_template),
    )
    times: dict[str, list] = {label: [] for label, _ in edits}
    for run in range(runs):
        for label, edit in edits:
            if edit:
                edit(run)
            times[label].append(bench.build(output))
            wrong = differences(output, bench.clean_build("reference")) if check else []
            marked = edit in (bench.edit_placement, bench.edit_template)
            status = "correct" if not wrong else f"{len(wrong)} fichiers faux : {wrong[:3]}"
            status = status if check else "non vérifié"
            if marked:
                count = pages_with(output, f"{CHANGE_MARK} {run}")
                status += f", {count} pages portent le changement"
            m = times[label][-1]
            note(
                f"  {label} (essai {run + 1}) : {m.wall_s:.2f} s (CPU {m.cpu_s:.2f} s, "
                f"RSS max {m.peak_rss_mib:.0f} Mio), {status}"
            )
            if wrong:
                times.setdefault(f"{label} — site FAUX", []).append(len(wrong))
    return times


def standalone_builds(bench: Bench, runs: int) -> list[Measure]:
    """A cold build of one territory alone, as `make html TERRITORY=<slug>` (editor preview)."""
    slug = sorted(p.name for p in bench.corpus.iterdir() if p.is_dir())[0]
    extra = {**bench.extra, "TERRITORY": slug}
    return [
        run_measured(our_build_cmd(bench.corpus, fresh_dir(bench.work / "alone"), extra))
        for _ in range(runs)
    ]


def main(argv: list[str] | None = None) -> int:
    """Command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100, help="nombre de territoires")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-check", action="store_true", help="sans comparer à un build propre")
    parser.add_argument("-e", "--extra", action="append", default=[], metavar="KEY=JSON")
    args = parser.parse_args(argv)
    extra = {k: json.loads(v) for k, v in (item.split("=", 1) for item in args.extra)}
    with tempfile.TemporaryDirectory(prefix="bench-incr-", dir=SCRATCH) as tmp:
        bench = Bench(Path(tmp), args.size, extra)
        wrong = []
        if not args.no_check:
            first, second = bench.clean_build("det-a"), bench.clean_build("det-b")
            wrong = differences(first, second)
        # The folder rebuilt in place starts from a cold full build of its own (with its cache).
        output = fresh_dir(bench.work / "site")
        full = bench.build(output)
        times = timed_rebuilds(bench, output, args.runs, not args.no_check)
        times["un territoire seul (TERRITORY=…)"] = standalone_builds(bench, args.runs)
    print_report(args.size, full, times, wrong, args.runs, not args.no_check)
    return 0 if not wrong and not any("FAUX" in k for k in times) else 1


def print_report(size: int, full: Measure, times: dict, wrong: list, runs: int, check: bool):
    """Plain figures and a Markdown table."""
    print(
        f"N={size} territoires ; build complet à froid : {full.wall_s:.2f} s "
        f"(CPU {full.cpu_s:.2f} s, RSS max {full.peak_rss_mib:.0f} Mio)"
    )
    if check:
        print(
            f"Déterminisme : {len(wrong)} fichier(s) différent(s) entre deux builds propres"
            + (f" (ex. {', '.join(wrong[:5])})" if wrong else "")
        )
    print(
        "\n| changement | reconstruction (s, médiane) | CPU (s) | RSS max (Mio) "
        "| site correct ensuite |"
    )
    print("|---|---:|---:|---:|---|")
    for label, values in times.items():
        if "FAUX" in label:
            continue
        correct = "non" if f"{label} — site FAUX" in times else "oui"
        correct = correct if check else "non vérifié"
        correct = "—" if "TERRITORY" in label else correct  # another site: nothing to compare
        wall = statistics.median(m.wall_s for m in values)
        cpu = statistics.median(m.cpu_s for m in values)
        rss = max(m.peak_rss_mib for m in values)
        print(f"| {label} | {wall:.2f} | {cpu:.2f} | {rss:.0f} | {correct} |")
    compared = "chaque reconstruction comparée à un build propre" if check else "sans comparaison"
    print(f"\nMédianes sur {runs} essais ; {compared}.")


if __name__ == "__main__":
    sys.exit(main())
