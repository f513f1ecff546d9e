"""What every benchmark script shares: run a build as a child process and measure it."""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from corpus import CORPUS_TODAY

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"
PELICAN = str(VENV_BIN / "pelican") if (VENV_BIN / "pelican").exists() else "pelican"
PYTHON = str(VENV_BIN / "python") if (VENV_BIN / "python").exists() else sys.executable
HUGO = shutil.which("hugo") or "/usr/bin/hugo"
# Builds read and write in memory (tmpfs) when the machine has one, as the figures were
# taken: a disk's writeback would time the disk, not the builds.
SCRATCH = "/dev/shm" if os.access("/dev/shm", os.W_OK) else None


@dataclass(frozen=True)
class Measure:
    """One child process run: wall and CPU seconds, peak resident memory in MiB."""

    wall_s: float
    cpu_s: float
    peak_rss_mib: float


class BuildFailed(RuntimeError):
    """A build command exited with a non-zero status."""


def build_env() -> dict[str, str]:
    """The environment `make html` gives Pelican: our plugin and functions importable."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "plugins"), str(ROOT / "functions")])
    env.pop("TERRITORY", None)  # a standalone build would change the page count
    return env


def run_measured(cmd: list[str], cwd: Path = ROOT, env: dict | None = None) -> Measure:
    """Run `cmd`, wait for it with wait4 so its own rusage (CPU, peak RSS) is read."""
    # Flush what earlier builds left to write back, so it is not charged to this one.
    os.sync()
    start = time.perf_counter()
    if shutil.which(cmd[0]) is None:
        raise BuildFailed(f"{cmd[0]} introuvable (Hugo : apt-get install -y hugo)")
    proc = subprocess.Popen(
        cmd, cwd=cwd, env=env or build_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    # Read the output before waiting, or a chatty build would block on a full pipe.
    output = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        tail = output.decode(errors="replace")[-3000:]
        raise BuildFailed(f"{' '.join(cmd)} → code {proc.returncode}\n{tail}")
    # Linux reports ru_maxrss in KiB.
    return Measure(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024)


def our_build_cmd(territories: Path, output: Path, extra: dict | None = None) -> list[str]:
    """Our build, as `make html` runs it (the launcher, then Pelican), on another corpus."""
    overrides = {
        "TERRITORIES_PATH": str(territories),
        "OUTPUT_PATH": str(output),
        # Keep the real catalogue of the checkout untouched.
        "FORMS_CATALOGUE_PATH": str(output.parent / f"{output.name}-catalogue.json"),
        "TERRITORIES_TODAY": CORPUS_TODAY,
        # Hugo and stock Pelican build no search index: ours is timed without it too, and the
        # index apart (bench/search_bench.py), as issue 14 asks.
        "TERRITORIES_SEARCH": False,
        **(extra or {}),
    }
    # One -e with every pair: a second -e would replace the first (argparse "store").
    pairs = [f"{key}={json.dumps(value)}" for key, value in overrides.items()]
    settings = str(ROOT / "pelicanconf.py")
    launcher = [PYTHON, "-m", "territories.launch"]
    return [*launcher, "--settings", settings, "--fatal", "errors", "-e", *pairs]


def html_pages(folder: Path) -> list[Path]:
    """Every HTML file under `folder`, sorted."""
    return sorted(folder.rglob("*.html"))


def median_measure(measures: list[Measure]) -> Measure:
    """The median of each figure over several runs."""
    return Measure(
        statistics.median(m.wall_s for m in measures),
        statistics.median(m.cpu_s for m in measures),
        statistics.median(m.peak_rss_mib for m in measures),
    )


def fresh_dir(path: Path) -> Path:
    """An empty folder at `path` (removed first if it exists), without our build's cache."""
    shutil.rmtree(path, ignore_errors=True)
    # The incremental build keeps its manifest beside the output folder: a cold build has none.
    shutil.rmtree(path.parent / f".{path.name}-cache", ignore_errors=True)
    path.mkdir(parents=True)
    return path


def note(message: str) -> None:
    """Progress on stderr, so stdout stays the report."""
    print(message, file=sys.stderr, flush=True)
