"""Reading the editors' files: YAML that remembers line numbers, front matter, Markdown."""

from __future__ import annotations

import functools
import re

import markdown as _markdown
import yaml

from .errors import ContentError

# Markdown extensions: tables, footnotes, attribute lists (`extra`) and lists that behave as
# editors expect (`sane_lists`); nothing that fetches anything or runs code.
MARKDOWN_EXTENSIONS = ("extra", "sane_lists")


# libyaml's parser when PyYAML was built with it: several times faster on large territories.
_COMPOSER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class LineDict(dict):
    """A YAML mapping that knows on which line it starts and on which line each key is."""

    def __init__(self, line: int):
        super().__init__()
        self.line = line
        self.key_lines: dict[str, int] = {}
        self.raw: dict[str, str] = {}  # the text of plain scalars, for messages

    def line_of(self, key: str) -> int:
        """The line of `key`, or of the mapping itself when the key is absent."""
        return self.key_lines.get(key, self.line)


class LineList(list):
    """A YAML sequence that knows the line of each of its items."""

    def __init__(self, line: int):
        super().__init__()
        self.line = line
        self.item_lines: list[int] = []
        self.raw: dict[int, str] = {}

    def line_of(self, index: int) -> int:
        """The line of item `index`."""
        return self.item_lines[index] if index < len(self.item_lines) else self.line


class YamlError(Exception):
    """A file that is not valid YAML, with the line where the parser stopped."""

    def __init__(self, line: int, message: str):
        super().__init__(message)
        self.line = line
        self.message = message


# Raw HTML an editor may paste into Markdown that would run code or load a third party
# (the site makes no request elsewhere at page load, and runs no script of the editors').
_FORBIDDEN_HTML = re.compile(
    r"<\s*(script|iframe|object|embed|style|link|meta|form)\b|"
    r"(?:^|[\s{:;\"'/])on[a-z]+\s*=|javascript:",
    re.IGNORECASE,
)


def forbidden_html(text: str) -> tuple[int, str] | None:
    """(0-based line, what was found) of the first forbidden HTML in `text`, or None."""
    match = _FORBIDDEN_HTML.search(text)
    if match is None:
        return None
    return text.count("\n", 0, match.start()), match.group(0).strip().lstrip("{:;\"'/")


@functools.cache
def _markdown_converter() -> _markdown.Markdown:
    # Building a converter loads its extensions: done once, then reset between documents.
    return _markdown.Markdown(extensions=list(MARKDOWN_EXTENSIONS), output_format="html")


def render_markdown(text: str) -> str:
    """HTML of an editor's Markdown text."""
    return _markdown_converter().reset().convert(text)


def parse_yaml(text: str, first_line: int = 1) -> tuple[object, list[tuple[int, str]]]:
    """(document as LineDict/LineList/scalars, [(line, key) of duplicated keys])."""
    try:
        node = yaml.compose(text, Loader=_COMPOSER)
    except yaml.MarkedYAMLError as error:
        line = _yaml_error_line(error)
        message = _yaml_problem(error) + _indentation_hint(error, text, line)
        raise YamlError(first_line + line, message) from None
    if node is None:
        return None, []
    builder = _Builder(first_line)
    return builder.build(node), builder.duplicates


def _yaml_error_line(error: yaml.MarkedYAMLError) -> int:
    """0-based line to show: where an unclosed quote or bracket opened, else where YAML stopped."""
    context = error.context or ""
    openings = ("while scanning a quoted", "while parsing a flow", "while scanning a simple key")
    unclosed = any(opening in context for opening in openings)
    mark = error.context_mark if unclosed and error.context_mark else error.problem_mark
    mark = mark or error.context_mark
    return mark.line if mark else 0


# PyYAML's diagnoses of the mistakes editors make most, explained in French.
_YAML_PROBLEMS = (
    (
        "mapping values are not allowed",
        "deux-points inattendu : un texte qui contient « : » doit être entre guillemets, "
        "sinon vérifiez l'indentation",
    ),
    (
        "cannot start any token",
        "caractère interdit ici (une tabulation ? indentez avec des espaces)",
    ),
    ("could not find expected ':'", "deux-points manquant après une clé, ou guillemet non fermé"),
    ("found unexpected end of stream", "guillemet ou crochet non fermé"),
    ("expected <block end>", "indentation incorrecte"),
    ("did not find expected key", "indentation incorrecte"),
    ("did not find expected '-' indicator", "indentation incorrecte"),
    ("expected ',' or ']'", "crochet non fermé ou virgule manquante dans une liste [a, b]"),
    ("expected ',' or '}'", "accolade non fermée ou virgule manquante"),
    ("found undefined alias", "alias (*nom) inconnu"),
    ("found a tab character", "tabulation interdite : indentez avec des espaces"),
    (
        "expected <document start>",
        "ligne inattendue (« ... », « % ») : un en-tête ou un fichier YAML ne contient que des "
        "lignes « clé: valeur »",
    ),
    ("found character", "caractère interdit ici : mettez le texte entre guillemets"),
    ("while scanning an anchor", "« & » en début de texte : mettez le texte entre guillemets"),
    ("while scanning an alias", "« * » en début de texte : mettez le texte entre guillemets"),
    ("while scanning a block scalar", "texte sur plusieurs lignes (| ou >) mal indenté"),
)
# Diagnoses about where a line starts: the message then names the section it belongs to.
_INDENTATION_PROBLEMS = (
    "mapping values are not allowed",
    "expected <block end>",
    "did not find expected key",
    "did not find expected '-' indicator",
    "found a tab character",
)


def _yaml_problem(error: yaml.MarkedYAMLError) -> str:
    """A French explanation of PyYAML's diagnosis (never its English text)."""
    problem = error.problem or error.context or ""
    for english, french in _YAML_PROBLEMS:
        if english in problem or english in (error.context or ""):
            return f"YAML invalide : {french}"
    return "YAML invalide : vérifiez l'indentation, les deux-points et les guillemets"


_KEY_LINE = re.compile(r"^(\s*)(?:-\s+)?([^\s#:'\"][^:#]*?)\s*:(?:\s|$)")


def _indentation_hint(error: yaml.MarkedYAMLError, text: str, line: int) -> str:
    """« ; indentez sous contact: » — the section a misplaced line belongs to, found by
    looking up for the nearest key line less indented than it (its parent)."""
    problem = f"{error.problem or ''} {error.context or ''}"
    if not any(kind in problem for kind in _INDENTATION_PROBLEMS):
        return ""
    lines = text.splitlines()
    if not 0 <= line < len(lines):
        return ""
    indent = len(lines[line]) - len(lines[line].lstrip(" \t"))
    for above in reversed(lines[:line]):
        found = _KEY_LINE.match(above)
        if found and len(found.group(1)) < indent and above.rstrip().endswith(":"):
            return f" ; indentez sous {found.group(2)}: comme ses autres clés (mêmes espaces)"
        if found and len(found.group(1)) < indent:
            return f" ; cette ligne est plus indentée que « {found.group(2)}: » : alignez-la"
    return ""


class _Builder:
    """Turns composed YAML nodes into Python values that remember their lines."""

    def __init__(self, first_line: int):
        self.first_line = first_line
        self.constructor = yaml.SafeLoader("")
        self.duplicates: list[tuple[int, str]] = []  # (line, key) of keys written twice

    def line(self, node: yaml.Node) -> int:
        return self.first_line + node.start_mark.line

    def build(self, node: yaml.Node):
        if isinstance(node, yaml.MappingNode):
            return self.mapping(node)
        if isinstance(node, yaml.SequenceNode):
            return self.sequence(node)
        return self.scalar(node)

    def mapping(self, node: yaml.MappingNode) -> LineDict:
        self.constructor.flatten_mapping(node)  # YAML merge keys (<<)
        result = LineDict(self.line(node))
        for key_node, value_node in node.value:
            # The key as written: YAML 1.1 would read `no:` or `on:` as booleans.
            key = str(key_node.value)
            if key in result:
                self.duplicates.append((self.line(key_node), key))
            result[key] = self.build(value_node)
            result.key_lines[key] = self.line(key_node)
            if isinstance(value_node, yaml.ScalarNode):
                result.raw[key] = value_node.value
        return result

    def sequence(self, node: yaml.SequenceNode) -> LineList:
        result = LineList(self.line(node))
        for index, item in enumerate(node.value):
            result.append(self.build(item))
            result.item_lines.append(self.line(item))
            if isinstance(item, yaml.ScalarNode):
                result.raw[index] = item.value
        return result

    def scalar(self, node: yaml.ScalarNode):
        try:
            return self.constructor.construct_object(node, deep=True)
        except (ValueError, OverflowError):
            # An impossible timestamp such as 2027-02-30: keep the text, validation explains.
            return node.value


def split_front_matter(text: str) -> tuple[str, int, str, int] | None:
    """(front matter, its first line, body, body's first line), or None without front matter."""
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != "---":
        return None
    for index in range(1, len(lines)):
        if lines[index].strip() == "---":
            front = "".join(lines[1:index])
            body = "".join(lines[index + 1 :])
            return front, 2, body, index + 2
    return None


def yaml_error(path: str, error: YamlError) -> ContentError:
    """The ContentError of a YAML syntax error."""
    return ContentError(path, error.line, "", error.message)
