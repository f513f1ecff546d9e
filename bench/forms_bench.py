"""Forms benchmark: warm handler latency, and the local server's throughput with e-mails included.

    .venv/bin/python bench/forms_bench.py [--requests 2000] [--clients 8]

Prints, for the territories of `territories/` (catalogue built as `make html` does):
  1. import time of `forms.http` (the handler's module, in a fresh interpreter);
  2. warm latency of `forms.http.handle` on a valid JSON welcomer request and pack order
     (median and p99), with an in-memory store (our code only) and with the SQLite store;
  3. the throughput of `python -m forms.local` under concurrent clients posting valid
     submissions over keep-alive connections: requests/s, errors, then the time until every
     submission is stored AND its two e-mails are in the outbox (nothing lost).
Not a test: figures depend on the machine; the README of issue 5 asks for them in the notes.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "functions"), str(ROOT / "plugins")]

from forms.app import App, Settings  # noqa: E402 (paths set just above)
from forms.catalogue import load_catalogue  # noqa: E402
from forms.http import handle  # noqa: E402
from forms.local_store import SQLiteStore  # noqa: E402
from forms.ports import PACK_ORDER, WELCOMER_REQUEST, DuplicateSubmission  # noqa: E402
from forms.tokens import new_key  # noqa: E402
from territories.catalogue import write_catalogue  # noqa: E402
from territories.loader import load_territories  # noqa: E402

EVENTS = ROOT / "tests" / "events"


class MemoryStore:
    """The cheapest store possible, so that the latency measured is our code's."""

    def __init__(self):
        self.items, self.keys = {}, {}

    def add(self, submission):
        key = (submission.form, submission.territory, submission.idempotency_key)
        if submission.idempotency_key and key in self.keys:
            raise DuplicateSubmission(self.keys[key])
        self.items[submission.id] = submission
        if submission.idempotency_key:
            self.keys[key] = submission

    def get(self, submission_id):
        return self.items.get(submission_id)


def build_catalogue(directory: Path) -> Path:
    """The catalogue of territories/, as the build writes it."""
    path = directory / "catalogue.json"
    territories = load_territories(ROOT / "territories")
    write_catalogue(territories, lambda t: f"/{t.slug}/", dt.date.today(), path)
    return path


def event(name: str) -> dict:
    data = json.loads((EVENTS / name).read_text(encoding="utf-8"))
    data["headers"].pop("idempotency-key", None)  # every request a new submission
    return data


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def import_time() -> float:
    """Seconds to import forms.http in a fresh interpreter (median of 5)."""
    code = "import time; t = time.perf_counter(); import forms.http; print(time.perf_counter() - t)"
    env = {**os.environ, "PYTHONPATH": str(ROOT / "functions")}
    runs = [
        float(subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                             text=True, check=True).stdout)
        for _ in range(5)
    ]  # fmt: skip
    return statistics.median(runs)


def handler_latency(app: App, form: str, name: str, runs: int) -> list[float]:
    """Milliseconds per warm `handle` call (after 50 warm-up calls)."""
    request = event(name)
    for _ in range(50):
        handle(request, app, form)
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        response = handle(request, app, form)
        timings.append((time.perf_counter() - start) * 1000)
        assert response["statusCode"] == 202, response
    return timings


def latency_report(catalogue_path: Path, work: Path, runs: int) -> None:
    catalogue = load_catalogue(catalogue_path)
    stores = {"in-memory store": MemoryStore(), "SQLite store": SQLiteStore(work / "bench.sqlite3")}
    print(f"\nWarm handler latency, {runs} calls each (ms)")
    print(f"  {'':34} {'median':>8} {'p99':>8}")
    for label, store in stores.items():
        app = App(catalogue, store, new_key(), settings=Settings())
        for form, name in ((WELCOMER_REQUEST, "welcomer_request_json.json"),
                           (PACK_ORDER, "pack_order_json.json")):  # fmt: skip
            timings = handler_latency(app, form, name, runs)
            print(f"  {form + ', ' + label:34} {statistics.median(timings):8.2f}"
                  f" {percentile(timings, 0.99):8.2f}")  # fmt: skip


def start_server(catalogue_path: Path, work: Path) -> tuple[subprocess.Popen, int]:
    """`python -m forms.local` on a free port, its outbox and store under `work`."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    site = work / "output"
    site.mkdir()
    (site / "index.html").write_text("<title>bench</title>", encoding="utf-8")
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT / "functions"),
        "CATALOGUE_PATH": str(catalogue_path),
    }
    env.pop("SMTP_HOST", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "forms.local", "--root", str(site), "--port", str(port),
         "--var", str(work / "var")],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    for _ in range(200):
        try:
            http.client.HTTPConnection("127.0.0.1", port, timeout=1).request("HEAD", "/")
            return process, port
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise RuntimeError("the local server did not start")


def client(port: int, count: int, results: list, barrier: threading.Barrier) -> None:
    """Post `count` valid submissions over one keep-alive connection."""
    requests = [(WELCOMER_REQUEST, event("welcomer_request_json.json")),
                (PACK_ORDER, event("pack_order_json.json"))]  # fmt: skip
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    barrier.wait()
    for i in range(count):
        form, sample = requests[i % 2]
        try:
            connection.request("POST", f"/api/{form}", body=sample["body"].encode("utf-8"),
                               headers={"Content-Type": "application/json"})  # fmt: skip
            response = connection.getresponse()
            response.read()
            results.append(response.status)
        except OSError:
            results.append(0)
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.close()


def throughput_report(catalogue_path: Path, work: Path, total: int, clients: int) -> None:
    process, port = start_server(catalogue_path, work)
    try:
        results: list[int] = []
        barrier = threading.Barrier(clients + 1)
        per_client = total // clients
        threads = [threading.Thread(target=client, args=(port, per_client, results, barrier))
                   for _ in range(clients)]  # fmt: skip
        for thread in threads:
            thread.start()
        barrier.wait()
        start = time.perf_counter()
        for thread in threads:
            thread.join()
        answered = time.perf_counter() - start
        sent = per_client * clients
        outbox = work / "var" / "outbox"
        while len(list(outbox.glob("*.eml"))) < 2 * sent and time.perf_counter() - start < 120:
            time.sleep(0.05)
        mailed = time.perf_counter() - start
        with sqlite3.connect(work / "var" / "submissions.sqlite3") as db:
            rows = db.execute(
                "SELECT email_status, COUNT(*) FROM submissions GROUP BY 1"
            ).fetchall()
    finally:
        process.terminate()
        process.wait(10)
    errors = sum(status != 202 for status in results)
    stored = dict(rows)
    emails = len(list(outbox.glob("*.eml")))
    print(
        f"\nLocal server under load: {clients} concurrent clients, {sent} valid submissions (JSON)"
    )
    print(
        f"  answered (202)          {sent - errors} in {answered:.2f} s"
        f" = {sent / answered:.0f} req/s"
    )
    print(f"  errors                  {errors}")
    print(f"  stored                  {sum(stored.values())} ({stored})")
    print(f"  e-mails in the outbox   {emails} of {2 * sent} after {mailed:.2f} s"
          f" = {sent / mailed:.0f} submissions/s stored and mailed")  # fmt: skip
    print(f"  lost                    {sent - sum(stored.values())}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--runs", type=int, default=1000, help="handler calls per latency figure")
    args = parser.parse_args()
    print(f"Python {sys.version.split()[0]} on {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        catalogue_path = build_catalogue(work)
        print(
            f"\nImport of forms.http (fresh interpreter, median of 5): {import_time() * 1000:.0f}"
            " ms"
        )
        latency_report(catalogue_path, work, args.runs)
        throughput_report(catalogue_path, work, args.requests, args.clients)


if __name__ == "__main__":
    main()
