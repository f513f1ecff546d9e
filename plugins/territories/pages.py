"""The URL scheme and the plan of every file a territory's site is made of: pure, no Pelican."""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

from . import aids, calendar, jsonld
from .catalogue import interests_of
from .french import capfirst
from .model import SCHOOL_LEVELS, Event, Placement, Territory

# Sub-paths a territory's site uses itself: a free page may not take one of these names.
RESERVED_PAGE_NAMES = (
    "offres",
    "aides",
    "recherche",
    "alertes",
    "welcomers",
    "pack",
    "images",
    "brand.css",
    "evenements.ics",
    "evenements",
    "devenir-welcomer",
)
# Filter pages live under these folders of /offres/, so no placement id may be one of them.
RESERVED_PLACEMENT_IDS = ("metier", "type", "atom.xml")


def slugify(text: str) -> str:
    """An ASCII URL segment: « Médecin généraliste » → medecin-generaliste."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = "".join(c if c.isalnum() else " " for c in ascii_text.lower()).split()
    return "-".join(words)


@dataclass(frozen=True)
class Urls:
    """Every path of one territory's site, under its prefix ("/loiret/", or "/" alone)."""

    prefix: str

    def landing(self) -> str:
        return self.prefix

    def offres(self) -> str:
        return f"{self.prefix}offres/"

    def placement(self, placement_id: str) -> str:
        return f"{self.prefix}offres/{placement_id}/"

    def profession(self, profession: str) -> str:
        return f"{self.prefix}offres/metier/{slugify(profession)}/"

    def kind(self, kind: str) -> str:
        return f"{self.prefix}offres/type/{slugify(kind)}/"

    def feed(self) -> str:
        return f"{self.prefix}offres/atom.xml"

    def aides(self) -> str:
        return f"{self.prefix}aides/"

    def aid_profession(self, profession_slug: str) -> str:
        return f"{self.prefix}aides/metier/{profession_slug}/"

    def aid_stage(self, stage: str) -> str:
        return f"{self.prefix}aides/etape/{slugify(stage)}/"

    def welcomers(self) -> str:
        return f"{self.prefix}welcomers/"

    def welcomers_thanks(self) -> str:
        return f"{self.prefix}welcomers/merci/"

    def pack(self) -> str:
        return f"{self.prefix}pack/"

    def pack_thanks(self) -> str:
        return f"{self.prefix}pack/merci/"

    def page(self, slug: str) -> str:
        return f"{self.prefix}{slug}/"

    def event(self, page_id: str) -> str:
        return f"{self.prefix}evenements/{page_id}/"

    def event_thanks(self, page_id: str, waitlisted: bool = False) -> str:
        """Where a registration lands: confirmed, or on the waiting list."""
        return f"{self.event(page_id)}{'liste-d-attente' if waitlisted else 'merci'}/"

    def become_welcomer(self) -> str:
        return f"{self.prefix}devenir-welcomer/"

    def become_welcomer_thanks(self) -> str:
        return f"{self.prefix}devenir-welcomer/merci/"

    def calendar(self) -> str:
        return f"{self.prefix}evenements.ics"

    def brand_css(self) -> str:
        return f"{self.prefix}brand.css"

    def asset(self, relative_path: str) -> str:
        """A file of the territory folder (e.g. images/logo.svg), copied beside its pages."""
        return f"{self.prefix}{relative_path}"


def save_as(url: str) -> str:
    """The output file of a URL: folders get an index.html."""
    path = url.lstrip("/")
    return f"{path}index.html" if path.endswith("/") or not path else path


@dataclass(frozen=True)
class Output:
    """One file to write: its URL, template and the variables that page adds."""

    url: str
    template: str
    values: dict = field(default_factory=dict)
    # Thank-you pages, feeds and calendars are not pages worth indexing.
    in_sitemap: bool = True

    @property
    def save_as(self) -> str:
        return save_as(self.url)


def summary(text: str, limit: int = 155) -> str:
    """A meta description: whole words, at most `limit` characters, search engines cut beyond."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    return text[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:") + "…"


def upcoming_events(territory: Territory, today: dt.date) -> list[Event]:
    """Events not yet over on `today`, soonest first."""
    events = (e for e in territory.events if (e.end or e.start).date() >= today)
    return sorted(events, key=lambda e: e.start)


def grouped(items: Iterable, key) -> list[tuple[str, list]]:
    """Items grouped by `key`, groups in order of first appearance."""
    groups: dict[str, list] = {}
    for item in items:
        groups.setdefault(key(item), []).append(item)
    return list(groups.items())


def schools_by_level(territory: Territory) -> list[tuple[str, list]]:
    """Schools grouped by level, from nursery school to university."""
    ordered = sorted(territory.schools, key=lambda s: SCHOOL_LEVELS.index(s.level))
    return grouped(ordered, lambda s: s.level)


def check_names(territory: Territory, taken: Iterable[str] = ()) -> list[str]:
    """Messages for free pages and placements whose name collides with another URL."""
    problems = []
    for page in territory.pages:
        if page.slug in RESERVED_PAGE_NAMES or page.slug in taken:
            problems.append(
                f"{page.source_path}: le nom de fichier « {page.slug} » est réservé "
                "par le site ; renommez la page."
            )
    for placement in territory.placements:
        if placement.id in RESERVED_PLACEMENT_IDS:
            problems.append(
                f"{placement.source_path}: le nom de fichier « {placement.id} » est réservé "
                "par le site ; renommez l'offre."
            )
    seen: set[str] = set()
    for event in territory.events:  # ids are unique; ids derived from day and title may not be
        if event.page_id in seen:
            problems.append(
                f"{territory.source_dir}/territory.yaml: deux événements auraient la même "
                f"adresse « evenements/{event.page_id}/ » ; donnez à l'un un « id »."
            )
        seen.add(event.page_id)
    return problems


@dataclass(frozen=True)
class TerritorySite:
    """What every page of one territory shares: the territory, its URLs, what is on offer."""

    territory: Territory
    urls: Urls
    placements: tuple[Placement, ...]
    events: tuple[Event, ...]
    today: dt.date
    siteurl: str = ""

    @property
    def placement_count(self) -> int:
        """How many placements are on offer (what pages listing every territory show)."""
        return len(self.placements)

    def summary(self) -> dict:
        """What pages listing every territory read of it, kept for the next build (CachedSite)."""
        t = self.territory
        return {
            "name": t.name,
            "kind": t.kind,
            "tagline": t.tagline,
            "placement_count": self.placement_count,
        }

    @property
    def has_welcomer_form(self) -> bool:
        """The request form sits on the welcomers page and on every placement page."""
        return bool(self.territory.welcomers or self.placements)

    def filters(self) -> dict[str, list[tuple[str, str, tuple[Placement, ...]]]]:
        """Per dimension, (label, URL, placements) of each filter page; one page per URL name."""
        dimensions = {
            "profession": (lambda p: p.profession, self.urls.profession),
            "kind": (lambda p: p.kind, self.urls.kind),
        }
        return {
            dimension: [
                (key(listed[0]), url_of(key(listed[0])), tuple(listed))
                for _, listed in grouped(self.placements, lambda p, key=key: slugify(key(p)))
            ]
            for dimension, (key, url_of) in dimensions.items()
        }

    def shared(self) -> dict:
        """Variables every page of this territory gets."""
        t = self.territory
        return {
            "tsite": self,
            "territory": t,
            "urls": self.urls,
            "placements": self.placements,
            "events": self.events,
            "interests": interests_of(t),
            "pages_sorted": sorted(t.pages, key=lambda p: (p.order is None, p.order, p.title)),
            "has_welcomer_form": self.has_welcomer_form,
            "filters": self.filters(),
        }


class CachedTerritory:
    """A territory of the last build: its summary at hand, its model loaded on first need."""

    def __init__(self, slug: str, summary: dict, site: CachedSite):
        self.slug = slug
        self.name = summary["name"]
        self.kind = summary["kind"]
        self.tagline = summary["tagline"]
        self._site = site

    def __getattr__(self, name: str):  # only for what the summary does not hold
        return getattr(self._site.loaded().territory, name)


class CachedSite:
    """A TerritorySite of a territory this build neither reloads nor renders.

    Pages that list every territory (home, 404) read only its summary (name, kind, tagline,
    URLs, number of placements): a rebuild at 1,000 territories does not unpickle 999 models
    for them. Anything else a template asks for loads the real site (`load()`), so the output
    is the same whatever it reads.
    """

    def __init__(self, slug: str, summary: dict, urls: Urls, load):
        self.urls = urls
        self.placement_count = summary["placement_count"]
        self.territory = CachedTerritory(slug, summary, self)
        self._load = load
        self._site: TerritorySite | None = None

    def loaded(self) -> TerritorySite:
        if self._site is None:
            self._site = self._load()
        return self._site

    def __getattr__(self, name: str):  # only for what the summary does not hold
        if name.startswith("__"):  # copy and pickle probe special names: not the model's
            raise AttributeError(name)
        return getattr(self.loaded(), name)


def landing(site: TerritorySite) -> Output:
    t = site.territory
    events = [jsonld.event(e, t, site.siteurl + site.urls.landing()) for e in site.events]
    return Output(
        site.urls.landing(),
        "territory.html",
        {
            "title": f"{t.name} – {t.tagline}",
            "description": summary(f"{t.tagline}. {jsonld.plain_text(t.intro_html)}"),
            "assets_by_category": grouped(t.assets, lambda a: a.category),
            "schools_by_level": schools_by_level(t),
            "jsonld": events,
        },
    )


def placement_lists(site: TerritorySite) -> list[Output]:
    """The list of open placements, then one filtered list per profession and per kind."""
    if not site.placements:
        return []
    name, names = site.territory.name, site.territory.names
    outputs = [
        Output(
            site.urls.offres(),
            "offres.html",
            {
                "title": f"Remplacements, stages et collaborations – {name}",
                "description": "Remplacements, stages et collaborations pour venir essayer "
                f"le territoire {names.in_}.",
                "listed": site.placements,
                "filter": None,
            },
        )
    ]
    for dimension, choices in site.filters().items():
        for value, url, listed in choices:
            outputs.append(
                Output(
                    url,
                    "offres.html",
                    {
                        "title": f"{capfirst(value)} {names.in_} – {name}",
                        "description": f"Offres « {value} » {names.in_} : remplacements, "
                        "stages et collaborations pour venir essayer le territoire.",
                        "listed": listed,
                        "filter": {"dimension": dimension, "value": value},
                    },
                )
            )
    return outputs


def placement_pages(site: TerritorySite) -> list[Output]:
    """One page per open placement, with its JobPosting and the request form."""
    t = site.territory
    return [
        Output(
            site.urls.placement(p.id),
            "offre.html",
            {
                "title": f"{p.title} – {t.name}",
                "description": summary(
                    f"{p.kind.capitalize()} ({p.profession}) à {p.commune} : "
                    + jsonld.plain_text(p.body_html)
                ),
                "placement": p,
                "jsonld": [
                    jsonld.job_posting(p, t, site.siteurl + site.urls.placement(p.id), site.today)
                ],
            },
        )
        for p in site.placements
    ]


def feed(site: TerritorySite) -> list[Output]:
    if not site.placements:
        return []
    return [Output(site.urls.feed(), "feeds/atom.xml", {}, in_sitemap=False)]


def welcomer_pages(site: TerritorySite) -> list[Output]:
    """The welcomers' profiles with the request form, and the thank-you page of that form."""
    t = site.territory
    outputs = []
    if t.welcomers:
        outputs.append(
            Output(
                site.urls.welcomers(),
                "welcomers.html",
                {
                    "title": f"Parler à un welcomer – {t.name}",
                    "description": f"Des habitants {t.names.of}, ambassadeurs du territoire, "
                    "répondent à vos questions sur les écoles, le logement, l'emploi du "
                    "conjoint.",
                },
            )
        )
    if site.has_welcomer_form:
        outputs.append(
            Output(
                site.urls.welcomers_thanks(),
                "merci.html",
                {
                    "title": f"Demande reçue – {t.name}",
                    "description": "Votre demande de mise en relation est bien reçue.",
                    "form": "welcomer",
                },
                in_sitemap=False,
            )
        )
    return outputs


def pack_pages(site: TerritorySite) -> list[Output]:
    t = site.territory
    if t.pack is None:
        return []
    return [
        Output(
            site.urls.pack(),
            "pack.html",
            {
                "title": f"{t.pack.name} – {t.name}",
                "description": f"Commander le {t.pack.name} pour accueillir les "
                "professionnels de santé qui s'installent.",
                "pack": t.pack,
            },
        ),
        Output(
            site.urls.pack_thanks(),
            "merci.html",
            {
                "title": f"Commande reçue – {t.name}",
                "description": "Votre commande de coffrets est bien reçue.",
                "form": "pack",
            },
            in_sitemap=False,
        ),
    ]


def free_pages(site: TerritorySite) -> list[Output]:
    t = site.territory
    return [
        Output(
            site.urls.page(p.slug),
            "territory_page.html",
            {
                "title": f"{p.title} – {t.name}",
                "description": summary(jsonld.plain_text(p.body_html)) or p.title,
                "page": p,
            },
        )
        for p in t.pages
    ]


def takes_registrations(event: Event, today: dt.date) -> bool:
    """The page shows the registration form until the closing day (the API checks the hour)."""
    registration = event.registration
    return registration is not None and (registration.closes or event.start).date() >= today


def event_pages(site: TerritorySite) -> list[Output]:
    """One page per upcoming event, with its registration form; its two thank-you pages."""
    t = site.territory
    outputs = []
    for e in site.events:
        url = site.urls.event(e.page_id)
        outputs.append(
            Output(
                url,
                "evenement.html",
                {
                    "title": f"{e.title} – {t.name}",
                    "description": summary(f"{e.title}, {e.place}. {e.text or ''}"),
                    "event": e,
                    "open": takes_registrations(e, site.today),
                    "jsonld": [jsonld.event(e, t, site.siteurl + url)],
                },
            )
        )
        if e.registration is None:
            continue
        for waitlisted in (False, True):
            outputs.append(
                Output(
                    site.urls.event_thanks(e.page_id, waitlisted),
                    "merci.html",
                    {
                        "title": f"Inscription {'en liste d’attente' if waitlisted else 'reçue'}"
                        f" – {e.title}",
                        "description": "Votre inscription est bien reçue.",
                        "form": "waitlisted" if waitlisted else "registration",
                        "event": e,
                    },
                    in_sitemap=False,
                )
            )
    return outputs


def become_welcomer_pages(site: TerritorySite) -> list[Output]:
    """The welcomer recruitment page and its thank-you page, where the welcomer service runs."""
    t = site.territory
    if not t.welcomers:
        return []
    return [
        Output(
            site.urls.become_welcomer(),
            "devenir_welcomer.html",
            {
                "title": f"Devenir welcomer – {t.name}",
                "description": f"Vous vivez {t.names.in_} ? Accueillez les soignants qui "
                "s'installent et leur famille : appels, visites, conseils, rémunérés.",
            },
        ),
        Output(
            site.urls.become_welcomer_thanks(),
            "merci.html",
            {
                "title": f"Candidature reçue – {t.name}",
                "description": "Votre candidature de welcomer est bien reçue.",
                "form": "application",
            },
            in_sitemap=False,
        ),
    ]


def calendar_and_brand(site: TerritorySite) -> list[Output]:
    """The brand stylesheet, and the .ics calendar when there are events."""
    outputs = [Output(site.urls.brand_css(), "brand.css", {}, in_sitemap=False)]
    if site.events:
        url = site.siteurl + site.urls.landing()
        text = calendar.ics(site.territory, list(site.events), site.today, url)
        outputs.append(Output(site.urls.calendar(), "raw.txt", {"body": text}, in_sitemap=False))
    return outputs


def territory_outputs(site: TerritorySite) -> list[Output]:
    """Every file of one territory's site."""
    return [
        landing(site),
        *placement_lists(site),
        *placement_pages(site),
        *feed(site),
        *welcomer_pages(site),
        *pack_pages(site),
        *event_pages(site),
        *become_welcomer_pages(site),
        *aids.aid_pages(site),
        *free_pages(site),
        *calendar_and_brand(site),
    ]
