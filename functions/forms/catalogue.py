"""The territories as the forms see them: loaded from the JSON catalogue written by the build.

The format is documented in `plugins/territories/catalogue.py`; this module reads it into small
frozen objects so that validation, pricing, e-mails and matching never handle raw dicts.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

FORMAT_VERSION = 1
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


@dataclass(frozen=True)
class WelcomerInfo:
    id: str
    first_name: str
    commune: str
    topics: tuple[str, ...]
    languages: tuple[str, ...]


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
    names: Names | None = None  # « du Loiret », « dans le Loiret »; the plain name when absent

    def __post_init__(self):
        if self.names is None:
            object.__setattr__(self, "names", Names.plain_name(self.name))


@dataclass(frozen=True)
class Catalogue:
    territories: dict[str, TerritoryInfo]

    def get(self, slug: str) -> TerritoryInfo | None:
        """The territory with this slug, or None."""
        return self.territories.get(slug)


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
        subsidy_by_names=(
            Names.parse(raw.get("subsidy_by_names"), raw["subsidy_by"])
            if raw.get("subsidy_by")
            else None
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
            )
            for w in raw.get("welcomers", ())
        ),
        schools=tuple(SchoolInfo(**s) for s in raw.get("schools", ())),
        spouse_jobs=tuple(SpouseJobInfo(**j) for j in raw.get("spouse_jobs", ())),
        pack=_pack(raw.get("pack")),
        names=Names.parse(raw.get("names"), raw["name"]),
    )


def parse_catalogue(data: dict) -> Catalogue:
    """Build a Catalogue from the decoded JSON document."""
    if data.get("format") != FORMAT_VERSION:
        raise CatalogueError(f"catalogue format {data.get('format')!r} is not {FORMAT_VERSION}")
    try:
        territories = {slug: _territory(slug, raw) for slug, raw in data["territories"].items()}
    except (KeyError, TypeError, ValueError) as error:
        raise CatalogueError(f"malformed catalogue: {error!r}") from error
    return Catalogue(territories=territories)


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
