"""Correction tokens: what a person typed and the errors found, sealed into the redirect URL.

Nothing is stored for invalid input, so the no-JavaScript correction page gets its data from
the token itself: compressed, then encrypted and authenticated with Fernet (AES-CBC + HMAC),
so it can be neither read nor forged, and it expires after 30 minutes.
"""

from __future__ import annotations

import json
import os
import zlib
from collections.abc import Callable
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

TOKEN_TTL_S = 30 * 60


class BadToken(Exception):
    """The token is forged, damaged or expired."""


def new_key() -> bytes:
    """A fresh random key (URL-safe base64), e.g. for FORM_TOKEN_KEY."""
    return Fernet.generate_key()


def local_key(variable: str, path: Path, make: Callable[[], bytes]) -> bytes:
    """The key in the environment `variable`, else one made once by `make()` and kept, readable
    by its owner only, in `path` (the local server's var/: the same key after a restart)."""
    if os.environ.get(variable):
        return os.environ[variable].encode("utf-8")
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as file:
            file.write(make())
    return path.read_bytes().strip()


def seal(key: bytes, payload: dict, now_s: float) -> str:
    """Encrypt `payload` (JSON-serialisable) into a URL-safe token issued at `now_s`."""
    raw = zlib.compress(json.dumps(payload, ensure_ascii=False).encode("utf-8"), 9)
    return Fernet(key).encrypt_at_time(raw, int(now_s)).decode("ascii")


def unseal(key: bytes, token: str, now_s: float, ttl_s: int = TOKEN_TTL_S) -> dict:
    """The payload of a token issued less than `ttl_s` ago; BadToken otherwise."""
    try:
        raw = Fernet(key).decrypt_at_time(token.encode("ascii"), ttl_s, int(now_s))
        payload = json.loads(zlib.decompress(raw).decode("utf-8"))
    except (InvalidToken, UnicodeError, ValueError, zlib.error):
        raise BadToken from None
    if not isinstance(payload, dict):
        raise BadToken
    return payload
