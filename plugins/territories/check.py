"""Check the territories' content without building the site, for CI and editors.

    PYTHONPATH=plugins python -m territories.check [--github] [ROOT]

Prints every error (or « N territoires valides ») and exits 1 when there is any error. With
--github each error becomes a GitHub Actions annotation shown on the changed line.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .errors import ContentError, ContentErrors
from .loader import load_territories


def _escape_data(text: str) -> str:
    """GitHub workflow-command escaping of a message."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    """GitHub workflow-command escaping of a property value (file, title…)."""
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def github_annotation(error: ContentError) -> str:
    """`::error file=…,line=…,title=…::message` for one error."""
    title = error.field or Path(error.path).name
    return (
        f"::error file={_escape_property(error.path)},line={error.line},"
        f"title={_escape_property(title)}::{_escape_data(error.message)}"
    )


def main(argv: list[str] | None = None) -> int:
    """Check ROOT's territories; 0 when all are valid, 1 otherwise."""
    parser = argparse.ArgumentParser(
        prog="python -m territories.check", description="Vérifie le contenu des territoires."
    )
    parser.add_argument("root", nargs="?", default="territories", help="dossier des territoires")
    parser.add_argument("--github", action="store_true", help="annotations GitHub Actions")
    parser.add_argument("--only", help="ne vérifier que ce territoire (son dossier)")
    args = parser.parse_args(argv)
    try:
        territories = load_territories(Path(args.root), only=args.only)
    except ContentErrors as errors:
        if args.github:
            print("\n".join(github_annotation(e) for e in errors.errors))
        print(errors)
        return 1
    count = len(territories)
    print(f"{count} territoire valide" if count == 1 else f"{count} territoires valides")
    return 0


if __name__ == "__main__":
    sys.exit(main())
