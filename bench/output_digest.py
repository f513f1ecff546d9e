"""The hash of every file a build writes, to prove an optimisation changed no byte of output.

    python bench/output_digest.py [--size 100] > before.txt     # on the old code
    python bench/output_digest.py [--size 100] --compare before.txt   # on the new code

Builds the repository's own territories and a synthetic corpus of `--size` territories
(bench/corpus.py), each cold into a temporary folder, and prints one line per output file
(`<blake2b> <build>/<path>`), the forms catalogue included. With `--compare` it prints the
files that differ from a saved listing and exits 1 if there is any.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import write_corpus
from harness import ROOT, SCRATCH, fresh_dir, note, our_build_cmd, run_measured


def tree_lines(label: str, root: Path) -> list[str]:
    """`<hash> <label>/<relative path>` for every file under `root`, sorted."""
    return [
        f"{hashlib.blake2b(p.read_bytes(), digest_size=16).hexdigest()} {label}/"
        f"{p.relative_to(root).as_posix()}"
        for p in sorted(root.rglob("*"))
        if p.is_file()
    ]


def build_lines(label: str, territories: Path, work: Path, extra: dict | None = None) -> list:
    """Build `territories` cold; the listing of its output folder and catalogue."""
    output = fresh_dir(work / f"out-{label}")
    run_measured(our_build_cmd(territories, output, extra))
    catalogue = output.parent / f"{output.name}-catalogue.json"
    digest = hashlib.blake2b(catalogue.read_bytes(), digest_size=16).hexdigest()
    return [*tree_lines(label, output), f"{digest} {label}-catalogue.json"]


def listing(size: int) -> list[str]:
    """The listing of both builds."""
    with tempfile.TemporaryDirectory(prefix="bench-digest-", dir=SCRATCH) as tmp:
        work = Path(tmp)
        # The real territories are built with the corpus's date too: the same output whatever
        # day this runs (placements past that date would otherwise disappear).
        lines = build_lines("territories", ROOT / "territories", work)
        note(f"territoires du dépôt : {len(lines)} fichiers")
        write_corpus(size, work / "corpus")
        lines += build_lines(f"corpus-{size}", work / "corpus", work)
        note(f"corpus N={size} : {len(lines)} fichiers en tout")
    return lines


def main(argv: list[str] | None = None) -> int:
    """Command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100)
    parser.add_argument("--compare", type=Path, help="a listing saved earlier")
    args = parser.parse_args(argv)
    lines = listing(args.size)
    if not args.compare:
        print("\n".join(lines))
        return 0
    before = set(args.compare.read_text("utf-8").splitlines())
    changed = sorted({line.split(" ", 1)[1] for line in before.symmetric_difference(lines)})
    for path in changed:
        print(f"différent : {path}")
    print(f"{len(changed)} fichier(s) différent(s) sur {len(lines)}")
    return 1 if changed else 0


if __name__ == "__main__":
    sys.exit(main())
