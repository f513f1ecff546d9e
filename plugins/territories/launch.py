"""`make html`: Pelican, unless nothing changed since the last build, checked before it starts.

    python -m territories.launch [pelican's arguments]

Starting Python and importing Pelican and the plugin costs about half a second of CPU, more
than the rest of a rebuild with nothing to do. So this launcher first compares, with one `stat`
per file and without importing either, every input of the last successful build it ran (the
settings files, the operator's pages, the theme, the plugin's code, the territories) and the
files that build left (the output folder's, the manifest, the catalogue) with the stamp it
recorded in `.cache/build/`, along with the command line, the environment, the build date and
the installed Python packages. When all are as recorded it says so and stops: a build would
write nothing (incremental.py's no-op). Otherwise it runs `pelican.main` in this process, and
the plugin records a new stamp once Pelican has finished (`record`).

A file changed within 2 s of the scan that vouches for a stamp may change again within the
same mtime tick: its content hash is kept (or, when the scan followed the build, it never
matches), git's "racy clean" rule.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from stat import S_ISDIR

FORMAT = 1
STAMPS = Path(".cache") / "build"  # under the folder `make` runs in
KEPT_STAMPS = 32  # one per command line (the benchmarks use many): the most recent are kept
RACY_NS = 2_000_000_000
# Options after which Pelican does something else than one build (serve, watch, print, help),
# or was asked to start from an empty output folder: never answered from a stamp.
NOT_ONE_BUILD = frozenset(
    {"-r", "--autoreload", "-l", "--listen", "-d", "--delete-output-directory"}
    | {"--print-settings", "-h", "--help", "--version", "-q", "--quiet"}
)
# Variables a shell or make changes between two runs of the same command, which no setting
# reads; any other variable may be read by the settings (OPERATOR_NAME, TERRITORY…).
VOLATILE_ENV = frozenset(
    {"_", "OLDPWD", "SHLVL", "MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKE_TERMOUT", "MAKE_TERMERR"}
)

_session: Session | None = None  # the launch in progress, for `record`


def digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def build_key(argv: list[str], today: dt.date) -> str:
    """What a build depends on besides files: command, folder, environment, date, Python."""
    cwd = os.getcwd()
    env = sorted((k, v) for k, v in os.environ.items() if k not in VOLATILE_ENV)
    # Installing or upgrading a package changes its folder's entries (site-packages' mtime);
    # the project's own folders on the path are scanned file by file instead.
    installed = [(p, _mtime(p)) for p in sys.path if p and not _inside(p, cwd)]
    parts = [FORMAT, argv, cwd, env, today.isoformat(), sys.version, sys.executable, installed]
    return digest(json.dumps(parts).encode())


def _mtime(path: str) -> int:
    try:
        return os.stat(path).st_mtime_ns
    except OSError:
        return -1


def _inside(path: str, folder: str) -> bool:
    path = os.path.abspath(path)
    return path == folder or path.startswith(folder + os.sep)


def stamp_path(argv: list[str]) -> Path:
    """One stamp per folder and command line."""
    name = digest(json.dumps([os.getcwd(), argv]).encode())
    return STAMPS / f"{name}.json"


def scan(roots: list[str]) -> list[tuple[str, int, int]]:
    """(path, mtime_ns, size) of every file under `roots` (files or folders), sorted."""
    found: list[tuple[str, int, int]] = []
    for root in roots:
        try:
            stat = os.stat(root)
        except OSError:
            found.append((root, -1, -1))  # a missing input is a state too
            continue
        if S_ISDIR(stat.st_mode):
            _walk(root, found)
        else:
            found.append((root, stat.st_mtime_ns, stat.st_size))
    found.sort()
    return found


def _walk(folder: str, found: list) -> None:
    with os.scandir(folder) as entries:
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                if entry.name != "__pycache__":  # written by Python while it builds
                    _walk(entry.path, found)
                continue
            stat = entry.stat(follow_symlinks=False)
            found.append((entry.path, stat.st_mtime_ns, stat.st_size))


def inputs_digest(files: list[tuple[str, int, int]], racy: dict) -> str:
    """The hash of the files' names, mtimes and sizes (without the mtime of racy ones)."""
    lines = (f"{p}\0{'racy' if p in racy else m}\0{s}" for p, m, s in files)
    return digest("\n".join(lines).encode())


def file_digest(path: str) -> str | None:
    try:
        with open(path, "rb") as file:
            return digest(file.read())
    except OSError:
        return None


def racy_files(files: list, since_ns: int, read: bool) -> dict[str, str | None]:
    """Files modified after `since_ns`: their hash now (`read`), or None (never trusted)."""
    return {p: (file_digest(p) if read else None) for p, m, _ in files if m >= since_ns}


def outputs_state(paths: list[str]) -> list[tuple[str, int, int]]:
    """(path, mtime_ns, size) of each output file, (path, -1, -1) when missing."""
    state = []
    for path in paths:
        try:
            stat = os.stat(path)
            state.append((path, stat.st_mtime_ns, stat.st_size))
        except OSError:
            state.append((path, -1, -1))
    return state


def read_stamp(path: Path) -> dict | None:
    try:
        stamp = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return None
    return stamp if stamp.get("format") == FORMAT else None


def up_to_date(stamp: dict, files: list) -> bool:
    """Whether the inputs and outputs are those the stamp recorded."""
    racy = stamp["racy"]
    if inputs_digest(files, racy) != stamp["inputs"]:
        return False
    if any(racy[p] is None or file_digest(p) != racy[p] for p in racy):
        return False
    return [list(s) for s in outputs_state([p for p, _, _ in stamp["outputs"]])] == stamp["outputs"]


@dataclass
class Session:
    """A launch that runs Pelican: what `record` needs to write the next stamp."""

    path: Path
    key: str
    settings_files: list[str]
    started_ns: int
    # The scan taken before Pelican started, when a stamp said which inputs to look at.
    roots: list[str] | None = None
    files: list | None = None
    scanned_ns: int = 0
    racy: dict | None = None
    # Noted by the generator (note_outputs).
    territory_dirs: set = field(default_factory=set)
    vouching: list = field(default_factory=list)


def settings_files(argv: list[str]) -> list[str]:
    """The settings file Pelican reads and the other Python files beside it (it may import them)."""
    chosen = "pelicanconf.py"
    for i, arg in enumerate(argv):
        if arg in ("-s", "--settings") and i + 1 < len(argv):
            chosen = argv[i + 1]
        elif arg.startswith("--settings="):
            chosen = arg.split("=", 1)[1]
    folder = os.path.dirname(os.path.abspath(chosen))
    beside = sorted(e.path for e in os.scandir(folder) if e.name.endswith(".py") and e.is_file())
    return sorted({os.path.abspath(chosen), *beside})


def one_build(argv: list[str]) -> bool:
    return not any(arg in NOT_ONE_BUILD for arg in argv)


def main(argv: list[str] | None = None) -> int:
    """Stop at once when nothing changed, else build with Pelican and record a stamp."""
    global _session
    argv = list(sys.argv[1:] if argv is None else argv)
    if not one_build(argv):
        return run_pelican(argv)
    path, key = stamp_path(argv), build_key(argv, dt.date.today())
    session = Session(path, key, settings_files(argv), time.time_ns())
    stamp = read_stamp(path)
    if stamp and stamp["key"] == key:
        files = scan(stamp["roots"])
        if up_to_date(stamp, files):
            print(f"Rien n'a changé depuis la dernière construction ({len(files)} fichiers vus).")
            return 0
        session.roots, session.files, session.scanned_ns = stamp["roots"], files, time.time_ns()
        # Read before Pelican starts: what a file held when this scan vouched for it.
        session.racy = racy_files(files, session.scanned_ns - RACY_NS, read=True)
    path.unlink(missing_ok=True)  # a build that fails leaves no stamp
    _session = session
    try:
        return run_pelican(argv)
    finally:
        _session = None


def run_pelican(argv: list[str]) -> int:
    import pelican

    pelican.main(argv)
    return 0


def note_outputs(territory_dirs: set[str], files: list[str]) -> None:
    """Called by the generator: the output folders it owns, and the files that vouch for them.

    The territories' folders are not listed file by file (45,000 at 1,000 territories): the
    incremental build trusts them when its sentinel, the manifest and the catalogue are there.
    """
    if _session is not None:
        _session.territory_dirs, _session.vouching = set(territory_dirs), list(files)


def record_build(settings) -> None:
    """Called by the plugin once Pelican has finished: the stamp of this build, if launched."""
    session = _session
    if session is None:
        return
    cwd = os.getcwd()
    roots = [settings["PATH"], settings["THEME"], *settings.get("PLUGIN_PATHS", [])]
    roots.append(settings.get("TERRITORIES_PATH", "territories"))
    roots = sorted({os.path.join(cwd, r) for r in roots} | set(session.settings_files))
    outputs = output_files(settings["OUTPUT_PATH"], session.territory_dirs) + session.vouching
    record(session, roots, outputs)


def output_files(folder: str, skipped: set[str]) -> list[str]:
    """Every file of the output folder but those under the top-level folders `skipped`."""
    found: list = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return []
    for entry in entries:
        if entry.is_dir(follow_symlinks=False):
            if entry.name not in skipped:
                _walk(entry.path, found)
        else:
            found.append((entry.path, 0, 0))
    return [p for p, _, _ in found]


def record(session: Session, roots: list[str], outputs: list[str]) -> None:
    """Write the stamp: the inputs as scanned before the build (or after it), the outputs now."""
    if session.roots == roots:
        files, racy = session.files, session.racy
    else:  # the first build, or the settings name other inputs: scanned after the build
        files = scan(roots)
        racy = racy_files(files, session.started_ns - RACY_NS, read=False)
    stamp = {
        "format": FORMAT,
        "key": session.key,
        "roots": roots,
        "inputs": inputs_digest(files, racy),
        "racy": racy,
        "outputs": [list(s) for s in outputs_state(sorted(set(outputs)))],
    }
    session.path.parent.mkdir(parents=True, exist_ok=True)
    temporary = session.path.with_suffix(".tmp")
    temporary.write_text(json.dumps(stamp, ensure_ascii=False), "utf-8")
    temporary.replace(session.path)
    prune(session.path.parent)


def prune(folder: Path) -> None:
    """Keep the most recent stamps only."""
    stamps = sorted(folder.glob("*.json"), key=lambda p: p.stat().st_mtime_ns, reverse=True)
    for old in stamps[KEPT_STAMPS:]:
        old.unlink(missing_ok=True)


if __name__ == "__main__":
    # Run as the package's module, not as __main__: the plugin records into that one's session.
    from territories.launch import main as launched

    sys.exit(launched())
