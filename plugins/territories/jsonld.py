"""schema.org JSON-LD for placements (JobPosting) and events (Event): pure dictionaries."""

from __future__ import annotations

import datetime as dt
import re
from html import unescape
from zoneinfo import ZoneInfo

from .model import Event, Placement, Territory

# How each kind of trial placement reads in schema.org's employmentType vocabulary.
EMPLOYMENT_TYPES = {
    "remplacement": "TEMPORARY",
    "stage": "INTERN",
    "collaboration": "CONTRACTOR",
    "assistanat": "CONTRACTOR",
    "salariat": "FULL_TIME",
}

_TAGS = re.compile(r"<[^>]+>")
PARIS = ZoneInfo("Europe/Paris")


def _end_of_day(day: dt.date) -> str:
    """The last second of `day` in Paris: the placement is offered until its last day included."""
    return dt.datetime.combine(day, dt.time(23, 59, 59), PARIS).isoformat()


def plain_text(markup: str) -> str:
    """The text of rendered markdown, for descriptions that must not carry markup."""
    return " ".join(unescape(_TAGS.sub(" ", markup)).split())


def job_posting(placement: Placement, territory: Territory, url: str, posted: dt.date) -> dict:
    """A JobPosting for one open placement; it expires after its last day."""
    data = {
        "@context": "https://schema.org",
        "@type": "JobPosting",
        "title": placement.title,
        "description": placement.body_html or placement.title,
        "datePosted": posted.isoformat(),
        "validThrough": _end_of_day(placement.last_day),
        "jobStartDate": placement.start.isoformat(),
        "employmentType": EMPLOYMENT_TYPES.get(placement.kind, "OTHER"),
        "occupationalCategory": placement.profession,
        "hiringOrganization": {
            "@type": "Organization",
            "name": placement.structure or territory.name,
        },
        "jobLocation": {
            "@type": "Place",
            "address": {
                "@type": "PostalAddress",
                "addressLocality": placement.commune,
                "addressRegion": territory.name,
                "addressCountry": "FR",
            },
        },
        "url": url,
    }
    return data


def event(ev: Event, territory: Territory, url: str) -> dict:
    """An Event for one afterwork or meeting of the territory."""
    data = {
        "@context": "https://schema.org",
        "@type": "Event",
        "name": ev.title,
        "startDate": ev.start.isoformat(),
        "eventAttendanceMode": "https://schema.org/OfflineEventAttendanceMode",
        "eventStatus": "https://schema.org/EventScheduled",
        "location": {
            "@type": "Place",
            "name": ev.place,
            "address": ev.place,
        },
        "organizer": {"@type": "Organization", "name": territory.name, "url": url},
        "url": ev.url or url,
    }
    if ev.end:
        data["endDate"] = ev.end.isoformat()
    if ev.text:
        data["description"] = ev.text
    return data
