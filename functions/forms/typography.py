"""French typography of the e-mails and pages the functions write.

The rules of plugins/territories/french.py (the functions never import the plugin; a test
keeps the two in step): a narrow no-break space before « ; ! ? » and inside « guillemets »,
a no-break space before « : », only where a space was typed, and in HTML only in text nodes
(never in tags, attributes, scripts, styles or code).
"""

from __future__ import annotations

import re

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
