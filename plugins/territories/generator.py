"""Pelican glue: load the territories once, fill the context, then write every page."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import pickle
import re
import time
from pathlib import Path

from jinja2 import FileSystemBytecodeCache, nodes
from jinja2.ext import Extension
from pelican.generators import Generator

from . import catalogue, filters, images, incremental, launch, national, parallel, search
from .french import typography_html
from .map import territory_map
from .pages import (
    CachedSite,
    Output,
    TerritorySite,
    Urls,
    check_names,
    territory_outputs,
    upcoming_events,
)
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
    for name in ("css/site.css", "js/forms.js", "js/video.js", "js/offres.js", "js/search.js"):
        digest.update((Path(theme) / "static" / name).read_bytes())
    return digest.hexdigest()[:10]


def build_date(setting) -> dt.date:
    """The day placements and events are compared with: the setting (a date or "YYYY-MM-DD")."""
    if not setting:
        return dt.date.today()
    return setting if isinstance(setting, dt.date) else dt.date.fromisoformat(str(setting))


class TerritoriesGenerator(Generator):
    """Builds `/`, then each territory's landing, placements, welcomers, pack and free pages.

    Incremental: only territories whose folder changed are reloaded (the others come from the
    cache of the last build), only those or all when the theme or settings changed are
    re-rendered, and only files whose bytes changed are written (see incremental.py).
    """

    def generate_context(self):
        ours = with_defaults(self.settings)
        self.today = build_date(ours["TERRITORIES_TODAY"])
        self.standalone = ours["TERRITORY"] or None
        self.catalogue_path = Path(ours["FORMS_CATALOGUE_PATH"])
        self.territories_root = Path(ours["TERRITORIES_PATH"])
        self.cache = incremental.Cache(
            incremental.cache_dir(self.settings, self.output_path), Path(self.output_path)
        )
        self.keys = self.build_keys()
        self.plan = self.cache.plan(
            folders_of(self.territories_root, self.standalone),
            self.keys,
            # Pelican wipes the output folder between our two steps: everything is rewritten.
            full_render=bool(self.settings.get("DELETE_OUTPUT_DIRECTORY")),
        )
        self.models = self.load_models()
        sites = [self.site_of(t) for t in self.models.values()]
        sites += [self.cached_site(slug) for slug in self.plan.folders if slug not in self.models]
        # By name, then by folder as the loader returns them: the same order however loaded.
        self.sites = sorted(sites, key=lambda s: (s.territory.name, s.territory.slug))
        self.check_urls()
        self.context.update(
            {
                "FORMS_API_URL": ours["FORMS_API_URL"],
                "ASSET_VERSION": asset_version(self.theme),
                "TODAY": self.today,
                # In a standalone build the operator's pages wear the territory's colours.
                "SITE_TERRITORY": self.sites[0] if self.standalone else None,
                "territory_sites": self.sites,
                "HAS_NATIONAL_AIDS": any(s.territory.aids for s in self.sites),
            }
        )

    def build_keys(self) -> tuple[str, str]:
        """What loading, then rendering, depend on besides each territory's own folder."""
        operator = sorted(p.slug for p in self.context.get("pages", []))
        return (
            incremental.content_key(self.territories_root),
            incremental.render_key(self.settings, self.theme, [str(self.today), operator]),
        )

    def load_models(self) -> dict:
        """Every territory by slug: reloaded when its folder changed, else from the cache."""
        if not self.plan.folders:  # the loader says why: no folder, or no such territory
            loaded = load(self.territories_root, self.standalone)
        else:
            # New pickles are written while loading: no manifest may vouch for them until saved.
            if self.plan.reload:
                self.cache.invalidate()
            loaded = load_some(self.plan, self.cache)
        models = {t.slug: t for t in loaded}
        wanted = set(self.plan.render)
        for slug in self.plan.folders:
            # The others are only listed (home, 404): their summary from the manifest will do.
            if slug not in models and (slug in wanted or "summary" not in self.cache.entry(slug)):
                models[slug] = self.cache.load_model(slug)
        return models

    def prefix_of(self, slug: str) -> str:
        return "/" if self.standalone else f"/{slug}/"

    def site_of(self, territory) -> TerritorySite:
        """A territory with what is still on offer on the build date, and its URLs."""
        return TerritorySite(
            territory=territory,
            urls=Urls(self.prefix_of(territory.slug)),
            placements=territory.open_placements(self.today),
            events=tuple(upcoming_events(territory, self.today)),
            today=self.today,
            siteurl=self.settings["SITEURL"],
        )

    def cached_site(self, slug: str) -> CachedSite:
        """A territory of the last build, read from its model only if a page needs more."""
        summary = self.cache.entry(slug)["summary"]
        urls = Urls(self.prefix_of(slug))
        return CachedSite(slug, summary, urls, lambda: self.site_of(self.cache.load_model(slug)))

    def check_urls(self) -> None:
        """Stop the build when two pages would share one URL."""
        # The operator's pages (PagesGenerator ran first) share "/" with a standalone territory.
        operator = {p.slug for p in self.context.get("pages", [])}
        taken = operator if self.standalone else set()
        # Cached territories were checked when loaded (operator page names are in the render
        # key: a change to them renders, so loads, every territory).
        problems = [p for t in self.models.values() for p in check_names(t, taken)]
        if not self.standalone:
            problems += self.slug_collisions(operator)
        if problems:
            raise BuildStopped("\n".join(problems))

    def slug_collisions(self, operator: set[str]) -> list[str]:
        """Territory folders whose name is already a URL of the operator's site."""
        taken = operator | {"theme", "sitemap.xml", "robots.txt", "api", *national.ROOT_NAMES}
        return [
            f"{site.territory.source_dir}: le nom de dossier « {site.territory.slug} » est "
            "réservé par le site ; renommez le dossier."
            for site in self.sites
            if site.territory.slug in taken
        ]

    def generate_output(self, writer):
        # Pages are rendered and written here, not through writer.write_file: the writer
        # always rewrites (new mtimes: a no-op deploy would upload every file) and copies the
        # whole context per page; comparing hashes first needs the bytes before writing.
        plan = self.plan
        changed = plan.reload or plan.render or plan.removed
        if not changed and incremental.SHARED not in plan.untrusted and self.catalogue_ok():
            # Nothing to write: the home page, sitemap and catalogue are those of the last build.
            if self.cache.stats_changed(plan):
                self.cache.save(self.keys, plan, {})
            self.note_outputs()
            return
        self.cache.invalidate()
        self.made_dirs: dict[str, bool] = {}
        wanted = set(plan.render)
        rendered = [site for site in self.sites if site.territory.slug in wanted]
        self.photos = self.prepare_images(rendered)
        if rendered:
            self.compile_templates()
        entries = dict(parallel.map_chunks(self.render_sites, rendered))
        self.add_summaries(entries)
        entries[incremental.SHARED] = {"outputs": self.write_site_files(entries)}
        output = Path(self.output_path)
        for slug in plan.removed:
            incremental.remove_stale(output, self.cache.outputs(slug), {})
        self.cache.save(self.keys, plan, entries)
        texts = {slug: self.cache.entry(slug)["catalogue"] for slug in plan.folders}
        catalogue.write_texts(texts, self.catalogue_path)
        self.note_outputs()

    def note_outputs(self) -> None:
        """Tell the launcher (if it started this build) which files vouch for our outputs."""
        output = self.output_path
        firsts = [self.cache.entry(slug).get("first") for slug in [*self.plan.folders, ""]]
        vouching = [os.path.join(output, first) for first in firsts if first]
        vouching += [str(self.catalogue_path), str(self.cache.folder / incremental.MANIFEST)]
        launch.note_outputs(set() if self.standalone else set(self.plan.folders), vouching)

    def add_summaries(self, entries: dict) -> None:
        """Each loaded territory's summary and catalogue entry, kept for the next builds."""
        for site in self.sites:
            if isinstance(site, CachedSite):
                continue
            slug = site.territory.slug
            entry = entries.setdefault(slug, dict(self.cache.entry(slug)))
            entry["summary"] = site.summary()
            entry["catalogue"] = catalogue.entry_text(
                catalogue.territory_entry(site.territory, site.urls.prefix, self.today)
            )

    def compile_templates(self) -> None:
        """Compile the theme's templates once, before forking: the workers inherit them."""
        folder = Path(self.theme) / "templates"
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                self.env.get_template(path.relative_to(folder).as_posix())

    def prepare_images(self, sites: list[TerritorySite]) -> dict[str, images.SiteImages]:
        """The resized copies of the photos these sites show, made before any page (in
        parallel, only those not cached), by slug."""
        ours = with_defaults(self.settings)
        folder = ours["TERRITORIES_IMAGE_CACHE_PATH"]
        cache = Path(folder) if folder else self.cache.folder / "images"
        prepared = {}
        for site in sites:
            t = site.territory
            known = self.plan.fingerprints.get(t.slug, ("", {}))[1]
            hashes = {rel: entry[2] for rel, entry in known.items()}
            prepared[t.slug] = images.site_images(
                t, site.urls.prefix, self.settings["SITEURL"], cache, hashes
            )
        images.prepare(list(prepared.values()), [s.territory for s in sites])
        return prepared

    def catalogue_ok(self) -> bool:
        """The catalogue of the last build is still there (called when nothing changed)."""
        return self.catalogue_path.is_file()

    def render_sites(self, sites: list[TerritorySite]) -> list[tuple[str, dict]]:
        """Render and write every file of these territories: [(slug, manifest entry)]."""
        return [(site.territory.slug, self.render_site(site)) for site in sites]

    def render_site(self, site: TerritorySite) -> dict:
        """One territory's pages and images, written when changed; stale files removed."""
        slug = site.territory.slug
        known = self.known_outputs(slug)
        photos = self.photos[slug]
        shared = {
            **site.shared(),
            "photos": photos,
            "territory_map": territory_map(site, self.settings["SITEURL"]),
        }
        values = self.page_values(shared)
        self.env.fragment_cache = {}  # fragments are shared by one territory's pages only
        files = {}
        planned = territory_outputs(site)
        for output in planned:
            data = self.render(output, values)
            files[output.save_as] = self.write(output.save_as, data, known)
        for rel, source, sha in photos.outputs():
            files[rel] = sha if known.get(rel) == sha else self.write(rel, source.read_bytes(), {})
        for rel, source in images.svg_outputs(site.territory, site.urls.prefix):
            files[rel] = self.write(rel, source.read_bytes(), known)
        self.env.fragment_cache = None
        incremental.remove_stale(Path(self.output_path), self.cache.outputs(slug), files)
        return {"outputs": files, "sitemap": [o.url for o in planned if o.in_sitemap]}

    def known_outputs(self, slug: str) -> dict[str, str]:
        """Hashes of the files on disk, unless the output folder was wiped."""
        return {} if slug in self.plan.untrusted else self.cache.outputs(slug)

    def page_values(self, shared: dict) -> dict:
        """The variables of every page of one territory: Pelican's context, then `shared`."""
        return {**self.context, "localsiteurl": None, **shared}

    def render(self, output: Output, values: dict) -> bytes:
        """A page's bytes, with the variables Pelican's writer would pass."""
        page = {**values, **output.values, "output_file": output.save_as, "page_url": output.url}
        filters = search.page_filters(output, values.get("tsite"))
        if filters is not None:  # the page is indexed for the search (search.py)
            page["search"] = filters
        text = self.env.get_template(output.template).render(page)
        if output.save_as.endswith(".html"):
            text = typography_html(text)
        return text.encode("utf-8")

    def write(self, rel: str, data: bytes, known: dict) -> str:
        output = self.output_path
        return incremental.write_if_changed(output, rel, data, known.get(rel), self.made_dirs)

    def write_site_files(self, entries: dict) -> dict[str, str]:
        """The home page, sitemap.xml (our pages and the operator's) and robots.txt."""
        known = self.known_outputs(incremental.SHARED)
        home = [] if self.standalone else [Output("/", "home.html", {})]
        home += national.national_outputs(self.sites, bool(self.standalone))
        urls = [o.url for o in home if o.in_sitemap]
        for site in self.sites:
            slug = site.territory.slug
            # Territories not re-rendered: their URLs as the last build recorded them.
            urls += entries[slug]["sitemap"] if slug in entries else self.cache.sitemap(slug)
        urls += [f"/{p.url}" for p in self.context.get("pages", [])]
        files = {}
        values = self.page_values({})
        for output in home:
            files[output.save_as] = self.write(output.save_as, self.render(output, values), known)
        for name in ("sitemap.xml", "robots.txt"):
            data = self.render(Output(f"/{name}", name, {"sitemap_urls": urls}), values)
            files[name] = self.write(name, data, known)
        old = self.cache.outputs(incremental.SHARED)
        incremental.remove_stale(Path(self.output_path), old, files)
        return files


def folders_of(root: Path, only: str | None) -> dict[str, Path]:
    """The territory folders the loader would read, by slug (the loader reports if none)."""
    if not root.is_dir():
        return {}
    folders = {
        p.name: p
        for p in sorted(root.iterdir())
        if p.is_dir() and not p.name.startswith((".", "_"))
    }
    return {only: folders[only]} if only and only in folders else ({} if only else folders)


def load_some(plan: incremental.Plan, cache: incremental.Cache) -> list:
    """Load the territories to reload, in two processes when there are many; each error reported.

    Each process fingerprints the folders it loads when the plan left that to it, and stores
    the pickled models in the cache; a worker sends back those same bytes (pickled once).
    """
    from .errors import ContentErrors

    now = time.time_ns()

    def job(slugs: list[str]) -> list:
        return [_load_one(slug, plan, cache, now) for slug in slugs]

    results = parallel.map_chunks(job, plan.reload)
    errors = [e for _, _, found in results for e in found]
    if errors:
        raise BuildStopped(str(ContentErrors(sorted(errors, key=lambda e: (e.path, e.line)))))
    territories = []
    for territory, fingerprint, _ in results:
        territory = pickle.loads(territory) if isinstance(territory, bytes) else territory
        plan.fingerprints[territory.slug] = fingerprint
        territories.append(territory)
    return territories


def _load_one(slug: str, plan: incremental.Plan, cache: incremental.Cache, now: int) -> tuple:
    """(territory, or its pickle from a worker, or None; fingerprint; errors) of one folder."""
    from .loader import ContentErrors, load_territory

    folder = plan.folders[slug]
    fingerprint = plan.fingerprints.get(slug) or incremental.fingerprint(
        folder, cache.entry(slug).get("files", {}), now
    )
    try:
        territory = load_territory(folder)
    except ContentErrors as found:
        return None, fingerprint, found.errors
    data = pickle.dumps(territory, protocol=5)
    cache.store_model(slug, data)
    return (data if parallel.in_worker() else territory), fingerprint, []


class StripIndent(Extension):
    """Drop the indentation of template lines: readable templates, no bytes spent on it."""

    def preprocess(self, source, name, filename=None):
        return INDENT.sub("\n", source)


class FragmentCache(Extension):
    """`{% cache key, … %}…{% endcache %}`: a fragment rendered once per territory, then reused.

    Jinja's own fragment-cache example, kept in memory for one territory's pages only (the
    generator empties it before each territory): the parts of a form or a card that are the
    same on every page of a territory are rendered once instead of once per page. The key must
    name everything the fragment shows besides the territory's and the site's settings.
    Outside the territories' pages (the operator's pages) nothing is cached.
    """

    tags = frozenset({"cache"})

    def __init__(self, environment):
        super().__init__(environment)
        environment.extend(fragment_cache=None)

    def parse(self, parser):
        lineno = next(parser.stream).lineno
        key = parser.parse_tuple()
        body = parser.parse_statements(("name:endcache",), drop_needle=True)
        call = self.call_method("_cached", [key])
        return nodes.CallBlock(call, [], [], body).set_lineno(lineno)

    def _cached(self, key, caller):
        cache = self.environment.fragment_cache
        if cache is None:
            return caller()
        if key not in cache:
            cache[key] = caller()
        return cache[key]


def add_filters(generator) -> None:
    """Our Jinja filters, in every generator's environment (the operator pages use them too)."""
    generator.env.add_extension(StripIndent)
    generator.env.add_extension(FragmentCache)
    # Templates do not change during a build (each build, --autoreload's too, makes a new
    # environment): no stat of each template and its parents at every page.
    generator.env.auto_reload = False
    # Compiled templates kept between builds: compiling them is most of a small rebuild.
    generator.env.bytecode_cache = bytecode_cache(generator)
    generator.env.filters.update(filters.FILTERS)
    # JSON-LD in UTF-8 and without spaces: half the bytes of Jinja's default `tojson`.
    generator.env.policies["json.dumps_kwargs"] = {
        "sort_keys": True,
        "ensure_ascii": False,
        "separators": (",", ":"),
    }


def bytecode_cache(generator) -> FileSystemBytecodeCache:
    """Jinja's compiled templates in our cache folder (Jinja checks each template's source)."""
    # StripIndent changes what is compiled: a new version of this file gets a new folder.
    version = incremental.digest(Path(__file__).read_bytes())[:8]
    cache = incremental.cache_dir(generator.settings, generator.output_path)
    folder = cache / f"jinja-{version}"
    folder.mkdir(parents=True, exist_ok=True)
    return FileSystemBytecodeCache(str(folder))
