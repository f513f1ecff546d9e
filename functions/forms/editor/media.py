"""Uploads through the editor: photos (JPEG, PNG, WebP, AVIF) and SVG logos, at most 4 MB.

The type is read from the file's first bytes, not trusted from its name: a renamed file is
refused with what it really is. Photos are resized and stripped of their metadata by the build
(plugins/territories/images.py); SVG files are sanitised there too.
"""

from __future__ import annotations

import re

# A Lambda request carries at most 6 MB, and the editor sends files in base64 (4/3 larger).
MAX_UPLOAD_BYTES = 4 * 1024 * 1024
MAX_UPLOAD_LABEL = "4 Mo"
TYPE_OF_SUFFIX = {
    ".jpg": "JPEG",
    ".jpeg": "JPEG",
    ".png": "PNG",
    ".webp": "WebP",
    ".avif": "AVIF",
    ".svg": "SVG",
}
_SVG_START = re.compile(
    rb"^(?:\xef\xbb\xbf)?\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*(?:<!DOCTYPE[^>]*>\s*)?<svg[\s>]",
    re.S,
)


class MediaRefused(Exception):
    """The file cannot be used as an image of the site: the message says why, in French."""


def sniff(data: bytes) -> str | None:
    """The image type the bytes are (JPEG, PNG, WebP, AVIF, SVG), or None."""
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WebP"
    if data[4:8] == b"ftyp" and (b"avif" in data[8:32] or b"avis" in data[8:32]):
        return "AVIF"
    if _SVG_START.match(data[:4096]):
        return "SVG"
    return None


def check_size(size: int) -> None:
    """Refuse a file over the upload limit."""
    if size > MAX_UPLOAD_BYTES:
        megabytes = f"{size / 1024 / 1024:.1f}".replace(".", ",")
        raise MediaRefused(
            f"Fichier trop lourd ({megabytes} Mo) : {MAX_UPLOAD_LABEL} au maximum. "
            "Réduisez la photo (2 560 pixels de large suffisent) et déposez-la de nouveau."
        )


def check_image(name: str, data: bytes) -> None:
    """Refuse what is not an image of the type its name says, or is too large."""
    check_size(len(data))
    suffix = name[name.rfind(".") :].lower() if "." in name else ""
    expected = TYPE_OF_SUFFIX.get(suffix)
    if expected is None:
        allowed = ", ".join(sorted(set(TYPE_OF_SUFFIX.values())))
        raise MediaRefused(f"« {name} » n'est pas une image acceptée ({allowed}).")
    found = sniff(data)
    if found != expected:
        what = f"une image {found}" if found else "pas une image"
        raise MediaRefused(
            f"« {name} » est nommé comme une image {expected} mais c'est {what} : "
            "enregistrez-la dans un format accepté (JPEG, PNG, WebP, AVIF ; SVG pour un logo)."
        )
