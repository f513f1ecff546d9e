"""Our Pelican plugin: each territories/<slug>/ folder becomes a branded microsite."""

from pelican import signals

from .generator import TerritoriesGenerator, add_filters
from .search import on_finalized


def get_generators(pelican):
    """Add our generator to Pelican's (signals hold weak references: module-level handler)."""
    return TerritoriesGenerator


def register():
    signals.get_generators.connect(get_generators)
    signals.generator_init.connect(add_filters)
    signals.finalized.connect(on_finalized)
