"""The territory map: an SVG drawn at build time from the content's coordinates.

No tile server and no script: the places (castles, placements, housing, schools, events with
`coordinates`) are numbered markers over the optional outline (`map.outline`, GeoJSON in
images/), projected with an equirectangular projection (distances hold within a territory).
The drawing is for the eye and the mouse; the same places, with the same numbers and links,
are the accessible list beside it, so the SVG itself is hidden from assistive technologies
and its links from the Tab key.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from html import escape
from pathlib import Path

from markupsafe import Markup

WIDTH = 420  # viewBox width (small: markers stay legible on a phone); the height follows
MAX_HEIGHT = 400
PADDING = 16
RADIUS = 10
MAX_OUTLINE_BYTES = 2 * 1024 * 1024
TOLERANCE = 1.2  # viewBox units an outline may move when simplified (invisible at this size)


@dataclass(frozen=True)
class Place:
    """One numbered place of the map and of its list."""

    number: int
    name: str
    kind: str  # « château », « offre »…, said in the list
    lat: float
    lon: float
    href: str
    commune: str | None = None


@dataclass(frozen=True)
class TerritoryMap:
    """The drawing and its places, for the landing's template."""

    svg: Markup
    places: tuple[Place, ...]


def places_of(site) -> list[Place]:
    """The places with coordinates, in the landing's order, linked to their card or page."""
    t, urls = site.territory, site.urls
    found: list[tuple[str, str, tuple, str, str | None]] = []
    for i, c in enumerate(t.castles, 1):
        found.append((c.name, "château", c.coordinates, f"#chateau-{i}", c.commune))
    for p in site.placements:
        found.append((p.title, "offre", p.coordinates, urls.placement(p.id), p.commune))
    for i, h in enumerate(t.housing, 1):
        found.append((h.title, "logement", h.coordinates, f"#logement-{i}", h.commune))
    for i, s in enumerate(t.schools, 1):
        found.append((s.name, "école", s.coordinates, f"#ecole-{i}", s.commune))
    for i, e in enumerate(site.events, 1):
        found.append((e.title, "rencontre", e.coordinates, f"#rencontre-{i}", None))
    located = [f for f in found if f[2]]
    return [
        Place(n, name, kind, coords[0], coords[1], href, commune)
        for n, (name, kind, coords, href, commune) in enumerate(located, 1)
    ]


def check_outline(path: Path) -> str | None:
    """Why a GeoJSON file cannot be the map's outline, or None."""
    if path.stat().st_size > MAX_OUTLINE_BYTES:
        return "fichier trop lourd (2 Mo au plus) : simplifiez le contour"
    try:
        rings = outline_rings(json.loads(path.read_text("utf-8")))
    except (ValueError, KeyError, TypeError, IndexError):
        return "ce fichier n'est pas un GeoJSON lisible (Polygon ou MultiPolygon attendu)"
    if not rings:
        return "aucun polygone (Polygon ou MultiPolygon) dans ce GeoJSON"
    for ring in rings:
        for lon, lat in ring:
            if not (-180 <= lon <= 180 and -90 <= lat <= 90):
                return "coordonnées hors limites : le GeoJSON s'écrit [longitude, latitude]"
    return None


def outline_rings(data: dict) -> list[list[tuple[float, float]]]:
    """The outer rings ([(lon, lat)]) of every polygon of a GeoJSON document."""
    kind = data["type"]
    if kind == "FeatureCollection":
        return [r for feature in data["features"] for r in outline_rings(feature)]
    if kind == "Feature":
        return outline_rings(data["geometry"]) if data.get("geometry") else []
    if kind == "GeometryCollection":
        return [r for g in data["geometries"] for r in outline_rings(g)]
    if kind == "Polygon":
        return [[(float(x), float(y)) for x, y, *_ in data["coordinates"][0]]]
    if kind == "MultiPolygon":
        return [[(float(x), float(y)) for x, y, *_ in poly[0]] for poly in data["coordinates"]]
    return []


class Projection:
    """Longitude/latitude to viewBox units, fitting the box of everything drawn."""

    def __init__(self, points: list[tuple[float, float]]):
        lons = [lon for lon, _ in points]
        lats = [lat for _, lat in points]
        self.scale_x = math.cos(math.radians((min(lats) + max(lats)) / 2))
        self.lon0, self.lat1 = min(lons), max(lats)
        span_x = max((max(lons) - self.lon0) * self.scale_x, 0.02)
        span_y = max(self.lat1 - min(lats), 0.02)
        inner = WIDTH - 2 * PADDING
        self.unit = min(inner / span_x, (MAX_HEIGHT - 2 * PADDING) / span_y)
        # A single place (or a line of them) is centred in a box of a sensible size.
        self.offset_x = PADDING + (inner - span_x * self.unit) / 2
        self.height = round(span_y * self.unit + 2 * PADDING)
        self.offset_y = PADDING

    def __call__(self, lon: float, lat: float) -> tuple[float, float]:
        x = self.offset_x + (lon - self.lon0) * self.scale_x * self.unit
        y = self.offset_y + (self.lat1 - lat) * self.unit
        return x, y


def simplify(points: list[tuple[float, float]], tolerance: float) -> list[tuple[float, float]]:
    """Ramer–Douglas–Peucker: drop the points that move the line less than `tolerance`."""
    if len(points) < 3:
        return points
    (x1, y1), (x2, y2) = points[0], points[-1]
    length = math.hypot(x2 - x1, y2 - y1) or 1e-9
    distances = [abs((x2 - x1) * (y1 - y) - (x1 - x) * (y2 - y1)) / length for x, y in points]
    index = max(range(1, len(points) - 1), key=distances.__getitem__)
    if distances[index] <= tolerance:
        return [points[0], points[-1]]
    return simplify(points[: index + 1], tolerance)[:-1] + simplify(points[index:], tolerance)


def _path(ring: list[tuple[float, float]], project: Projection) -> str:
    projected = [project(lon, lat) for lon, lat in ring]
    # A closed ring starts where it ends: simplify its two halves, split at the point farthest
    # from the start.
    far = max(range(len(projected)), key=lambda i: math.dist(projected[0], projected[i]))
    kept = simplify(projected[: far + 1], TOLERANCE)[:-1] + simplify(projected[far:], TOLERANCE)
    return "M" + "L".join(f"{x:.0f},{y:.0f}" for x, y in kept) + "Z"


def _spread(positions: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Markers nudged apart when places are too close to tell apart (same commune): each
    takes the nearest free spot on rings around its true place."""
    placed: list[tuple[float, float]] = []

    def free(x: float, y: float) -> bool:
        return all(math.hypot(x - px, y - py) >= 2 * RADIUS + 1 for px, py in placed)

    for x0, y0 in positions:
        spot, ring = (x0, y0), 0
        while not free(*spot):
            ring += 1
            candidates = [
                (
                    x0 + ring * (2 * RADIUS + 2) * math.cos(2 * math.pi * j / (6 * ring)),
                    y0 + ring * (2 * RADIUS + 2) * math.sin(2 * math.pi * j / (6 * ring)),
                )
                for j in range(6 * ring)
            ]
            spot = next((c for c in candidates if free(*c)), spot)
        placed.append(spot)
    return placed


# Digits drawn as strokes in a 6 × 10 box: a number that is not text has no contrast for a
# checker to guess over a drawn disc (the build checks white on the brand colour itself).
DIGITS = {
    "0": "M0 0H6V10H0Z",
    "1": "M1.5 1.5L3 0V10",
    "2": "M0 0H6V5H0V10H6",
    "3": "M0 0H6V10H0M0 5H6",
    "4": "M0 0V5H6M6 0V10",
    "5": "M6 0H0V5H6V10H0",
    "6": "M6 0H0V10H6V5H0",
    "7": "M0 0H6V10",
    "8": "M0 0H6V10H0ZM0 5H6",
    "9": "M6 5H0V0H6V10H0",
}


def _number(number: int, x: float, y: float) -> str:
    """The number centred on (x, y), as stroked digits."""
    text = str(number)
    scale = 0.9 if len(text) == 1 else 0.68  # two digits still fit in the disc
    width = (6 * len(text) + 3 * (len(text) - 1)) * scale
    left, top = x - width / 2, y - 5 * scale
    return "".join(
        f'<path class="map-digit" transform="translate({left + i * 9 * scale:.1f} {top:.1f})'
        f' scale({scale})" d="{DIGITS[digit]}"/>'
        for i, digit in enumerate(text)
    )


def territory_map(site, siteurl: str = "") -> TerritoryMap | None:
    """The map of a site's landing, or None when no place has coordinates."""
    places = places_of(site)
    if not places:
        return None
    outline = site.territory.map.outline
    rings = []
    if outline:
        data = json.loads((site.territory.source_dir / outline).read_text("utf-8"))
        rings = outline_rings(data)
    points = [(p.lon, p.lat) for p in places] + [pt for ring in rings for pt in ring]
    project = Projection(points)
    shapes = "".join(f'<path class="map-land" d="{_path(r, project)}"/>' for r in rings)
    positions = _spread([project(p.lon, p.lat) for p in places])
    markers = "".join(
        _marker(p, x, y, siteurl) for p, (x, y) in zip(places, positions, strict=True)
    )
    name = escape(site.territory.names.of)
    svg = (
        f'<svg class="map-drawing" viewBox="0 0 {WIDTH} {project.height}" '
        f'width="{WIDTH}" height="{project.height}" aria-hidden="true" focusable="false">'
        f"<title>Carte {name}</title>{shapes}{markers}</svg>"
    )
    return TerritoryMap(Markup(svg), tuple(places))


def _marker(place: Place, x: float, y: float, siteurl: str) -> str:
    """A numbered disc linking to the place's card or page (out of the Tab order: the list
    beside the map carries the same links)."""
    href = place.href if place.href.startswith("#") else f"{siteurl}{place.href}"
    return (
        f'<a href="{escape(href)}" tabindex="-1">'
        f"<title>{place.number}. {escape(place.name)}</title>"
        f'<circle cx="{x:.0f}" cy="{y:.0f}" r="{RADIUS}"/>'
        f"{_number(place.number, x, y)}</a>"
    )
