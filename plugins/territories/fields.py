"""Kinds of values an editor may write, each able to check a value and describe itself.

A field spec (`Field`) pairs a key with a kind. The same specs drive validation (`check`), the
JSON Schemas given to editors' IDEs (`schema`) and the content reference (`label`), so the
three cannot drift apart.
"""

from __future__ import annotations

import datetime as dt
import difflib
import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from html import unescape
from pathlib import Path, PurePosixPath
from zoneinfo import ZoneInfo

import email_validator
import phonenumbers
import yaml

from . import images, video
from . import map as maps
from .errors import ContentError
from .languages import french_name, french_names
from .markup import LineDict, LineList, convert_markdown

INVALID = object()  # returned by a check that reported an error: nothing can be built from it
_ABSENT = object()  # an optional key that was not written


@dataclass
class FileContext:
    """The file being checked: where its errors go and where its images must be."""

    path: str
    folder: Path
    errors: list[ContentError]


@dataclass(frozen=True)
class Where:
    """The place of one value: its file, dotted field path, line, and its text as written."""

    ctx: FileContext
    field: str
    line: int
    raw: str | None = None

    def error(self, message: str) -> object:
        """Record an error at this place; returns INVALID so checks can `return where.error()`."""
        self.ctx.errors.append(ContentError(self.ctx.path, self.line, self.field, message))
        return INVALID

    def shown(self, value) -> str:
        """The value as the editor wrote it, for quoting in a message."""
        return self.raw if self.raw is not None else str(value)

    def child(self, name: str, line: int, raw: str | None = None) -> Where:
        """The place of a key of this mapping."""
        path = f"{self.field}.{name}" if self.field else name
        return Where(self.ctx, path, line, raw)

    def item(self, index: int, line: int, raw: str | None = None) -> Where:
        """The place of an item of this list, counted from 1 as editors count (welcomers[1]
        is the first welcomer)."""
        return Where(self.ctx, f"{self.field}[{index + 1}]", line, raw)


def describe(value) -> str:
    """What an editor wrote, named in French: « une liste », « un nombre »…"""
    if isinstance(value, bool):
        return "un booléen (true/false)"
    if isinstance(value, int | float):
        return "un nombre"
    if isinstance(value, dt.datetime):
        return "une date et heure"
    if isinstance(value, dt.date):
        return "une date"
    if isinstance(value, list):
        return "une liste"
    if isinstance(value, dict):
        return "une section (clé: valeur)"
    return "du texte"


def suggestion(word: str, choices) -> str:
    """« ; vouliez-vous dire « x » ? » when a choice is close to `word`, else ""."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" ; vouliez-vous dire « {close[0]} » ?" if close else ""


def french_number(value: float) -> str:
    """A number written the French way: 2,5 rather than 2.5."""
    return format(value, "g").replace(".", ",")


class Kind:
    """A kind of value. Subclasses define check(), schema() and label."""

    label = "valeur"

    def check(self, value, where: Where):
        """The value converted for the model, or INVALID after reporting errors at `where`."""
        raise NotImplementedError

    def schema(self) -> dict:
        """A JSON Schema (draft 2020-12) fragment for this kind."""
        raise NotImplementedError


class Text(Kind):
    """A non-empty string, optionally matching a pattern."""

    label = "texte"

    def __init__(self, pattern: str | None = None, expected: str | None = None, label=None):
        self.pattern = pattern
        self.expected = expected  # what the pattern means, in French
        if label:
            self.label = label

    def check(self, value, where):
        if not isinstance(value, str):
            if not _is_scalar(value):
                return where.error(f"texte attendu, trouvé {describe(value)}")
            return where.error(
                f"texte attendu, trouvé « {where.shown(value)} », lu comme {describe(value)} ; "
                "mettez-le entre guillemets"
            )
        value = value.strip()
        if not value:
            return where.error("texte vide")
        if self.pattern and not re.fullmatch(self.pattern, value):
            return where.error(f"« {value} » n'est pas valide : {self.expected}")
        return value

    def schema(self):
        result = {"type": "string", "minLength": 1}
        if self.pattern:
            result["pattern"] = f"^(?:{self.pattern})$"
        return result


def _is_scalar(value) -> bool:
    return not isinstance(value, list | dict)


class Markdown(Text):
    """Text written in Markdown, rendered to HTML for the model."""

    label = "texte (Markdown)"

    def check(self, value, where):
        text = super().check(value, where)
        if text is INVALID:
            return text
        html, problems = convert_markdown(text)
        # A YAML text's lines are not the file's (folded, indented): the field's line says where.
        for problem in problems:
            where.error(problem.message)
        if problems:
            return INVALID
        images_problems = markdown_image_problems(html, where.ctx.folder)
        for _, message in images_problems:
            where.error(message)
        return INVALID if images_problems else html


class Email(Text):
    """An e-mail address (syntax only: no DNS look-up at build time)."""

    label = "adresse e-mail"

    def check(self, value, where):
        text = super().check(value, where)
        if text is INVALID:
            return text
        if not _valid_email(text):
            return where.error(f"« {text} » n'est pas une adresse e-mail valide")
        return text

    def schema(self):
        return {"type": "string", "format": "email"}


@functools.lru_cache(maxsize=4096)
def _valid_email(text: str) -> bool:
    """email-validator's verdict (its syntax checks cost about 0.3 ms: one per address)."""
    # A territory's placements share a few contact addresses: most checks are repeats.
    try:
        email_validator.validate_email(text, check_deliverability=False)
    except email_validator.EmailNotValidError:
        return False
    return True


class Phone(Text):
    """A telephone number, French unless written with its country code (+…)."""

    label = "numéro de téléphone"

    def check(self, value, where):
        text = super().check(value, where)
        if text is INVALID:
            return text
        try:
            number = phonenumbers.parse(text, "FR")
        except phonenumbers.NumberParseException:
            number = None
        if number is None or not phonenumbers.is_possible_number(number):
            return where.error(f"« {text} » n'est pas un numéro de téléphone (ex. 02 38 25 41 35)")
        return text

    def schema(self):
        return {"type": "string", "pattern": r"^\+?[0-9][0-9 .()-]{5,}$"}


class Colour(Text):
    """A colour written #rrggbb; kept in lower case."""

    label = "couleur #rrggbb"

    def check(self, value, where):
        if not isinstance(value, str) or not re.fullmatch(r"#[0-9a-fA-F]{6}", value.strip()):
            return where.error(f"« {where.shown(value)} » n'est pas une couleur (#rrggbb attendu)")
        return value.strip().lower()

    def schema(self):
        return {"type": "string", "pattern": "^#[0-9a-fA-F]{6}$"}


class Choice(Kind):
    """One of a fixed list of values."""

    def __init__(self, values: tuple[str, ...]):
        self.values = tuple(values)
        self.label = "une valeur parmi : " + ", ".join(self.values)

    def check(self, value, where):
        if value not in self.values:
            shown = where.shown(value)
            allowed = ", ".join(self.values)
            hint = suggestion(shown, self.values)
            return where.error(f"« {shown} » n'est pas une valeur permise ({allowed}){hint}")
        return value

    def schema(self):
        return {"type": "string", "enum": list(self.values)}


class Integer(Kind):
    """A whole number, at least `minimum`; true/false are not numbers."""

    def __init__(self, minimum: int | None = None):
        self.minimum = minimum
        self.label = "nombre entier" + (f" ≥ {minimum}" if minimum is not None else "")

    def check(self, value, where):
        if isinstance(value, bool) or not isinstance(value, int):
            return where.error(f"nombre entier attendu, trouvé {describe(value)}")
        if self.minimum is not None and value < self.minimum:
            return where.error(f"doit être au moins {self.minimum} (trouvé {value})")
        return value

    def schema(self):
        result = {"type": "integer"}
        if self.minimum is not None:
            result["minimum"] = self.minimum
        return result


class Amount(Kind):
    """A sum in euros, ≥ 0, kept as a Decimal (floats would round cents)."""

    label = "montant en euros ≥ 0"

    def check(self, value, where):
        if isinstance(value, bool) or not isinstance(value, int | float):
            return where.error(f"montant attendu (nombre, ex. 499), trouvé {describe(value)}")
        if value < 0:
            return where.error(f"le montant ne peut pas être négatif (trouvé {value})")
        return Decimal(str(value))

    def schema(self):
        return {"type": "number", "minimum": 0}


class Percent(Kind):
    """A rate in per cent, from 0 to 100 (a VAT rate: 20, 5.5), kept as a Decimal."""

    label = "pourcentage de 0 à 100"

    def check(self, value, where):
        if isinstance(value, bool) or not isinstance(value, int | float):
            return where.error(f"pourcentage attendu (nombre, ex. 20), trouvé {describe(value)}")
        if not 0 <= value <= 100:
            return where.error(f"le pourcentage doit être entre 0 et 100 (trouvé {value})")
        return Decimal(str(value))

    def schema(self):
        return {"type": "number", "minimum": 0, "maximum": 100}


# YAML 1.1 reads yes/no/true/false as booleans, but « oui » and « non » as text.
YES_NO = {"oui": True, "non": False}


class Boolean(Kind):
    """Yes or no: `oui` or `non` as French editors write it, or YAML's true and false."""

    label = "oui ou non"

    def check(self, value, where):
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in YES_NO:
            return YES_NO[value.strip().lower()]
        return where.error(f"oui ou non attendu, trouvé « {where.shown(value)} »")

    def schema(self):
        return {"anyOf": [{"type": "boolean"}, {"type": "string", "enum": ["oui", "non"]}]}


class Date(Kind):
    """A calendar date written AAAA-MM-JJ."""

    label = "date AAAA-MM-JJ"

    def check(self, value, where):
        if isinstance(value, dt.datetime):
            return where.error("date sans heure attendue (AAAA-MM-JJ)")
        if isinstance(value, dt.date):
            return value
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value.strip())
            except ValueError:
                pass
        return where.error(
            f"« {where.shown(value)} » n'est pas une date valide (AAAA-MM-JJ attendu)"
        )

    def schema(self):
        return {"type": "string", "format": "date"}


# What editors' IDEs check for a date-time: an offset (or Z) may follow; without one, Paris time.
DATETIME_PATTERN = r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}:?\d{2})?$"
PARIS = ZoneInfo("Europe/Paris")


class DateTime(Kind):
    """A date and time in Paris, such as 2027-10-14T19:00 (an offset may be added, but must be
    Paris's on that day: a wrong one is reported, never silently shifted by an hour)."""

    label = "date et heure à Paris (AAAA-MM-JJTHH:MM)"
    example = "2027-10-14T19:00"

    def check(self, value, where):
        if isinstance(value, str):
            try:
                value = dt.datetime.fromisoformat(value.strip())
            except ValueError:
                value = None
        if not isinstance(value, dt.datetime):
            return where.error(
                f"« {where.shown(value)} » n'est pas une date et heure valide (ex. {self.example})"
            )
        if value.tzinfo is None:
            return self._in_paris(value, where)
        return self._with_offset(value, where)

    def _in_paris(self, local: dt.datetime, where: Where):
        """A wall-clock time in Paris: it must exist (not in the spring change's lost hour)."""
        moment = local.replace(tzinfo=PARIS)
        if moment.astimezone(dt.UTC).astimezone(PARIS).replace(tzinfo=None) != local:
            return where.error(
                f"{local:%H:%M} n'existe pas à Paris le {local:%d/%m/%Y} (passage à l'heure "
                "d'été) : choisissez une autre heure"
            )
        return moment

    def _with_offset(self, moment: dt.datetime, where: Where):
        """An offset is kept only if it is Paris's at that time: else the time is ambiguous."""
        local = moment.replace(tzinfo=None)
        paris = local.replace(tzinfo=PARIS).utcoffset()
        if moment.utcoffset() == paris:
            return local.replace(tzinfo=PARIS)
        season = "heure d'été" if paris == dt.timedelta(hours=2) else "heure d'hiver"
        return where.error(
            f"décalage {_offset(moment.utcoffset())} incorrect pour Paris le {local:%d/%m/%Y} "
            f"({season} : {_offset(paris)}) ; écrivez l'heure de Paris sans décalage "
            f"(ex. {local:%Y-%m-%dT%H:%M}), ou avec {_offset(paris)}"
        )

    def schema(self):
        return {"type": "string", "pattern": DATETIME_PATTERN}


def _offset(delta: dt.timedelta | None) -> str:
    """+02:00, -05:00, Z for UTC."""
    if not delta:
        return "Z (UTC)"
    minutes = int(delta.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


class TextOrNumber(Kind):
    """Text, or a number that becomes text (written the French way: 2,5)."""

    label = "texte ou nombre"

    def check(self, value, where):
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            return where.error(f"texte ou nombre attendu, trouvé {describe(value)}")
        text = value.strip() if isinstance(value, str) else french_number(value)
        return text or where.error("texte vide")

    def schema(self):
        return {"type": ["string", "number"]}


class Code(Kind):
    """An official code: a département's number, a commune's INSEE code or an EPCI's SIREN
    (which one the territory's `kind` says: validation.check_code); text, or a whole number."""

    label = 'code officiel (ex. "41", "41018", "200030385")'

    def check(self, value, where):
        if isinstance(value, bool) or not isinstance(value, str | int):
            return where.error(f'code attendu (ex. "41"), trouvé {describe(value)}')
        text = str(value).strip()
        if isinstance(value, int) and where.raw and where.raw.isdigit():
            text = where.raw  # as written: YAML reads 01 as 1 and 041 as an octal 33
        if not re.fullmatch(r"[0-9A-Za-z]{1,9}", text):
            return where.error(f'« {text} » n\'est pas un code valide (ex. "41", "2A")')
        return text.upper()

    def schema(self):
        return {"type": ["string", "integer"], "pattern": "^[0-9A-Za-z]{1,9}$"}


class Language(Text):
    """An ISO 639-1 language code (fr, en…), checked against Unicode CLDR's list (Babel)."""

    label = "code de langue ISO 639-1 (ex. fr, en)"

    def check(self, value, where):
        text = super().check(value, where)
        if text is INVALID:
            return text
        code = text.lower()
        if french_name(code) is None:
            near = difflib.get_close_matches(code, list(french_names()), n=1, cutoff=0.5)
            hint = f" ; vouliez-vous dire « {near[0]} » ({french_name(near[0])}) ?" if near else ""
            return where.error(
                f"« {text} » n'est pas un code de langue ISO 639-1 (deux lettres, "
                f"ex. fr pour français, en pour anglais){hint}"
            )
        return code

    def schema(self):
        return {"type": "string", "enum": sorted(french_names())}


class Url(Text):
    """A web address starting with https:// (or http://)."""

    label = "adresse web (https://…)"

    def __init__(self):
        super().__init__(pattern=r"https?://[^\s]+", expected="une adresse web https://…")

    def schema(self):
        return {"type": "string", "format": "uri", "pattern": r"^https?://\S+$"}


class VideoUrl(Url):
    """A video page of YouTube, Vimeo or Dailymotion, or an MP4 file (https://…/x.mp4)."""

    label = "adresse d'une vidéo YouTube, Vimeo, Dailymotion ou d'un fichier .mp4"

    def check(self, value, where):
        text = super().check(value, where)
        if text is INVALID:
            return text
        if video.player(text) is None:
            return where.error(
                f"« {text} » n'est pas une vidéo que le site sait montrer : une page YouTube, "
                "Vimeo ou Dailymotion, ou un fichier https://….mp4"
            )
        return text


class Outline(Text):
    """A GeoJSON file of the territory's images/ folder: the map's outline."""

    label = "chemin d'un fichier GeoJSON (ex. images/contour.geojson)"

    def check(self, value, where):
        text = super().check(value, where)
        if text is INVALID:
            return text
        relative = PurePosixPath(text)
        if relative.is_absolute() or ".." in relative.parts or relative.parts[0] != "images":
            return where.error(f"« {text} » doit être un fichier du dossier images/")
        if relative.suffix.lower() not in (".geojson", ".json"):
            return where.error(f"« {text} » n'est pas un fichier GeoJSON (.geojson)")
        path = where.ctx.folder / relative
        if not path.is_file():
            return where.error(f"le fichier « {text} » est introuvable dans {where.ctx.folder}/")
        problem = maps.check_outline(path)
        return where.error(f"{text} : {problem}") if problem else text

    def schema(self):
        return {"type": "string", "pattern": r"^images/(?!.*\.\.).+\.(geo)?json$"}


class Image(Text):
    """A file of the territory's images/ folder, by relative path, e.g. images/logo.svg."""

    label = "chemin d'image dans le dossier (ex. images/logo.svg)"
    suffixes = (".svg", *images.PHOTO_SUFFIXES)
    example = "images/logo.svg"

    def check(self, value, where):
        text = super().check(value, where)
        if text is INVALID:
            return text
        relative = PurePosixPath(text)
        if relative.is_absolute() or ".." in relative.parts or relative.parts[0] != "images":
            return where.error(
                f"« {text} » doit être un fichier du dossier images/ du territoire "
                f"(ex. {self.example})"
            )
        if relative.suffix.lower() not in self.suffixes:
            return where.error(f"« {text} » n'est pas une image ({', '.join(self.suffixes)})")
        path = where.ctx.folder / relative
        if not path.is_file():
            hint = _same_name_suggestion(where.ctx.folder, relative)
            return where.error(
                f"le fichier « {text} » est introuvable dans {where.ctx.folder}/{hint}"
            )
        if relative.suffix.lower() == ".svg":
            problems = images.check_svg(path)
            for line, problem in problems:
                where.error(f"{text}, ligne {line} : {problem}")
            return INVALID if problems else text
        problem = images.check_photo(path)
        return where.error(f"{text} : {problem}") if problem else text

    def schema(self):
        suffixes = "|".join(s.lstrip(".") for s in self.suffixes).replace("jpg|jpeg", "jpe?g")
        return {"type": "string", "pattern": rf"^images/(?!.*\.\.).+\.({suffixes})$"}


class PhotoFile(Image):
    """A photo of the territory's images/ folder: JPEG, PNG, WebP or AVIF."""

    label = "chemin de photo dans le dossier (ex. images/chambord.jpg)"
    suffixes = images.PHOTO_SUFFIXES
    example = "images/chambord.jpg"


def markdown_image_problems(html: str, folder: Path) -> list[tuple[str, str]]:
    """(src as written, message) of each image of rendered Markdown the site cannot show."""
    problems = []
    for attrs in images.markdown_images(html):
        src = unescape(attrs.get("src", ""))
        relative = PurePosixPath(src)
        if src.startswith(("http://", "https://", "//")):
            message = (
                "une image d'un autre site n'est pas affichée (le site ne charge rien "
                "d'ailleurs) : copiez-la dans images/ et écrivez ![description](images/fichier.jpg)"
            )
        elif relative.is_absolute() or ".." in relative.parts or relative.parts[:1] != ("images",):
            message = (
                "chemin d'image attendu : images/<fichier> (ex. ![description](images/blois.jpg))"
            )
        elif relative.suffix.lower() not in images.PHOTO_SUFFIXES:
            message = f"« {src} » n'est pas une photo ({', '.join(images.PHOTO_SUFFIXES)})"
        elif not (folder / relative).is_file():
            message = f"le fichier « {src} » est introuvable dans {folder}/"
        elif not unescape(attrs.get("alt", "")).strip():
            message = (
                f"texte alternatif manquant : décrivez la photo entre les crochets, "
                f"![ce que montre la photo]({src})"
            )
        else:
            problem = images.check_photo(folder / relative)
            message = f"{src} : {problem}" if problem else None
        if message:
            problems.append((src, message))
    return problems


def line_of_text(text: str, needle: str) -> int:
    """The 0-based line of `text` where `needle` first appears (0 when absent)."""
    index = text.find(needle)
    return text.count("\n", 0, index) if index >= 0 else 0


def _same_name_suggestion(folder: Path, relative: PurePosixPath) -> str:
    """« ; vouliez-vous dire « images/logo.svg » ? » when only the extension (or the case of
    the name) differs from a file that exists, else ""."""
    directory = folder / relative.parent
    if not directory.is_dir():
        return ""
    wanted = relative.stem.lower()
    found = sorted(
        p.name
        for p in directory.iterdir()
        if p.is_file() and p.stem.lower() == wanted and p.suffix.lower() in Image.suffixes
    )
    return f" ; vouliez-vous dire « {(relative.parent / found[0]).as_posix()} » ?" if found else ""


class Coordinates(Kind):
    """[latitude, longitude] in decimal degrees."""

    label = "[latitude, longitude]"

    def check(self, value, where):
        if not isinstance(value, list) or len(value) != 2:
            return where.error("[latitude, longitude] attendu, ex. [47.6161, 1.5170]")
        lat, lon = value
        if any(isinstance(v, bool) or not isinstance(v, int | float) for v in value):
            return where.error("les coordonnées doivent être deux nombres, ex. [47.6161, 1.5170]")
        if not -90 <= lat <= 90:
            return where.error(f"latitude hors limites (-90 à 90) : {french_number(lat)}")
        if not -180 <= lon <= 180:
            return where.error(f"longitude hors limites (-180 à 180) : {french_number(lon)}")
        return (float(lat), float(lon))

    def schema(self):
        return {
            "type": "array",
            "prefixItems": [
                {"type": "number", "minimum": -90, "maximum": 90, "description": "Latitude"},
                {"type": "number", "minimum": -180, "maximum": 180, "description": "Longitude"},
            ],
            "minItems": 2,
            "maxItems": 2,
        }


class ListOf(Kind):
    """A list of values of one kind; `unique` names a key that must differ between items."""

    def __init__(self, item: Kind, min_items: int = 0, unique: str | None = None):
        self.item = item
        self.min_items = min_items
        self.unique = unique
        is_record = isinstance(item, Record)
        self.label = "liste de sections (voir ci-dessous)" if is_record else f"liste ({item.label})"

    def check(self, value, where):
        if not isinstance(value, list):
            return where.error(f"liste attendue, trouvé {describe(value)}")
        if len(value) < self.min_items:
            return where.error("la liste ne doit pas être vide")
        items = [self._check_item(value, index, where) for index in range(len(value))]
        unique = self._unique(value, where) if self.unique else True
        return tuple(items) if unique and INVALID not in items else INVALID

    def _check_item(self, value: LineList, index: int, where: Where):
        raw = value.raw.get(index) if isinstance(value, LineList) else None
        line = value.line_of(index) if isinstance(value, LineList) else where.line
        return self.item.check(value[index], where.item(index, line, raw))

    def _unique(self, value: list, where: Where) -> bool:
        """Report items whose `unique` key repeats an earlier one's, as written (before checks)."""
        seen, ok = set(), True
        for index, item in enumerate(value):
            key = item.get(self.unique) if isinstance(item, dict) else None
            if not isinstance(key, str):
                continue
            if key in seen:
                line = item.line_of(self.unique) if isinstance(item, LineDict) else where.line
                where.item(index, line).child(self.unique, line).error(
                    f"« {key} » est déjà utilisé par un autre élément de la liste"
                )
                ok = False
            seen.add(key)
        return ok

    def schema(self):
        result = {"type": "array", "items": self.item.schema()}
        if self.min_items:
            result["minItems"] = self.min_items
        return result


@dataclass(frozen=True)
class Field:
    """One key of a section: its kind, whether it is required, and its help for editors."""

    key: str
    kind: Kind
    required: bool = False
    description: str = ""
    example: object = None
    attr: str | None = None  # the model's attribute, when it differs from the key

    @property
    def name(self) -> str:
        """The model attribute this field fills."""
        return self.attr or self.key


# A rule sees a section's converted values (by model attribute) and a function giving the place
# of one of its keys; it checks what involves several fields (end after start…).
Rule = Callable[[dict, Callable[[str], Where]], None]


@dataclass
class Record(Kind):
    """A section of `key: value` pairs, checked field by field, then by its rules."""

    fields: tuple[Field, ...]
    model: type | None = None  # the dataclass built from the values; None keeps a dict
    rules: tuple[Rule, ...] = ()
    description: str = ""
    label: str = field(default="section (voir ci-dessous)")

    def check(self, value, where):
        if not isinstance(value, dict):
            return where.error(f"section attendue (clé: valeur), trouvé {describe(value)}")
        if not isinstance(value, LineDict):  # plain dicts (tests, tools) have no line numbers
            value = _with_lines(value, where.line)
        known_keys = self._report_unknown_keys(value, where)
        values = {spec.name: self._check_field(spec, value, where) for spec in self.fields}
        values = {name: v for name, v in values.items() if v is not _ABSENT}
        rules_ok = self._apply_rules(values, value, where)
        if not (rules_ok and known_keys) or INVALID in values.values():
            return INVALID
        return self.model(**values) if self.model else values

    def _check_field(self, spec: Field, value: LineDict, where: Where):
        """The converted value of one key, _ABSENT when optional and not written, or INVALID."""
        place = where.child(spec.key, _line_of(value, spec.key, where), value.raw.get(spec.key))
        if value.get(spec.key) is not None:
            return spec.kind.check(value[spec.key], place)
        if spec.required:
            return place.error(_missing(spec, present=spec.key in value))
        return _ABSENT  # the model's default applies; an empty key (`pack:`) counts as absent

    def _apply_rules(self, values: dict, value: LineDict, where: Where) -> bool:
        """Run the rules on the fields that are valid, so every error shows at once."""
        errors_before = len(where.ctx.errors)
        valid = {name: v for name, v in values.items() if v is not INVALID}
        for rule in self.rules:
            rule(
                valid, lambda key: where.child(key, _line_of(value, key, where), value.raw.get(key))
            )
        return len(where.ctx.errors) == errors_before

    def _report_unknown_keys(self, value: LineDict, where: Where) -> bool:
        """Report keys that are not in the spec (typos), with a suggestion; True if none."""
        known = [f.key for f in self.fields]
        unknown = [key for key in value if key not in known]
        for key in unknown:
            hint = (
                self._indentation_hint(key, value)
                or suggestion(key, known)
                or " ; clés possibles : " + ", ".join(known)
            )
            where.child(key, value.line_of(key)).error(f"clé inconnue{hint}")
        return not unknown

    def _indentation_hint(self, key: str, value: LineDict) -> str:
        """« indentez sous contact: » when `key` belongs to an empty section written above it:
        the classic mistake of a line not indented under its section."""
        line = value.line_of(key)
        sections = [
            spec.key
            for spec in self.fields
            if isinstance(spec.kind, Record)
            and spec.key in value
            and value[spec.key] is None
            and value.line_of(spec.key) < line
            and key in {f.key for f in spec.kind.fields}
        ]
        if not sections:
            return ""
        parent = max(sections, key=value.line_of)
        return (
            f" ici : « {key} » est un champ de {parent}: ; indentez sous {parent}: "
            "(deux espaces en début de ligne)"
        )

    def schema(self):
        result = {
            "type": "object",
            "properties": {f.key: field_schema(f) for f in self.fields},
            "additionalProperties": False,
        }
        required = [f.key for f in self.fields if f.required]
        if required:
            result["required"] = required
        if self.description:
            result = {"description": self.description, **result}
        return result


def _line_of(value: LineDict, key: str, where: Where) -> int:
    """The line of `key`; for an absent key, the line of the section's own key (brand:)."""
    return value.key_lines.get(key, where.line)


def yaml_example(example, in_list: bool = False) -> str:
    """An example as an editor would type it in YAML."""
    if isinstance(example, tuple | list):
        return "[" + ", ".join(yaml_example(e, in_list=True) for e in example) + "]"
    if isinstance(example, bool):
        return "true" if example else "false"
    if isinstance(example, str) and not _reads_back(example, in_list):
        return f'"{example}"'  # "#1f4e79", "41", "@team": YAML would misread them unquoted
    return str(example)


def _reads_back(text: str, in_list: bool) -> bool:
    """True when `text` needs no quotes: YAML reads it as that text (or as a date we accept)."""
    if in_list and "," in text:
        return False
    try:
        value = yaml.safe_load(f"key: {text}")["key"]
    except yaml.YAMLError:
        return False
    return value == text or (isinstance(value, dt.date) and value.isoformat() == text)


def _missing(spec: Field, present: bool) -> str:
    """The message for a required field that is absent or empty, with an example."""
    message = "champ obligatoire vide" if present else "champ obligatoire manquant"
    if spec.example is None or isinstance(spec.example, tuple | list):
        return message
    return f"{message} (ex. {spec.key}: {yaml_example(spec.example)})"


def _with_lines(value: dict, line: int) -> LineDict:
    result = LineDict(line)
    result.update(value)
    return result


def field_schema(spec: Field) -> dict:
    """The JSON Schema of one field: its kind's, with the field's description and example."""
    result = {}
    if spec.description:
        result["description"] = spec.description
    result.update(spec.kind.schema())
    if spec.example is not None:
        result["examples"] = [_json_example(spec.example)]
    return result


def _json_example(example):
    """An example as JSON can hold it (tuples become lists)."""
    if isinstance(example, tuple | list):
        return [_json_example(e) for e in example]
    return example
