"""Pelican glue: load the territories once, fill the context, then write every page."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import shutil
from pathlib import Path

from jinja2.ext import Extension
from pelican.generators import Generator

from . import catalogue, filters
from .pages import Output, TerritorySite, Urls, check_names, territory_outputs, upcoming_events
from .settings import with_defaults

INDENT = re.compile(r"\n[ \t]+")


class BuildStopped(SystemExit):
    """Stops `pelican` with the full list of content errors and exit status 1, no traceback."""

    def __init__(self, errors: str):
        super().__init__(f"La construction du site s'arrête.\n{errors}")


def load(root: Path, only: str | None):
    """The territories under `root`; the loader is imported late so a bad install fails here."""
    from .loader import ContentErrors, load_territories

    try:
        return load_territories(root, only=only)
    except ContentErrors as errors:
        raise BuildStopped(str(errors)) from None


def asset_version(theme: str) -> str:
    """A short hash of the stylesheet and script, so browsers may cache them for long."""
    digest = hashlib.sha256()
    for name in ("css/site.css", "js/forms.js"):
        digest.update((Path(theme) / "static" / name).read_bytes())
    return digest.hexdigest()[:10]


def build_date(setting) -> dt.date:
    """The day placements and events are compared with: the setting (a date or "YYYY-MM-DD")."""
    if not setting:
        return dt.date.today()
    return setting if isinstance(setting, dt.date) else dt.date.fromisoformat(str(setting))


class TerritoriesGenerator(Generator):
    """Builds `/`, then each territory's landing, placements, welcomers, pack and free pages."""

    def generate_context(self):
        ours = with_defaults(self.settings)
        self.today = build_date(ours["TERRITORIES_TODAY"])
        self.standalone = ours["TERRITORY"] or None
        self.catalogue_path = Path(ours["FORMS_CATALOGUE_PATH"])
        self.territories_root = Path(ours["TERRITORIES_PATH"])
        self.territories = sorted(
            load(self.territories_root, self.standalone), key=lambda t: t.name
        )
        self.sites = [self.site_of(t) for t in self.territories]
        self.check_urls()
        self.context.update(
            {
                "FORMS_API_URL": ours["FORMS_API_URL"],
                "ASSET_VERSION": asset_version(self.theme),
                "TODAY": self.today,
                # In a standalone build the operator's pages wear the territory's colours.
                "SITE_TERRITORY": self.sites[0] if self.standalone else None,
                "territory_sites": self.sites,
            }
        )

    def prefix_of(self, territory) -> str:
        return "/" if self.standalone else f"/{territory.slug}/"

    def site_of(self, territory) -> TerritorySite:
        """A territory with what is still on offer on the build date, and its URLs."""
        return TerritorySite(
            territory=territory,
            urls=Urls(self.prefix_of(territory)),
            placements=territory.open_placements(self.today),
            events=tuple(upcoming_events(territory, self.today)),
            today=self.today,
            siteurl=self.settings["SITEURL"],
        )

    def check_urls(self) -> None:
        """Stop the build when two pages would share one URL."""
        # The operator's pages (PagesGenerator ran first) share "/" with a standalone territory.
        operator = {p.slug for p in self.context.get("pages", [])}
        taken = operator if self.standalone else set()
        problems = [p for site in self.sites for p in check_names(site.territory, taken)]
        if not self.standalone:
            problems += self.slug_collisions(operator)
        if problems:
            raise BuildStopped("\n".join(problems))

    def slug_collisions(self, operator: set[str]) -> list[str]:
        """Territory folders whose name is already a URL of the operator's site."""
        taken = operator | {"theme", "sitemap.xml", "robots.txt", "api"}
        return [
            f"{site.territory.source_dir}: le nom de dossier « {site.territory.slug} » est "
            "réservé par le site ; renommez le dossier."
            for site in self.sites
            if site.territory.slug in taken
        ]

    def outputs(self) -> list[tuple[TerritorySite | None, Output]]:
        """Every file to write, with the territory it belongs to."""
        planned = [] if self.standalone else [(None, Output("/", "home.html", {}))]
        for site in self.sites:
            planned += [(site, output) for output in territory_outputs(site)]
        return planned

    def generate_output(self, writer):
        planned = self.outputs()
        shared = {site.territory.slug: site.shared() for site in self.sites}
        for site, output in planned:
            values = dict(shared[site.territory.slug]) if site else {}
            values.update(output.values, page_url=output.url)
            template = self.env.get_template(output.template)
            writer.write_file(output.save_as, template, self.context, **values)
        self.write_site_files(writer, planned)
        self.copy_images()
        catalogue.write_catalogue(self.territories, self.prefix_of, self.today, self.catalogue_path)

    def write_site_files(self, writer, planned) -> None:
        """sitemap.xml (our pages and the operator's) and robots.txt."""
        urls = [o.url for _, o in planned if o.in_sitemap]
        urls += [f"/{p.url}" for p in self.context.get("pages", [])]
        for name in ("sitemap.xml", "robots.txt"):
            template = self.env.get_template(name)
            writer.write_file(name, template, self.context, sitemap_urls=urls)

    def copy_images(self) -> None:
        """Each territory's images/ folder, beside its pages (logos, photos)."""
        for site in self.sites:
            source = site.territory.source_dir / "images"
            if source.is_dir():
                target = Path(self.output_path) / site.urls.prefix.lstrip("/") / "images"
                shutil.copytree(source, target, dirs_exist_ok=True)


class StripIndent(Extension):
    """Drop the indentation of template lines: readable templates, no bytes spent on it."""

    def preprocess(self, source, name, filename=None):
        return INDENT.sub("\n", source)


def add_filters(generator) -> None:
    """Our Jinja filters, in every generator's environment (the operator pages use them too)."""
    generator.env.add_extension(StripIndent)
    generator.env.filters.update(filters.FILTERS)
    # JSON-LD in UTF-8 and without spaces: half the bytes of Jinja's default `tojson`.
    generator.env.policies["json.dumps_kwargs"] = {
        "sort_keys": True,
        "ensure_ascii": False,
        "separators": (",", ":"),
    }
