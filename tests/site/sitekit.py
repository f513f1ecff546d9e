"""Helpers of the site tests: building the site, reading its pages (stdlib only)."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

from pelican import Pelican
from pelican.settings import read_settings

ROOT = Path(__file__).resolve().parents[2]
DATA = Path(__file__).parent / "data"
TODAY = dt.date(2026, 11, 24)
# The public address of the standalone build: a territory's own domain.
STANDALONE_URL = "https://sante.loiret.example"
# Every territory the project ships, plus the fixtures: what the built site must hold.
SHIPPED = sorted(p.name for p in (ROOT / "territories").iterdir() if p.is_dir())
FIXTURES = sorted(p.name for p in (DATA / "territories").iterdir() if p.is_dir())

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}


@dataclass
class Node:
    """An element of a parsed page: enough of a DOM to query tags, attributes and text."""

    tag: str
    attrs: dict
    parent: Node | None = None
    children: list = field(default_factory=list)

    def iter(self):
        for child in self.children:
            if isinstance(child, Node):
                yield child
                yield from child.iter()

    def find_all(self, tag: str | None = None, **attrs) -> list[Node]:
        """Descendants with that tag and those attribute values (class_ for class)."""
        wanted = {k.rstrip("_"): v for k, v in attrs.items()}
        return [
            n
            for n in self.iter()
            if (tag is None or n.tag == tag)
            and all(n.attrs.get(k) == v or (v is True and k in n.attrs) for k, v in wanted.items())
        ]

    def find(self, tag: str | None = None, **attrs) -> Node | None:
        found = self.find_all(tag, **attrs)
        return found[0] if found else None

    def by_id(self, ident: str) -> Node | None:
        return self.find(id=ident)

    def text(self) -> str:
        parts = [c if isinstance(c, str) else c.text() for c in self.children]
        return " ".join(" ".join(parts).split())


class _Builder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = self.current = Node("#document", {})

    def handle_starttag(self, tag, attrs):
        node = Node(tag, {k: ("" if v is None else v) for k, v in attrs}, self.current)
        self.current.children.append(node)
        if tag not in VOID:
            self.current = node

    def handle_endtag(self, tag):
        node = self.current
        while node.parent is not None and node.tag != tag:
            node = node.parent
        if node.parent is not None:
            self.current = node.parent

    def handle_data(self, data):
        self.current.children.append(data)


def parse(html: str) -> Node:
    builder = _Builder()
    builder.feed(html)
    return builder.root


@contextlib.contextmanager
def in_project_root():
    """Pelican's settings hold paths relative to the project root."""
    previous = Path.cwd()
    os.chdir(ROOT)
    try:
        yield
    finally:
        os.chdir(previous)


def build(output: Path, territories: Path, **overrides) -> None:
    """Build the site from `territories` into `output`, as `make html` would."""
    settings = {
        "OUTPUT_PATH": str(output),
        "TERRITORIES_PATH": str(territories),
        "TERRITORIES_TODAY": TODAY,
        "FORMS_CATALOGUE_PATH": str(output.parent / f"{output.name}-catalogue.json"),
        "TERRITORY": "",
        **overrides,
    }
    with in_project_root():
        Pelican(read_settings("pelicanconf.py", override=settings)).run()


@dataclass
class Site:
    """A built site: its output folder and helpers to read it."""

    output: Path
    catalogue: Path

    def file(self, url: str) -> Path:
        path = self.output / url.lstrip("/")
        return path / "index.html" if url.endswith("/") else path

    def page(self, url: str) -> Node:
        return parse(self.file(url).read_text(encoding="utf-8"))

    def html_files(self) -> list[Path]:
        return sorted(self.output.rglob("*.html"))

    def url_of(self, path: Path) -> str:
        relative = path.relative_to(self.output).as_posix()
        return "/" + relative.removesuffix("index.html")


def internal_links(doc: Node, siteurl: str = "") -> list[str]:
    """Every same-site URL a page links to or loads (anchors, stylesheets, images, scripts)."""
    urls = [n.attrs["href"] for n in doc.find_all("a") + doc.find_all("link") if "href" in n.attrs]
    urls += [n.attrs["src"] for n in doc.iter() if "src" in n.attrs]
    urls += [n.attrs["data-thanks"] for n in doc.iter() if "data-thanks" in n.attrs]
    if siteurl:
        urls = [u.removeprefix(siteurl) or "/" for u in urls]
    return [u for u in urls if u.startswith(("/", "#")) and not u.startswith("//")]


def page_weight(site: Site, path: Path) -> dict:
    """Bytes of one page's HTML and of the CSS and JS it loads (images excluded)."""
    doc = parse(path.read_text(encoding="utf-8"))
    css = [n.attrs["href"] for n in doc.find_all("link", rel="stylesheet")]
    js = [n.attrs["src"] for n in doc.find_all("script") if "src" in n.attrs]

    def size(urls):
        return sum(site.file(u.split("?")[0]).stat().st_size for u in urls)

    weight = {"html": path.stat().st_size, "css": size(css), "js": size(js)}
    weight["total"] = sum(weight.values())
    return weight


def page_kind(url: str) -> str:
    """A name for the kind of page a URL is, to report weights per kind."""
    parts = [p for p in url.strip("/").split("/") if p]
    if not parts:
        return "accueil"
    if parts[0] in ("offres", "aides", "recherche", "alertes"):
        return f"{parts[0]} (national)"
    if len(parts) == 1:
        operator = ("a-propos", "mentions-legales", "confidentialite", "accessibilite")
        return "page de l'exploitant" if parts[0] in operator else "territoire (accueil)"
    tail = parts[1:]
    if tail[0] == "offres":
        if len(tail) == 1:
            return "offres (liste)"
        return "offres (filtre)" if tail[1] in ("metier", "type") else "offre"
    if tail[-1] == "merci":
        return "merci"
    return tail[0] if tail[0] in ("welcomers", "pack", "aides") else "page libre"
