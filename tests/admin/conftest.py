"""Fixtures of the editor tests: Decap's npm packages, a git copy of a territory, two servers."""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest

from tools import decap_config
from tools.local_site import free_port

ROOT = Path(__file__).resolve().parents[2]
SERVER_JS = decap_config.ADMIN_PATH / "node_modules" / "decap-server" / "dist" / "index.js"


def wait_for_port(port: int, process: subprocess.Popen, timeout: float = 20) -> None:
    """Return once something accepts connections on `port`; fail if `process` died first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"decap-server s'est arrêté : {process.stdout.read()}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise TimeoutError(f"rien n'écoute sur le port {port}")


@pytest.fixture(scope="session")
def decap_packages() -> Path:
    """admin/node_modules, installed from the lock file when missing (CI starts without it)."""
    if not (decap_config.BUNDLE_DIR / "decap-cms.js").is_file() or not SERVER_JS.is_file():
        command = ["npm", "ci", "--prefix", str(decap_config.ADMIN_PATH), "--no-audit", "--no-fund"]
        try:
            subprocess.run(command, check=True, capture_output=True, text=True)
        except FileNotFoundError:
            pytest.fail("npm introuvable : installez Node.js et npm (apt-get install nodejs npm)")
        except subprocess.CalledProcessError as error:
            pytest.fail(f"npm ci a échoué :\n{error.stderr}")
    return decap_config.ADMIN_PATH / "node_modules"


def git(repo: Path, *args: str) -> str:
    """Run git in `repo`; its output."""
    return subprocess.run(
        ["git", "-C", str(repo), *args], check=True, capture_output=True, text=True
    ).stdout


@pytest.fixture
def content_repo(tmp_path) -> Path:
    """A git repository holding a copy of the reference territory, all committed."""
    repo = tmp_path / "repo"
    shutil.copytree(ROOT / "territories" / "loiret", repo / "territories" / "loiret")
    git(repo.parent, "init", "-q", "-b", "main", str(repo))
    git(repo, "config", "user.email", "test@example.org")
    git(repo, "config", "user.name", "Test")
    git(repo, "config", "commit.gpgsign", "false")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "contenu initial")
    return repo


@pytest.fixture
def decap_server(decap_packages, content_repo):
    """decap-server in git mode over `content_repo`: its API URL; stopped after the test."""
    port = free_port()
    env = {
        **os.environ,
        "PORT": str(port),
        "BIND_HOST": "127.0.0.1",
        "MODE": "git",  # each save is a commit, as on the real git host
        "GIT_REPO_DIRECTORY": str(content_repo),
        "LOG_LEVEL": "warn",
    }
    process = subprocess.Popen(
        ["node", str(SERVER_JS)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_for_port(port, process)
        yield f"http://127.0.0.1:{port}/api/v1"
    finally:
        process.terminate()
        process.wait(timeout=10)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args) -> None:
        pass  # keep the test output readable


@pytest.fixture
def admin_site(tmp_path, decap_packages, decap_server) -> str:
    """The built editor for the territory, served over HTTP: the /admin/ URL."""
    site = tmp_path / "site"
    cfg = decap_config.config({"loiret": "Loiret"}, local_backend=decap_server)
    decap_config.write_editor(site / "admin", cfg, "decap-cms.js")
    decap_config.copy_bundle(site / "admin")
    handler = functools.partial(_QuietHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/admin/"
    finally:
        server.shutdown()
        server.server_close()
