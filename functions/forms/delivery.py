"""Sending a stored submission's e-mails, each at most once, whatever the number of retries.

Called by the stream-fed mailer on AWS and by the local worker; both may call it again for the
same submission (a stream redelivers, the sweeper retries), so progress is re-read from the store
and recorded after each message.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass

from .app import DEFAULT_MAIL_FROM
from .catalogue import Catalogue
from .emails import MESSAGES, compose
from .ports import (
    EMAIL_PENDING,
    EMAIL_SENT,
    EMAIL_SPAM,
    Mailer,
    MailError,
    Submission,
    SubmissionStore,
)

log = logging.getLogger("forms")


@dataclass(frozen=True)
class DeliveryResult:
    submission_id: str
    status: str  # EMAIL_SENT, EMAIL_PENDING or EMAIL_SPAM
    sent_now: tuple[str, ...] = ()  # messages sent by this call
    error: str | None = None


def mail_from_env() -> str:
    """The sender address: $MAIL_FROM, else a placeholder."""
    return os.environ.get("MAIL_FROM") or DEFAULT_MAIL_FROM


def deliver(
    submission: Submission,
    catalogue: Catalogue,
    mailer: Mailer,
    store: SubmissionStore,
    mail_from: str | None = None,
) -> DeliveryResult:
    """Send the messages of `submission` not sent yet; a MailError leaves it pending."""
    current = store.get(submission.id) or submission  # the event may be older than the store
    if current.email_status in (EMAIL_SENT, EMAIL_SPAM):
        return DeliveryResult(current.id, current.email_status)
    territory = catalogue.get(current.territory)
    if territory is None:
        reason = "territory missing from the catalogue"
        store.record_email(current.id, list(current.emails_sent), EMAIL_PENDING, reason)
        log.error("submission %s not sent: %s", current.id, reason)
        return DeliveryResult(current.id, EMAIL_PENDING, error=reason)
    sent, sent_now = list(current.emails_sent), []
    missing = tuple(name for name in MESSAGES if name not in sent)
    messages = compose(current, territory, mail_from or mail_from_env(), missing)
    for name in missing:
        try:
            mailer.send(messages[name])
        except MailError as error:
            reason = str(error)[:200] or "mail service refused the message"
            store.record_email(current.id, sent, EMAIL_PENDING, reason)
            log.warning(
                "submission %s: %s e-mail not sent (%s), kept for retry", current.id, name, reason
            )
            return DeliveryResult(current.id, EMAIL_PENDING, tuple(sent_now), reason)
        sent.append(name)
        sent_now.append(name)
        status = EMAIL_SENT if len(sent) == len(MESSAGES) else EMAIL_PENDING
        store.record_email(current.id, sent, status)  # after each message: never sent twice
    return DeliveryResult(current.id, EMAIL_SENT, tuple(sent_now))


def retry_pending(
    store: SubmissionStore,
    catalogue: Catalogue,
    mailer: Mailer,
    mail_from: str | None = None,
    limit: int = 100,
) -> list[DeliveryResult]:
    """Deliver every submission still pending (oldest first): the sweeper's job."""
    return [deliver(s, catalogue, mailer, store, mail_from) for s in store.pending(limit)]
