"""The pages about every territory at once: /offres/ and its filters, /aides/, /recherche/,
/alertes/. Pure, like pages.py: the generator writes what `national_outputs` plans.

/offres/ lists every open placement, newest first (`published`, then the soonest start), in
pages of PAGE_SIZE so that a page stays light whatever the number of territories; each filter
(profession, kind, region, département) has its own pages, which work without JavaScript. The
territory filter links to the territory's own list (/<slug>/offres/), which already exists.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import professions
from .aids import STAGE_LABELS
from .geography import DEPARTEMENTS, Departement
from .model import Aid, Placement
from .pages import Output, TerritorySite, grouped, slugify

# First path segments these pages take at the site's root (no territory folder may use them;
# "pagefind" holds the search index).
ROOT_NAMES = ("offres", "aides", "recherche", "alertes", "pagefind")
PAGE_SIZE = 24
# Above this many territories a page lists regions and départements, not every territory.
MAX_TERRITORY_LINKS = 40
FEED_SIZE = 50


@dataclass(frozen=True)
class Listing:
    """One open placement of the national list, with the territory site it belongs to.

    What the cards and filters read is computed once here: each placement appears on several
    pages (the list, its filters) and in its feed.
    """

    placement: Placement
    site: TerritorySite
    url: str
    profession: professions.Profession | None
    profession_slug: str
    region: str | None
    departement: Departement | None
    words: str  # the forms of its profession, for the instant filter

    @classmethod
    def of(cls, placement: Placement, site: TerritorySite) -> Listing:
        found = professions.find(placement.profession)
        location = site.territory.location
        return cls(
            placement,
            site,
            site.urls.placement(placement.id),
            found,
            found.slug if found else slugify(placement.profession),
            location.region,
            location.departement,
            " ".join(found.forms) if found else placement.profession,
        )


class NationalUrls:
    """The paths of the pages about every territory."""

    offres = "/offres/"
    aides = "/aides/"
    search = "/recherche/"
    alerts = "/alertes/"
    alerts_thanks = "/alertes/merci/"
    alerts_confirmed = "/alertes/confirmee/"
    alerts_stopped = "/alertes/desinscription/"

    @staticmethod
    def profession(slug: str) -> str:
        return f"/offres/metier/{slug}/"

    @staticmethod
    def kind(kind: str) -> str:
        return f"/offres/type/{slugify(kind)}/"

    @staticmethod
    def region(region: str) -> str:
        return f"/offres/region/{slugify(region)}/"

    @staticmethod
    def departement(departement) -> str:
        return f"/offres/departement/{departement.code.lower()}-{slugify(departement.name)}/"

    @staticmethod
    def feed(slug: str) -> str:
        return f"/offres/metier/{slug}/atom.xml"

    @staticmethod
    def aid_profession(slug: str) -> str:
        return f"/aides/{slug}/"

    @staticmethod
    def page(base: str, number: int) -> str:
        """Page `number` of a paginated list whose first page is `base`."""
        return base if number == 1 else f"{base}page/{number}/"


URLS = NationalUrls()


def newest_first(sites: list[TerritorySite]) -> list[Listing]:
    """Every open placement: published ones newest first, then the others soonest first."""

    def key(listing: Listing):
        p = listing.placement
        published = -p.published.toordinal() if p.published else 0
        return (p.published is None, published, p.start, listing.site.territory.name, p.id)

    return sorted((Listing.of(p, s) for s in sites for p in s.placements), key=key)


def dimensions(listings: list[Listing]) -> dict[str, list[tuple[str, str, str, list[Listing]]]]:
    """Per filter, (key, label, URL, listings) of each value present, in a stable order.

    The key is what the cards' data attributes hold, for the instant filter.
    """
    by_profession = grouped(listings, lambda x: x.profession_slug)
    order = {p.slug: i for i, p in enumerate(professions.PROFESSIONS)}
    by_profession.sort(key=lambda group: order.get(group[0], len(order)))
    located = [x for x in listings if x.region]
    in_departement = [x for x in listings if x.departement]
    return {
        "profession": [
            (slug, items[0].placement.profession, URLS.profession(slug), items)
            for slug, items in by_profession
        ],
        "kind": [
            (slugify(kind), kind, URLS.kind(kind), items)
            for kind, items in sorted(grouped(listings, lambda x: x.placement.kind))
        ],
        "region": [
            (slugify(region), region, URLS.region(region), items)
            for region, items in sorted(grouped(located, lambda x: x.region))
        ],
        "departement": [
            (
                code.lower(),
                f"{items[0].departement.name} ({code})",
                URLS.departement(items[0].departement),
                items,
            )
            for code, items in sorted(grouped(in_departement, lambda x: x.departement.code))
        ],
    }


def territory_links(listings: list[Listing]) -> list[tuple[str, str, int]]:
    """(name, URL of its own list, count) of the territories these listings come from."""
    groups = grouped(listings, lambda x: x.site.territory.slug)
    if len(groups) > MAX_TERRITORY_LINKS:
        return []
    links = [
        (items[0].site.territory.name, items[0].site.urls.offres(), len(items))
        for _, items in groups
    ]
    return sorted(links)


def filter_nav(all_dimensions: dict) -> dict[str, list[tuple[str, str, int]]]:
    """The filter links every page of the list shows: (key, label, URL, count)."""
    return {
        name: [(key, label, url, len(items)) for key, label, url, items in choices]
        for name, choices in all_dimensions.items()
    }


def paginated(base: str, listings: list[Listing], values: dict) -> list[Output]:
    """The pages of one list: `base`, then base/page/2/… of PAGE_SIZE listings each."""
    count = max(1, -(-len(listings) // PAGE_SIZE))
    urls = [URLS.page(base, n) for n in range(1, count + 1)]
    territories = territory_links(listings)  # once per list, not per page
    outputs = []
    for number, url in enumerate(urls, start=1):
        chunk = listings[(number - 1) * PAGE_SIZE : number * PAGE_SIZE]
        title = values["title"] + (f" (page {number} sur {count})" if number > 1 else "")
        outputs.append(
            Output(
                url,
                "offres_national.html",
                {
                    **values,
                    "title": title,
                    "heading": values["title"],
                    "listed": chunk,
                    "total": len(listings),
                    "pagination": {"number": number, "urls": urls},
                    "territory_links": territories,
                },
            )
        )
    return outputs


FILTER_TITLES = {
    "profession": "Offres d'essai : {}",
    "kind": "Offres d'essai : {}",
    "region": "Offres d'essai en {}",
    "departement": "Offres d'essai : {}",
}


def nav_for(nav: dict, region: str | None) -> dict:
    """The filter links of one page: every profession, kind and region, and the départements
    of the page's region (on the region's page and its départements' pages) — a list of them
    all on every page would outweigh its placements."""
    departements = [d for d in nav["departement"] if region and region_of(d[0]) == region]
    return {**nav, "departement": departements}


def region_of(code: str) -> str:
    """The region of a département code, as written in the département filter's key."""
    return DEPARTEMENTS[code.upper()][1]


def placement_lists(sites: list[TerritorySite]) -> list[Output]:
    """/offres/ and every filter page, paginated."""
    listings = newest_first(sites)
    every = dimensions(listings)
    nav = filter_nav(every)
    outputs = paginated(
        URLS.offres,
        listings,
        {
            "nav": nav_for(nav, None),
            "alerts_url": URLS.alerts,
            "title": "Offres d'essai de tous les territoires",
            "description": "Remplacements, stages et collaborations pour les professionnels "
            "de santé, dans tous les territoires qui les accueillent.",
            "filter": None,
        },
    )
    for dimension, choices in every.items():
        for key, label, url, items in choices:
            region = {"region": label, "departement": None}.get(dimension)
            if dimension == "departement":
                region = region_of(key)
            outputs += paginated(
                url,
                items,
                {
                    "nav": nav_for(nav, region),
                    "alerts_url": URLS.alerts,
                    "title": FILTER_TITLES[dimension].format(label),
                    "description": f"Les offres d'essai « {label} » de tous les territoires.",
                    "filter": {"dimension": dimension, "value": label, "url": url},
                },
            )
    return outputs


def profession_feeds(sites: list[TerritorySite]) -> list[Output]:
    """One Atom feed per profession that has open placements: /offres/metier/<slug>/atom.xml."""
    listings = newest_first(sites)
    return [
        Output(
            URLS.feed(items[0].profession_slug),
            "feeds/national.xml",
            {"label": label, "page": url, "listed": items[:FEED_SIZE]},
            in_sitemap=False,
        )
        for _, label, url, items in dimensions(listings)["profession"]
    ]


@dataclass(frozen=True)
class TerritoryAids:
    """The aids of one territory that apply to one profession."""

    site: TerritorySite
    aids: tuple[Aid, ...]


def aids_by_profession(sites: list[TerritorySite]) -> list[tuple[professions.Profession, list]]:
    """Per profession some aid names: the territories whose aids name it, with those aids."""
    result = []
    for profession in professions.PROFESSIONS:
        named = [
            TerritoryAids(
                s, tuple(a for a in s.territory.aids if profession.label in a.professions)
            )
            for s in sites
        ]
        named = [t for t in named if t.aids]
        if named:
            result.append((profession, named))
    return result


def open_to_all(sites: list[TerritorySite]) -> list[TerritoryAids]:
    """The territories with aids open to every profession, with those aids."""
    found = [
        TerritoryAids(s, tuple(a for a in s.territory.aids if not a.professions)) for s in sites
    ]
    return [t for t in found if t.aids]


def aid_pages(sites: list[TerritorySite]) -> list[Output]:
    """/aides/: which territories help which profession; /aides/<profession>/ for each."""
    by_profession = aids_by_profession(sites)
    universal = open_to_all(sites)
    if not by_profession and not universal:
        return []
    outputs = [
        Output(
            URLS.aides,
            "aides_national.html",
            {
                "title": "Aides à l'installation, par profession",
                "description": "Quels territoires aident votre profession à s'installer : "
                "bourses, primes, logement, accompagnement.",
                "by_profession": by_profession,
                "universal": universal,
                "profession": None,
                "stage_labels": STAGE_LABELS,
            },
        )
    ]
    for profession, named in by_profession:
        outputs.append(
            Output(
                URLS.aid_profession(profession.slug),
                "aides_national.html",
                {
                    "title": f"Aides à l'installation pour les {profession.plural}",
                    "description": f"Les territoires qui aident les {profession.plural} à "
                    "s'installer, et leurs aides.",
                    "by_profession": by_profession,
                    "universal": universal,
                    "profession": profession,
                    "named": named,
                    "stage_labels": STAGE_LABELS,
                },
            )
        )
    return outputs


def search_page(sites: list[TerritorySite], standalone: bool) -> Output:
    """/recherche/: Pagefind's search; without JavaScript, links to the filter pages."""
    if standalone:
        site = sites[0]
        browse = {
            "profession": [
                (slugify(label), label, url, len(items))
                for label, url, items in site.filters()["profession"]
            ],
        }
    else:
        nav = filter_nav(dimensions(newest_first(sites)))
        browse = {"profession": nav["profession"], "region": nav["region"]}
        if len(sites) <= MAX_TERRITORY_LINKS:
            browse["territory"] = [
                (s.territory.slug, s.territory.name, s.urls.landing(), len(s.placements))
                for s in sites
            ]
    return Output(
        URLS.search,
        "recherche.html",
        {
            "title": "Rechercher une offre, une aide, une page",
            "description": "Recherche dans toutes les pages du site : offres d'essai, aides, "
            "territoires.",
            "browse": browse,
            "offres_url": None if standalone else URLS.offres,
        },
    )


def alert_pages(sites: list[TerritorySite], standalone: bool) -> list[Output]:
    """/alertes/ (the subscription form) and the pages its steps lead to."""
    choices = {
        "professions": professions.grouped(),
        "territories": [(s.territory.slug, s.territory.name) for s in sites],
        "standalone": standalone,
    }
    steps = [
        (URLS.alerts_thanks, "Vérifiez votre boîte aux lettres", "thanks"),
        (URLS.alerts_confirmed, "Alerte confirmée", "confirmed"),
        (URLS.alerts_stopped, "Alerte arrêtée", "stopped"),
    ]
    return [
        Output(
            URLS.alerts,
            "alertes.html",
            {
                "title": "Recevoir les nouvelles offres par e-mail",
                "description": "Une alerte par e-mail quand une offre d'essai de votre "
                "profession paraît dans les territoires qui vous intéressent.",
                **choices,
            },
        ),
        *(
            Output(
                url,
                "alertes_etape.html",
                {"title": title, "description": title, "step": step, "noindex": True},
                in_sitemap=False,
            )
            for url, title, step in steps
        ),
    ]


def national_outputs(sites: list[TerritorySite], standalone: bool) -> list[Output]:
    """Every page about all territories; a standalone territory keeps its own /offres/, /aides/."""
    outputs = [search_page(sites, standalone), *alert_pages(sites, standalone)]
    if not standalone:
        outputs = [*placement_lists(sites), *profession_feeds(sites), *aid_pages(sites), *outputs]
    return outputs
