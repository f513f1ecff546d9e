"""Load every `territories/<slug>/` folder into the typed models, or report every error.

Public API (used by the Pelican generator and the checker):
    load_territories(root, only=None) -> list[Territory]
    load_territory(folder) -> Territory  (one folder, e.g. in a build's worker process)
    ContentErrors, ContentError          (raised / carried on invalid content)
    contrast_ratio(colour_a, colour_b)   (WCAG 2.1)
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .errors import ContentError, ContentErrors
from .fields import (
    INVALID,
    FileContext,
    Record,
    Where,
    line_of_text,
    markdown_image_problems,
)
from .markup import (
    LineDict,
    YamlError,
    convert_markdown,
    parse_yaml,
    split_front_matter,
)
from .model import Page, Placement, Territory
from .schema import PAGE, PLACEMENT, TERRITORY
from .validation import check_page_slug, check_placement_name, contrast_ratio, is_slug

__all__ = ["ContentError", "ContentErrors", "contrast_ratio", "load_territories", "load_territory"]

TERRITORY_FILE = "territory.yaml"
# The largest files read (ours are under 8 KB): beyond, a mistake or an attack, refused before
# it is parsed.
MAX_TERRITORY_BYTES = 1024 * 1024
MAX_MARKDOWN_BYTES = 256 * 1024


@dataclass(frozen=True)
class _MarkdownKind:
    """A folder of Markdown files with front matter: what they hold and how they are named."""

    folder: str
    spec: Record
    model: type  # built with the file name as `id_attr`, body_html and source_path
    id_attr: str
    check_name: Callable[[str, Where], bool]

    def build(self, path: Path, values: dict, body_html: str):
        """The model of one checked file."""
        ids = {self.id_attr: path.stem}
        return self.model(**ids, body_html=body_html, source_path=path, **values)


PLACEMENTS = _MarkdownKind("placements", PLACEMENT, Placement, "id", check_placement_name)
PAGES = _MarkdownKind("pages", PAGE, Page, "slug", check_page_slug)


def load_territories(root: Path, only: str | None = None) -> list[Territory]:
    """Every territory under `root` sorted by slug (or only the one named), fully validated."""
    root = Path(root)
    errors: list[ContentError] = []
    territories = [
        t for t in (_load_territory(f, errors) for f in _folders(root, only, errors)) if t
    ]
    if errors:
        # File by file, top to bottom: the order an editor fixes them in.
        raise ContentErrors(sorted(errors, key=lambda e: (e.path, e.line)))
    return territories


def load_territory(folder: Path) -> Territory:
    """The territory of one folder, fully validated (ContentErrors if it is not valid)."""
    errors: list[ContentError] = []
    territory = _load_territory(Path(folder), errors)
    if errors or territory is None:
        raise ContentErrors(sorted(errors, key=lambda e: (e.path, e.line)))
    return territory


def _visible(folder: Path) -> bool:
    """A territory folder: a directory whose name does not start with "." or "_"."""
    return folder.is_dir() and not folder.name.startswith((".", "_"))


def _folders(root: Path, only: str | None, errors: list[ContentError]) -> list[Path]:
    """The territory folders of `root`: every visible sub-folder, or the one named `only`."""
    if not root.is_dir():
        errors.append(ContentError(display(root), 1, "", "dossier des territoires introuvable"))
        return []
    if only is None:
        return sorted(p for p in root.iterdir() if _visible(p))
    # One folder looked up by name, not the whole root listed: a build loading territories
    # one by one stays linear in their number.
    chosen = [root / only] if "/" not in only and _visible(root / only) else []
    if not chosen:
        errors.append(
            ContentError(display(root / only), 1, "", f"territoire « {only} » introuvable")
        )
    return chosen


def display(path: Path) -> str:
    """A path as editors see it: relative to the current directory when it is inside it."""
    text = str(path)
    if not path.is_absolute():
        return text
    # Plain string work: Path.relative_to costs more than loading the file (one call per file).
    cwd = os.getcwd()
    if text == cwd:
        return "."
    inside = text.startswith(cwd.rstrip(os.sep) + os.sep)
    return text[len(cwd.rstrip(os.sep)) + 1 :] if inside else text


def _load_territory(folder: Path, errors: list[ContentError]) -> Territory | None:
    """One territory with its placements and pages, or None after recording its errors."""
    path = folder / TERRITORY_FILE
    ctx = FileContext(display(path), Path(display(folder)), errors)
    if not _only_plain_files(folder, errors):
        return None  # nothing of the folder is read: a link could lead anywhere
    slug_ok = _check_folder_name(folder, ctx)
    if not path.is_file():
        ctx.errors.append(
            ContentError(ctx.path, 1, "", f"fichier {TERRITORY_FILE} manquant dans le dossier")
        )
        values = INVALID
    else:
        values = _check_yaml_file(path, TERRITORY, ctx)
    placements = _load_markdown_folder(folder, PLACEMENTS, ctx)
    pages = _load_markdown_folder(folder, PAGES, ctx)
    if values is INVALID or placements is INVALID or pages is INVALID or not slug_ok:
        return None
    return Territory(
        slug=folder.name, source_dir=folder, placements=placements, pages=pages, **values
    )


def _only_plain_files(folder: Path, errors: list[ContentError]) -> bool:
    """True when the folder holds only folders and regular files; else every other is reported.

    A symbolic link is never followed: one to /proc/self/environ would publish the build's
    environment (in the deploy job, its AWS keys) as an image, or quote it in an error message.
    """
    found = [folder] if folder.is_symlink() else []
    if not found:
        for top, dirs, files in os.walk(folder):  # os.walk never enters a linked folder
            found += [p for p in map(Path(top).joinpath, sorted(dirs + files)) if not _plain(p)]
    for path in found:
        errors.append(ContentError(display(path), 1, "", _not_plain_message(path)))
    return not found


def _not_plain_message(path: Path) -> str:
    if path.is_symlink():
        return (
            "lien symbolique refusé : un dossier de territoire ne contient que des fichiers et "
            "des dossiers ordinaires ; remplacez le lien par une copie de ce qu'il désigne"
        )
    return "fichier spécial refusé (ni fichier ordinaire ni dossier) : supprimez-le"


def _plain(path: Path) -> bool:
    """A regular file or folder, not a link nor a device, pipe or socket."""
    mode = path.lstat().st_mode
    return stat.S_ISREG(mode) or stat.S_ISDIR(mode)


def _check_folder_name(folder: Path, ctx: FileContext) -> bool:
    """The folder name becomes the URL path: it must be a slug."""
    if is_slug(folder.name):
        return True
    ctx.errors.append(
        ContentError(
            ctx.path,
            1,
            "",
            f"le nom du dossier « {folder.name} » ne convient pas : lettres minuscules sans "
            "accent, chiffres et tirets seulement (ex. loir-et-cher)",
        )
    )
    return False


def _read_text(path: Path, ctx: FileContext, limit: int) -> str | None:
    """The file's text, or None after reporting a file too large or not in UTF-8."""
    with path.open("rb") as file:
        data = file.read(limit + 1)  # never more: a 50 MB file is not read whole to be refused
    if len(data) > limit:
        ctx.errors.append(ContentError(ctx.path, 1, "", _too_large(path, limit)))
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        ctx.errors.append(ContentError(ctx.path, 1, "", "le fichier doit être enregistré en UTF-8"))
        return None


def _too_large(path: Path, limit: int) -> str:
    """Why a file is refused for its size, in French."""
    size = path.stat().st_size / 1024
    shown = f"{size / 1024:.1f} Mo" if size >= 1024 else f"{size:.0f} Ko"
    allowed = f"{limit // 1024 // 1024} Mo" if limit >= 1024 * 1024 else f"{limit // 1024} Ko"
    return (
        f"fichier trop volumineux ({shown.replace('.', ',')}) : {allowed} au plus ; "
        "les photos vont dans images/, un texte très long se découpe en pages"
    )


def _check_yaml_file(path: Path, spec: Record, ctx: FileContext):
    """The checked values of a whole YAML file, or INVALID."""
    text = _read_text(path, ctx, MAX_TERRITORY_BYTES)
    return INVALID if text is None else _check_yaml_text(text, 1, spec, ctx)


def _check_yaml_text(text: str, first_line: int, spec: Record, ctx: FileContext):
    """The checked values of YAML `text` starting at `first_line` of ctx's file, or INVALID."""
    try:
        data, duplicates = parse_yaml(text, first_line)
    except YamlError as error:
        ctx.errors.append(ContentError(ctx.path, error.line, "", error.message))
        return INVALID
    for line, key in duplicates:
        ctx.errors.append(
            ContentError(ctx.path, line, key, "clé écrite deux fois ; gardez-en une seule")
        )
    if not isinstance(data, LineDict):
        ctx.errors.append(
            ContentError(ctx.path, first_line, "", "des champs « clé: valeur » sont attendus")
        )
        return INVALID
    values = spec.check(data, Where(ctx, "", data.line))
    return INVALID if duplicates else values


def _load_markdown_folder(territory: Path, kind: _MarkdownKind, parent: FileContext):
    """(model, …) of every `*.md` of the kind's folder sorted by name, or INVALID after errors."""
    folder = territory / kind.folder
    if not folder.is_dir():
        return ()
    results = []
    for path in sorted(p for p in folder.iterdir() if not p.name.startswith(".")):
        ctx = FileContext(display(path), parent.folder, parent.errors)
        if path.suffix != ".md" or not path.is_file():
            ctx.errors.append(
                ContentError(
                    ctx.path, 1, "", "seuls des fichiers .md sont attendus dans ce dossier"
                )
            )
            results.append(INVALID)
            continue
        results.append(_load_markdown_file(path, kind, ctx))
    return INVALID if INVALID in results else tuple(results)


def _load_markdown_file(path: Path, kind: _MarkdownKind, ctx: FileContext):
    """One placement or page: name and front matter checked, body rendered."""
    text = _read_text(path, ctx, MAX_MARKDOWN_BYTES)
    if text is None:
        return INVALID
    name_ok = kind.check_name(path.stem, Where(ctx, "", 1))
    parts = split_front_matter(text)
    if parts is None:
        ctx.errors.append(ContentError(ctx.path, 1, "", _front_matter_problem(text)))
        return INVALID
    front, front_line, body, body_line = parts
    values = _check_yaml_text(front, front_line, kind.spec, ctx)
    body_html = _check_body(body, body_line, ctx)
    if body_html is not INVALID and not _check_body_images(body, body_html, body_line, ctx):
        body_html = INVALID
    if values is INVALID or body_html is INVALID or not name_ok:
        return INVALID
    return kind.build(path, values, body_html)


def _check_body_images(body: str, html: str, first_line: int, ctx: FileContext) -> bool:
    """Every image of the Markdown body is a photo of images/ with its text alternative."""
    problems = markdown_image_problems(html, ctx.folder)
    for src, message in problems:
        ctx.errors.append(ContentError(ctx.path, first_line + line_of_text(body, src), "", message))
    return not problems


def _check_body(body: str, first_line: int, ctx: FileContext):
    """The body's safe HTML, or INVALID after reporting what it asks for that the site refuses."""
    html, problems = convert_markdown(body)
    for problem in problems:
        ctx.errors.append(ContentError(ctx.path, first_line + problem.line, "", problem.message))
    return INVALID if problems else html


def _front_matter_problem(text: str) -> str:
    """Why `text` has no usable front matter, in French."""
    first_line = next(iter(text.splitlines()), "")
    if first_line.strip() == "---":
        return "en-tête non fermé : ajoutez une ligne --- après les champs, avant le texte"
    return (
        "en-tête manquant : le fichier doit commencer par une ligne ---, puis les champs "
        "(title: …), puis une ligne ---, puis le texte"
    )
