"""The shapes shared by the forms core and its adapters (SQLite/outbox locally, AWS in production).

Nothing here knows HTTP, AWS or SQLite: handlers and adapters depend on these, never the reverse.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Protocol

WELCOMER_REQUEST = "welcomer-request"
PACK_ORDER = "pack-order"
WELCOMER_APPLICATION = "welcomer-application"  # « devenir welcomer »
FORMS = (WELCOMER_REQUEST, PACK_ORDER, WELCOMER_APPLICATION)
# Registrations are not submissions: they take a seat (forms.registrations), atomically.
EVENT_REGISTRATION = "event-registration"

# E-mail life cycle of a stored submission. "spam" submissions are kept apart and never mailed.
EMAIL_PENDING = "pending"
EMAIL_SENT = "sent"
EMAIL_SPAM = "spam"


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


class DuplicateSubmission(Exception):
    """The idempotency key was already used: carries the first submission."""

    def __init__(self, first: Submission):
        super().__init__(first.id)
        self.first = first


class StoreUnavailable(Exception):
    """The store could not take the submission: the client gets a 503, nothing is half-written."""


class MailError(Exception):
    """A message could not be handed to the mail service; the submission stays pending."""


class SubmissionStore(Protocol):
    def add(self, submission: Submission) -> None:
        """Store a new submission atomically.

        Raises DuplicateSubmission when (form, territory, idempotency_key) was seen before,
        StoreUnavailable when nothing could be written.
        """

    def get(self, submission_id: str) -> Submission | None: ...

    def pending(self, limit: int = 100) -> list[Submission]:
        """Submissions whose e-mails are not all sent yet, oldest first."""

    def record_email(
        self, submission_id: str, sent: list[str], status: str, error: str | None = None
    ) -> None:
        """Save progress after a delivery attempt (increments email_attempts)."""


class Mailer(Protocol):
    def send(self, message: EmailMessage) -> None:
        """Hand one message to the mail service; raise MailError if it was not accepted."""
