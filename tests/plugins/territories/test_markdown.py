"""The territories' Markdown renderer (cmark) gives the HTML Python-Markdown gave before it.

The build switched from Python-Markdown (extensions `extra` and `sane_lists`) to cmark for
speed; the HTML of every Markdown text of the sample territories, the test fixtures and the
benchmark corpus must stay the same, byte for byte.
"""

from __future__ import annotations

import sys
from pathlib import Path

import markdown
import pytest
import yaml
from territories.markup import render_markdown, split_front_matter

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "bench"))

from corpus import write_corpus  # noqa: E402


def python_markdown(text: str) -> str:
    """The renderer the build used before (one converter per text: no state carried over)."""
    return markdown.Markdown(extensions=["extra", "sane_lists"], output_format="html").convert(text)


def markdown_texts(root: Path) -> list[tuple[str, str]]:
    """(where, text) of every Markdown body and `intro` under `root`."""
    texts = []
    for path in sorted(root.rglob("*.md")):
        parts = split_front_matter(path.read_text("utf-8-sig"))
        if parts:
            texts.append((str(path), parts[2]))
    for path in sorted(root.rglob("territory.yaml")):
        try:
            data = yaml.safe_load(path.read_text("utf-8"))
        except yaml.YAMLError:  # the invalid fixtures
            continue
        if isinstance(data, dict) and isinstance(data.get("intro"), str):
            texts.append((f"{path}:intro", data["intro"]))
    return texts


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("corpus")
    write_corpus(3, root)
    return root


@pytest.mark.parametrize("folder", ["territories", "tests"])
def test_samples_and_fixtures_render_as_with_python_markdown(folder):
    texts = markdown_texts(ROOT / folder)

    assert texts
    assert [(w, render_markdown(t)) for w, t in texts] == [
        (w, python_markdown(t)) for w, t in texts
    ]


def test_the_benchmark_corpus_renders_as_with_python_markdown(corpus):
    texts = markdown_texts(corpus)

    assert len(texts) > 60
    assert [(w, render_markdown(t)) for w, t in texts] == [
        (w, python_markdown(t)) for w, t in texts
    ]


@pytest.mark.parametrize(
    "text",
    [
        "**Gras**, *italique* et [un lien](https://example.org/).",
        "# Titre\n\nParagraphe.\n\n- un\n- deux\n\n1. premier\n2. second",
        "| a | b |\n|---|---|\n| 1 | 2 |",
        "Une `formule`, <abbr>HTML</abbr> permis, & « guillemets » d'apostrophe.",
        "> Citation\n\nFin, lien <https://example.org>.",
        "",
    ],
)
def test_common_constructs_render_as_with_python_markdown(text):
    assert render_markdown(text) == python_markdown(text)


def test_lists_are_read_as_the_editor_writes_them_commonmark():
    # Decap CMS writes nested lists indented by two spaces and lists right after a paragraph;
    # Python-Markdown flattened the first and left the second as text.
    assert "<li>a\n<ul>\n<li>b</li>" in render_markdown("- a\n  - b\n- c")
    assert "<ul>\n<li>a</li>" in render_markdown("Texte\n- a\n- b")


def test_footnotes_are_kept():
    html = render_markdown("Note[^1].\n\n[^1]: La note.")

    assert 'href="#fn-1"' in html and "La note." in html
