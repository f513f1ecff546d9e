"""The shapes shared by the forms core and its adapters (SQLite/outbox locally, AWS in production).

Nothing here knows HTTP, AWS or SQLite: handlers and adapters depend on these, never the reverse.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Protocol

WELCOMER_REQUEST = "welcomer-request"
PACK_ORDER = "pack-order"
FORMS = (WELCOMER_REQUEST, PACK_ORDER)

# E-mail life cycle of a stored submission. "spam" submissions are kept apart and never mailed.
EMAIL_PENDING = "pending"
EMAIL_SENT = "sent"
EMAIL_SPAM = "spam"
EMAIL_FAILED = "failed"  # one of its e-mails was set aside as undeliverable (forms.admin failed)

# Life cycle of an outgoing e-mail job (forms.delivery).
JOB_PENDING = "pending"  # to send, at `next_attempt_at` or later
JOB_SENT = "sent"  # handed to the mail service; its message bytes are dropped
JOB_FAILED = "failed"  # set aside with its reason; `forms.admin resend --failed` re-queues it


@dataclass
class Submission:
    """An accepted submission, as stored before any e-mail is attempted."""

    id: str  # time-sortable, unique: the reference given to the sender
    form: str  # one of FORMS
    territory: str  # slug
    received_at: dt.datetime  # UTC, aware
    expires_at: dt.datetime  # retention limit (GDPR): the store deletes the record after it
    fields: dict  # validated, normalised values: JSON-serialisable (str, int, bool, list)
    pricing: dict | None = None  # pack orders: {"unit_price_eur": "299", "total_eur": "2990", ...}
    idempotency_key: str | None = None
    email_status: str = EMAIL_PENDING
    # Which of the submission's messages went out ("notify", "acknowledgement"), so that a retry
    # after a partial failure never sends the same message twice.
    emails_sent: list[str] = field(default_factory=list)
    email_attempts: int = 0
    last_email_error: str | None = None  # a short reason for operators: never personal data


@dataclass
class EmailJob:
    """One e-mail to send exactly once, composed when the state change that causes it is stored.

    `key` is stable and unique (`<submission id>/notify`…): enqueuing an existing key does
    nothing, the outbox file name and the Message-ID derive from it. See forms.delivery.
    """

    key: str
    record: str  # the stored record the message is about: erasing that record erases the job
    sender: str  # envelope sender, a bare address
    recipients: list[str]  # envelope recipients, bare addresses (erasure by address too)
    message: bytes  # the RFC 5322 message as it will be sent; emptied once sent (GDPR)
    created_at: dt.datetime  # UTC, aware
    expires_at: dt.datetime  # the job is deleted with its record's retention
    status: str = JOB_PENDING
    attempts: int = 0  # claims so far (counted when claimed: a crash mid-send counts too)
    next_attempt_at: dt.datetime | None = None  # None: at once (created_at)
    last_error: str | None = None  # a short reason for operators: never personal data
    sent_at: dt.datetime | None = None

    def __post_init__(self):
        if self.next_attempt_at is None:
            self.next_attempt_at = self.created_at


class DuplicateSubmission(Exception):
    """The idempotency key was already used: carries the first submission."""

    def __init__(self, first: Submission):
        super().__init__(first.id)
        self.first = first


class StoreUnavailable(Exception):
    """The store could not take the submission: the client gets a 503, nothing is half-written."""


class MailError(Exception):
    """A message could not be handed to the mail service.

    `permanent`: the service refused it for good (an address refused with a 5xx, a message
    rejected): retrying is useless, the job is set aside as failed at once. Otherwise the job
    is retried later, with backoff.
    """

    def __init__(self, reason: str, permanent: bool = False):
        super().__init__(reason)
        self.permanent = permanent


class EmailJobStore(Protocol):
    """The outgoing e-mail jobs (SQLite locally, DynamoDB on AWS): see forms.delivery."""

    def enqueue(self, jobs: list[EmailJob]) -> None:
        """Store jobs on their own; a key already stored is left as it is."""

    def due_jobs(self, now: dt.datetime, limit: int) -> list[str]:
        """Keys of pending jobs due by `now` that nobody holds, earliest first."""

    def claim_job(
        self, key: str, owner: str, now: dt.datetime, lease: dt.timedelta
    ) -> EmailJob | None:
        """Take the right to send `key` until now + lease (counts an attempt).

        None when the job is not pending any more or another owner holds an unexpired lease:
        every sender (worker, stream mailer, sweeper, forms.admin resend) claims first.
        """

    def job_sent(self, key: str, owner: str, now: dt.datetime) -> None:
        """Record a send (drops the message bytes), if `owner` still holds the job."""

    def job_retry(self, key: str, owner: str, error: str, next_attempt_at: dt.datetime) -> None:
        """Release the job for a later attempt, if `owner` still holds it."""

    def job_failed(self, key: str, owner: str, reason: str, now: dt.datetime) -> None:
        """Set the job aside as failed, if `owner` still holds it."""

    def get_job(self, key: str) -> EmailJob | None: ...

    def failed_jobs(self, limit: int = 1000) -> list[EmailJob]:
        """Jobs set aside as failed, oldest first."""

    def requeue_failed(self, key: str, now: dt.datetime) -> bool:
        """A failed job pending again (attempts from zero); False if it was not failed."""


class SubmissionStore(EmailJobStore, Protocol):
    def add(self, submission: Submission, jobs: list[EmailJob] = ()) -> None:
        """Store a new submission and its e-mail jobs in one all-or-nothing transaction.

        Raises DuplicateSubmission when (form, territory, idempotency_key) was seen before
        (nothing new is written), StoreUnavailable when nothing could be written.
        """

    def get(self, submission_id: str) -> Submission | None: ...

    def legacy_pending(self, limit: int = 100) -> list[Submission]:
        """Submissions stored before e-mail jobs existed whose e-mails are not all sent."""

    def adopt(self, submission: Submission, jobs: list[EmailJob]) -> None:
        """Store the jobs of a legacy submission, which then leaves `legacy_pending`."""

    def hit(self, key: str, expires_at: dt.datetime, weight: int = 1) -> int:
        """Add `weight` to the counter `key` atomically and return its new value (forms.abuse)."""


class Mailer(Protocol):
    def send(self, job: EmailJob) -> None:
        """Hand one job's message to the mail service; raise MailError if it was not accepted."""
