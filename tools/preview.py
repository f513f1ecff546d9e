"""Preview one territory while editing it: build, serve, rebuild on change, reload the browser.

    python -m tools.preview loiret [--port 8000]        (make preview TERRITORY=loiret)

Builds the territory alone, as its standalone site (`make html TERRITORY=loiret`, dated today),
into var/preview/<slug>/, and serves it with the forms API like `make serve` (submissions and
e-mails of the preview stay in var/preview/<slug>/). Every half second it looks at the files of
territories/<slug>/, theme/ and content/; when one changed it rebuilds, and the open page
reloads itself. Only the preview's pages carry the reload script (/__preview/reload.js); a
content error replaces the page with the list of errors (file, line, field, what is expected)
until it is fixed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import html
import json
import logging
import os
import shutil
import sys
import threading
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

log = logging.getLogger("preview")
POLL_SECONDS = 0.5
RELOAD_PATH = "/__preview/reload.js"
VERSION_PATH = "/__preview/version"
RELOAD_TAG = f'<script src="{RELOAD_PATH}" defer></script>'.encode()
EMPTY_CATALOGUE = {"format": 1, "territories": {}}
# The page asks for the build version twice a second and reloads when it changed. A failed
# request (the preview was stopped) is retried quietly.
RELOAD_JS = f"""(function () {{
  var seen = null;
  function poll() {{
    fetch("{VERSION_PATH}", {{cache: "no-store"}})
      .then(function (r) {{ return r.json(); }})
      .then(function (state) {{
        if (seen !== null && state.version !== seen) {{ location.reload(); return; }}
        seen = state.version;
        setTimeout(poll, 500);
      }})
      .catch(function () {{ setTimeout(poll, 1000); }});
  }}
  poll();
}})();
""".encode()


@dataclass
class Build:
    """The outcome of the latest build: a version number, and its errors if it failed."""

    version: int = 0
    errors: list[str] = field(default_factory=list)  # located errors, one per line
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.errors


# --- Building. ------------------------------------------------------------------------------


def content_errors(territories: Path, slug: str) -> list[str]:
    """The territory's content errors, located (the build's own check, without Pelican)."""
    from territories.loader import ContentErrors, load_territories

    try:
        load_territories(territories, only=slug)
    except ContentErrors as errors:
        return [str(error) for error in errors.errors]
    return []


def pelican_build(settings_file: Path, overrides: dict) -> list[str]:
    """Run Pelican in this process; the errors that stopped it, or []."""
    from pelican import Pelican
    from pelican.settings import read_settings

    try:
        Pelican(read_settings(str(settings_file), override=overrides)).run()
    except SystemExit as stop:  # our generator stops the build with the list of errors
        return str(stop.code).splitlines()[1:] or [str(stop.code)]
    except Exception as error:  # a template or plugin error: show it rather than a dead page
        frame = traceback.extract_tb(error.__traceback__)[-1]
        return [f"{frame.filename}:{frame.lineno}: {type(error).__name__}: {error}"]
    return []


class Previewer:
    """Builds one territory into numbered folders and knows which one is served."""

    def __init__(self, slug: str, territories: Path, var: Path, settings_file: Path):
        self.slug, self.territories, self.settings_file = slug, territories, settings_file
        self.home = var / "preview" / slug
        self.catalogue = self.home / "catalogue.json"
        self.site: Path | None = None  # the last good build
        self.state = Build()
        self._lock = threading.Lock()

    def prepare(self) -> None:
        """Start clean; an empty catalogue lets the server start even if the first build fails."""
        for old in self.home.glob("build-*"):
            shutil.rmtree(old, ignore_errors=True)
        self.home.mkdir(parents=True, exist_ok=True)
        if not self.catalogue.exists():
            self.catalogue.write_text(json.dumps(EMPTY_CATALOGUE), encoding="utf-8")

    def build(self) -> Build:
        """Build into a new folder; on success it becomes the served site."""
        with self._lock:
            started = time.monotonic()
            version = self.state.version + 1
            target = self.home / f"build-{version}"
            errors = content_errors(self.territories, self.slug) or pelican_build(
                self.settings_file, self.overrides(target)
            )
            if errors:
                shutil.rmtree(target, ignore_errors=True)
            else:
                # The server may still be on the previous build for a moment: keep that one.
                for old in self.home.glob("build-*"):
                    if old not in (target, self.site):
                        shutil.rmtree(old, ignore_errors=True)
                self.site = target
            self.state = Build(version, errors, time.monotonic() - started)
            return self.state

    def overrides(self, target: Path) -> dict:
        """`make html TERRITORY=<slug>`, dated today, written apart from output/."""
        return {
            "OUTPUT_PATH": str(target),
            "TERRITORY": self.slug,
            "TERRITORIES_PATH": str(self.territories),
            "TERRITORIES_TODAY": dt.date.today(),
            "FORMS_CATALOGUE_PATH": str(self.catalogue),
            "LOAD_CONTENT_CACHE": False,
        }


# --- Watching. ------------------------------------------------------------------------------


def snapshot(folders: list[Path]) -> dict[str, tuple[int, int]]:
    """(mtime, size) of every file under the folders: a change in any is a change here."""
    files = {}
    for folder in folders:
        for path in folder.rglob("*"):
            try:
                stat = path.stat()
            except OSError:  # removed while we looked: the next poll sees it gone
                continue
            if path.is_file():
                files[str(path)] = (stat.st_mtime_ns, stat.st_size)
    return files


def watch(previewer: Previewer, folders: list[Path], stop: threading.Event, on_build) -> None:
    """Poll the folders; rebuild when something changed."""
    seen = snapshot(folders)
    while not stop.wait(POLL_SECONDS):
        now = snapshot(folders)
        if now != seen:
            seen = now
            try:
                on_build(previewer.build())
            except Exception:  # a bug of ours must not stop the watching: the next save retries
                log.exception("La reconstruction a échoué")


def report(build: Build) -> None:
    """The console's line for a build, and its errors."""
    if build.ok:
        log.info(
            "Construit en %.1f s (version %d) : la page ouverte se recharge.",
            build.seconds,
            build.version,
        )
    else:
        log.error(
            "La construction s'arrête (%d erreur(s)) :\n  %s",
            len(build.errors),
            "\n  ".join(build.errors),
        )


# --- Serving. -------------------------------------------------------------------------------


def error_page(build: Build) -> bytes:
    """The page shown instead of the site while the content has errors."""
    items = "\n".join(f"<li><code>{html.escape(line)}</code></li>" for line in build.errors)
    return f"""<!DOCTYPE html>
<html lang="fr"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Aperçu : erreurs dans le contenu</title>
<style>
body {{ font: 1rem/1.5 system-ui, sans-serif; margin: 0; background: #fff5f5; color: #1a1a1a; }}
main {{ max-width: 60rem; margin: 2rem auto; padding: 1.5rem 2rem; background: #fff;
        border-left: .5rem solid #b00020; }}
h1 {{ color: #b00020; font-size: 1.5rem; }}
li {{ margin: .5rem 0; }} code {{ white-space: pre-wrap; }}
</style></head>
<body><main role="alert">
<h1>Le site ne peut pas être construit : {len(build.errors)} erreur(s)</h1>
<p>Corrigez les fichiers ci-dessous et enregistrez : cette page se recharge d'elle-même.</p>
<ol class="preview-errors">
{items}
</ol>
</main>{RELOAD_TAG.decode()}</body></html>
""".encode()


def inject(page: bytes) -> bytes:
    """The reload script, just before </body> (or at the end)."""
    at = page.rfind(b"</body>")
    return page + RELOAD_TAG if at < 0 else page[:at] + RELOAD_TAG + page[at:]


def preview_handler(base: type, previewer: Previewer) -> type:
    """forms.local's request handler, plus the reload routes, the script and the error page."""

    class PreviewHandler(base):
        def _route(self, method: str) -> None:
            path = urlsplit(self.path).path
            state = previewer.state
            if path == RELOAD_PATH:
                self._send(
                    200,
                    {"content-type": "text/javascript; charset=utf-8", "cache-control": "no-store"},
                    RELOAD_JS,
                    method,
                )
            elif path == VERSION_PATH:
                body = json.dumps({"version": state.version, "ok": state.ok}).encode()
                self._send(
                    200,
                    {"content-type": "application/json", "cache-control": "no-store"},
                    body,
                    method,
                )
            elif (
                not state.ok
                and method != "POST"
                and not path.startswith("/api/")
                and _is_page(path)
            ):
                self._send(
                    500,
                    {"content-type": "text/html; charset=utf-8", "cache-control": "no-store"},
                    error_page(state),
                    method,
                )
            else:
                super()._route(method)

        def _send(self, status: int, headers: dict, data: bytes, method: str) -> None:
            kind = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
            if kind.startswith("text/html") and RELOAD_TAG not in data:
                data = inject(data)
            super()._send(status, headers, data, method)

    return PreviewHandler


def _is_page(path: str) -> bool:
    """A URL of a page (a folder or .html), not of an asset that the last good build still has."""
    return path.endswith("/") or path.endswith(".html")


class PreviewServer:
    """forms.local.LocalServer over the latest good build, with the preview's handler."""

    def __init__(self, previewer: Previewer, host: str, port: int, var: Path):
        from forms.local import LocalServer

        self.previewer = previewer
        # Before a first good build, an empty folder: never the preview's store or outbox.
        root = previewer.site or previewer.home / "empty"
        root.mkdir(exist_ok=True)
        self.local = LocalServer(root, host, port, previewer.home, previewer.catalogue)
        base = self.local.httpd.RequestHandlerClass
        self.local.httpd.RequestHandlerClass = preview_handler(base, previewer)
        self.site = base.site

    @property
    def url(self) -> str:
        return self.local.url

    def follow(self, build: Build) -> None:
        """Serve the new build, and give the forms its catalogue (placements may have changed)."""
        from forms.catalogue import CatalogueError, load_catalogue

        if build.ok and self.previewer.site is not None:
            self.site.root = self.previewer.site
            try:
                catalogue = load_catalogue(self.previewer.catalogue)
            except CatalogueError as error:
                log.error("%s", error)
                return
            self.local.app.catalogue = catalogue
            self.local.worker.catalogue = catalogue


# --- Command line. --------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.preview", description=__doc__.splitlines()[0]
    )
    parser.add_argument("territory", help="le dossier du territoire (son slug)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT") or 8000))
    parser.add_argument("--territories", default="territories", help="dossier des territoires")
    parser.add_argument("--var", default="var", help="où écrire l'aperçu (défaut : var)")
    parser.add_argument("--settings", default="pelicanconf.py")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    logging.getLogger("pelican").setLevel(logging.WARNING)  # not every file written, each time
    territories = Path(args.territories).resolve()
    if not (territories / args.territory).is_dir():
        log.error(
            "Pas de dossier %s : le slug est le nom d'un dossier de %s.",
            territories / args.territory,
            args.territories,
        )
        return 1
    previewer = Previewer(
        args.territory, territories, Path(args.var).resolve(), Path(args.settings).resolve()
    )
    previewer.prepare()
    report(previewer.build())
    try:
        server = PreviewServer(previewer, args.host, args.port, Path(args.var))
    except OSError as error:
        log.error(
            "impossible d'écouter sur %s:%s (%s) — essayez --port 8001",
            args.host,
            args.port,
            error.strerror,
        )
        return 1
    log.info("Aperçu de %s : %s (Ctrl-C pour arrêter)", args.territory, server.url)
    stop = threading.Event()
    folders = [territories / args.territory, Path("theme").resolve(), Path("content").resolve()]

    def on_build(build: Build) -> None:
        server.follow(build)
        report(build)

    watcher = threading.Thread(target=watch, args=(previewer, folders, stop, on_build), daemon=True)
    watcher.start()
    serving = threading.Thread(target=server.local.serve_forever, daemon=True)
    serving.start()
    try:
        while serving.is_alive():
            serving.join(0.5)
    except KeyboardInterrupt:
        log.info("Arrêt de l'aperçu.")
    finally:
        stop.set()
        server.local.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
