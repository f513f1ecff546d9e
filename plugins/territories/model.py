"""Plain typed models of a territory's content, built once by the loader, then only read.

Field names mirror the keys of `territory.yaml` and of the placement/page front matter, so an
editor reading the content reference and a developer reading a template see the same names.
Markdown fields arrive here already rendered to HTML (attributes ending in `_html`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from .french import NameForms, name_forms

TERRITORY_KINDS = ("département", "agglomération", "communauté de communes", "commune")
SCHOOL_LEVELS = ("maternelle", "primaire", "collège", "lycée", "supérieur")
SCHOOL_SECTORS = ("public", "privé")
PLACEMENT_KINDS = ("remplacement", "stage", "collaboration", "assistanat", "salariat")


@dataclass(frozen=True)
class Photo:
    """A photo of the territory's images/ folder, with its text alternative and its credit."""

    image: str  # path relative to the territory folder, e.g. "images/chambord.jpg"
    alt: str
    credit: str | None = None  # shown with the photo (« Photo : … », « Illustration : … »)


@dataclass(frozen=True)
class Video:
    """A video testimonial: a YouTube, Vimeo or Dailymotion page, or an MP4 with captions."""

    url: str
    title: str
    captions: str | None = None  # a WebVTT file (https://…/x.vtt), required for an MP4


@dataclass(frozen=True)
class MapSettings:
    """The territory map: the optional outline (GeoJSON in images/)."""

    outline: str | None = None


@dataclass(frozen=True)
class Brand:
    primary: str  # "#rrggbb"
    accent: str | None = None
    logo: str | None = None  # path relative to the territory folder, e.g. "images/logo.svg"


@dataclass(frozen=True)
class Contact:
    email: str
    name: str | None = None
    phone: str | None = None


@dataclass(frozen=True)
class KeyFigure:
    label: str
    value: str


@dataclass(frozen=True)
class Asset:
    category: str
    title: str
    text: str | None = None
    photo: Photo | None = None


@dataclass(frozen=True)
class Castle:
    name: str
    commune: str | None = None
    text: str | None = None
    coordinates: tuple[float, float] | None = None  # (latitude, longitude)
    url: str | None = None
    photo: Photo | None = None


@dataclass(frozen=True)
class School:
    name: str
    commune: str
    level: str  # one of SCHOOL_LEVELS
    sector: str | None = None  # one of SCHOOL_SECTORS
    notes: str | None = None
    coordinates: tuple[float, float] | None = None


@dataclass(frozen=True)
class SpouseJob:
    title: str
    organisation: str | None = None
    commune: str | None = None
    text: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class Housing:
    title: str
    commune: str | None = None
    text: str | None = None
    url: str | None = None
    coordinates: tuple[float, float] | None = None
    photo: Photo | None = None


@dataclass(frozen=True)
class Aid:
    title: str
    who: str | None = None
    text: str | None = None
    amount: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class Welcomer:
    id: str
    first_name: str
    commune: str
    bio: str
    topics: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()  # ISO 639-1 codes: "fr", "en"…
    photo: str | None = None


@dataclass(frozen=True)
class Event:
    title: str
    start: dt.datetime  # timezone-aware
    place: str
    end: dt.datetime | None = None
    text: str | None = None
    url: str | None = None
    coordinates: tuple[float, float] | None = None
    photo: Photo | None = None


@dataclass(frozen=True)
class Pack:
    name: str
    contents: tuple[str, ...]
    price_eur: Decimal
    buyers: tuple[str, ...]  # who may order, e.g. ("commune", "EPCI")
    max_quantity: int
    subsidy_eur: Decimal = Decimal(0)
    subsidy_by: str | None = None

    @property
    def net_price_eur(self) -> Decimal:
        """What the buyer pays for one pack once the subsidy is deducted."""
        return self.price_eur - self.subsidy_eur


@dataclass(frozen=True)
class Testimonial:
    quote: str
    who: str
    photo: Photo | None = None
    video: Video | None = None


@dataclass(frozen=True)
class Placement:
    """One open trial placement: `placements/<id>.md`."""

    id: str  # the file name without ".md"
    title: str
    kind: str  # one of PLACEMENT_KINDS
    profession: str
    commune: str
    start: dt.date
    body_html: str
    source_path: Path
    end: dt.date | None = None
    structure: str | None = None
    housing: bool | None = None
    compensation: str | None = None
    contact: str | None = None  # an e-mail address
    coordinates: tuple[float, float] | None = None
    photo: Photo | None = None

    @property
    def last_day(self) -> dt.date:
        """The day after which the placement is no longer offered."""
        return self.end or self.start


@dataclass(frozen=True)
class Page:
    """A free page: `pages/<slug>.md`."""

    slug: str
    title: str
    body_html: str
    source_path: Path
    order: int | None = None
    photo: Photo | None = None


@dataclass(frozen=True)
class Territory:
    slug: str  # the folder name: also the URL path
    name: str
    kind: str  # one of TERRITORY_KINDS
    tagline: str
    brand: Brand
    contact: Contact
    notify: tuple[str, ...]
    source_dir: Path
    code: str | None = None
    article: str | None = None  # le, la, l', les or aucun; None: the official one, or none
    name_in: str | None = None  # the "in" form when usage differs: « en Loir-et-Cher »
    hero: Photo | None = None
    map: MapSettings = MapSettings()
    intro_html: str = ""
    owners: tuple[str, ...] = ()  # git hosting handles of the collectivity's reviewers
    key_figures: tuple[KeyFigure, ...] = ()
    assets: tuple[Asset, ...] = ()
    castles: tuple[Castle, ...] = ()
    schools: tuple[School, ...] = ()
    spouse_jobs: tuple[SpouseJob, ...] = ()
    housing: tuple[Housing, ...] = ()
    aids: tuple[Aid, ...] = ()
    welcomers: tuple[Welcomer, ...] = ()
    events: tuple[Event, ...] = ()
    testimonials: tuple[Testimonial, ...] = ()
    pack: Pack | None = None
    # All placements read from disk, past ones included; the generator keeps the open ones.
    placements: tuple[Placement, ...] = ()
    pages: tuple[Page, ...] = field(default=())

    @property
    def names(self) -> NameForms:
        """The name as French sentences need it: « du Loiret », « dans le Loiret »…"""
        return name_forms(self.name, self.kind, self.article, self.name_in, self.code)

    def open_placements(self, today: dt.date) -> tuple[Placement, ...]:
        """Placements still on offer on `today`, soonest first."""
        return tuple(
            sorted((p for p in self.placements if p.last_day >= today), key=lambda p: p.start)
        )
