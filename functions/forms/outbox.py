"""Read the local outbox (`var/outbox/*.eml`) in a terminal.

python -m forms.outbox                 # the 20 latest: time, kind, subject, recipients
python -m forms.outbox 20261124T1804   # every message whose file name contains this
"""

from __future__ import annotations

import argparse
import sys
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from pathlib import Path


def read(path: Path) -> EmailMessage:
    """An .eml file as a message."""
    return message_from_bytes(path.read_bytes(), policy=default)


def latest(outbox: Path, count: int) -> list[Path]:
    """The `count` most recent .eml files, newest first."""
    return sorted(outbox.glob("*.eml"), key=lambda p: p.stat().st_mtime, reverse=True)[:count]


def summary(path: Path) -> str:
    """Three lines: the file, the kind and subject, the recipients."""
    message = read(path)
    kind = message.get("X-Forms-Message", "?")
    return f"{path.name}\n    {kind}: {message['Subject']}\n    à : {message['To']}"


def show(path: Path) -> str:
    """The headers and the plain-text body."""
    message = read(path)
    headers = "\n".join(f"{k}: {v}" for k, v in message.items() if k.lower() != "content-type")
    body = message.get_body(("plain",))
    return f"{path}\n{headers}\n\n{body.get_content() if body else ''}"


def main(argv: list[str] | None = None) -> int:
    """List the latest messages, or show those matching an id or a path."""
    parser = argparse.ArgumentParser(
        prog="python -m forms.outbox", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "match", nargs="?", help="a submission id (or part of a file name), or a path"
    )
    parser.add_argument("--var", default="var", help="the local server's folder (default: var)")
    parser.add_argument("-n", type=int, default=20, help="how many to list (default: 20)")
    args = parser.parse_args(argv)
    outbox = Path(args.var) / "outbox"
    if args.match is None:
        files = latest(outbox, args.n)
        print("\n".join(summary(p) for p in files) if files else f"Aucun e-mail dans {outbox}/.")
        return 0
    given = Path(args.match)
    files = [given] if given.is_file() else sorted(outbox.glob(f"*{args.match}*.eml"))
    if not files:
        print(f"Aucun e-mail ne correspond dans {outbox}/.", file=sys.stderr)
        return 1
    print("\n\n".join(show(p) for p in files))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
