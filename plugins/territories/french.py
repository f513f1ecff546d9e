"""French that reads right: a name with its article in every construction, and typography.

Names: « du Loiret », « dans le Loiret », « au Loiret », « le Département du Loiret »; the
article comes from the content (`article:`), else for a département from the official table
(departements.py), else none. Institutions named in the content (`subsidy_by: Département du
Loiret`) get theirs from the noun they start with.

Typography: a narrow no-break space before « ; ! ? » and inside « guillemets », a no-break
space before « : », in the text of a page only (never in its tags, attributes, scripts, code).
functions/forms/typography.py applies the same rules to the e-mails (the functions never import
this plugin); a test keeps the two in step.
"""

from __future__ import annotations

import functools
import re
from dataclasses import asdict, dataclass

from . import departements

ARTICLES = ("le", "la", "l'", "les", "aucun")
VOWELS = set("aeiouyàâäéèêëîïôöùûüœæAEIOUYÀÂÄÉÈÊËÎÏÔÖÙÛÜŒÆ")
# A name that carries its own capitalised article: « Le Mans », « La Rochelle », « L'Isle-Adam ».
OWN_ARTICLE = re.compile(r"^(?:(Les|Le|La)\s+|(L')\s*)(?=\S)")
# De/à with le/les contract; with la/l' they do not.
CONTRACTIONS = {("de", "le"): "du", ("de", "les"): "des", ("à", "le"): "au", ("à", "les"): "aux"}


@dataclass(frozen=True)
class NameForms:
    """One name in the forms sentences need. `in_` because `in` is a Python keyword."""

    plain: str  # Loiret
    the: str  # le Loiret
    of: str  # du Loiret
    in_: str  # dans le Loiret
    to: str  # au Loiret

    def __getitem__(self, key: str) -> str:
        """names["in"] in templates (Jinja falls back to attributes for the others)."""
        return self.in_ if key == "in" else getattr(self, key)

    def as_dict(self) -> dict[str, str]:
        """The catalogue's shape: {"of", "in", "the", "to", "plain"}."""
        forms = asdict(self)
        forms["in"] = forms.pop("in_")
        return forms


def _split(article: str, name: str) -> tuple[str | None, str]:
    """(article word or None, the rest): the editor's article, else one the name starts with."""
    if article != "aucun":
        return article, name
    own = OWN_ARTICLE.match(name)
    if own:
        return own.group(1) or own.group(2), name[own.end() :]
    return None, name


def _with(preposition: str, article: str | None, rest: str) -> str:
    """« du Loiret », « de la Somme », « d'Eure-et-Loir », « au Mans », « à La Rochelle »."""
    if article is None:
        if preposition == "de" and rest[:1] in VOWELS:
            return f"d'{rest}"
        return f"{preposition} {rest}"
    contracted = CONTRACTIONS.get((preposition, article.lower()))
    if contracted:
        return f"{contracted} {rest}"
    return f"{preposition} {_joined(article, rest)}"


def _joined(article: str | None, rest: str) -> str:
    """« le Loiret », « l'Ain », « La Rochelle », « Loir-et-Cher »."""
    if article is None:
        return rest
    return f"{article}{rest}" if article.endswith("'") else f"{article} {rest}"


def _default_article(name: str, kind: str, code: str | None) -> str:
    """The official article of a département's name; none for other kinds."""
    found = departements.find(name, code) if kind == "département" else None
    if found is None:
        return "aucun"
    official, tncc = departements.DEPARTEMENTS[found]
    own = OWN_ARTICLE.match(official)
    if own and not OWN_ARTICLE.match(name):  # « Réunion » for « La Réunion »
        return (own.group(1) or own.group(2)).lower()
    return departements.ARTICLE_OF_TNCC[tncc]


def _default_in(article: str | None, rest: str, kind: str, name: str, code: str | None) -> str:
    """« dans le Loiret », « en Gironde », « en Loir-et-Cher », « à Blois »."""
    if kind == "département":
        found = departements.find(name, code)
        preposition = departements.IN_PREPOSITIONS.get(found or "")
        if preposition == "en" or (preposition is None and article is None):
            return f"en {rest}"
        if preposition == "à":
            return _with("à", article, rest)
        return f"dans {_joined(article, rest)}"
    if kind == "commune" or article is None:
        return _with("à", article, rest)  # à Blois, au Mans
    return f"dans {_joined(article, rest)}"


@functools.cache
def name_forms(
    name: str,
    kind: str = "",
    article: str | None = None,
    name_in: str | None = None,
    code: str | None = None,
) -> NameForms:
    """The forms of a territory's name (cached: templates ask for them on every page)."""
    article = article or _default_article(name, kind, code)
    word, rest = _split(article, name)
    return NameForms(
        plain=name,
        the=_joined(word, rest),
        of=_with("de", word, rest),
        in_=name_in or _default_in(word, rest, kind, name, code),
        to=_with("à", word, rest),
    )


# The nouns an institution's name starts with, and their article.
INSTITUTION_ARTICLES = {
    "département": "le",
    "conseil": "le",
    "centre": "le",
    "groupement": "le",
    "syndicat": "le",
    "pays": "le",
    "parc": "le",
    "pôle": "le",
    "ministère": "le",
    "région": "la",
    "communauté": "la",
    "commune": "la",
    "ville": "la",
    "métropole": "la",
    "mairie": "la",
    "préfecture": "la",
    "caisse": "la",
    "maison": "la",
    "collectivité": "la",
    "fédération": "la",
    "fondation": "la",
    "mutualité": "la",
    "agence": "l'",
    "agglomération": "l'",
    "association": "l'",
    "état": "l'",
    "office": "l'",
    "établissement": "l'",
    "hôpital": "l'",
    "union": "l'",
    "ordre": "l'",
    "ars": "l'",
    "cpam": "la",
    "msa": "la",
}
LEADING_ARTICLE = re.compile(r"^(le|la|les|l')\s*(?=\S)")


@functools.cache
def institution_forms(text: str) -> NameForms:
    """« Département du Loiret » → the: « le Département du Loiret », of: « du Département… »."""
    text = " ".join(text.split())
    written = LEADING_ARTICLE.match(text)  # already with its article: « la Région Centre »
    if written:
        return name_forms(text[written.end() :], article=written.group(1))
    first = re.split(r"[\s'’-]", text, maxsplit=1)[0].casefold()
    return name_forms(text, article=INSTITUTION_ARTICLES.get(first, "aucun"))


def capfirst(text: str) -> str:
    """The first letter in capital, the rest as it is: « Le Loiret » (Jinja's capitalize
    would lower the rest)."""
    return text[:1].upper() + text[1:]


# Typography. Narrow no-break space (U+202F) before ; ! ? and inside « », no-break space
# (U+00A0) before a colon: only where a space was typed (a URL or a time has none), except
# inside guillemets, which are never part of a URL.
NNBSP, NBSP = "\u202f", "\u00a0"
SPACES = frozenset(" \t\r\n\u00a0\u202f")
# The marks are rare in a page: finding them is fast, the spaces around them are looked at
# from there (a pattern starting with "spaces" would try every space of the page).
_MARK = re.compile("[:;!?«»]")
# Elements whose content is code or data, and comments: their text is left as written.
_RAW = re.compile(
    r"<!--.*?-->|<(script|style|pre|code|kbd|samp|textarea)\b[^>]*>.*?</\1\s*>",
    re.DOTALL | re.IGNORECASE,
)


def _apply(text: str, is_text) -> str:
    """`text` with French spaces at the marks where `is_text(position)` holds."""
    out, last = [], 0
    for match in _MARK.finditer(text):
        at, mark = match.start(), match.group()
        if at < last or not is_text(at):
            continue
        if mark == "«":
            end = at + 1
            while end < len(text) and text[end] in SPACES:
                end += 1
            out += [text[last:at], "«", NNBSP]
            last = end
            continue
        start = at
        while start > last and text[start - 1] in SPACES:
            start -= 1
        if start == at and mark != "»":
            continue  # no space typed: a URL (https:, ?q=) or a time (19:00) stays as it is
        out += [text[last:start], NBSP if mark == ":" else NNBSP, mark]
        last = at + 1
    out.append(text[last:])
    return "".join(out)


def typography_text(text: str) -> str:
    """French spaces in plain text."""
    return _apply(text, lambda _at: True)


def typography_html(html: str) -> str:
    """French spaces in the text nodes of an HTML page; tags, attributes, scripts, code and
    comments are left as they are."""
    raw = [(m.start(), m.end()) for m in _RAW.finditer(html)]

    def is_text(at: int) -> bool:
        # Outside any tag (the last "<" before it is closed) and outside code and scripts.
        if html.rfind("<", 0, at) > html.rfind(">", 0, at):
            return False
        return not any(start <= at < end for start, end in raw)

    return _apply(html, is_text)
