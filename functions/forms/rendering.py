"""The Jinja environment of the forms' templates (e-mails, correction page): autoescaped, strict.

The templates' own words get French typography when they are compiled (a no-break space before
« : », thin ones before « ; ! ? »…); what a visitor typed is shown as typed, so that the staff
read exactly what was sent.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from jinja2.ext import Extension

from .french import FILTERS
from .typography import typography_html, typography_text

TEMPLATES = Path(__file__).with_name("templates")
JINJA_SYNTAX = re.compile(r"{{.*?}}|{%.*?%}|{#.*?#}", re.DOTALL)


class FrenchSpaces(Extension):
    """Typography on a template's literal text, its Jinja tags kept apart as placeholders."""

    def preprocess(self, source, name, filename=None):
        kept: list[str] = []

        def hold(match: re.Match) -> str:
            kept.append(match.group(0))
            return f"\x00{len(kept) - 1}\x00"

        held = JINJA_SYNTAX.sub(hold, source)
        fixed = typography_html(held) if (name or "").endswith(".html") else typography_text(held)
        return re.sub("\x00(\\d+)\x00", lambda m: kept[int(m.group(1))], fixed)


@cache
def environment() -> Environment:
    """One environment per process: templates are compiled once, then cached."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        # Autoescape HTML always; plain-text e-mails are not HTML, so they are left as typed.
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        extensions=[FrenchSpaces],
    )
    env.filters.update(FILTERS)
    return env


def render(template_name: str, **context) -> str:
    """Render the template `template_name` with `context`."""
    return environment().get_template(template_name).render(**context)
