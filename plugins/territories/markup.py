"""Reading the editors' files: YAML that remembers line numbers, front matter, Markdown."""

from __future__ import annotations

import re

import cmarkgfm
import yaml
from cmarkgfm.cmark import Options

from .errors import ContentError

# CommonMark (GitHub's cmark, in C) with tables and footnotes: the Markdown the content editor
# (Decap CMS) writes and previews, 40 times faster than Python-Markdown, which gave the same
# HTML byte for byte on every text of the samples, the fixtures and the benchmark corpus
# (tests/plugins/territories/test_markdown.py keeps checking it; where CommonMark differs, e.g.
# a list indented by two spaces is nested, docs/benchmarks.md says so). Raw HTML is passed
# through as Python-Markdown did: forbidden_html() checks the source before rendering.
MARKDOWN_EXTENSIONS = ("table",)
_MARKDOWN_OPTIONS = Options.CMARK_OPT_UNSAFE | Options.CMARK_OPT_FOOTNOTES


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


def render_markdown(text: str) -> str:
    """HTML of an editor's Markdown text (without the final newline, as before the switch)."""
    html = cmarkgfm.markdown_to_html_with_extensions(
        text, options=_MARKDOWN_OPTIONS, extensions=list(MARKDOWN_EXTENSIONS)
    )
    return html.strip()


def parse_yaml(text: str, first_line: int = 1) -> tuple[object, list[tuple[int, str]]]:
    """(document as LineDict/LineList/scalars, [(line, key) of duplicated keys])."""
    try:
        node = yaml.compose(text, Loader=_COMPOSER)
    except yaml.MarkedYAMLError as error:
        line = first_line + _yaml_error_line(error)
        raise YamlError(line, _yaml_problem(error)) from None
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
)


def _yaml_problem(error: yaml.MarkedYAMLError) -> str:
    """A French explanation of PyYAML's diagnosis."""
    problem = error.problem or error.context or ""
    for english, french in _YAML_PROBLEMS:
        if english in problem or english in (error.context or ""):
            return f"YAML invalide : {french}"
    return (
        f"YAML invalide ({problem or 'syntaxe incorrecte'}) : vérifiez l'indentation, "
        "les deux-points et les guillemets"
    )


_STR_TAG = "tag:yaml.org,2002:str"


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
        if node.tag == _STR_TAG:  # most values: what the constructor would return, sooner
            return node.value
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
