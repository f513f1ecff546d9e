"""Accepting a submission: validate, price, store. Sending is `forms.delivery`'s job."""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from dataclasses import dataclass

from .app import App
from .ports import (
    EMAIL_PENDING,
    EMAIL_SPAM,
    PACK_ORDER,
    WELCOMER_APPLICATION,
    DuplicateSubmission,
    Submission,
)
from .pricing import price_order
from .validation import Valid, validate

log = logging.getLogger("forms")

# Retention (GDPR): a candidate's request is useful for a few years; an order is an accounting
# record, kept ten years (French commercial code, art. L123-22). A welcomer's application, two
# years (as for an unsuccessful job application): a retained one moves to territory.yaml.
RETENTION_YEARS = {"welcomer-request": 3, PACK_ORDER: 10, WELCOMER_APPLICATION: 2}


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


def accept(app: App, form: str, data: dict, idempotency_key: str | None = None) -> Receipt:
    """Validate and store; raises ValidationFailed (nothing stored) or StoreUnavailable."""
    now = app.clock()
    valid = validate(form, data, app.catalogue, now, app.settings.min_fill_ms)
    submission = build_submission(valid, now, idempotency_key)
    try:
        app.store.add(submission)
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
    return Receipt(submission)
