"""Accepting a submission: validate, price, compose its e-mails, store both at once.

Sending is `forms.delivery`'s job: the submission and its e-mail jobs are one transaction, so
an accepted submission always has its e-mails queued, and an e-mail never leaves for a
submission that was not stored.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from dataclasses import dataclass

from . import abuse
from .app import App
from .catalogue import Catalogue
from .emails import MESSAGES, NOTIFY, submission_jobs
from .ports import (
    EMAIL_PENDING,
    EMAIL_SPAM,
    PACK_ORDER,
    DuplicateSubmission,
    Submission,
    SubmissionStore,
)
from .pricing import price_order
from .validation import ALTCHA, STARTED_AT, Valid, validate

log = logging.getLogger("forms")

# Retention (GDPR): a candidate's request is useful for a few years; an order is an accounting
# record, kept ten years (French commercial code, art. L123-22).
RETENTION_YEARS = {"welcomer-request": 3, PACK_ORDER: 10}


@dataclass(frozen=True)
class Receipt:
    """The stored submission (the first one when the request was a retry)."""

    submission: Submission
    duplicate: bool = False

    @property
    def spam(self) -> bool:
        """True when the submission was kept apart as spam."""
        return self.submission.email_status == EMAIL_SPAM


def new_id(now: dt.datetime) -> str:
    """A unique, time-sortable id such as 20261124T172501Z-3f9a2c1d."""
    return f"{now.astimezone(dt.UTC):%Y%m%dT%H%M%SZ}-{secrets.token_hex(4)}"


def years_after(moment: dt.datetime, years: int) -> dt.datetime:
    """The same moment `years` later (29 February becomes 28 February)."""
    try:
        return moment.replace(year=moment.year + years)
    except ValueError:
        return moment.replace(year=moment.year + years, day=28)


def build_submission(valid: Valid, now: dt.datetime, idempotency_key: str | None) -> Submission:
    """The record of an accepted submission, priced when it is an order."""
    pricing = None
    if valid.form == PACK_ORDER:
        pricing = price_order(valid.territory.pack, valid.fields["quantity"])
    return Submission(
        id=new_id(now),
        form=valid.form,
        territory=valid.territory.slug,
        received_at=now,
        expires_at=years_after(now, RETENTION_YEARS[valid.form]),
        fields=valid.fields,
        pricing=pricing,
        idempotency_key=idempotency_key,
        email_status=EMAIL_SPAM if valid.spam else EMAIL_PENDING,
        last_email_error=f"spam: {valid.spam}" if valid.spam else None,
    )


def guard(app: App, valid: Valid, data: dict, client: str | None, now: dt.datetime) -> None:
    """The limits per client and address (forms.abuse): raises ChallengeRequired when this
    submission needs a solved challenge and does not carry one."""
    started = data.get(STARTED_AT)
    timed = isinstance(started, int) or (isinstance(started, str) and bool(started.strip()))
    if not abuse.needs_challenge(app, client, valid.fields["email"], timed, now):
        return
    problem = abuse.check_solution(app, data.get(ALTCHA))
    if problem is not None:
        log.info("%s submission challenged (%s)", valid.form, problem)
        raise abuse.ChallengeRequired(abuse.new_challenge(app), problem)


def message_kinds(app: App, valid: Valid, now: dt.datetime) -> tuple[str, ...]:
    """The notification always; the acknowledgement within its daily limit per address."""
    if abuse.acknowledgement_allowed(app, valid.fields["email"], now):
        return MESSAGES
    log.info("%s: acknowledgement limit reached for its address, not acknowledged", valid.form)
    return (NOTIFY,)


def accept(
    app: App,
    form: str,
    data: dict,
    idempotency_key: str | None = None,
    client: str | None = None,
) -> Receipt:
    """Validate, check the limits, store; raises ValidationFailed or ChallengeRequired
    (nothing stored), or StoreUnavailable. `client`: the sender's IP, for the limits."""
    now = app.clock()
    valid = validate(form, data, app.catalogue, now, app.settings.min_fill_ms)
    if not valid.spam:
        guard(app, valid, data, client, now)
    submission = build_submission(valid, now, idempotency_key)
    jobs = []
    if not valid.spam:
        kinds = message_kinds(app, valid, now)
        jobs = submission_jobs(submission, valid.territory, app.settings.mail_from, kinds)
    try:
        app.store.add(submission, jobs)
    except DuplicateSubmission as duplicate:
        log.info(
            "retry of submission %s (same idempotency key): not stored again", duplicate.first.id
        )
        return Receipt(duplicate.first, duplicate=True)
    log.info(
        "stored %s %s for %s (%s)",
        form,
        submission.id,
        submission.territory,
        submission.email_status,
    )
    if not valid.spam and app.on_stored is not None:
        app.on_stored(submission)
    if jobs and app.wake_delivery is not None:
        app.wake_delivery()
    return Receipt(submission)


def adopt_legacy(
    store: SubmissionStore, catalogue: Catalogue, mail_from: str, limit: int = 100
) -> int:
    """Give the jobs they lack to submissions stored before e-mail jobs existed.

    Only the messages not yet sent are composed. A submission whose territory left the
    catalogue cannot be composed: it is set aside as failed, and never blocks the others.
    Returns how many submissions were handled.
    """
    handled, seen = 0, set()
    while batch := [s for s in store.legacy_pending(limit) if s.id not in seen]:
        for submission in batch:
            seen.add(submission.id)
            territory = catalogue.get(submission.territory)
            if territory is None:
                reason = "territory missing from the catalogue"
                store.adopt(submission, [], failure=reason)
                log.error("EMAIL_JOB_FAILED %s/*: %s", submission.id, reason)
                continue
            missing = tuple(k for k in MESSAGES if k not in submission.emails_sent)
            store.adopt(submission, submission_jobs(submission, territory, mail_from, missing))
        handled += len(batch)
    return handled
