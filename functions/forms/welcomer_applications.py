"""« Devenir welcomer »: an application is a submission like the others (stored, then e-mailed
to the staff and acknowledged); the staff e-mail carries the ready `territory.yaml` entry.

The entry is written by hand, not by a YAML library: every value is a JSON string, which YAML
reads as the same double-quoted text, so a name like « Yes » or « 01 » stays text.
"""

from __future__ import annotations

import json
import re
import unicodedata

from .catalogue import TerritoryInfo
from .ports import Submission

INDENT = "  "


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-") or "welcomer"


def suggested_id(first_name: str, territory: TerritoryInfo) -> str:
    """The first name as an id, numbered when a welcomer of the territory already has it."""
    base = _slug(first_name)
    taken = {w.id for w in territory.welcomers}
    candidate, number = base, 2
    while candidate in taken:
        candidate, number = f"{base}-{number}", number + 1
    return candidate


def _text(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def yaml_entry(submission: Submission, territory: TerritoryInfo) -> str:
    """The item to paste under `welcomers:` in the territory's territory.yaml."""
    fields = submission.fields
    bio = fields.get("message") or "À compléter : quelques phrases, à la première personne."
    lines = [
        f"- id: {suggested_id(fields['first_name'], territory)}",
        f"  first_name: {_text(fields['first_name'])}",
        f"  commune: {_text(fields['commune'])}",
        f"  bio: {_text(' '.join(bio.split()))}",
        f"  topics: [{', '.join(_text(t) for t in fields['topics'])}]",
    ]
    if fields.get("languages"):
        lines.append(f"  languages: [{', '.join(fields['languages'])}]")
    lines += [
        f"  email: {_text(fields['email'])}        # jamais publié",
        f"  phone: {_text(fields['phone'])}",
        f"  siret: {_text(fields['siret'])}",
    ]
    return "\n".join(INDENT + line for line in lines)
