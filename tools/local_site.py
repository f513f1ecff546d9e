"""Run the local server of `make serve` from a script or a test: a free port, a wait, a launch."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    """A TCP port free right now on 127.0.0.1 (aiosmtpd and our servers refuse port 0)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until(predicate, timeout: float = 10.0, interval: float = 0.02) -> bool:
    """Poll `predicate` until it holds (True) or `timeout` seconds pass (False)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(interval)
    return True


def answers(url: str) -> bool:
    """Whether `url` answers 200 right now."""
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


@contextlib.contextmanager
def serve(
    root: Path,
    var: Path,
    catalogue: Path | None = None,
    console: Path | None = None,
    port: int | None = None,
    env: dict[str, str] | None = None,
):
    """`python -m forms.local` serving `root`, its store and outbox in `var`; yields its URL.

    On `port`, or on a free one; `env`: variables added to the server's environment.
    E-mails always go to the outbox (SMTP_HOST is dropped). Raises RuntimeError, with what the
    server printed, if it does not answer within 15 s.
    """
    port = port or free_port()
    extra = env or {}
    env = {**os.environ, "PYTHONPATH": str(ROOT / "functions"), "PYTHONUNBUFFERED": "1", **extra}
    env.pop("SMTP_HOST", None)
    if catalogue:
        env["CATALOGUE_PATH"] = str(catalogue)
    command = [sys.executable, "-m", "forms.local", "--root", str(Path(root).resolve())]
    with contextlib.ExitStack() as stack:
        output = stack.enter_context(console.open("wb")) if console else subprocess.DEVNULL
        process = subprocess.Popen(
            [*command, "--var", str(var), "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        up = wait_until(lambda: answers(url + "/") or process.poll() is not None, timeout=15)
        if not up or process.poll() is not None:
            printed = console.read_text(encoding="utf-8") if console else ""
            hint = "le site est-il construit ? make html"
            raise RuntimeError(f"le serveur local n'a pas démarré sur {url} ({hint})\n{printed}")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)
