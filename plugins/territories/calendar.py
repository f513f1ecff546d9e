"""An iCalendar (RFC 5545) file of a territory's events, so candidates can subscribe."""

from __future__ import annotations

import datetime as dt
import hashlib

from .model import Event, Territory

CRLF = "\r\n"


def _escape(text: str) -> str:
    """Escape a TEXT value: backslash, semicolon, comma and newline are special."""
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _fold(line: str) -> str:
    """Fold a content line at 75 octets, never inside a UTF-8 character."""
    out, chunk = [], ""
    for char in line:
        limit = 75 if not out else 74  # continuation lines start with a space
        if len((chunk + char).encode("utf-8")) > limit:
            out.append(chunk)
            chunk = ""
        chunk += char
    out.append(chunk)
    return (CRLF + " ").join(out)


def _utc(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def _uid(territory: Territory, ev: Event) -> str:
    """A stable identifier: the same event keeps its UID from one build to the next."""
    digest = hashlib.sha1(f"{ev.title}|{ev.start.isoformat()}".encode()).hexdigest()[:16]
    return f"{digest}@{territory.slug}.territoires"


def _vevent(territory: Territory, ev: Event, stamp: str, url: str) -> list[str]:
    lines = [
        "BEGIN:VEVENT",
        f"UID:{_uid(territory, ev)}",
        f"DTSTAMP:{stamp}",
        f"DTSTART:{_utc(ev.start)}",
        f"DTEND:{_utc(ev.end or ev.start + dt.timedelta(hours=2))}",
        f"SUMMARY:{_escape(ev.title)}",
        f"LOCATION:{_escape(ev.place)}",
    ]
    if ev.text:
        lines.append(f"DESCRIPTION:{_escape(ev.text)}")
    lines.append(f"URL:{ev.url or url}")
    return [*lines, "END:VEVENT"]


def ics(territory: Territory, events: list[Event], today: dt.date, url: str) -> str:
    """The calendar text; DTSTAMP is the build date so the same input gives the same bytes."""
    stamp = today.strftime("%Y%m%dT000000Z")
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Territoires de santé//Agenda//FR",
        "CALSCALE:GREGORIAN",
        f"X-WR-CALNAME:{_escape(territory.name)} – rencontres",
    ]
    for ev in events:
        lines += _vevent(territory, ev, stamp, url)
    lines.append("END:VCALENDAR")
    return CRLF.join(_fold(line) for line in lines) + CRLF
