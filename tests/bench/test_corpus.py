"""The benchmark corpus: valid content for our loader, and the same bytes on every run."""

from __future__ import annotations

from pathlib import Path

from bench.corpus import PAGES_PER_TERRITORY, write_corpus


def tree(root: Path) -> dict[str, bytes]:
    """Every file under `root` by relative path, with its bytes."""
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_generated_territories_pass_the_loader_validation(tmp_path):
    from territories.loader import load_territories  # the plugin, imported as the build does

    slugs = write_corpus(2, tmp_path)

    territories = load_territories(tmp_path)

    assert [t.slug for t in territories] == sorted(slugs)
    for territory in territories:
        assert 18 <= len(territory.placements) <= 22
        assert len(territory.pages) == PAGES_PER_TERRITORY
        sections = (
            territory.key_figures,
            territory.assets,
            territory.castles,
            territory.schools,
            territory.spouse_jobs,
            territory.housing,
            territory.aids,
            territory.welcomers,
            territory.events,
            territory.testimonials,
        )
        assert all(sections), "every section of territory.yaml is filled"
        assert territory.pack is not None


def test_same_count_gives_byte_identical_files(tmp_path):
    write_corpus(2, tmp_path / "a")
    write_corpus(2, tmp_path / "b")

    assert tree(tmp_path / "a") == tree(tmp_path / "b")


def test_larger_corpus_extends_the_smaller_one(tmp_path):
    small = write_corpus(2, tmp_path / "small")
    large = write_corpus(3, tmp_path / "large")

    assert large[:2] == small
    assert tree(tmp_path / "small" / small[0]) == tree(tmp_path / "large" / small[0])
