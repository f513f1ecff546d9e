"""The local delivery worker: sends e-mail jobs as soon as they are due, until none is.

Plays the part of the stream-fed mailer and the scheduled sweeper on AWS. One thread; other
senders (`forms.admin resend` in another process) may run at the same time: every job is
claimed first (forms.delivery), so two senders never send the same one.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable

from .app import utc_now
from .catalogue import Catalogue
from .delivery import LEASE, RetryPolicy, send_due
from .ports import Mailer, Submission, SubmissionStore
from .submissions import adopt_legacy

log = logging.getLogger("forms")
# Locally a failure is usually the outbox folder or a local SMTP server: retry soon.
LOCAL_RETRY = RetryPolicy(
    first_delay=dt.timedelta(seconds=5), max_delay=dt.timedelta(minutes=10), max_attempts=10
)


def owner_name(prefix: str) -> str:
    """Who holds a claim: readable in the database, unique per process and run."""
    return f"{prefix}-{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


class DeliveryWorker:
    """Sends what is due whenever woken, and at least every `poll_every` seconds."""

    def __init__(
        self,
        store: SubmissionStore,
        mailer: Mailer,
        catalogue: Catalogue | None = None,
        mail_from: str | None = None,
        clock: Callable[[], dt.datetime] = utc_now,
        policy: RetryPolicy = LOCAL_RETRY,
        lease: dt.timedelta = LEASE,
        poll_every: float = 1.0,
    ):
        self.store, self.mailer, self.clock = store, mailer, clock
        self.catalogue, self.mail_from = catalogue, mail_from
        self.policy, self.lease, self.poll_every = policy, lease, poll_every
        self.owner = owner_name("worker")
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._idle = threading.Event()
        self._thread = threading.Thread(target=self._run, name="delivery", daemon=True)

    def start(self) -> DeliveryWorker:
        """Start the thread; it first gives jobs to what a first-release run left pending."""
        self._thread.start()
        return self

    def wake(self) -> None:
        """Something was enqueued: send it now rather than at the next poll."""
        self._idle.clear()
        self._wake.set()

    def submit(self, submission: Submission) -> None:
        """App.on_stored compatible: the submission's jobs are stored, send them."""
        self.wake()

    def stop(self, timeout: float = 10.0) -> None:
        """Finish the e-mail being sent, then stop."""
        self._stopping.set()
        self._wake.set()
        self._thread.join(timeout)

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Wait until a pass found nothing left to send now; False on timeout."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._idle.wait(0.01) and not self._wake.is_set():
                return True
        return False

    def adopt_legacy(self) -> None:
        """Jobs for what a first-release run left pending (needs the catalogue)."""
        if self.catalogue is None or self.mail_from is None:
            return
        try:
            adopt_legacy(self.store, self.catalogue, self.mail_from)
        except Exception:  # the next start tries again; jobs already stored are sent meanwhile
            log.exception("first-release submissions could not be given their e-mail jobs")

    def sweep(self) -> bool:
        """Send everything due now; False when the pass failed (the next one retries)."""
        try:
            counts = send_due(
                self.store,
                self.mailer,
                self.clock,
                self.owner,
                self.policy,
                self.lease,
                # Stopping ends the pass after the e-mail being sent: Ctrl-C does not wait for
                # a whole backlog (what is left is sent at the next start).
                keep_going=lambda: not self._stopping.is_set(),
            )
        except Exception:  # a pass must never kill the worker: log it and try again later
            log.exception("delivery pass failed; retried at the next one")
            return False
        if counts:
            log.info("delivery pass: %s", ", ".join(f"{n} {k}" for k, n in sorted(counts.items())))
        return True

    def _timeout(self) -> float:
        """Until the next poll, or sooner when a retry or an expired lease falls due."""
        try:
            due = self.store.next_due()
        except Exception:  # the store is busy or down: poll again later
            return self.poll_every
        if due is None:
            return self.poll_every
        return min(self.poll_every, max(0.01, (due - self.clock()).total_seconds()))

    def _run(self) -> None:
        self.adopt_legacy()
        while True:
            self._wake.clear()
            passed = self.sweep()
            if self._stopping.is_set():
                return
            if not self._wake.is_set():
                self._idle.set()
            self._wake.wait(self._timeout() if passed else self.poll_every)
