"""Content shared by the loader and validation tests."""

# The smallest valid territory.yaml. Line numbers in the tests refer to this text:
# 1 name … 8 notify; keys appended to it start on line 9.
MINIMAL = """\
name: Testville
kind: commune
tagline: Une ville pour tester
brand:
  primary: "#1f4e79"
contact:
  email: contact@example.org
notify: [accueil@example.org]
"""

# The smallest valid placement file; its body (« Texte de l'offre. ») is on line 9.
PLACEMENT = """\
---
title: Remplacement
kind: stage
profession: infirmier
commune: Blois
start: 2027-09-01
end: 2027-10-01
---
Texte de l'offre.
"""


def write_territory(root, files: dict, slug: str = "x"):
    """Write `files` (relative path → text or bytes) into root/<slug>/; returns root."""
    for name, content in files.items():
        path = root / slug / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return root


def content_errors(root) -> list[str]:
    """The text of every error the loader reports for the territories under `root`."""
    from territories.loader import ContentErrors, load_territories

    try:
        load_territories(root)
    except ContentErrors as raised:
        return [str(error) for error in raised.errors]
    raise AssertionError("the content was accepted")


def jpeg(width: int = 64, height: int = 48, exif: bytes | None = None) -> bytes:
    """A small real JPEG (a gradient), with EXIF bytes when given."""
    import io

    from PIL import Image

    image = Image.linear_gradient("L").resize((width, height)).convert("RGB")
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", **({"exif": exif} if exif else {}))
    return buffer.getvalue()
