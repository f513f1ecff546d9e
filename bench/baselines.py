"""The same corpus as plain markdown pages, for stock Pelican and for Hugo.

Each territory gives the pages our site has: a landing page (its YAML intro and key figures),
the placements list, one page per placement, the welcomers page, the pack page and one page per
free page, at the same URLs. Both baselines get the very same markdown bodies; only the header
syntax differs (Pelican's `Key: value` metadata, Hugo's YAML front matter).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import yaml
from corpus import slugify

THANKS = "Votre demande a bien été reçue : nous vous répondons sous deux jours ouvrés."

PELICAN_SETTINGS = """\
# Stock Pelican, default theme: only paths and language set. One deviation, on purpose:
# with DISPLAY_PAGES_ON_MENU (default True) every page lists all pages in its menu, which makes
# the output quadratic in the page count and would measure the theme, not the engine.
PATH = {content!r}
OUTPUT_PATH = {output!r}
SITENAME = "Territoires (Pelican de référence)"
SITEURL = ""
TIMEZONE = "Europe/Paris"
DEFAULT_LANG = "fr"
DISPLAY_PAGES_ON_MENU = False
"""

HUGO_CONFIG = """\
baseURL = "/"
languageCode = "fr"
title = "Territoires (Hugo de référence)"
disableKinds = ["taxonomy", "term", "RSS", "sitemap", "robotsTXT", "404"]
"""

HUGO_LAYOUTS = {
    "_default/baseof.html": """<!doctype html>
<html lang="fr"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ .Title }} · {{ .Site.Title }}</title></head>
<body><header><a href="{{ .Site.Home.RelPermalink }}">{{ .Site.Title }}</a>
{{ with .Parent }}› <a href="{{ .RelPermalink }}">{{ .Title }}</a>{{ end }}</header>
<main>{{ block "main" . }}{{ end }}</main></body></html>
""",
    "_default/single.html": """{{ define "main" }}<h1>{{ .Title }}</h1>
{{ .Content }}{{ end }}
""",
    "_default/list.html": """{{ define "main" }}<h1>{{ .Title }}</h1>
{{ .Content }}
<ul>{{ range .Pages }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a></li>{{ end }}</ul>
{{ end }}
""",
}


@dataclass(frozen=True)
class PlainPage:
    """One page of the baselines: where it goes, its title, its markdown body."""

    path: str  # URL path without slashes at the ends, e.g. "brenne/offres/stage-1"
    title: str
    body: str
    is_section: bool = False  # a Hugo section index (_index.md): the territory, its list


def split_front_matter(text: str) -> tuple[dict, str]:
    """The YAML front matter and the markdown body of a content file."""
    _, front, body = text.split("---\n", 2)
    return yaml.safe_load(front), body


def meta_list(meta: dict, keys: tuple[str, ...]) -> str:
    """A markdown list of the given front matter fields (the placement's facts)."""
    return "\n".join(f"- **{key}** : {meta[key]}" for key in keys if key in meta)


def territory_pages(folder: Path) -> list[PlainPage]:
    """Every page of one territory folder."""
    slug, data = folder.name, yaml.safe_load((folder / "territory.yaml").read_text("utf-8"))
    figures = "\n".join(f"- {f['value']} : {f['label']}" for f in data.get("key_figures", []))
    pages = [PlainPage(slug, data["name"], f"{data.get('intro', '')}\n\n{figures}\n", True)]
    pages += placement_pages(slug, sorted((folder / "placements").glob("*.md")))
    pages.append(PlainPage(f"{slug}/welcomers", "Les welcomers", welcomers_md(data)))
    pages.append(PlainPage(f"{slug}/welcomers/merci", "Merci", THANKS))
    if data.get("pack"):
        pages.append(PlainPage(f"{slug}/pack", data["pack"]["name"], pack_md(data["pack"])))
        pages.append(PlainPage(f"{slug}/pack/merci", "Merci", THANKS))
    for file in sorted((folder / "pages").glob("*.md")):
        meta, body = split_front_matter(file.read_text("utf-8"))
        pages.append(PlainPage(f"{slug}/{file.stem}", meta["title"], body))
    return pages


def placement_pages(slug: str, files: list[Path]) -> list[PlainPage]:
    """One page per placement, the list, and one list per profession and per kind."""
    pages, groups = [], {}
    for file in files:
        meta, body = split_front_matter(file.read_text("utf-8"))
        facts = meta_list(meta, ("profession", "kind", "commune", "structure", "start", "end"))
        pages.append(PlainPage(f"{slug}/offres/{file.stem}", meta["title"], f"{facts}\n\n{body}"))
        link = f"- [{meta['title']}](/{slug}/offres/{file.stem}/)"
        groups.setdefault(("offres", "Offres de stage et de remplacement"), []).append(link)
        groups.setdefault(
            (f"offres/metier/{slugify(meta['profession'])}", meta["profession"]), []
        ).append(link)
        groups.setdefault((f"offres/type/{meta['kind']}", meta["kind"]), []).append(link)
    for (path, title), links in groups.items():
        pages.append(PlainPage(f"{slug}/{path}", title, "\n".join(links), path == "offres"))
    return pages


def welcomers_md(data: dict) -> str:
    """The welcomers as markdown sections."""
    return "\n\n".join(
        f"## {w['first_name']}, {w['commune']}\n\n{w['bio']}" for w in data.get("welcomers", [])
    )


def pack_md(pack: dict) -> str:
    """The pack's contents and price as markdown."""
    contents = "\n".join(f"- {item}" for item in pack["contents"])
    subsidy = pack.get("subsidy_eur", 0)
    return f"{contents}\n\nPrix : {pack['price_eur']} €, dont {subsidy} € pris en charge."


def corpus_pages(territories: Path) -> list[PlainPage]:
    """Every page of every territory of the corpus, in a stable order."""
    folders = sorted(p for p in territories.iterdir() if (p / "territory.yaml").exists())
    return [page for folder in folders for page in territory_pages(folder)]


def write_pelican_site(pages: list[PlainPage], site: Path, output: Path) -> Path:
    """Pelican content (pages at our URLs) and its settings file; returns the settings path."""
    content = site / "content" / "pages"
    for page in pages:
        file = content / f"{page.path}.md"
        file.parent.mkdir(parents=True, exist_ok=True)
        header = (
            f"Title: {page.title}\nSlug: {page.path.replace('/', '-')}\n"
            f"URL: {page.path}/\nSave_as: {page.path}/index.html\n\n"
        )
        file.write_text(header + page.body, encoding="utf-8")
    settings = site / "pelicanconf.py"
    settings.write_text(
        PELICAN_SETTINGS.format(content=str(site / "content"), output=str(output)), "utf-8"
    )
    return settings


def write_hugo_site(pages: list[PlainPage], site: Path) -> Path:
    """A Hugo site with a minimal layout; returns the site folder."""
    site.mkdir(parents=True, exist_ok=True)
    (site / "config.toml").write_text(HUGO_CONFIG, encoding="utf-8")
    for name, text in HUGO_LAYOUTS.items():
        (site / "layouts" / name).parent.mkdir(parents=True, exist_ok=True)
        (site / "layouts" / name).write_text(text, encoding="utf-8")
    content = site / "content"
    content.mkdir(parents=True, exist_ok=True)
    (content / "_index.md").write_text('---\ntitle: "Territoires"\n---\n', encoding="utf-8")
    for page in pages:
        file = content / (f"{page.path}/_index.md" if page.is_section else f"{page.path}.md")
        file.parent.mkdir(parents=True, exist_ok=True)
        front = f"---\ntitle: {json.dumps(page.title, ensure_ascii=False)}\n---\n"
        file.write_text(front + page.body, encoding="utf-8")
    return site
