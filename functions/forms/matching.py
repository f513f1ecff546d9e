"""Welcomer matching: which of the territory's welcomers should meet this family, and why.

A pure function of the request and the catalogue, so the staff e-mail can propose the best two
or three welcomers with the reasons in French — written for the staff, about the family — and
tests can pin the scoring down. Children's ages are read against school levels: a family with
children of 4 and 9 is told of nursery and primary schools, never of a lycée.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from . import french
from .catalogue import TerritoryInfo, WelcomerInfo

SCHOOLS_TOPIC = "écoles"
SPOUSE_TOPIC = "emploi du conjoint"
# Weights: what a family said it needs (children, partner, place of work) matters most.
W_CHILDREN, W_PARTNER, W_COMMUNE, W_INTEREST, W_LANGUAGE, W_LOCAL_DATA = 3, 3, 3, 2, 2, 1
LANGUAGE_WORDS = {
    "en": ("anglais", "english", "anglophone"),
    "es": ("espagnol", "spanish", "hispanophone"),
    "de": ("allemand", "german", "germanophone"),
    "it": ("italien", "italian"),
    "pt": ("portugais", "portuguese", "lusophone"),
    "ar": ("arabe", "arabic", "arabophone"),
    "nl": ("neerlandais", "dutch", "neerlandophone"),
    "ro": ("roumain", "romanian"),
    "pl": ("polonais", "polish"),
}

# The school levels of an age (French system: school from 3, collège from 11, lycée from 15).
LEVEL_AGES = (
    ("maternelle", 3, 5),
    ("primaire", 6, 10),
    ("collège", 11, 14),
    ("lycée", 15, 17),
    ("supérieur", 18, 30),
)


@dataclass(frozen=True)
class Match:
    welcomer: WelcomerInfo
    score: int
    reasons: tuple[str, ...]


def fold(text: str) -> str:
    """Lower case without accents, for forgiving comparisons ("Orleans" == "Orléans")."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).strip()


def languages_wanted(fields: dict) -> set[str]:
    """Languages other than French the family mentions (interests or message)."""
    words = set(
        re.findall(
            r"[a-z]+", fold(" ".join([*fields.get("interests", []), fields.get("message", "")]))
        )
    )
    return {code for code, names in LANGUAGE_WORDS.items() if words & set(names)}


def _ages(fields: dict) -> str:
    return fields.get("children_ages", "")


def ages_of(fields: dict) -> list[int]:
    """The children's ages, as validation normalised them ("4, 9")."""
    return [int(a) for a in re.findall(r"[0-9]+", _ages(fields))]


def levels_for(ages: list[int]) -> set[str]:
    """The school levels children of these ages attend (none under 3)."""
    return {level for level, low, high in LEVEL_AGES for age in ages if low <= age <= high}


def ages_text(ages: list[int]) -> str:
    """« 4 et 9 ans », « 4, 7 et 9 ans », « 2 ans »."""
    words = [str(a) for a in ages]
    joined = words[0] if len(words) == 1 else ", ".join(words[:-1]) + " et " + words[-1]
    return f"{joined} an{'s' if ages[-1] > 1 or len(ages) > 1 else ''}"


def _score(welcomer: WelcomerInfo, fields: dict, territory: TerritoryInfo) -> Match:
    topics = {fold(t) for t in welcomer.topics}
    commune = fold(welcomer.commune)
    reasons: list[str] = []
    score = 0
    counted: set[str] = set()  # topics already rewarded, so an interest does not count twice

    def add(points: int, reason: str) -> None:
        nonlocal score
        score += points
        reasons.append(reason)

    ages = ages_of(fields)
    levels = levels_for(ages)
    if levels and fold(SCHOOLS_TOPIC) in topics:
        add(W_CHILDREN, f"connaît les écoles (enfants de {ages_text(ages)})")
        counted.add(fold(SCHOOLS_TOPIC))
        schools = [
            f"{s.name} ({s.level})"
            for s in territory.schools
            if fold(s.commune) == commune and s.level in levels
        ]
        if schools:
            add(
                W_LOCAL_DATA, f"établissements pour ces âges dans sa commune : {', '.join(schools)}"
            )
    if fields.get("partner_occupation") and fold(SPOUSE_TOPIC) in topics:
        add(
            W_PARTNER,
            f"conseille les conjoints qui cherchent un emploi ({fields['partner_occupation']})",
        )
        counted.add(fold(SPOUSE_TOPIC))
        jobs = [j.title for j in territory.spouse_jobs if j.commune and fold(j.commune) == commune]
        if jobs:
            add(W_LOCAL_DATA, f"pistes d'emploi dans sa commune : {', '.join(jobs)}")
    placement = territory.placements.get(fields.get("placement", ""))
    if placement and fold(placement.commune) == commune:
        add(
            W_COMMUNE, f"habite à {welcomer.commune}, où se trouve l'offre qui intéresse la famille"
        )
    for interest in fields.get("interests", []):
        if fold(interest) not in topics or fold(interest) in counted:
            continue
        add(W_INTEREST, f"partage un intérêt de la famille : {interest}")
    for code in sorted(languages_wanted(fields) & set(welcomer.languages)):
        add(W_LANGUAGE, f"parle {french.language(code)}, comme la famille le souhaite")
    return Match(welcomer, score, tuple(reasons))


def best_welcomers(territory: TerritoryInfo, fields: dict, limit: int = 3) -> list[Match]:
    """Up to `limit` welcomers, best first (ties keep YAML order); at least two offered."""
    scored = [_score(w, fields, territory) for w in territory.welcomers]
    ranked = sorted(scored, key=lambda m: -m.score)  # sorted() is stable: ties keep YAML order
    chosen = [m for m in ranked if m.score > 0][:limit]
    for match in ranked:
        if len(chosen) >= min(2, len(ranked)):
            break
        if match not in chosen:
            chosen.append(Match(match.welcomer, 0, ("disponible pour un premier échange",)))
    return chosen
