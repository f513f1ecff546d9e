"""The local delivery worker: sends right after a submission is stored, and retries what is pending.

Plays the part of the stream-fed mailer and the scheduled sweeper on AWS. One thread, so two
deliveries of the same submission never run at once.
"""

from __future__ import annotations

import logging
import queue
import threading
import time

from .catalogue import Catalogue
from .delivery import deliver, retry_pending
from .ports import Mailer, Submission, SubmissionStore

log = logging.getLogger("forms")
STOP = object()


class DeliveryWorker:
    """Delivers what `submit` is given; sweeps the pending ones every `retry_every` seconds."""

    def __init__(
        self,
        catalogue: Catalogue,
        store: SubmissionStore,
        mailer: Mailer,
        mail_from: str | None = None,
        retry_every: float = 30.0,
    ):
        self.catalogue, self.store, self.mailer, self.mail_from = (
            catalogue,
            store,
            mailer,
            mail_from,
        )
        self.retry_every = retry_every
        self._queue: queue.Queue = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="delivery", daemon=True)

    def start(self) -> DeliveryWorker:
        """Start the thread; it first retries what a previous run left pending."""
        self._thread.start()
        return self

    def submit(self, submission: Submission) -> None:
        """Queue a freshly stored submission (used as App.on_stored)."""
        self._queue.put(submission)

    def stop(self, timeout: float = 10.0) -> None:
        """Finish the queued deliveries, then stop."""
        self._queue.put(STOP)
        self._thread.join(timeout)

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Wait until every queued submission was handled; False on timeout."""
        deadline = time.monotonic() + timeout
        while self._queue.unfinished_tasks:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.01)
        return True

    def sweep(self) -> None:
        """Retry every pending submission now."""
        try:
            results = retry_pending(self.store, self.catalogue, self.mailer, self.mail_from)
        except Exception:  # a sweep must never kill the worker: log it and try again later
            log.exception("retry of pending e-mails failed")
            return
        if results:
            sent = sum(r.status == "sent" for r in results)
            log.info("retried %d pending submission(s): %d now sent", len(results), sent)

    def _deliver(self, submission: Submission) -> None:
        try:
            deliver(submission, self.catalogue, self.mailer, self.store, self.mail_from)
        except Exception:  # it stays pending in the store: the next sweep retries it
            log.exception("delivery of %s failed; kept pending", submission.id)

    def _run(self) -> None:
        self.sweep()
        next_sweep = time.monotonic() + self.retry_every
        while True:
            try:
                item = self._queue.get(timeout=max(0.0, next_sweep - time.monotonic()))
            except queue.Empty:
                item = None
            if item is STOP:
                self._queue.task_done()
                return
            if item is not None:
                self._deliver(item)
                self._queue.task_done()
            # Timed, not only when idle: under a steady load the queue is never empty.
            if time.monotonic() >= next_sweep:
                self.sweep()
                next_sweep = time.monotonic() + self.retry_every
