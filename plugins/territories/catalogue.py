"""The forms catalogue: what the serverless functions need to know about each territory.

The build writes it as JSON next to the functions (`functions/forms/catalogue.json` by default),
so that prices, recipients, placement ids and welcomers come from the territories' YAML only,
and the Lambda package never imports Pelican or this plugin. Format version 1:

    {"format": 1,
     "territories": {"<slug>": {
        "name": str, "kind": str,
        "names": {"of": "du Loiret", "in": "dans le Loiret", "the": "le Loiret",
                  "to": "au Loiret", "plain": "Loiret"},   # french.py; for e-mails
        "site_path": "/<slug>/" (or "/" in a standalone build),
        "contact": {"email": str, "name": str|null, "phone": str|null},
        "notify": [e-mail, ...],
        "interests": [str, ...],           # the choices offered by the welcomer-request form
        "placements": {"<id>": {"title", "kind", "profession", "commune",
                                "start": "YYYY-MM-DD", "end": "YYYY-MM-DD"|null,
                                "contact": e-mail|null}},
        "welcomers": [{"id", "first_name", "commune", "topics": [...], "languages": [...],
                       "bio": str, "email": str|null, "phone": str|null, "siret": str|null}],
        "events": [{"id", "title", "start": ISO 8601, "end": ISO 8601|null, "place",
                    "text": str|null, "page_path": "/<slug>/evenements/<id>/",
                    "registration": null | {"capacity": int, "closes": ISO 8601,
                                            "slots": [{"start", "end"}]}}],
        "welcomer_rate_eur": "100",
        "schools": [{"name", "commune", "level"}],
        "spouse_jobs": [{"title", "organisation", "commune"}],
        "pack": null | {"name", "price_eur": "499", "subsidy_eur": "200",
                        "net_price_eur": "299", "subsidy_by": str|null,
                        "subsidy_by_names": null | {"of", "in", "the", "to", "plain"},
                        "buyers": [str, ...], "max_quantity": int, "vat_rate": "20"},
        "editors": [e-mail, ...],         # who may sign in to the online editor (lower case)
        "region": str|null, "departement": str|null}},   # where it is (geography.py)
     "professions": [{"slug", "label", "plural", "group", "forms": [str, ...]}]}
                                           # the vocabulary of professions.py, for the alerts

Amounts are decimal strings: JSON floats would round cents. Welcomers' e-mail, phone and SIRET
are never published on the site: they travel here only, to introduce families and to draw up
statements. Only events taking registrations (with an `id`) are listed.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from . import professions
from .french import institution_forms
from .model import Event, Pack, Territory

FORMAT_VERSION = 1

# Offered to every candidate, whatever the welcomers' own topics: the questions families ask.
BASE_INTERESTS = (
    "écoles",
    "logement",
    "emploi du conjoint",
    "formation",
    "culture",
    "sport",
    "nature",
    "vie associative",
)


def interests_of(territory: Territory) -> list[str]:
    """The interest choices of a territory's form: the base list, then its welcomers' topics."""
    choices = list(BASE_INTERESTS)
    for welcomer in territory.welcomers:
        choices += [t for t in welcomer.topics if t not in choices]
    return choices


def _pack_entry(pack: Pack | None) -> dict | None:
    if pack is None:
        return None
    return {
        "name": pack.name,
        "price_eur": str(pack.price_eur),
        "subsidy_eur": str(pack.subsidy_eur),
        "net_price_eur": str(pack.net_price_eur),
        "subsidy_by": pack.subsidy_by,
        "subsidy_by_names": institution_forms(pack.subsidy_by).as_dict()
        if pack.subsidy_by
        else None,
        "buyers": list(pack.buyers),
        "max_quantity": pack.max_quantity,
        "vat_rate": str(pack.vat_rate),
    }


def _iso(moment: dt.datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _event_entry(event: Event, site_path: str) -> dict:
    registration = event.registration
    return {
        "id": event.id,
        "title": event.title,
        "start": event.start.isoformat(),
        "end": _iso(event.end),
        "place": event.place,
        "text": event.text,
        "page_path": f"{site_path}evenements/{event.page_id}/",
        "registration": {
            "capacity": registration.capacity,
            "closes": (registration.closes or event.start).isoformat(),
            "slots": [
                {"start": s.start.isoformat(), "end": _iso(s.end)} for s in registration.slots
            ],
        },
    }


def territory_entry(territory: Territory, site_path: str, today: dt.date) -> dict:
    """One territory's catalogue entry; only placements still open on `today` are listed."""
    return {
        "name": territory.name,
        "names": territory.names.as_dict(),
        "kind": territory.kind,
        "site_path": site_path,
        "contact": {
            "email": territory.contact.email,
            "name": territory.contact.name,
            "phone": territory.contact.phone,
        },
        "notify": list(territory.notify),
        "interests": interests_of(territory),
        "placements": {
            p.id: {
                "title": p.title,
                "kind": p.kind,
                "profession": p.profession,
                "commune": p.commune,
                "start": p.start.isoformat(),
                "end": p.end.isoformat() if p.end else None,
                "contact": p.contact,
            }
            for p in territory.open_placements(today)
        },
        "welcomers": [
            {
                "id": w.id,
                "first_name": w.first_name,
                "commune": w.commune,
                "topics": list(w.topics),
                "languages": list(w.languages),
                "bio": w.bio,
                "email": w.email,
                "phone": w.phone,
                "siret": w.siret,
            }
            for w in territory.welcomers
        ],
        "events": [
            _event_entry(e, site_path)
            for e in territory.events
            if e.registration is not None and (e.end or e.start).date() >= today
        ],
        "welcomer_rate_eur": str(territory.welcomer_rate_eur),
        "schools": [
            {"name": s.name, "commune": s.commune, "level": s.level} for s in territory.schools
        ],
        "spouse_jobs": [
            {"title": j.title, "organisation": j.organisation, "commune": j.commune}
            for j in territory.spouse_jobs
        ],
        "pack": _pack_entry(territory.pack),
        "editors": sorted({address.lower() for address in territory.editors}),
        "region": territory.location.region,
        "departement": departement.name
        if (departement := territory.location.departement)
        else None,
    }


def write_catalogue(territories: list[Territory], site_path_of, today: dt.date, path: Path) -> None:
    """Write the catalogue of `territories`; `site_path_of(territory)` gives its URL prefix."""
    entries = {t.slug: territory_entry(t, site_path_of(t), today) for t in territories}
    write_entries(entries, path)


def entry_text(entry: dict | list) -> str:
    """One territory's entry as it appears in the catalogue file (kept so between builds)."""
    # Sorted keys and a fixed layout: the same content always gives the same bytes. No indent:
    # json's C encoder only runs without one, and the file is read by programs.
    return json.dumps(entry, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def write_entries(entries: dict[str, dict], path: Path) -> None:
    """Write the catalogue of these territory entries (by slug)."""
    write_texts({slug: entry_text(entry) for slug, entry in entries.items()}, path)


def write_texts(texts: dict[str, str], path: Path) -> None:
    """Write the catalogue from each territory's entry_text(): the bytes json.dumps would give."""
    body = ",".join(
        f"{json.dumps(slug, ensure_ascii=False)}:{texts[slug]}" for slug in sorted(texts)
    )
    vocabulary = entry_text(professions.catalogue_entries())
    text = f'{{"format":{FORMAT_VERSION},"professions":{vocabulary},"territories":{{{body}}}}}\n'
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")
