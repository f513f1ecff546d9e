"""Outgoing e-mail jobs: every e-mail is sent exactly once, whatever crashes or retries happen.

The API every flow uses (submissions, introductions, confirmations, alert digests…):

1. Compose the message when the state change that causes it is decided, and make it a job:

       job = new_job(key, message, record=<id of the stored record>, now=now,
                     expires_at=<the record's retention limit>)

   `key` is stable and unique, built from ids, never from personal data:
       <submission id>/notify                 the territory's notification
       <submission id>/acknowledgement        the sender's acknowledgement
       <request id>/introduction/<welcomer id>, alert/<subscriber id>/<digest hash>, …
   `new_job` stamps the Message-ID derived from the key (`message_id`), reads the envelope
   from From/To/Cc and serialises the message: what is stored is what will be sent.

2. Store the jobs in the SAME transaction as the state change (a job whose key is already
   stored is left untouched: enqueuing twice never sends twice):
       SQLite (forms.local_store):   with store.transaction() as db:
                                         db.execute(<your change>)
                                         enqueue_jobs(db, jobs)
       DynamoDB (forms.aws.dynamodb_store):
                                     store.transact(<your TransactItems>, jobs)
       a submission, on both:        store.add(submission, jobs)
       jobs alone, on both:          store.enqueue(jobs)
   Locally, call `app.wake_delivery()` afterwards if set (the worker also polls every second);
   on AWS the table's stream hands new jobs to the mailer.

3. Senders — the local worker (forms.worker), the AWS stream mailer and sweeper
   (forms.aws.handlers), `forms.admin resend` — all go through `deliver_job`: claim the key
   (a conditional update with a lease: two senders never both send), send, record. A
   MailError is retried with exponential backoff (`RetryPolicy`); a permanent refusal, or too
   many attempts, sets the job aside as failed with its reason: it never blocks the others,
   shows in `forms.admin failed`, is counted by the FailedEmailsAlarm on AWS and re-queued by
   `forms.admin resend --failed`. `send_due` loops until nothing is due: a backlog drains as
   fast as the mail service takes it.

A crash between sending and recording leaves the job claimed; once the lease runs out it is
sent again — under the same Message-ID (SMTP receivers deduplicate on it) and, locally, into
the same `.eml` file (the outbox file name derives from the key): never two e-mails.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import getaddresses, parseaddr

from .app import DEFAULT_MAIL_FROM
from .ports import EmailJob, EmailJobStore, Mailer, MailError

log = logging.getLogger("forms")

SENT, RETRY, FAILED, SKIPPED = "sent", "retry", "failed", "skipped"
# The word a CloudWatch metric filter counts (template.yaml, FailedEmailsAlarm): keep it stable.
FAILED_MARK = "EMAIL_JOB_FAILED"
# Longer than any one send (SMTP and SES time out within 30 s): a live sender never loses its
# lease; one left by a crashed sender frees the job a minute later.
LEASE = dt.timedelta(seconds=60)
# A hook for fault-injection tests (None in production): called after a send, before it is
# recorded — the moment a crash would make a naive sender send twice.
after_send: Callable[[EmailJob], None] | None = None


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff: first_delay, doubled at each attempt, at most max_delay."""

    first_delay: dt.timedelta = dt.timedelta(seconds=60)
    max_delay: dt.timedelta = dt.timedelta(hours=1)
    max_attempts: int = 10  # then the job is set aside as failed (about six hours of tries)

    def delay(self, attempts: int) -> dt.timedelta:
        """The wait after the `attempts`-th failed attempt."""
        return min(self.first_delay * 2 ** max(attempts - 1, 0), self.max_delay)


RETRY_POLICY = RetryPolicy()


def mail_from_env() -> str:
    """The sender address: $MAIL_FROM, else a placeholder."""
    return os.environ.get("MAIL_FROM") or DEFAULT_MAIL_FROM


# --- Making jobs. ---------------------------------------------------------------------------


def message_id(key: str, domain: str | None) -> str:
    """The Message-ID of a job: the same for every attempt, unique per key."""
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]
    return f"<{digest}@{domain or 'territoires.invalid'}>"


def file_name(key: str) -> str:
    """The outbox file of a job: readable, fixed by the key (a re-send overwrites it)."""
    readable = re.sub(r"[^A-Za-z0-9._-]+", "-", key).strip("-.")[:120]
    return f"{readable}-{hashlib.sha256(key.encode('utf-8')).hexdigest()[:8]}.eml"


def _bare(header: str | None) -> str:
    return parseaddr(header or "")[1]


def new_job(
    key: str,
    message: EmailMessage,
    record: str,
    now: dt.datetime,
    expires_at: dt.datetime,
) -> EmailJob:
    """The job sending `message`, with its Message-ID derived from `key` and its envelope."""
    sender = _bare(message["From"])
    del message["Message-ID"], message["X-Forms-Message-Id"]
    message["Message-ID"] = message_id(key, sender.partition("@")[2] or None)
    # SES replaces Message-ID with its own: the stable one also travels under this name.
    message["X-Forms-Message-Id"] = message["Message-ID"]
    recipients = [
        address
        for _, address in getaddresses(message.get_all("To", []) + message.get_all("Cc", []))
    ]
    if not sender or not recipients:
        raise ValueError(f"job {key}: a message needs a From and a recipient")
    return EmailJob(
        key=key,
        record=record,
        sender=sender,
        recipients=recipients,
        message=bytes(message),
        created_at=now,
        expires_at=expires_at,
    )


# --- Sending jobs. --------------------------------------------------------------------------


def _reason(error: Exception) -> str:
    if isinstance(error, MailError):
        return str(error)[:200] or "mail service refused the message"
    return f"unexpected error: {type(error).__name__}"


def deliver_job(
    store: EmailJobStore,
    mailer: Mailer,
    key: str,
    owner: str,
    now: dt.datetime,
    policy: RetryPolicy = RETRY_POLICY,
    lease: dt.timedelta = LEASE,
) -> str:
    """Claim, send, record one job: SENT, RETRY (later, with backoff), FAILED or SKIPPED."""
    job = store.claim_job(key, owner, now, lease)
    if job is None:  # sent, failed, gone, or another sender holds it
        return SKIPPED
    try:
        mailer.send(job)
    except Exception as error:  # a bug in a mailer must not make a job loop forever either
        if not isinstance(error, MailError):
            log.exception("e-mail %s: unexpected error while sending", key)
        reason = _reason(error)
        if getattr(error, "permanent", False) or job.attempts >= policy.max_attempts:
            if not getattr(error, "permanent", False):
                reason = f"too many attempts ({job.attempts}): {reason}"
            store.job_failed(key, owner, reason, now)
            log.error("%s %s: %s", FAILED_MARK, key, reason)
            return FAILED
        store.job_retry(key, owner, reason, now + policy.delay(job.attempts))
        log.warning("e-mail %s not sent (%s): retried later", key, reason)
        return RETRY
    if after_send is not None:
        after_send(job)
    store.job_sent(key, owner, now)
    return SENT


def send_due(
    store: EmailJobStore,
    mailer: Mailer,
    clock: Callable[[], dt.datetime],
    owner: str,
    policy: RetryPolicy = RETRY_POLICY,
    lease: dt.timedelta = LEASE,
    batch: int = 50,
    keep_going: Callable[[], bool] = lambda: True,
    grace: dt.timedelta = dt.timedelta(0),
) -> Counter:
    """Send every due job, batch after batch, until none is due (or `keep_going` says stop).

    `grace`: only jobs due for at least that long (the AWS sweeper leaves fresh ones to the
    stream). Returns the count of each outcome.
    """
    counts: Counter = Counter()
    while keep_going():
        keys = store.due_jobs(clock() - grace, batch)
        outcomes = []
        for key in keys:
            if not keep_going():
                break
            outcomes.append(deliver_job(store, mailer, key, owner, clock(), policy, lease))
        counts.update(outcomes)
        # Nothing due, or every job of the batch held by another sender: stop, never spin.
        if not outcomes or all(outcome == SKIPPED for outcome in outcomes):
            break
    return counts
