"""Screenshots of each territory's main pages at phone and desktop widths: `make report`.

    python -m tools.screenshots --root output --out docs/screenshots/tmp

Serves the built site with the local server of `make serve` (its store in a temporary folder)
and drives Debian's Chromium through Playwright. Files are named `<slug>-<page>-<width>.png`.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from tools.chromium import CHROMIUM, CHROMIUM_ARGS

ROOT = Path(__file__).resolve().parents[1]
# Width → height of the window: a common phone, a laptop.
WINDOWS = {390: 844, 1280: 800}
PAGES = {"accueil": "", "offres": "offres/", "welcomers": "welcomers/", "coffret": "pack/"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


@contextlib.contextmanager
def local_site(root: Path, port: int | None = None, catalogue: Path | None = None):
    """`python -m forms.local` serving `root` (on a free port by default); yields its base URL."""
    port = port or free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT / "functions")}
    if catalogue:
        env["CATALOGUE_PATH"] = str(catalogue)
    env.pop("SMTP_HOST", None)  # a report never sends e-mail
    with tempfile.TemporaryDirectory() as var:
        command = [sys.executable, "-m", "forms.local", "--root", str(root.resolve())]
        process = subprocess.Popen(
            [*command, "--var", var, "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 15
            while not _answers(url + "/"):
                if process.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(
                        f"le serveur local n'a pas démarré (lancez `make html`) : {url}"
                    )
                time.sleep(0.1)
            yield url
        finally:
            process.terminate()
            process.wait(timeout=10)


def territory_pages(root: Path) -> dict[str, str]:
    """`<slug>-<page>` → URL path, for the pages each territory of the build has."""
    pages = {}
    for slug in sorted(p.name for p in (ROOT / "territories").iterdir() if p.is_dir()):
        for name, tail in PAGES.items():
            if (root / slug / tail / "index.html").is_file():
                pages[f"{slug}-{name}"] = f"/{slug}/{tail}"
    return pages


def shoot(browser, base: str, pages: dict[str, str], out: Path, widths) -> list[Path]:
    """One screenshot of the top of each page at each width, with a Playwright browser."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for width in widths:
        size = {"width": width, "height": WINDOWS.get(width, 800)}
        context = browser.new_context(viewport=size, base_url=base, locale="fr-FR")
        page = context.new_page()
        for name, url in pages.items():
            page.goto(url)
            path = out / f"{name}-{width}.png"
            page.screenshot(path=path)
            written.append(path)
        context.close()
    return written


@contextlib.contextmanager
def chromium():
    """Debian's Chromium driven by Playwright (which never downloads a browser here)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.screenshots", description=__doc__)
    parser.add_argument("--root", type=Path, default=ROOT / "output", help="the built site")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots" / "tmp")
    parser.add_argument("--widths", type=int, nargs="+", default=list(WINDOWS))
    args = parser.parse_args(argv)
    with local_site(args.root) as base, chromium() as browser:
        for path in shoot(browser, base, territory_pages(args.root), args.out, args.widths):
            print(f"{path}  {path.stat().st_size // 1024} Ko")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
