"""A hostile territory folder stops the build before anything of it is published."""

from __future__ import annotations

import shutil

import pytest
from sitekit import DATA, build


@pytest.fixture
def content(tmp_path):
    """A small territory with an image, in its own content folder."""
    folder = tmp_path / "territories"
    shutil.copytree(DATA / "territories" / "hameau", folder / "hameau")
    (folder / "hameau" / "images").mkdir(exist_ok=True)
    (folder / "hameau" / "images" / "vue.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    return folder


def test_a_link_to_the_environment_in_images_is_never_published(tmp_path, content, monkeypatch):
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "s3cr3t-probe-value")
    (content / "hameau" / "images" / "env.png").symlink_to("/proc/self/environ")
    output = tmp_path / "output"
    with pytest.raises(SystemExit) as stopped:
        build(output, content)
    assert "hameau/images/env.png:1: lien symbolique refusé" in str(stopped.value)
    published = [p.read_bytes() for p in output.rglob("*") if p.is_file()]
    assert not any(b"s3cr3t-probe-value" in data for data in published)
    assert not list(output.rglob("env.png"))


def test_a_linked_folder_added_after_a_build_stops_the_next_build(tmp_path, content):
    """The incremental build sees the new link (it hashes links) instead of reusing its cache."""
    output = tmp_path / "output"
    build(output, content)
    assert (output / "hameau" / "index.html").is_file()
    # images/ publishes only the images pages use (issue 9): the unused vue.png stays out.
    assert not (output / "hameau" / "images" / "vue.png").exists()
    (content / "hameau" / "images" / "etc").symlink_to("/etc", target_is_directory=True)
    with pytest.raises(SystemExit) as stopped:
        build(output, content)
    assert "hameau/images/etc:1: lien symbolique refusé" in str(stopped.value)
    assert not (output / "hameau" / "images" / "etc").exists()
