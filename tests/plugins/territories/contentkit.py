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


def jpeg(width: int = 64, height: int = 48, exif: bytes | None = None) -> bytes:
    """A small real JPEG (a gradient), with EXIF bytes when given."""
    import io

    from PIL import Image

    image = Image.linear_gradient("L").resize((width, height)).convert("RGB")
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", **({"exif": exif} if exif else {}))
    return buffer.getvalue()
