"""Page weight per page kind of a built site, and the EcoIndex grade of each kind.

    python bench/page_weight.py [OUTPUT]   (default: output/)

For every HTML page it finds the resources a browser would fetch at load (stylesheets, scripts,
images, icons, and what the stylesheets pull in with url() and @import), resolves them inside
OUTPUT, and sums their sizes: text resources as gzip would send them, images as they are.
Pages are grouped by kind (home, landing, placements list, placement, welcomers, pack, free
page, legal page…); each row gives the heaviest page of that kind, so budgets hold for all.
"""

from __future__ import annotations

import argparse
import gzip
import re
import sys
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

# EcoIndex, as computed by the reference implementation of the Collectif Conception Numérique
# Responsable: github.com/cnumr/ecoindex_python_fullstack, components/ecoindex/data/quantiles.py
# (the quantiles, from 500,000 pages of the HTTP Archive), data/grades.py (the grade floors)
# and compute/ecoindex.py (get_quantile, get_score: 100 - 5 × (3·q_dom + 2·q_req + q_size) / 6,
# size in KB). Counting the DOM follows the same project: every element, minus those inside
# an <svg> (they are drawing instructions, not document structure).
QUANTILES_DOM = (
    0,
    47,
    75,
    159,
    233,
    298,
    358,
    417,
    476,
    537,
    603,
    674,
    753,
    843,
    949,
    1076,
    1237,
    1459,
    1801,
    2479,
    594601,
)
QUANTILES_REQ = (
    0,
    2,
    15,
    25,
    34,
    42,
    49,
    56,
    63,
    70,
    78,
    86,
    95,
    105,
    117,
    130,
    147,
    170,
    205,
    281,
    3920,
)
QUANTILES_SIZE = (
    0,
    1.37,
    144.7,
    319.53,
    479.46,
    631.97,
    783.38,
    937.91,
    1098.62,
    1265.47,
    1448.32,
    1648.27,
    1876.08,
    2142.06,
    2465.37,
    2866.31,
    3401.59,
    4155.73,
    5400.08,
    8037.54,
    223212.26,
)
GRADE_FLOORS = (("A", 80), ("B", 70), ("C", 55), ("D", 40), ("E", 25), ("F", 10))

# Issue 5's budgets: one TCP round trip of compressed HTML, and the page total before images.
HTML_GZIP_BUDGET = 14 * 1024
TOTAL_BEFORE_IMAGES_BUDGET = 100 * 1024
REQUESTS_BUDGET = 6

TEXT_SUFFIXES = {".html", ".css", ".js", ".svg", ".json", ".txt", ".xml", ".ics", ".webmanifest"}
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".webp", ".avif", ".svg", ".ico"}
ICON_RELS = {"icon", "shortcut icon", "apple-touch-icon", "manifest", "preload", "modulepreload"}
CSS_URL = re.compile(r"""url\(\s*['"]?([^'")]+)['"]?\s*\)|@import\s+['"]([^'"]+)['"]""")
LEGAL_HINTS = ("mentions", "legal", "confidentialite", "privacy", "accessibilite", "donnees")


def get_quantile(quantiles: tuple[float, ...], value: float) -> float:
    """Position of `value` in the table, 0 … 20, interpolated linearly (reference code)."""
    for i in range(1, len(quantiles)):
        if value < quantiles[i]:
            return i - 1 + (value - quantiles[i - 1]) / (quantiles[i] - quantiles[i - 1])
    return len(quantiles) - 1


def ecoindex(dom: int, requests: int, size_kb: float) -> tuple[int, str]:
    """The EcoIndex score (0 … 100) and grade (A … G)."""
    q_dom = get_quantile(QUANTILES_DOM, dom)
    q_req = get_quantile(QUANTILES_REQ, requests)
    q_size = get_quantile(QUANTILES_SIZE, size_kb)
    score = round(100 - 5 * (3 * q_dom + 2 * q_req + q_size) / 6)
    grade = next((g for g, floor in GRADE_FLOORS if score > floor), "G")
    return score, grade


# What a phone picks from a srcset: about 800 px (a 412 px wide screen at 1.75 to 2 dppx).
PHONE_PIXELS = 800


def phone_choice(srcset: str) -> str:
    """The candidate of `srcset` ("url 480w,url 800w") a phone loads, or ""."""
    candidates = []
    for item in srcset.split(","):
        url, _, width = item.strip().rpartition(" ")
        if url and width.endswith("w") and width[:-1].isdigit():
            candidates.append((int(width[:-1]), url))
    if not candidates:
        return ""
    wide_enough = [c for c in sorted(candidates) if c[0] >= PHONE_PIXELS]
    return (wide_enough or sorted(candidates))[0 if wide_enough else -1][1]


class PageScan(HTMLParser):
    """Collects a page's element count (outside SVG) and the resources it loads."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.dom = 0
        self.svg_depth = 0
        self.styles: list[str] = []
        self.scripts: list[str] = []
        self.images: list[str] = []
        self.icons: list[str] = []
        self.deferred: list[str] = []  # loading="lazy": fetched only when scrolled near
        self.webp: str = ""  # the <picture>'s WebP srcset, which a browser prefers to <img src>

    def handle_starttag(self, tag: str, attrs: list) -> None:
        """Count the element and note what it fetches."""
        if self.svg_depth == 0:
            self.dom += 1
        if tag == "svg":
            self.svg_depth += 1
        a = {k: v or "" for k, v in attrs}
        rel = a.get("rel", "").lower()
        if tag == "link" and "stylesheet" in rel.split():
            self.styles.append(a.get("href", ""))
        elif tag == "link" and rel in ICON_RELS:
            self.icons.append(a.get("href", ""))
        elif tag == "script" and a.get("src"):
            self.scripts.append(a["src"])
        elif tag == "source" and a.get("type") == "image/webp":
            self.webp = a.get("srcset", "")
        elif tag in ("img", "input") and a.get("src"):
            url = phone_choice(self.webp) or a["src"] if tag == "img" else a["src"]
            self.webp = ""
            (self.deferred if a.get("loading") == "lazy" else self.images).append(url)

    def handle_startendtag(self, tag: str, attrs: list) -> None:
        """A self-closing tag: counted, never opens an SVG subtree."""
        self.handle_starttag(tag, attrs)
        if tag == "svg":
            self.svg_depth -= 1

    def handle_endtag(self, tag: str) -> None:
        """Leave an SVG subtree."""
        if tag == "svg" and self.svg_depth:
            self.svg_depth -= 1


@dataclass
class Weight:
    """What one page costs at load."""

    page: str
    html_raw: int = 0
    html_gzip: int = 0
    css: int = 0
    js: int = 0
    images: int = 0
    deferred: int = 0  # lazy images' bytes, loaded only when the visitor scrolls to them
    other: int = 0
    requests: int = 1  # the HTML itself
    dom: int = 0
    third_party: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)

    @property
    def before_images(self) -> int:
        """Bytes sent before any image: HTML, CSS, JS (compressed)."""
        return self.html_gzip + self.css + self.js + self.other

    @property
    def total(self) -> int:
        """Every byte sent at load."""
        return self.before_images + self.images

    @property
    def eco(self) -> tuple[int, str]:
        """EcoIndex score and grade of this page."""
        return ecoindex(self.dom, self.requests, self.total / 1024)


def wire_size(path: Path) -> int:
    """Bytes on the wire: gzip (level 9, as a CDN would) for text, raw for images."""
    data = path.read_bytes()
    return len(gzip.compress(data, 9, mtime=0)) if path.suffix in TEXT_SUFFIXES else len(data)


def resolve(url: str, base: Path, root: Path) -> Path | None:
    """The file a same-site URL points to, or None when it leaves the site."""
    parts = urlsplit(url)
    if parts.scheme in ("http", "https") or url.startswith("//"):
        return None
    path = unquote(parts.path)
    target = root / path.lstrip("/") if path.startswith("/") else base / path
    return target / "index.html" if path.endswith("/") or target.is_dir() else target


def css_imports(css: Path, root: Path) -> list[Path | str]:
    """What a stylesheet fetches in turn (fonts, background images, @import)."""
    found: list[Path | str] = []
    for match in CSS_URL.finditer(css.read_text("utf-8", errors="replace")):
        url = match.group(1) or match.group(2)
        if not url.startswith(("data:", "#")):
            found.append(resolve(url, css.parent, root) or url)
    return found


def measure_page(page: Path, root: Path) -> Weight:
    """Scan one HTML page and add up what it loads (each URL fetched once)."""
    raw = page.read_bytes()
    scan = PageScan()
    scan.feed(raw.decode("utf-8", errors="replace"))
    weight = Weight(str(page.relative_to(root)), len(raw), wire_size(page), dom=scan.dom)
    seen: set[Path | str] = set()
    groups = (
        ("css", scan.styles),
        ("js", scan.scripts),
        ("images", scan.images),
        ("other", scan.icons),
    )
    for kind, urls in groups:
        for url in urls:
            if url and not url.startswith("data:"):
                add_resource(weight, kind, resolve(url, page.parent, root) or url, root, seen)
    for url in scan.deferred:
        target = resolve(url, page.parent, root)
        if target is None:
            weight.third_party.append(url)
        elif target.is_file():
            weight.deferred += target.stat().st_size
        else:
            weight.missing.append(url)
    return weight


def add_resource(weight: Weight, kind: str, target: Path | str, root: Path, seen: set) -> None:
    """Count one fetched resource (and, for a stylesheet, what it imports)."""
    if target in seen:
        return
    seen.add(target)
    weight.requests += 1
    if isinstance(target, str):
        weight.third_party.append(target)
        return
    if not target.is_file():
        weight.missing.append(
            str(target.relative_to(root)) if target.is_relative_to(root) else str(target)
        )
        return
    setattr(weight, kind, getattr(weight, kind) + wire_size(target))
    if kind == "css":
        for sub in css_imports(target, root):
            sub_kind = (
                "images" if isinstance(sub, Path) and sub.suffix in IMAGE_SUFFIXES else "other"
            )
            add_resource(weight, sub_kind, sub, root, seen)


def territory_slugs(root: Path) -> set[str]:
    """Top-level folders that are territories: they hold a placements list or a welcomers page."""
    return {
        d.name
        for d in root.iterdir()
        if d.is_dir() and any((d / sub).is_dir() for sub in ("offres", "welcomers", "pack"))
    }


def page_kind(page: Path, root: Path, territories: set[str]) -> str:
    """The kind of a page, from its URL path."""
    parts = page.relative_to(root).parts
    if parts == ("index.html",):
        return "home"
    if parts[0] not in territories:
        name = "/".join(parts).lower()
        return "legal page" if any(h in name for h in LEGAL_HINTS) else "site page"
    inner = parts[1:-1] if parts[-1] == "index.html" else parts[1:]
    if not inner:
        return "landing"
    if inner[-1] in ("merci", "erreur"):
        return "thank-you / error"
    if inner[0] == "offres":
        if len(inner) == 1:
            return "placements list"
        is_placement = len(inner) == 2 and not any(
            p.is_dir() for p in (root.joinpath(*parts[:-1])).iterdir()
        )
        return "placement" if is_placement else "placements filter"
    return {"welcomers": "welcomers", "pack": "pack"}.get(inner[0], "free page")


KIND_ORDER = (
    "home",
    "landing",
    "placements list",
    "placements filter",
    "placement",
    "welcomers",
    "pack",
    "free page",
    "legal page",
    "site page",
)


def measure_site(root: Path) -> dict[str, list[Weight]]:
    """Every page of the site, grouped by kind."""
    territories = territory_slugs(root)
    kinds: dict[str, list[Weight]] = {}
    for page in sorted(root.rglob("*.html")):
        kinds.setdefault(page_kind(page, root, territories), []).append(measure_page(page, root))
    return kinds


def kb(n: float) -> str:
    """Bytes as KB with one decimal."""
    return f"{n / 1024:.1f}"


def print_table(kinds: dict[str, list[Weight]]) -> list[str]:
    """The Markdown table (heaviest page of each kind); returns the budget breaches."""
    print(
        "| type de page | pages | HTML brut (Ko) | HTML gzip (Ko) | CSS (Ko) | JS (Ko) "
        "| images (Ko) | images différées (Ko) | total hors images (Ko) | requêtes "
        "| éléments DOM | EcoIndex |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    breaches = []
    for kind in sorted(kinds, key=lambda k: KIND_ORDER.index(k) if k in KIND_ORDER else 99):
        pages = kinds[kind]
        worst = max(pages, key=lambda w: w.total)
        score, grade = min((w.eco for w in pages), key=lambda e: e[0])
        print(
            f"| {kind} | {len(pages)} | {kb(max(w.html_raw for w in pages))} "
            f"| {kb(max(w.html_gzip for w in pages))} | {kb(worst.css)} | {kb(worst.js)} "
            f"| {kb(max(w.images for w in pages))} | {kb(max(w.deferred for w in pages))} "
            f"| {kb(max(w.before_images for w in pages))} "
            f"| {max(w.requests for w in pages)} | {max(w.dom for w in pages)} "
            f"| {grade} ({score}) |"
        )
        breaches += budget_breaches(pages)
    return breaches


def budget_breaches(pages: list[Weight]) -> list[str]:
    """Pages over one of the issue's budgets, or loading something absent or third-party."""
    found = []
    for w in pages:
        checks = (
            (w.html_gzip > HTML_GZIP_BUDGET, f"HTML gzip {kb(w.html_gzip)} Ko > 14"),
            (
                w.before_images > TOTAL_BEFORE_IMAGES_BUDGET,
                f"total hors images {kb(w.before_images)} Ko > 100",
            ),
            (w.requests > REQUESTS_BUDGET, f"{w.requests} requêtes > {REQUESTS_BUDGET}"),
            (w.eco[1] != "A", f"EcoIndex {w.eco[1]} ({w.eco[0]})"),
            (bool(w.missing), f"ressources absentes : {', '.join(w.missing[:3])}"),
            (bool(w.third_party), f"ressources tierces : {', '.join(w.third_party[:3])}"),
        )
        found += [f"{w.page}: {message}" for failed, message in checks if failed]
    return found


def main(argv: list[str] | None = None) -> int:
    """Command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output", nargs="?", type=Path, default=Path("output"))
    parser.add_argument("--show", type=int, default=10, help="dépassements de budget affichés")
    args = parser.parse_args(argv)
    if not (args.output / "index.html").is_file():
        print(
            f"{args.output}/index.html introuvable : lancez d'abord « make html ».", file=sys.stderr
        )
        return 2
    kinds = measure_site(args.output)
    breaches = print_table(kinds)
    total = sum(len(p) for p in kinds.values())
    print(
        f"\n{total} pages mesurées ; {len(breaches)} dépassement(s) de budget"
        f" (HTML gzip ≤ 14 Ko, ≤ 100 Ko hors images, ≤ {REQUESTS_BUDGET} requêtes, EcoIndex A)."
    )
    for line in breaches[: args.show]:
        print(f"- {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
