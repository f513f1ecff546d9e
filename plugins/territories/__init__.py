"""Our Pelican plugin: each territories/<slug>/ folder becomes a branded microsite.

Nothing is imported here until Pelican calls `register()`: `python -m territories.launch`
imports this package first, and stops before Pelican when nothing changed.
"""

from pathlib import Path


def get_generators(pelican):
    """Add our generator to Pelican's (signals hold weak references: module-level handler)."""
    from .generator import TerritoriesGenerator

    return TerritoriesGenerator


def add_filters(generator) -> None:
    from .generator import add_filters as add

    add(generator)


def french_spaces(path, context=None):
    """The operator's pages, written by Pelican's own writer, get the typography ours get."""
    from .french import typography_html

    if str(path).endswith(".html"):
        page = Path(path)
        text = page.read_text(encoding="utf-8")
        fixed = typography_html(text)
        if fixed != text:
            page.write_text(fixed, encoding="utf-8")


def index_search(pelican) -> None:
    """After a build: the Pagefind index of the output (search.py)."""
    from .search import on_finalized

    on_finalized(pelican)


def record_launch(pelican) -> None:
    """After a build started by `python -m territories.launch`: its stamp (launch.record)."""
    from . import launch

    launch.record_build(pelican.settings)


def register():
    from pelican import signals

    signals.get_generators.connect(get_generators)
    signals.generator_init.connect(add_filters)
    signals.finalized.connect(index_search)
    signals.content_written.connect(french_spaces)
    signals.finalized.connect(record_launch)
