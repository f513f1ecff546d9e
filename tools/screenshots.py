"""Screenshots of each territory's main pages at phone and desktop widths: `make report`.

    python -m tools.screenshots --root output --out docs/screenshots/tmp

Serves the built site with the local server of `make serve` (its store in a temporary folder)
and drives Debian's Chromium through Playwright. Files are named `<slug>-<page>-<width>.png`.
"""

from __future__ import annotations

import argparse
import contextlib
import tempfile
from pathlib import Path

from tools.chromium import CHROMIUM, CHROMIUM_ARGS
from tools.local_site import ROOT, serve

# Width → height of the window: a common phone, a laptop.
WINDOWS = {390: 844, 1280: 800}
PAGES = {"accueil": "", "offres": "offres/", "welcomers": "welcomers/", "coffret": "pack/"}


@contextlib.contextmanager
def local_site(root: Path, port: int | None = None, catalogue: Path | None = None):
    """The local server serving `root`, its store in a temporary folder; yields its base URL."""
    with tempfile.TemporaryDirectory() as var, serve(root, Path(var), catalogue, port=port) as url:
        yield url


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
            page.goto(url, wait_until="load")
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
    parser.add_argument("--height", type=int, help="window height (default: per width)")
    parser.add_argument("--only", help="only the pages whose name starts with this")
    args = parser.parse_args(argv)
    if args.height:
        WINDOWS.update({width: args.height for width in args.widths})
    pages = {n: u for n, u in territory_pages(args.root).items() if n.startswith(args.only or "")}
    with local_site(args.root) as base, chromium() as browser:
        for path in shoot(browser, base, pages, args.out, args.widths):
            print(f"{path}  {path.stat().st_size // 1024} Ko")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
