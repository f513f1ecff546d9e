"""The Jinja environment of the forms' templates (e-mails, correction page): autoescaped, strict."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from .french import FILTERS
from .typography import typography_html, typography_text

TEMPLATES = Path(__file__).with_name("templates")


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
    )
    env.filters.update(FILTERS)
    return env


def render(template_name: str, **context) -> str:
    """Render the template `template_name` with `context`, in French typography."""
    text = environment().get_template(template_name).render(**context)
    return typography_html(text) if template_name.endswith(".html") else typography_text(text)
