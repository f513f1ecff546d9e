"""The territories as the forms see them: loaded from the JSON catalogue written by the build.

The format is documented in `plugins/territories/catalogue.py`; this module reads it into small
frozen objects so that validation, pricing, e-mails and matching never handle raw dicts.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from pathlib import Path
from zoneinfo import ZoneInfo

FORMAT_VERSION = 1
PARIS = ZoneInfo("Europe/Paris")
DEFAULT_PATH = Path(__file__).with_name("catalogue.json")


class CatalogueError(Exception):
    """The catalogue file is missing or not in the expected format (a deployment error)."""


@dataclass(frozen=True)
class Names:
    """A name in the forms French sentences need, computed by the build (« du Loiret »).

    `in_` because `in` is a Python keyword; templates may write names["in"].
    """

    plain: str
    the: str
    of: str
    in_: str
    to: str

    def __getitem__(self, key: str) -> str:
        return self.in_ if key == "in" else getattr(self, key)

    @classmethod
    def plain_name(cls, name: str) -> Names:
        """The fallback of a catalogue written without name forms: the name as it is."""
        return cls(plain=name, the=name, of=f"de {name}", in_=f"à {name}", to=f"à {name}")

    @classmethod
    def parse(cls, raw: dict | None, name: str) -> Names:
        if not raw:
            return cls.plain_name(name)
        return cls(raw["plain"], raw["the"], raw["of"], raw["in"], raw["to"])


@dataclass(frozen=True)
class PlacementInfo:
    id: str
    title: str
    kind: str
    profession: str
    commune: str
    start: str
    end: str | None
    contact: str | None = None  # an e-mail address told of requests about this placement


@dataclass(frozen=True)
class WelcomerInfo:
    id: str
    first_name: str
    commune: str
    topics: tuple[str, ...]
    languages: tuple[str, ...]
    bio: str = ""
    email: str | None = None  # never published: where introductions go
    phone: str | None = None
    siret: str | None = None  # what the welcomer invoices under


@dataclass(frozen=True)
class SlotInfo:
    start: dt.datetime  # aware
    end: dt.datetime | None = None


@dataclass(frozen=True)
class EventInfo:
    """An event that takes registrations."""

    id: str
    title: str
    start: dt.datetime  # aware
    end: dt.datetime | None
    place: str
    text: str | None
    page_path: str
    capacity: int
    closes: dt.datetime
    slots: tuple[SlotInfo, ...] = ()

    def slot_at(self, start: dt.datetime) -> SlotInfo | None:
        """The slot starting at this instant, or None."""
        return next((s for s in self.slots if s.start == start), None)


@dataclass(frozen=True)
class SchoolInfo:
    name: str
    commune: str
    level: str


@dataclass(frozen=True)
class SpouseJobInfo:
    title: str
    organisation: str | None
    commune: str | None


@dataclass(frozen=True)
class PackInfo:
    name: str
    price_eur: Decimal
    subsidy_eur: Decimal
    net_price_eur: Decimal
    subsidy_by: str | None
    buyers: tuple[str, ...]
    max_quantity: int
    vat_rate: Decimal = Decimal(20)  # per cent: prices are excluding VAT (HT)
    subsidy_by_names: Names | None = None  # « le Département du Loiret »


@dataclass(frozen=True)
class TerritoryInfo:
    slug: str
    name: str
    kind: str
    site_path: str
    contact_email: str
    contact_name: str | None
    contact_phone: str | None
    notify: tuple[str, ...]
    interests: tuple[str, ...]
    placements: dict[str, PlacementInfo]
    welcomers: tuple[WelcomerInfo, ...]
    schools: tuple[SchoolInfo, ...]
    spouse_jobs: tuple[SpouseJobInfo, ...]
    pack: PackInfo | None
    # Who may sign in to the online editor, in lower case (absent from older catalogues).
    editors: tuple[str, ...] = ()
    events: dict[str, EventInfo] = field(default_factory=dict)
    welcomer_rate_eur: Decimal = Decimal(100)  # per family accompanied, excluding VAT
    region: str | None = None  # where it is, when its code or `region` says
    names: Names | None = None  # « du Loiret », « dans le Loiret »; the plain name when absent

    def __post_init__(self):
        if self.names is None:
            object.__setattr__(self, "names", Names.plain_name(self.name))

    def welcomer(self, welcomer_id: str) -> WelcomerInfo | None:
        """The welcomer with this id, or None."""
        return next((w for w in self.welcomers if w.id == welcomer_id), None)


@dataclass(frozen=True)
class ProfessionInfo:
    """A health profession of the site's vocabulary (plugins/territories/professions.py)."""

    slug: str
    label: str
    plural: str
    group: str
    forms: tuple[str, ...]  # every way of writing it, lower case


@dataclass(frozen=True)
class Catalogue:
    territories: dict[str, TerritoryInfo]
    professions: tuple[ProfessionInfo, ...] = ()

    def get(self, slug: str) -> TerritoryInfo | None:
        """The territory with this slug, or None."""
        return self.territories.get(slug)

    @cached_property
    def _slug_of_form(self) -> dict[str, str]:
        return {form: p.slug for p in self.professions for form in (*p.forms, p.slug)}

    def profession_slugs(self) -> dict[str, str]:
        """Every written form of a profession, and its slug, → its slug."""
        return self._slug_of_form

    def profession_slug(self, label: str) -> str | None:
        """The slug of a placement's profession (its label), None when the vocabulary lacks it."""
        return self._slug_of_form.get(" ".join(label.lower().split()))

    def profession(self, slug: str) -> ProfessionInfo | None:
        return next((p for p in self.professions if p.slug == slug), None)


def _pack(raw: dict | None) -> PackInfo | None:
    if raw is None:
        return None
    return PackInfo(
        name=raw["name"],
        price_eur=Decimal(raw["price_eur"]),
        subsidy_eur=Decimal(raw["subsidy_eur"]),
        net_price_eur=Decimal(raw["net_price_eur"]),
        subsidy_by=raw.get("subsidy_by"),
        buyers=tuple(raw["buyers"]),
        max_quantity=int(raw["max_quantity"]),
        vat_rate=Decimal(raw.get("vat_rate", "20")),
        subsidy_by_names=(
            Names.parse(raw.get("subsidy_by_names"), raw["subsidy_by"])
            if raw.get("subsidy_by")
            else None
        ),
    )


def _moment(text: str | None) -> dt.datetime | None:
    """An instant of the catalogue; one written without offset is Paris time (CONTRACT 1.1)."""
    if not text:
        return None
    moment = dt.datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=PARIS)


def _event(raw: dict) -> EventInfo:
    registration = raw["registration"]
    return EventInfo(
        id=raw["id"],
        title=raw["title"],
        start=_moment(raw["start"]),
        end=_moment(raw.get("end")),
        place=raw["place"],
        text=raw.get("text"),
        page_path=raw["page_path"],
        capacity=int(registration["capacity"]),
        closes=_moment(registration.get("closes") or raw["start"]),
        slots=tuple(
            SlotInfo(_moment(s["start"]), _moment(s.get("end")))
            for s in registration.get("slots", ())
        ),
    )


def _territory(slug: str, raw: dict) -> TerritoryInfo:
    contact = raw.get("contact") or {}
    return TerritoryInfo(
        slug=slug,
        name=raw["name"],
        kind=raw["kind"],
        site_path=raw["site_path"],
        contact_email=contact["email"],
        contact_name=contact.get("name"),
        contact_phone=contact.get("phone"),
        notify=tuple(raw["notify"]),
        interests=tuple(raw.get("interests", ())),
        placements={pid: PlacementInfo(id=pid, **p) for pid, p in raw["placements"].items()},
        welcomers=tuple(
            WelcomerInfo(
                id=w["id"],
                first_name=w["first_name"],
                commune=w["commune"],
                topics=tuple(w.get("topics", ())),
                languages=tuple(w.get("languages", ())),
                bio=w.get("bio") or "",
                email=w.get("email"),
                phone=w.get("phone"),
                siret=w.get("siret"),
            )
            for w in raw.get("welcomers", ())
        ),
        schools=tuple(SchoolInfo(**s) for s in raw.get("schools", ())),
        spouse_jobs=tuple(SpouseJobInfo(**j) for j in raw.get("spouse_jobs", ())),
        pack=_pack(raw.get("pack")),
        editors=tuple(raw.get("editors", ())),
        events={e["id"]: _event(e) for e in raw.get("events", ())},
        welcomer_rate_eur=Decimal(raw.get("welcomer_rate_eur", "100")),
        region=raw.get("region"),
        names=Names.parse(raw.get("names"), raw["name"]),
    )


def parse_catalogue(data: dict) -> Catalogue:
    """Build a Catalogue from the decoded JSON document."""
    if data.get("format") != FORMAT_VERSION:
        raise CatalogueError(f"catalogue format {data.get('format')!r} is not {FORMAT_VERSION}")
    try:
        territories = {slug: _territory(slug, raw) for slug, raw in data["territories"].items()}
        professions = tuple(
            ProfessionInfo(p["slug"], p["label"], p["plural"], p["group"], tuple(p["forms"]))
            for p in data.get("professions", ())
        )
    except (KeyError, TypeError, ValueError) as error:
        raise CatalogueError(f"malformed catalogue: {error!r}") from error
    return Catalogue(territories=territories, professions=professions)


def catalogue_path() -> Path:
    """Where the catalogue is read from: $CATALOGUE_PATH, else the file next to this module."""
    return Path(os.environ.get("CATALOGUE_PATH") or DEFAULT_PATH)


def load_catalogue(path: Path | str | None = None) -> Catalogue:
    """Read and parse the catalogue file (once per container: callers keep the result)."""
    path = Path(path) if path else catalogue_path()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise CatalogueError(f"cannot read the catalogue {path}: {error}") from error
    return parse_catalogue(data)
