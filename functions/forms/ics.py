"""One event as an iCalendar file (RFC 5545), attached to a registration's confirmation."""

from __future__ import annotations

import datetime as dt

from .catalogue import EventInfo, TerritoryInfo

CRLF = "\r\n"


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _fold(line: str) -> str:
    """Lines of at most 75 octets, never cut inside a UTF-8 character."""
    out, chunk = [], ""
    for char in line:
        if len((chunk + char).encode("utf-8")) > (75 if not out else 74):
            out.append(chunk)
            chunk = ""
        chunk += char
    out.append(chunk)
    return (CRLF + " ").join(out)


def _utc(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def event_ics(
    territory: TerritoryInfo,
    event: EventInfo,
    registration_id: str,
    stamp: dt.datetime,
    url: str,
    slot: tuple[dt.datetime, dt.datetime | None] | None = None,
) -> bytes:
    """The calendar of one registration: the event, or the interview slot when there is one."""
    start, end = slot or (event.start, event.end)
    summary = event.title + (" – entretien" if slot else "")
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Territoires de santé//Inscriptions//FR",
        "METHOD:PUBLISH",
        "BEGIN:VEVENT",
        f"UID:{registration_id}@{territory.slug}.territoires",
        f"DTSTAMP:{_utc(stamp)}",
        f"DTSTART:{_utc(start)}",
        f"DTEND:{_utc(end or start + dt.timedelta(hours=2))}",
        f"SUMMARY:{_escape(summary)}",
        f"LOCATION:{_escape(event.place)}",
    ]
    if event.text:
        lines.append(f"DESCRIPTION:{_escape(event.text)}")
    lines += [f"URL:{url}", "END:VEVENT", "END:VCALENDAR"]
    return (CRLF.join(_fold(line) for line in lines) + CRLF).encode("utf-8")
