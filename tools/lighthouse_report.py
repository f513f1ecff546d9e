"""Lighthouse scores of each territory's main pages, with Debian's Chromium: `make report`.

    python -m tools.lighthouse_report

Builds the site as `make publish` does, its SITEURL being the local server's address (so that
canonical links are absolute and valid), serves it with the local server, runs npm's
`lighthouse` on the landing, the first placement, the welcomers and the pack page of each
territory (phone emulation, Lighthouse's default; `--desktop` for its desktop preset) and prints
the four category scores and the bytes transferred. Lighthouse is installed on first use into
.cache/lighthouse/node_modules (git-ignored), from the npm registry.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from tools.chromium import CHROMIUM
from tools.local_site import ROOT, free_port
from tools.screenshots import local_site

CACHE = ROOT / ".cache" / "lighthouse"
LIGHTHOUSE = CACHE / "node_modules" / ".bin" / "lighthouse"
CATEGORIES = {
    "performance": "Perf.",
    "accessibility": "Access.",
    "best-practices": "Pratiques",
    "seo": "SEO",
}


def ensure_lighthouse() -> Path:
    """The lighthouse command, installed with npm the first time."""
    if not LIGHTHOUSE.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            ["npm", "install", "--no-save", "--no-audit", "--no-fund", "lighthouse"],
            cwd=CACHE,
            check=True,
        )
    return LIGHTHOUSE


# The pages about every territory: the national list and the search.
NATIONAL_PAGES = ("/offres/", "/recherche/")


def report_pages(root: Path) -> list[str]:
    """Landing, first placement, welcomers and pack of each territory the build has, then the
    national list and the search page."""
    urls = []
    for slug in sorted(p.name for p in (ROOT / "territories").iterdir() if p.is_dir()):
        placements = sorted(p.parent.name for p in (root / slug / "offres").glob("*/index.html"))
        placements = [p for p in placements if p not in ("metier", "type")]
        tails = ["", *[f"offres/{p}/" for p in placements[:1]], "welcomers/", "pack/"]
        urls += [f"/{slug}/{t}" for t in tails if (root / slug / t / "index.html").is_file()]
    return urls + [u for u in NATIONAL_PAGES if (root / u.strip("/") / "index.html").is_file()]


def audit(url: str, desktop: bool) -> dict:
    """Lighthouse's JSON report of one page."""
    command = [
        str(ensure_lighthouse()),
        url,
        "--chrome-flags=--headless=new --no-sandbox",
        "--output=json",
        "--output-path=stdout",
        "--quiet",
        *(["--preset=desktop"] if desktop else []),
    ]
    env = {**os.environ, "CHROME_PATH": CHROMIUM}
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def scores(report: dict) -> dict[str, int]:
    """The four category scores, 0–100, and the bytes transferred."""
    found = {key: round(report["categories"][key]["score"] * 100) for key in CATEGORIES}
    found["bytes"] = int(report["audits"]["total-byte-weight"]["numericValue"])
    return found


def failed_audits(report: dict) -> list[str]:
    """The audits that cost points, to know what to fix."""
    return sorted(
        f"{key}: {audit['title']}"
        for key, audit in report["audits"].items()
        if audit.get("score") is not None
        and audit["score"] < 1
        and audit.get("scoreDisplayMode") in ("binary", "numeric", "metricSavings")
    )


def publish(folder: Path, siteurl: str) -> Path:
    """The site built with publishconf.py for `siteurl` into `folder`; returns its catalogue."""
    catalogue = folder / "catalogue.json"
    command = [sys.executable, "-m", "pelican", "--settings", "publishconf.py", "--quiet"]
    subprocess.run(
        [*command, "-o", str(folder / "output"), "-e", f'FORMS_CATALOGUE_PATH="{catalogue}"'],
        cwd=ROOT,
        env={**os.environ, "SITEURL": siteurl, "TERRITORY": ""},
        stdout=subprocess.DEVNULL,
        check=True,
    )
    return catalogue


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.lighthouse_report", description=__doc__)
    parser.add_argument("--desktop", action="store_true", help="Lighthouse's desktop preset")
    args = parser.parse_args(argv)
    header = f"{'Page':<58}" + "".join(f"{v:>10}" for v in CATEGORIES.values()) + f"{'Octets':>10}"
    print(header)
    port = free_port()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder) / "output"
        catalogue = publish(Path(folder), f"http://127.0.0.1:{port}")
        worst = run(root, port, catalogue, args.desktop)
    return 0 if worst == 100 else 1


def run(root: Path, port: int, catalogue: Path, desktop: bool) -> int:
    """Audit the report pages of the build at `root`; returns the lowest score."""
    worst = 100
    with local_site(root, port, catalogue) as base:
        for path in report_pages(root):
            report = audit(base + path, desktop)
            found = scores(report)
            worst = min(worst, *(found[k] for k in CATEGORIES))
            cells = "".join(f"{found[k]:>10}" for k in CATEGORIES)
            print(f"{path:<58}{cells}{found['bytes']:>10}")
            for line in failed_audits(report):
                print(f"    à revoir : {line}")
    return worst


if __name__ == "__main__":
    raise SystemExit(main())
