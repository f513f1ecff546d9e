"""French typography of the e-mails and pages the functions write.

The rules of plugins/territories/french.py (the functions never import the plugin; a test
keeps the two in step): a narrow no-break space before « ; ! ? » and inside « guillemets »,
a no-break space before « : », only where a space was typed, and in HTML only in text nodes
(never in tags, attributes, scripts, styles or code).
"""

from __future__ import annotations

import re

NNBSP, NBSP = "\u202f", "\u00a0"
_SPACE = "[ \t\r\n\u00a0\u202f]"
_THIN = re.compile(rf"{_SPACE}+(?=[;!?»])|(?<=«){_SPACE}+|(?<=«)(?!{_SPACE})|(?<![«\s\u202f])(?=»)")
_COLON = re.compile(rf"{_SPACE}+(?=:)")
_MARKS = frozenset(":;!?«»")
_NOT_TEXT = re.compile(
    r"<!--.*?-->|<(script|style|pre|code|kbd|samp|textarea)\b[^>]*>.*?</\1\s*>|<[^>]*>",
    re.DOTALL | re.IGNORECASE,
)


def typography_text(text: str) -> str:
    """French spaces in plain text."""
    if _MARKS.isdisjoint(text):
        return text
    return _COLON.sub(NBSP, _THIN.sub(NNBSP, text))


def typography_html(html: str) -> str:
    """French spaces in the text nodes of an HTML document."""
    parts, last = [], 0
    for match in _NOT_TEXT.finditer(html):
        if match.start() > last:
            parts.append(typography_text(html[last : match.start()]))
        parts.append(match.group(0))
        last = match.end()
    parts.append(typography_text(html[last:]))
    return "".join(parts)
