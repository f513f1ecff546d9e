"""Reading the editors' files: YAML that remembers line numbers, front matter, Markdown."""

from __future__ import annotations

import functools
import itertools
import re
from dataclasses import dataclass
from html.parser import HTMLParser

import markdown as _markdown
import nh3
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


# What an editor's Markdown may become on a page: an allow-list (nh3, the binding of Ammonia)
# applied to the rendered HTML, so that nothing new reaches a page by being unknown to us.
# The tags are those Python-Markdown writes with `extra`, and their everyday HTML equivalents.
ALLOWED_TAGS = frozenset(
    {"a", "abbr", "b", "blockquote", "br", "caption", "cite", "code", "dd", "del", "div"}
    | {"dl", "dt", "em", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr"}
    | {"i", "img", "ins", "kbd", "li", "mark", "ol", "p", "pre", "q", "s", "small", "span"}
    | {"strong", "sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "u", "ul"}
)
ALLOWED_ATTRIBUTES = {
    # id and class: footnotes (fn:1, footnote-ref) and Markdown attribute lists ({: #id .class}).
    "*": {"id", "class", "title", "lang"},
    "a": {"href", "hreflang"},
    "img": {"src", "alt", "width", "height"},
    "ol": {"start"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
}
# Links may only leave for the web, a mail or a call; relative links stay on the site.
URL_SCHEMES = frozenset({"http", "https", "mailto", "tel"})

# Refused with a located message rather than silently dropped: what an editor writes on purpose
# to run code or to show another site's content (the site makes no request elsewhere at page
# load, and runs no script of the editors'). Other unknown tags are dropped, their text kept.
REFUSED_TAGS = frozenset(
    {"applet", "audio", "base", "button", "embed", "form", "frame", "frameset", "iframe"}
    | {"input", "link", "math", "meta", "noscript", "object", "picture", "portal", "script"}
    | {"select", "source", "style", "svg", "template", "textarea", "track", "video"}
)
# Attributes holding an address the browser follows (a link) or fetches (a resource).
_LINK_ATTRIBUTES = frozenset({"href", "action", "formaction", "cite", "longdesc", "xlink:href"})
_RESOURCE_ATTRIBUTES = frozenset({"src", "srcset", "poster", "background", "data", "lowsrc"})
_SCHEME = re.compile(r"([a-z][a-z0-9+.-]*):", re.IGNORECASE)
# Browsers drop tabs and newlines anywhere in a URL, and controls and spaces around it.
_URL_NOISE = re.compile(r"[\t\n\r]")
_C0_AND_SPACE = "".join(chr(code) for code in range(0x21))
_RAW_ATTRIBUTE = r"""\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))"""

TAG_REFUSED = (
    "« <{}> » n'est pas autorisé : le site ne charge ni script, ni contenu d'un autre site "
    "(vidéo, carte, formulaire) ; mettez plutôt un lien"
)
HANDLER_REFUSED = (
    "« {}= » n'est pas autorisé : le site n'exécute aucun script écrit dans les textes ; "
    "retirez cet attribut"
)
LINK_REFUSED = (
    "le lien « {} » n'est pas autorisé : seuls les liens https://, http://, mailto:, tel: et "
    "les liens vers les pages du site sont permis"
)
REMOTE_REFUSED = (
    "l'image « {} » n'est pas autorisée : le site ne charge rien d'un autre site ; déposez "
    "l'image dans le dossier images/ du territoire et écrivez ![description](images/fichier.jpg)"
)


@dataclass(frozen=True)
class HtmlProblem:
    """Something an editor's Markdown asks for that the site refuses, with where it was written."""

    line: int  # 0-based line of the Markdown text
    message: str  # French


def _normalised_url(value: str) -> str:
    """A URL as a browser reads it: without tabs, newlines and surrounding controls or spaces."""
    return _URL_NOISE.sub("", value).strip(_C0_AND_SPACE)


def _scheme(url: str) -> str | None:
    """The scheme of a normalised URL in lower case, or None for a relative one."""
    match = _SCHEME.match(url)
    return match.group(1).lower() if match else None


def is_remote(url: str) -> bool:
    """Whether a browser would fetch `url` from elsewhere than the page's own site."""
    url = _normalised_url(url)
    # "//host/x" and "/\host/x" (a backslash counts as a slash) name another host.
    return _scheme(url) is not None or url.replace("\\", "/").startswith("//")


class _Inspector(HTMLParser):
    """Finds, in rendered HTML, the tags, handlers and addresses the site refuses."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[list[str], str]] = []  # ([what to look for in the source], message)

    def handle_starttag(self, tag, attrs):
        if tag in REFUSED_TAGS:  # one message for the whole tag, whatever its attributes
            self.found.append(([f"<{tag}"], TAG_REFUSED.format(tag)))
            return
        raw_tag = self.get_starttag_text() or ""
        for name, value in attrs:
            self._check_attribute(name, value or "", raw_tag)

    handle_startendtag = handle_starttag

    def _check_attribute(self, name: str, value: str, raw_tag: str) -> None:
        if name.startswith("on"):
            self.found.append(([name], HANDLER_REFUSED.format(name)))
            return
        raw = _raw_value(raw_tag, name) or value
        # Attribute values come decoded (&#x61; is "a"): the check sees what a browser sees.
        url = _normalised_url(value)
        needles = [raw, value, url.partition(":")[2]]
        if name in _RESOURCE_ATTRIBUTES and is_remote(url):
            self.found.append((needles, REMOTE_REFUSED.format(_shorten(raw))))
        elif name in _LINK_ATTRIBUTES and _scheme(url) not in (None, *URL_SCHEMES):
            self.found.append((needles, LINK_REFUSED.format(_shorten(raw))))


def _raw_value(raw_tag: str, name: str) -> str | None:
    """The value of attribute `name` as written in the tag, before entities are decoded."""
    match = re.search(rf"\s{re.escape(name)}{_RAW_ATTRIBUTE}", raw_tag, re.IGNORECASE)
    return next((group for group in match.groups() if group is not None), None) if match else None


def _shorten(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _locate(text: str, needles: list[str], start: int) -> int:
    """Offset in `text` of the first needle found at or after `start`, else before, else 0."""
    lowered = text.lower()
    for needle in (n.lower() for n in needles if len(n) >= 3):
        for begin in (start, 0):
            found = lowered.find(needle, begin)
            if found != -1:
                return found
    return 0


def html_problems(text: str, html: str) -> list[HtmlProblem]:
    """What `html` (rendered from the Markdown `text`) holds that the site refuses, located."""
    inspector = _Inspector()
    inspector.feed(html)
    inspector.close()
    problems, offset = [], 0
    for needles, message in inspector.found:
        offset = _locate(text, needles, offset)
        problem = HtmlProblem(text.count("\n", 0, offset), message)
        if problem not in problems:
            problems.append(problem)
    return problems


def _keep_local_resources(tag: str, attribute: str, value: str) -> str | None:
    """nh3's last word on each attribute: no address that would fetch from another site."""
    if attribute in _RESOURCE_ATTRIBUTES and is_remote(value):
        return None
    return value


def sanitise_html(html: str) -> str:
    """`html` reduced to the allowed tags, attributes and link schemes."""
    return nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        attribute_filter=_keep_local_resources,
        # Markdown links are the editor's own: no rel added (no target=_blank survives anyway).
        link_rel=None,
        strip_comments=True,
    )


@functools.cache
def _markdown_converter() -> _markdown.Markdown:
    # Building a converter loads its extensions: done once, then reset between documents.
    return _markdown.Markdown(extensions=list(MARKDOWN_EXTENSIONS), output_format="html")


def convert_markdown(text: str) -> tuple[str, list[HtmlProblem]]:
    """(safe HTML of an editor's Markdown text, what it asked for that the site refuses)."""
    html = _markdown_converter().reset().convert(text)
    return sanitise_html(html), html_problems(text, html)


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
    try:
        _check_graph(node)
    except _Refused as refused:
        raise YamlError(first_line + _refusal_line(text, refused), refused.message) from None
    builder = _Builder(first_line)
    return builder.build(node), builder.duplicates


# YAML bombs: an alias (*name) repeats an anchored value (&name) without copying its text, so
# a few kilobytes of aliases of aliases stand for billions of values. Editors use an alias or
# a merge (<<: *base) now and then: in all, aliases may repeat this many values.
MAX_ALIAS_VALUES = 10_000
# Sections within sections; the deepest of ours is 4 (deeper would exhaust Python's stack).
MAX_DEPTH = 40
# The tags of YAML's core schema and timestamps: anything else (`!!python/object`, `!foo`) is
# either code to run or a type nobody asked for.
MERGE_TAG = "tag:yaml.org,2002:merge"
STANDARD_TAGS = frozenset(
    f"tag:yaml.org,2002:{name}"
    for name in ("str", "int", "float", "bool", "null", "timestamp", "seq", "map", "merge")
)


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [child for pair in node.value for child in pair]
    return list(node.value) if isinstance(node, yaml.SequenceNode) else []


def _shown_tag(tag: str) -> str:
    """A tag as it was written: !!python/object rather than tag:yaml.org,2002:python/object."""
    return tag.replace("tag:yaml.org,2002:", "!!", 1)


class _Refused(Exception):
    """A YAML structure refused before any value is built: where (a node, or the n-th alias)."""

    def __init__(self, message: str, node: yaml.Node | None = None, alias: int = 0):
        super().__init__(message)
        self.message, self.node, self.alias = message, node, alias


def _check_graph(root: yaml.Node) -> None:
    """Refuse unknown tags, excessive depth, recursive aliases and alias bombs."""
    sizes: dict[int, int] = {}  # values under a node, aliases expanded, once it is walked
    walking: set[int] = set()  # an alias to one of these is a loop
    aliased: list[yaml.Node] = []  # the target of each alias, in the order of the document
    stack: list[tuple[yaml.Node, int]] = [(root, 1)]  # depth -1: the node's children are done
    while stack:
        node, depth = stack.pop()
        if depth < 0:
            walking.discard(id(node))
            sizes[id(node)] = 1 + sum(sizes[id(child)] for child in _children(node))
            continue
        if id(node) in walking:
            raise _Refused(RECURSIVE_ALIAS, alias=len(aliased))
        if id(node) in sizes:
            aliased.append(node)
            continue
        if node.tag not in STANDARD_TAGS:
            raise _Refused(UNKNOWN_TAG.format(_shown_tag(node.tag)), node=node)
        if depth > MAX_DEPTH:
            raise _Refused(TOO_DEEP.format(MAX_DEPTH), node=node)
        walking.add(id(node))
        stack.append((node, -1))
        stack.extend((child, depth + 1) for child in reversed(_children(node)))
    repeated = 0
    for index, target in enumerate(aliased):
        repeated += sizes[id(target)]
        if repeated > MAX_ALIAS_VALUES:
            raise _Refused(
                ALIAS_BOMB.format(f"{MAX_ALIAS_VALUES:,}".replace(",", "\u202f")), alias=index
            )


def _refusal_line(text: str, refused: _Refused) -> int:
    """0-based line of a refusal: its node's, or that of the n-th alias of the text."""
    if refused.node is not None:
        return refused.node.start_mark.line
    # Aliases leave no trace in the composed nodes (an alias *is* its target): the events do.
    aliases = (e for e in yaml.parse(text, Loader=_COMPOSER) if isinstance(e, yaml.AliasEvent))
    event = next(itertools.islice(aliases, refused.alias, None), None)
    return event.start_mark.line if event else 0


UNKNOWN_TAG = (
    "étiquette YAML « {} » refusée : seules les valeurs simples (texte, nombre, date, "
    "true/false, liste, section) sont permises ; un texte qui commence par « ! » doit être "
    "entre guillemets"
)
TOO_DEEP = "YAML refusé : plus de {} niveaux de sections imbriquées"
RECURSIVE_ALIAS = "YAML refusé : cet alias (*nom) se contient lui-même"
ALIAS_BOMB = (
    "YAML refusé : les alias (*nom) de ce fichier répètent plus de {} valeurs ; "
    "recopiez plutôt les valeurs voulues"
)


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
    ("exceeded maximum nesting depth", "trop de listes ou de sections imbriquées"),
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


_STR_TAG = "tag:yaml.org,2002:str"


class _Builder:
    """Turns composed YAML nodes into Python values that remember their lines."""

    def __init__(self, first_line: int):
        self.first_line = first_line
        self.constructor = yaml.SafeLoader("")
        self.duplicates: list[tuple[int, str]] = []  # (line, key) of keys written twice
        self.merged: dict[int, int] = {}  # id of a mapping node → pairs its merge keys brought

    def line(self, node: yaml.Node) -> int:
        return self.first_line + node.start_mark.line

    def build(self, node: yaml.Node):
        if isinstance(node, yaml.MappingNode):
            return self.mapping(node)
        if isinstance(node, yaml.SequenceNode):
            return self.sequence(node)
        return self.scalar(node)

    def merged_pairs(self, node: yaml.MappingNode) -> int:
        """How many of the mapping's first pairs come from merge keys (<<), once flattened."""
        if id(node) not in self.merged:  # an aliased mapping is flattened only once
            own = sum(1 for key, _ in node.value if key.tag != MERGE_TAG)
            self.constructor.flatten_mapping(node)
            self.merged[id(node)] = len(node.value) - own
        return self.merged[id(node)]

    def mapping(self, node: yaml.MappingNode) -> LineDict:
        merged = self.merged_pairs(node)
        result = LineDict(self.line(node))
        written: set[str] = set()
        for index, (key_node, value_node) in enumerate(node.value):
            # The key as written: YAML 1.1 would read `no:` or `on:` as booleans.
            key = str(key_node.value)
            # A key written beside a merge overrides the merged one: only one written twice is.
            if index >= merged:
                if key in written:
                    self.duplicates.append((self.line(key_node), key))
                written.add(key)
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
