"""A territory's installation aids: /<slug>/aides/ and its filter pages (per profession, stage)."""

from __future__ import annotations

from . import pages, professions
from .model import AID_STAGES, Aid

# How each stage reads as a filter link, and in a title (« Aides pour les internes »).
STAGE_LABELS = {
    "étudiant": ("étudiants", "pour les étudiants"),
    "interne": ("internes", "pour les internes"),
    "remplaçant": ("remplaçants", "pour les remplaçants"),
    "installation": ("installation", "pour s'installer"),
    "installé": ("installés", "pour les professionnels installés"),
}


def profession_choices(aids: tuple[Aid, ...]) -> list[professions.Profession]:
    """The professions some aid names, in the vocabulary's order."""
    named = {label for aid in aids for label in aid.professions}
    return [p for p in professions.PROFESSIONS if p.label in named]


def stage_choices(aids: tuple[Aid, ...]) -> list[str]:
    """The stages some aid names, in the order of a career."""
    named = {stage for aid in aids for stage in aid.stages}
    return [stage for stage in AID_STAGES if stage in named]


def aid_filters(site) -> dict[str, list[tuple[str, str, str, tuple[Aid, ...]]]]:
    """Per dimension, (label, phrase, URL, aids that apply) of each filter page.

    An aid that names no profession (or no stage) applies to all: it is on every page.
    """
    aids, urls = site.territory.aids, site.urls
    return {
        "profession": [
            (
                p.plural,
                f"pour les {p.plural}",
                urls.aid_profession(p.slug),
                tuple(a for a in aids if a.is_for(p.label)),
            )
            for p in profession_choices(aids)
        ],
        "stage": [
            (*STAGE_LABELS[s], urls.aid_stage(s), tuple(a for a in aids if a.is_for(stage=s)))
            for s in stage_choices(aids)
        ],
    }


def search_filters(site, listed: tuple[Aid, ...]) -> dict[str, list[str]]:
    """What the search may filter an aids page by: its territory and the professions named."""
    named = [p.label for p in profession_choices(listed)]
    return {"territoire": [site.territory.name], "profession": named}


def aid_pages(site) -> list[pages.Output]:
    """The aids page, then one filtered page per profession and per stage the aids name."""
    t = site.territory
    if not t.aids:
        return []
    filters = aid_filters(site)
    outputs = [
        pages.Output(
            site.urls.aides(),
            "aides.html",
            {
                "title": f"Aides à l'installation – {t.name}",
                "description": pages.summary(
                    "Les aides pour s'installer comme professionnel de santé : "
                    + ", ".join(a.title for a in t.aids)
                ),
                "listed": t.aids,
                "filter": None,
                "phrase": None,
                "aid_filters": filters,
                "search": search_filters(site, t.aids),
            },
        )
    ]
    for dimension, choices in filters.items():
        for label, phrase, url, listed in choices:
            outputs.append(
                pages.Output(
                    url,
                    "aides.html",
                    {
                        "title": f"Aides {phrase} – {t.name}",
                        "description": f"Les aides aux professionnels de santé {phrase}.",
                        "phrase": phrase,
                        "listed": listed,
                        "filter": {"dimension": dimension, "value": label},
                        "aid_filters": filters,
                    },
                )
            )
    return outputs
