"""Our Pelican plugin: each territories/<slug>/ folder becomes a branded microsite."""

from pathlib import Path

from pelican import signals

from .french import typography_html
from .generator import TerritoriesGenerator, add_filters


def get_generators(pelican):
    """Add our generator to Pelican's (signals hold weak references: module-level handler)."""
    return TerritoriesGenerator


def french_spaces(path, context=None):
    """The operator's pages, written by Pelican's own writer, get the typography ours get."""
    if str(path).endswith(".html"):
        page = Path(path)
        text = page.read_text(encoding="utf-8")
        fixed = typography_html(text)
        if fixed != text:
            page.write_text(fixed, encoding="utf-8")


def register():
    signals.get_generators.connect(get_generators)
    signals.generator_init.connect(add_filters)
    signals.content_written.connect(french_spaces)
