"""Every image the site publishes: the only place photos are resized and images/ is published.

A photo is never served as uploaded. Each one used by a page (hero, photos of the listed items,
welcomers' photos, raster logos, Markdown images) is decoded once, turned upright (EXIF
orientation), stripped of its metadata (EXIF, GPS, XMP: a photo taken at home must not say
where the home is) and written at several widths up to 2,560 px, never upscaled, as WebP with
a JPEG fallback (PNG when it has transparency). Each file stays under 500 KB. Pages show them
with <picture>, srcset, sizes and width/height. An SVG logo is checked (no script, event
handler, external reference or foreignObject) and published as written. Nothing else of
images/ reaches the output.

Derived files are cached by the source's content hash in the cache folder (beside the output,
or TERRITORIES_IMAGE_CACHE_PATH), so an unchanged photo is never encoded twice, and are made in
parallel (parallel.py). WebP rather than AVIF: measured here, Pillow's AVIF encoder took 2.3
times as long as WebP for files 10 to 25 % smaller.
"""

from __future__ import annotations

import json
import re
import xml.parsers.expat
from dataclasses import dataclass
from html import escape
from pathlib import Path, PurePosixPath

from markupsafe import Markup
from PIL import Image, ImageOps, UnidentifiedImageError

from . import parallel
from .incremental import digest

# Bump when the output of encode() changes: cached files of another version are not reused.
PIPELINE_VERSION = 1
PHOTO_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".avif")
SERVED_FORMATS = ("JPEG", "PNG", "WEBP", "AVIF")  # what Pillow calls the types we accept
MAX_SOURCE_BYTES = 25 * 1024 * 1024
MAX_SOURCE_PIXELS = 60_000_000  # a 60-megapixel camera; beyond, decoding costs too much memory
MAX_OUTPUT_BYTES = 500 * 1024
WIDTHS = (160, 480, 800, 1200, 1600, 2560)
FALLBACK_WIDTH = 800  # the one JPEG/PNG an old browser without WebP gets
QUALITY = {"WEBP": 75, "JPEG": 78}
# Per use of a photo: the widths offered and how wide it shows (the `sizes` attribute).
ROLES = {
    "hero": ((480, 800, 1200, 1600, 2560), "(min-width:72rem) 36rem,(min-width:48rem) 50vw,100vw"),
    "card": ((480, 800, 1200), "(min-width:72rem) 23rem,(min-width:40rem) 50vw,100vw"),
    "page": ((480, 800, 1200, 1600), "(min-width:48rem) 46rem,100vw"),
    "avatar": ((160,), "56px"),
    "logo": ((160, 480), "160px"),
}
IMG_TAG = re.compile(r"<img\b[^>]*>", re.IGNORECASE)
ATTRIBUTE = re.compile(r'([a-zA-Z-]+)="([^"]*)"')
LONE_IMAGE = re.compile(r"<p>\s*(<img\b[^>]*>)\s*</p>", re.IGNORECASE)


# Checks at load time: each returns a French message, or None when the file is fine.


def check_photo(path: Path) -> str | None:
    """Why this file cannot be a photo of the site (too large, not an image, wrong type)."""
    size = path.stat().st_size
    if size > MAX_SOURCE_BYTES:
        return (
            f"le fichier pèse {size / 1024 / 1024:.0f} Mo ; {MAX_SOURCE_BYTES // 1024 // 1024} Mo "
            "au plus (le site en publie des copies réduites)"
        )
    try:
        with Image.open(path) as image:
            kind, pixels = image.format, image.width * image.height
    except (UnidentifiedImageError, OSError):
        return "ce fichier n'est pas une image lisible (JPEG, PNG, WebP ou AVIF attendu)"
    except Image.DecompressionBombError:
        return "image trop grande (plus de 60 millions de pixels)"
    if kind not in SERVED_FORMATS:
        return f"image au format {kind} : le site publie des photos JPEG, PNG, WebP ou AVIF"
    if pixels > MAX_SOURCE_PIXELS:
        return f"image trop grande ({pixels / 1e6:.0f} millions de pixels ; 60 au plus)"
    return None


# What an SVG published by the site may not hold: it would run code or load another site.
SVG_FORBIDDEN_ELEMENTS = {"script", "foreignobject", "iframe", "embed", "object", "handler"}
EXTERNAL_URL = re.compile(r"url\(\s*['\"]?\s*(?!#|data:image/)", re.IGNORECASE)


def check_svg(path: Path) -> list[tuple[int, str]]:
    """[(line in the SVG, problem)]: an SVG that is not well formed, runs code or loads a URL."""
    problems: list[tuple[int, str]] = []
    parser = xml.parsers.expat.ParserCreate()

    def at(message: str) -> None:
        problems.append((parser.CurrentLineNumber, message))

    def start(name: str, attributes: dict) -> None:
        local = name.rsplit(":", 1)[-1].lower()
        if local in SVG_FORBIDDEN_ELEMENTS:
            at(f"l'élément <{local}> est interdit dans une image SVG")
        for key, value in attributes.items():
            attr = key.rsplit(":", 1)[-1].lower()
            if attr.startswith("on"):
                at(f"l'attribut {key} (code exécuté) est interdit dans une image SVG")
            elif attr == "href" and not value.strip().startswith(("#", "data:image/")):
                at(f"le lien « {value[:60]} » vers un autre fichier est interdit dans un SVG")
            elif attr == "style" and (EXTERNAL_URL.search(value) or "@import" in value):
                at("un style qui charge un autre fichier est interdit dans une image SVG")

    def text(data: str) -> None:
        if EXTERNAL_URL.search(data) or "@import" in data:
            at("un style qui charge un autre fichier est interdit dans une image SVG")

    def doctype(*_args) -> None:
        at("une déclaration <!DOCTYPE> ou <!ENTITY> est interdite dans une image SVG")

    parser.StartElementHandler = start
    parser.CharacterDataHandler = text
    parser.StartDoctypeDeclHandler = doctype
    parser.EntityDeclHandler = doctype
    parser.ProcessingInstructionHandler = lambda target, _data: at(
        f"l'instruction <?{target}?> est interdite dans une image SVG"
    )
    try:
        parser.Parse(path.read_bytes(), True)
    except xml.parsers.expat.ExpatError as error:
        problems.append(
            (error.lineno, f"SVG mal formé ({xml.parsers.expat.errors.messages[error.code]})")
        )
    return problems


SVG_BOX = re.compile(r"<svg\b[^>]*?\bviewBox=\"\s*[-\d.]+[\s,]+[-\d.]+[\s,]+([\d.]+)[\s,]+([\d.]+)")
SVG_SIZE = re.compile(r"<svg\b[^>]*?\bwidth=\"([\d.]+)(?:px)?\"[^>]*?\bheight=\"([\d.]+)(?:px)?\"")


def svg_ratio(path: Path) -> float:
    """Width over height of an SVG, from its viewBox or its width and height (else square)."""
    head = path.read_text("utf-8", errors="replace")[:4096]
    found = SVG_BOX.search(head) or SVG_SIZE.search(head)
    if not found or not float(found.group(2)):
        return 1.0
    return float(found.group(1)) / float(found.group(2))


def markdown_images(html: str) -> list[dict[str, str]]:
    """The attributes of each <img> of rendered Markdown (src, alt, title…)."""
    return [dict(ATTRIBUTE.findall(tag)) for tag in IMG_TAG.findall(html)]


# Encoding: done once per source content, results kept in the cache folder.


@dataclass(frozen=True)
class Variant:
    """One derived file: its name in the cache and the output, size and format."""

    name: str  # e.g. chambord-800.3fa2b1c0d4.webp (the hash: browsers may keep it for ever)
    width: int
    height: int
    mime: str
    digest: str  # of its bytes, for the output manifest


@dataclass(frozen=True)
class Derived:
    """Every variant of one source photo."""

    width: int
    height: int
    variants: tuple[Variant, ...]

    def of(self, mime: str, widths: tuple[int, ...]) -> list[Variant]:
        """This format's variants for a role's widths (a smaller source has fewer)."""
        mine = [v for v in self.variants if v.mime == mime]
        wanted = [v for v in mine if v.width in widths or v.width == self.width]
        smallest = min(mine, key=lambda v: v.width)
        chosen = [v for v in wanted if v.width <= max(widths)] or [smallest]
        return sorted(chosen, key=lambda v: v.width)

    @property
    def fallback_mime(self) -> str:
        return next(v.mime for v in self.variants if v.mime != "image/webp")


def widths_for(source_width: int) -> list[int]:
    """The widths made from a source: never wider than it, nor than 2,560 px."""
    widths = [w for w in WIDTHS if w < source_width]
    return [*widths, min(source_width, WIDTHS[-1])]


def _upright(path: Path) -> Image.Image:
    """The decoded photo, rotated as its EXIF says, without any metadata left on it."""
    with Image.open(path) as opened:
        image = ImageOps.exif_transpose(opened)
        has_alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
        clean = image.convert("RGBA" if has_alpha else "RGB")
    clean.info = {}  # no EXIF, XMP, ICC or comments travel to the copies
    return clean


def _save(image: Image.Image, kind: str, limit: int = MAX_OUTPUT_BYTES) -> bytes | None:
    """The image encoded, quality lowered step by step until it weighs less than `limit`;
    None when even the lowest quality weighs more (that width is then not offered)."""
    import io

    quality = QUALITY.get(kind, 0)
    while True:
        buffer = io.BytesIO()
        if kind == "PNG":
            image.save(buffer, "PNG", optimize=True)
        elif kind == "JPEG":
            image.save(buffer, "JPEG", quality=quality, optimize=True, progressive=True)
        else:
            image.save(buffer, kind, quality=quality, method=4)
        data = buffer.getvalue()
        if len(data) < limit:
            return data
        if kind == "PNG" or quality <= 30:
            return None
        quality -= 8


def encode(source: Path, source_digest: str, folder: Path) -> Derived:
    """Write every variant of `source` into `folder` (the cache) and describe them."""
    image = _upright(source)
    alpha = image.mode == "RGBA"
    stem, tag = PurePosixPath(source.name).stem, source_digest[:10]
    variants = []
    for width in widths_for(image.width):
        height = max(1, round(image.height * width / image.width))
        resized = image if width == image.width else image.resize((width, height), Image.LANCZOS)
        kinds = ["WEBP"] + (
            ["PNG" if alpha else "JPEG"] if width in _fallback_widths(image.width) else []
        )
        for kind in kinds:
            data = _save(resized if kind != "JPEG" else resized.convert("RGB"), kind)
            if data is None:
                continue  # too heavy even at the lowest quality: the smaller widths remain
            ext = {"WEBP": "webp", "JPEG": "jpg", "PNG": "png"}[kind]
            name = f"{stem}-{width}.{tag}.{ext}"
            (folder / name).write_bytes(data)
            variants.append(
                Variant(name, width, height, f"image/{ext.replace('jpg', 'jpeg')}", digest(data))
            )
    derived = Derived(image.width, image.height, tuple(variants))
    _write_meta(folder, derived)
    return derived


def _fallback_widths(source_width: int) -> set[int]:
    """The widths also made as JPEG/PNG: the fallback and the small one (avatars, logos)."""
    made = widths_for(source_width)
    fallback = max((w for w in made if w <= FALLBACK_WIDTH), default=made[0])
    return {fallback, made[0]}


def _write_meta(folder: Path, derived: Derived) -> None:
    data = {
        "width": derived.width,
        "height": derived.height,
        "variants": [v.__dict__ for v in derived.variants],
    }
    (folder / "meta.json").write_text(json.dumps(data), "utf-8")


def _read_meta(folder: Path) -> Derived | None:
    try:
        data = json.loads((folder / "meta.json").read_text("utf-8"))
    except (OSError, ValueError):
        return None
    variants = tuple(Variant(**v) for v in data["variants"])
    if not all((folder / v.name).is_file() for v in variants):
        return None
    return Derived(data["width"], data["height"], variants)


def _encode_jobs(jobs: list[tuple[Path, str, Path]]) -> list[tuple[str, Derived]]:
    """A worker's share of the photos to encode: [(source digest, variants)]."""
    results = []
    for source, source_digest, folder in jobs:
        folder.mkdir(parents=True, exist_ok=True)
        results.append((source_digest, encode(source, source_digest, folder)))
    return results


# A site's images: what its pages use, how they show, what is written to the output.


@dataclass
class SiteImages:
    """The images of one territory's site: markup for the templates and the files to publish."""

    folder: Path  # the territory's folder
    prefix: str  # the site's URL prefix, "/loiret/" or "/"
    siteurl: str
    cache: Path
    hashes: dict[str, str]  # content hash of each file of the folder, by relative path
    derived: dict[str, Derived]  # by relative path, filled by prepare()

    def cache_folder(self, rel: str) -> Path:
        return self.cache / f"{self.hashes[rel]}-v{PIPELINE_VERSION}"

    def url(self, rel: str, name: str) -> str:
        """The public URL of a derived file, beside the source's place in images/."""
        parent = PurePosixPath(rel).parent.as_posix()
        return f"{self.siteurl}{self.prefix}{parent}/{name}"

    def picture(
        self,
        photo,
        role: str = "card",
        eager: bool = False,
        alt: str | None = None,
        class_: str = "",
    ):
        """<picture> of a photo (a Photo, or a path with `alt`), in this role's sizes."""
        rel = photo if isinstance(photo, str) else photo.image
        text = alt if alt is not None else photo.alt
        derived = self.derived[rel]
        widths, sizes = ROLES[role]
        webp = derived.of("image/webp", widths)
        fallbacks = derived.of(derived.fallback_mime, (FALLBACK_WIDTH, *widths))
        img = max(
            (v for v in fallbacks if v.width <= FALLBACK_WIDTH),
            default=fallbacks[0],
            key=lambda v: v.width,
        )
        srcset = ",".join(f"{self.url(rel, v.name)} {v.width}w" for v in webp)
        loading = ' fetchpriority="high"' if eager else ' loading="lazy" decoding="async"'
        css = f' class="{class_}"' if class_ else ""
        return Markup(
            f'<picture><source type="image/webp" srcset="{srcset}" sizes="{sizes}">'
            f'<img{css} src="{self.url(rel, img.name)}" width="{img.width}" '
            f'height="{img.height}" alt="{escape(text)}"{loading}></picture>'
        )

    def share_url(self, photo) -> str:
        """The JPEG copy social networks show for the page (og:image)."""
        derived = self.derived[photo.image]
        fallbacks = derived.of(derived.fallback_mime, (FALLBACK_WIDTH,))
        return self.url(photo.image, fallbacks[-1].name)

    def logo(self, rel: str) -> str:
        """The URL of the logo: an SVG as written, a raster logo's small copy."""
        if rel.lower().endswith(".svg"):
            return f"{self.siteurl}{self.prefix}{rel}"
        small = self.derived[rel].of(self.derived[rel].fallback_mime, ROLES["logo"][0])
        return self.url(rel, small[-1].name)

    def logo_width(self, rel: str, height: int = 40) -> int:
        """The logo's width when shown `height` pixels high (width/height on every <img>)."""
        if rel.lower().endswith(".svg"):
            ratio = svg_ratio(self.folder / rel)
        else:
            ratio = self.derived[rel].width / self.derived[rel].height
        return round(height * ratio)

    def body(self, html: str) -> Markup:
        """Rendered Markdown with its images/ pictures in place (a lone one as a figure)."""

        def figure(match: re.Match) -> str:
            attrs = dict(ATTRIBUTE.findall(match.group(1)))
            if attrs.get("src") not in self.derived:
                return match.group(0)
            caption = attrs.get("title")
            credit = f'<figcaption class="credit">{caption}</figcaption>' if caption else ""
            return f'<figure class="photo">{self._inline(match.group(1))}{credit}</figure>'

        html = LONE_IMAGE.sub(figure, html)
        return Markup(IMG_TAG.sub(lambda m: self._inline(m.group(0)), html))

    def _inline(self, tag: str) -> str:
        """One Markdown <img> (attribute values already escaped) as a <picture>."""
        attrs = dict(ATTRIBUTE.findall(tag))
        src = attrs.get("src", "")
        if src not in self.derived:
            return tag
        from html import unescape

        return self.picture(src, "page", alt=unescape(attrs.get("alt", "")))

    def outputs(self) -> list[tuple[str, Path, str]]:
        """(output path, file to copy, its hash) of every image file the pages use."""
        prefix = self.prefix.lstrip("/")
        found = []
        for rel, derived in sorted(self.derived.items()):
            parent = PurePosixPath(rel).parent.as_posix()
            for v in derived.variants:
                found.append(
                    (f"{prefix}{parent}/{v.name}", self.cache_folder(rel) / v.name, v.digest)
                )
        return found


def used_images(territory) -> tuple[list[str], list[str]]:
    """(raster images, SVG files) the territory's pages show, as paths relative to its folder."""
    photos = [territory.hero] if territory.hero else []
    for section in ("assets", "castles", "housing", "events", "testimonials"):
        photos += [item.photo for item in getattr(territory, section) if item.photo]
    photos += [p.photo for p in territory.placements if p.photo]
    photos += [p.photo for p in territory.pages if p.photo]
    raster = [p.image for p in photos]
    raster += [w.photo for w in territory.welcomers if w.photo]
    bodies = [territory.intro_html] + [
        p.body_html for p in (*territory.placements, *territory.pages)
    ]
    raster += [
        img["src"]
        for html in bodies
        for img in markdown_images(html)
        if img.get("src", "").startswith("images/")
    ]
    svg = []
    logo = territory.brand.logo
    if logo:
        (svg if logo.lower().endswith(".svg") else raster).append(logo)
    return sorted(set(raster)), sorted(set(svg))


def site_images(territory, prefix: str, siteurl: str, cache: Path, hashes: dict) -> SiteImages:
    """The images of a site, before prepare() has made their copies."""
    return SiteImages(territory.source_dir, prefix, siteurl, cache, dict(hashes), {})


def prepare(sites: list[SiteImages], territories: list) -> None:
    """Make the copies every site needs (in parallel, only those not cached), then fill
    each site's `derived`."""
    todo: dict[str, tuple[Path, str, Path]] = {}
    wanted = []
    for site, territory in zip(sites, territories, strict=True):
        raster, _ = used_images(territory)
        for rel in raster:
            if rel not in site.hashes:
                site.hashes[rel] = digest((site.folder / rel).read_bytes())
            folder = site.cache_folder(rel)
            cached = _read_meta(folder)
            if cached is None:
                todo.setdefault(site.hashes[rel], (site.folder / rel, site.hashes[rel], folder))
            wanted.append((site, rel, cached))
    made = dict(parallel.map_chunks(_encode_jobs, list(todo.values()), min_items=1))
    for site, rel, cached in wanted:
        site.derived[rel] = cached or made[site.hashes[rel]]


def svg_outputs(territory, prefix: str) -> list[tuple[str, Path]]:
    """(output path, source) of the SVG files the pages use (checked at load time)."""
    _, svg = used_images(territory)
    return [(f"{prefix.lstrip('/')}{rel}", territory.source_dir / rel) for rel in svg]
