"""Languages as editors write them (ISO 639-1 codes) and as pages name them (in French).

The names come from Babel's Unicode CLDR data: every two-letter code, not a hand-kept list.
"""

from __future__ import annotations

import functools

from babel import Locale


@functools.cache
def french_names() -> dict[str, str]:
    """ISO 639-1 code → its French name (« anglais », « occitan »…)."""
    names = Locale("fr").languages
    return {code: name for code, name in names.items() if len(code) == 2 and code.isalpha()}


def french_name(code: str) -> str | None:
    """The French name of an ISO 639-1 code, or None when it is not one."""
    return french_names().get(code)
