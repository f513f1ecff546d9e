"""Decoding a request body into field values: strict JSON, or form-encoded fields.

Raises BodyError with a `kind` that forms.http turns into a status code; nothing here knows HTTP.
"""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qsl

MAX_BODY_BYTES = 32 * 1024
JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
# The fields a form may repeat (one checkbox per choice): interests, a welcomer's topics and
# languages, an alert's choices.
MULTI_VALUED = {"interests", "topics", "languages", "professions", "territories"}


class BodyError(Exception):
    """The body cannot be read: `kind` is "too_large", "media_type" or "malformed"."""

    def __init__(self, kind: str, message: str, field: str = "body"):
        super().__init__(kind)
        self.kind = kind
        self.message = message
        self.field = field


def media_type(content_type: str | None) -> str:
    """JSON or FORM from a Content-Type header (a UTF-8 charset parameter is allowed)."""
    if not content_type:
        raise BodyError("media_type", "Type de contenu manquant (JSON ou formulaire attendu).")
    kind, *params = [part.strip() for part in content_type.split(";")]
    kind = kind.lower()
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset" and value.strip().strip('"').lower() != "utf-8":
            raise BodyError("media_type", "Seul l'encodage UTF-8 est accepté.")
    if kind not in (JSON, FORM):
        raise BodyError("media_type", "Type de contenu non accepté (JSON ou formulaire attendu).")
    return kind


def _no_constant(name: str):
    raise ValueError(f"{name} is not JSON")


def _unique_keys(pairs: list) -> dict:
    keys = [key for key, _ in pairs]
    if len(set(keys)) != len(keys):
        raise ValueError("duplicate key")
    return dict(pairs)


def decode_json(body: bytes) -> dict:
    """A JSON object, refusing NaN/Infinity, duplicate keys, bad UTF-8 and deep nesting."""
    try:
        data = json.loads(
            body.decode("utf-8"), object_pairs_hook=_unique_keys, parse_constant=_no_constant
        )
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise BodyError("malformed", "Le contenu JSON est invalide.") from None
    if not isinstance(data, dict):
        raise BodyError("malformed", "Un objet JSON est attendu.")
    return data


def _safe(name: str) -> str:
    return name if re.fullmatch(r"[a-z][a-z0-9_]{0,39}", name) else "body"


def decode_form(body: bytes) -> dict:
    """Form fields as strings; multi-valued ones as lists; any other repeated field is refused."""
    try:
        pairs = parse_qsl(
            body.decode("ascii"), keep_blank_values=True, errors="strict", max_num_fields=200
        )
    except (UnicodeError, ValueError):
        raise BodyError("malformed", "Le formulaire envoyé est illisible.") from None
    data: dict = {}
    for name, value in pairs:
        if name in MULTI_VALUED:
            data.setdefault(name, []).append(value)
        elif name in data:
            raise BodyError("malformed", "Ce champ est envoyé plusieurs fois.", _safe(name))
        else:
            data[name] = value
    return data


def decode(body: bytes, content_type: str | None) -> tuple[str, dict]:
    """(media type, fields) of a request body; BodyError when it cannot be accepted."""
    if len(body) > MAX_BODY_BYTES:
        raise BodyError("too_large", "Le formulaire envoyé est trop volumineux (32 Ko au maximum).")
    kind = media_type(content_type)
    return kind, decode_json(body) if kind == JSON else decode_form(body)
