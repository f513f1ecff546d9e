"""`python -m tools.preview`: an editor saves a file and sees the result, or what to correct."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tools.local_site import free_port

ROOT = Path(__file__).resolve().parents[2]
SLUG = "loiret"


def fetch(url: str) -> tuple[int, str]:
    """(status, text) of a GET; error statuses are answers too."""
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode("utf-8")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8")


def wait_for(predicate, timeout: float = 15.0):
    """Poll until `predicate()` returns something true; that value, or None after `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = predicate()
        except OSError:
            value = None
        if value:
            return value
        time.sleep(0.1)
    return None


class Preview:
    """The preview of a copy of one territory, run as an editor runs it."""

    def __init__(self, tmp: Path):
        self.territories = tmp / "territories"
        shutil.copytree(ROOT / "territories" / SLUG, self.territories / SLUG)
        self.yaml = self.territories / SLUG / "territory.yaml"
        self.var = tmp / "var"
        self.url = f"http://127.0.0.1:{free_port()}"
        port = self.url.rsplit(":", 1)[1]
        self.process = subprocess.Popen(
            [
                *(sys.executable, "-m", "tools.preview", SLUG, "--port", port),
                *("--territories", str(self.territories), "--var", str(self.var)),
            ],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": f"{ROOT / 'plugins'}:{ROOT / 'functions'}"},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )

    def version(self) -> dict:
        return json.loads(fetch(self.url + "/__preview/version")[1])

    def edit(self, old: str, new: str) -> None:
        """Save territory.yaml with one line changed, as an editor does."""
        text = self.yaml.read_text(encoding="utf-8")
        assert old in text
        self.yaml.write_text(text.replace(old, new, 1), encoding="utf-8")

    def stop(self) -> str:
        self.process.send_signal(signal.SIGINT)
        out, _ = self.process.communicate(timeout=15)
        return out


@pytest.fixture
def preview(tmp_path):
    running = Preview(tmp_path)
    assert wait_for(running.version, timeout=30), running.stop()
    yield running
    if running.process.poll() is None:
        running.stop()


def tagline_line(preview: Preview) -> str:
    return next(
        line
        for line in preview.yaml.read_text(encoding="utf-8").splitlines()
        if line.startswith("tagline:")
    )


def test_a_saved_tagline_is_served_within_seconds(preview):
    status, page = fetch(preview.url + "/")
    assert status == 200 and "Aperçu modifié" not in page
    preview.edit(tagline_line(preview), 'tagline: "Aperçu modifié : venez soigner ici"')
    assert wait_for(lambda: "Aperçu modifié : venez soigner ici" in fetch(preview.url + "/")[1])


def test_only_the_preview_pages_carry_the_reload_script(preview):
    _, page = fetch(preview.url + "/")
    assert '<script src="/__preview/reload.js" defer></script>' in page
    status, script = fetch(preview.url + "/__preview/reload.js")
    assert status == 200 and "/__preview/version" in script
    built = next((preview.var / "preview" / SLUG).glob("build-*/index.html"))
    assert "__preview" not in built.read_text(encoding="utf-8")


def test_an_invalid_edit_shows_the_located_errors_then_the_site_again(preview):
    first = preview.version()["version"]
    preview.edit("primary: ", 'primary: "bleu" #')
    state = wait_for(lambda: (v := preview.version())["version"] > first and v)
    assert state and state["ok"] is False
    status, page = fetch(preview.url + "/")
    assert status == 500
    assert "territory.yaml" in page and "brand.primary" in page and "#rrggbb" in page
    assert "/__preview/reload.js" in page  # it reloads itself once fixed
    preview.edit('primary: "bleu" #', "primary: ")
    assert wait_for(lambda: preview.version()["ok"])
    assert fetch(preview.url + "/")[0] == 200
    assert "brand.primary" in preview.stop()  # the console listed the error too


def test_the_open_page_reloads_itself_after_a_change(preview, chromium):
    context = chromium.new_context()
    page = context.new_page()
    page.goto(preview.url + "/")
    page.wait_for_function("() => document.scripts.length > 0")
    preview.edit(tagline_line(preview), 'tagline: "Rechargée toute seule"')
    page.wait_for_function(
        "() => document.body.innerText.includes('Rechargée toute seule')", timeout=15000
    )
    context.close()


def test_a_broken_template_is_reported_like_a_content_error(tmp_path, monkeypatch):
    from tools.preview import Previewer

    theme = tmp_path / "theme"
    shutil.copytree(ROOT / "theme", theme)
    base = theme / "templates" / "base.html"
    base.write_text(base.read_text(encoding="utf-8") + "{% if %}\n", encoding="utf-8")
    settings = tmp_path / "settings.py"
    settings.write_text(
        f"import sys\nsys.path.insert(0, {str(ROOT)!r})\n"
        f"from pelicanconf import *  # noqa\nTHEME = {str(theme)!r}\n"
        f"PATH = {str(ROOT / 'content')!r}\n",
        encoding="utf-8",
    )
    monkeypatch.chdir(ROOT)
    previewer = Previewer(SLUG, ROOT / "territories", tmp_path / "var", settings)
    previewer.prepare()
    build = previewer.build()
    assert not build.ok and previewer.site is None
    assert any("base.html" in line for line in build.errors), build.errors
