"""The e-mails of the welcome service's flows, all built the same way: a `Letter` of sections
(paragraphs, facts, action links, a preformatted block) rendered as plain text and HTML.

Introductions, registrations, digests, statements and applications only differ by their
content; header values go through `emails.header_text` and addresses through the same check
as the submissions' e-mails (no header injection).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid  # new_job sets the key's Message-ID

from .delivery import new_job
from .emails import POLICY, _address, _from_address, header_text
from .ports import EmailJob
from .rendering import render


@dataclass(frozen=True)
class Section:
    heading: str | None = None
    paragraphs: tuple[str, ...] = ()
    facts: tuple[tuple[str, str], ...] = ()  # (label, value)
    links: tuple[tuple[str, str], ...] = ()  # (label, absolute URL)
    preformatted: str | None = None  # a YAML snippet, a table


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str  # "text/calendar; method=PUBLISH", "text/csv"
    data: bytes


@dataclass(frozen=True)
class Letter:
    kind: str  # X-Forms-Message: lets outbox readers and tests sort messages
    subject: str
    to: tuple[tuple[str, str], ...]  # (address, display name)
    sections: tuple[Section, ...]
    title: str = ""  # the HTML heading (the subject when empty)
    cc: tuple[tuple[str, str], ...] = ()
    reply_to: tuple[str, str] | None = None
    attachments: tuple[Attachment, ...] = field(default_factory=tuple)
    auto_submitted: bool = True  # RFC 3834: no auto-reply loops


def unique(addresses) -> tuple[tuple[str, str], ...]:
    """(address, name) pairs without repeats (case ignored) nor empty addresses, in order."""
    seen, kept = set(), []
    for address, name in addresses:
        if address and address.casefold() not in seen:
            seen.add(address.casefold())
            kept.append((address, name))
    return tuple(kept)


def compose(letter: Letter, mail_from: str, date: dt.datetime, reference: str) -> EmailMessage:
    """The message of a letter: text and HTML alternatives, then its attachments."""
    message = EmailMessage(policy=POLICY)
    sender = _from_address(mail_from)
    message["From"] = sender
    message["To"] = [_address(a, n) for a, n in letter.to]
    if letter.cc:
        message["Cc"] = [_address(a, n) for a, n in letter.cc]
    if letter.reply_to:
        message["Reply-To"] = _address(*letter.reply_to)
    message["Subject"] = header_text(letter.subject, 250)
    message["Date"] = format_datetime(date)
    message["Message-ID"] = make_msgid(domain=sender.domain or None)
    message["X-Submission-Id"] = header_text(reference)
    message["X-Forms-Message"] = letter.kind
    if letter.auto_submitted:
        message["Auto-Submitted"] = "auto-generated"
    context = {"letter": letter, "title": letter.title or letter.subject}
    message.set_content(render("letter.txt", **context), cte="quoted-printable")
    message.add_alternative(
        render("letter.html", **context), subtype="html", cte="quoted-printable"
    )
    for item in letter.attachments:
        maintype, _, rest = item.content_type.partition("/")
        subtype, *params = [p.strip() for p in rest.split(";")]
        message.add_attachment(
            item.data,
            maintype=maintype,
            subtype=subtype,
            filename=item.filename,
            params=dict(p.split("=", 1) for p in params),
        )
    return message


def job(
    key: str,
    letter: Letter,
    mail_from: str,
    now: dt.datetime,
    record: str,
    expires_at: dt.datetime,
) -> EmailJob:
    """The e-mail job of a letter (forms.delivery): `record` is what it is about — erasing
    the record erases the job — and `expires_at` that record's retention limit."""
    return new_job(key, compose(letter, mail_from, now, record), record, now, expires_at)
