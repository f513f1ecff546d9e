"""Fault injection on the local server: nothing accepted is lost, nothing is mailed twice.

    .venv/bin/python bench/fault_bench.py [--submissions 400] [--clients 8]

A burst of submissions (JSON, each with its Idempotency-Key, retried with the same key after a
connection error or a 503, as the pages' script does) while the bench, one after the other:
kills the server with SIGKILL and restarts it; holds a write lock on its SQLite database from
another process for a few seconds; makes the outbox unwritable for a few seconds (chmod; as
root, who ignores permissions, a file put in the folder's place), then restores it. Then it
waits until no e-mail is pending — a job claimed when the server died waits for its lease to
run out, a minute — and counts:

    acknowledged   submissions answered 202 (distinct ids)
    stored         acknowledged and in the database, once per Idempotency-Key
    e-mailed once  both e-mails (notification, acknowledgement) in the outbox, one file each
    twice          a message present in two files, or two different Message-IDs for one job
    lost           acknowledged but not stored, or stored with an e-mail missing or failed
    rewritten      e-mails written again after a crash (same file, same Message-ID: one mail)

Lost and twice must read 0. Runs in a few minutes on two cores; run it rarely.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from email import message_from_bytes
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "plugins"), str(ROOT / "functions"), str(ROOT)]

from tools.local_site import free_port, wait_until  # noqa: E402

RETRYABLE = (OSError, http.client.HTTPException)


def write_catalogue(path: Path) -> None:
    """The forms catalogue of the repository's territories, as `make html` writes it."""
    from territories.catalogue import write_catalogue as write
    from territories.loader import load_territories

    territories = load_territories(ROOT / "territories")
    write(territories, lambda t: f"/{t.slug}/", dt.date.today(), path)


def sample(number: int) -> dict:
    """A valid welcomer request with its own address (the acknowledgements' limit is per
    address); started_at 10 s ago (a person, not a robot)."""
    event = json.loads((ROOT / "tests/events/welcomer_request_json.json").read_text())
    fields = json.loads(event["body"])
    fields["email"] = f"bench-{number}@example.org"
    fields["started_at"] = str(int(time.time() * 1000) - 10_000)
    fields.pop("arrival", None)  # relative to today: not worth computing here
    return fields


class Server:
    """`python -m forms.local` in a subprocess, killed and restarted at will."""

    def __init__(self, root: Path, var: Path, catalogue: Path, console: Path):
        self.port = free_port()
        self.root, self.var, self.catalogue, self.console = root, var, catalogue, console
        self.process: subprocess.Popen | None = None
        self.runs = 0

    def start(self) -> None:
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT / "functions"),
            "CATALOGUE_PATH": str(self.catalogue),
            "FORMS_RATE_LIMIT": "off",  # one bench client sends them all
            "PYTHONUNBUFFERED": "1",
        }
        env.pop("SMTP_HOST", None)
        self.runs += 1
        with self.console.open("ab") as console:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "forms.local", "--root", str(self.root), *self.where()],
                env=env,
                stdout=console,
                stderr=subprocess.STDOUT,
            )
        if not wait_until(self.listening, timeout=20):
            raise RuntimeError(self.console.read_text())

    def where(self) -> list[str]:
        return ["--var", str(self.var), "--port", str(self.port)]

    def listening(self) -> bool:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
            connection.request("HEAD", "/")
            return connection.getresponse().status == 200
        except RETRYABLE:
            return False

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        self.process.send_signal(signal.SIGINT)
        self.process.wait(30)


def submit(port: int, fields: dict, key: str, deadline: float) -> str | None:
    """POST until a 202 (its id), retrying with the same key; None past the deadline."""
    body = json.dumps(fields).encode()
    headers = {"Content-Type": "application/json", "Idempotency-Key": key}
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
            connection.request("POST", "/api/welcomer-request", body, headers)
            response = connection.getresponse()
            answer = response.read()
            connection.close()
            if response.status == 202:
                return json.loads(answer)["id"]
        except RETRYABLE:
            pass
        time.sleep(0.2)
    return None


def burst(server: Server, count: int, clients: int, acknowledged: dict) -> list[threading.Thread]:
    """`clients` threads sending `count` submissions between them."""
    deadline = time.monotonic() + 300
    numbers = iter(range(count))
    lock = threading.Lock()

    def client() -> None:
        while True:
            with lock:
                number = next(numbers, None)
            if number is None:
                return
            key = uuid.uuid4().hex
            submission_id = submit(server.port, sample(number), key, deadline)
            with lock:
                acknowledged[key] = submission_id

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    return threads


def lock_database(path: Path, seconds: float) -> subprocess.Popen:
    """Another process holding the database's write lock for `seconds`."""
    script = (
        "import sqlite3, sys, time\n"
        "db = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
        "db.execute('BEGIN EXCLUSIVE'); print('locked', flush=True)\n"
        "time.sleep(float(sys.argv[2])); db.execute('COMMIT')\n"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", script, str(path), str(seconds)], stdout=subprocess.PIPE, text=True
    )
    process.stdout.readline()
    return process


def block_outbox(outbox: Path) -> str:
    """Make the outbox unwritable; returns how (chmod, or a file in its place for root)."""
    outbox.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0:
        outbox.chmod(0o500)
        return "chmod 500"
    outbox.rename(outbox.with_name("outbox.away"))
    outbox.write_text("not a folder")
    return "a file in its place (root ignores chmod)"


def restore_outbox(outbox: Path) -> None:
    if outbox.is_file():
        outbox.unlink()
        outbox.with_name("outbox.away").rename(outbox)
    else:
        outbox.chmod(0o755)


def pending_jobs(database: Path) -> int:
    with sqlite3.connect(database) as db:
        return db.execute("SELECT COUNT(*) FROM email_jobs WHERE status = 'pending'").fetchone()[0]


def count(database: Path, outbox: Path, console: str, acknowledged: dict) -> dict:
    """The figures of the run (see the module docstring)."""
    from forms.delivery import file_name

    with sqlite3.connect(database) as db:
        rows = db.execute("SELECT id, idempotency_key FROM submissions").fetchall()
        jobs = dict(db.execute("SELECT key, status FROM email_jobs").fetchall())
    stored_ids = Counter(submission_id for submission_id, _ in rows)
    per_key = Counter(key for _, key in rows)
    ids = {i for i in acknowledged.values() if i}
    files = {p.name for p in outbox.glob("*.eml")}
    message_ids: dict[str, set] = {}
    for path in outbox.glob("*.eml"):
        message = message_from_bytes(path.read_bytes())
        message_ids.setdefault(message["X-Forms-Message-Id"], set()).add(path.name)
    once = twice = lost = 0
    for submission_id in ids:
        keys = [f"{submission_id}/notify", f"{submission_id}/acknowledgement"]
        present = [file_name(k) in files and jobs.get(k) == "sent" for k in keys]
        if stored_ids[submission_id] != 1 or not all(present):
            lost += 1
        else:
            once += 1
    twice = sum(len(names) > 1 for names in message_ids.values())
    twice += sum(n > 1 for n in per_key.values())  # one Idempotency-Key stored twice
    return {
        "sent": len(acknowledged),
        "acknowledged": len(ids),
        "unanswered": sum(1 for i in acknowledged.values() if i is None),
        "stored": sum(1 for i in ids if stored_ids[i] == 1),
        "stored without an answer": len(set(stored_ids) - ids),
        "e-mailed once": once,
        "twice": twice,
        "lost": lost,
        "rewritten": console.count("(replaced)"),
    }


def run(submissions: int, clients: int) -> dict:
    work = Path(tempfile.mkdtemp(prefix="fault-bench-"))
    root, var = work / "output", work / "var"
    root.mkdir()
    (root / "index.html").write_text("<!doctype html><title>bench</title>")
    catalogue = work / "catalogue.json"
    write_catalogue(catalogue)
    console = work / "console.log"
    server = Server(root, var, catalogue, console)
    server.start()
    acknowledged: dict = {}
    started = time.monotonic()
    threads = burst(server, submissions, clients, acknowledged)
    faults = []

    def at(seconds: float) -> None:
        time.sleep(max(0.0, started + seconds - time.monotonic()))

    at(1.0)
    server.kill()
    faults.append(f"{time.monotonic() - started:.1f} s: SIGKILL, restarted 0.5 s later")
    time.sleep(0.5)
    server.start()
    at(4.0)
    locker = lock_database(var / "submissions.sqlite3", 3.0)
    faults.append(
        f"{time.monotonic() - started:.1f} s: database write-locked 3 s by another process"
    )
    at(8.0)
    how = block_outbox(var / "outbox")
    faults.append(f"{time.monotonic() - started:.1f} s: outbox unwritable 4 s ({how})")
    time.sleep(4.0)
    restore_outbox(var / "outbox")
    locker.wait()
    for thread in threads:
        thread.join()
    burst_s = time.monotonic() - started
    drained = wait_until(lambda: pending_jobs(var / "submissions.sqlite3") == 0, 240, 0.5)
    drain_s = time.monotonic() - started
    server.stop()
    figures = count(
        var / "submissions.sqlite3",
        var / "outbox",
        console.read_text(errors="replace"),
        acknowledged,
    )
    figures.update(
        faults=faults,
        burst_s=round(burst_s, 1),
        all_sent_after_s=round(drain_s, 1) if drained else None,
        server_runs=server.runs,
        work=str(work),
    )
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submissions", type=int, default=400)
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args(argv)
    figures = run(args.submissions, args.clients)
    for fault in figures.pop("faults"):
        print(f"fault at {fault}")
    failed = figures["lost"] or figures["twice"]
    if not failed:  # kept for a look when something went wrong
        shutil.rmtree(figures.pop("work"))
    for name, value in figures.items():
        print(f"{name:>26}  {value}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
