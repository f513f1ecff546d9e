"""Uploads through the editor: images land in territories/<slug>/images/, their type read from
their bytes, their size limited; anything else, or anywhere else, is refused."""

from __future__ import annotations

import io

import pytest
from forms.editor import media
from PIL import Image

from .conftest import EDITOR
from .editorkit import Decap, sign_in

SVG = b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"/>'


def picture(kind: str) -> bytes:
    """A small real image file of that format (Pillow writes AVIF and WebP)."""
    out = io.BytesIO()
    Image.new("RGB", (8, 8), "#1f4e79").save(out, format=kind)
    return out.getvalue()


@pytest.fixture
def decap(editor, mailer):
    return Decap(editor, sign_in(editor, mailer, "loiret", EDITOR))


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("photo.jpg", "JPEG"),
        ("photo.JPEG", "JPEG"),
        ("plan.png", "PNG"),
        ("vue.webp", "WEBP"),
        ("vue.avif", "AVIF"),
    ],
)
def test_a_photo_is_saved_in_the_territorys_images_folder(decap, content_repo, name, kind):
    path = f"territories/loiret/images/{name}"

    decap.save({path: picture(kind)}, branch="cms/loiret/territory")

    from .conftest import git

    assert git(content_repo, "diff", "--name-only", "main", "cms/loiret/territory").split() == [
        path
    ]


def test_an_svg_logo_is_accepted(decap):
    status, _, _ = decap.tree(decap.main_sha(), {"territories/loiret/images/logo.svg": SVG})

    assert status == 201


@pytest.mark.parametrize(
    ("name", "data", "expected"),
    [
        ("photo.jpg", None, "nommé comme une image JPEG mais c'est une image PNG"),
        ("plan.png", b"<html><script>alert(1)</script></html>", "mais c'est pas une image"),
        ("logo.svg", None, "nommé comme une image SVG mais c'est une image JPEG"),
    ],
    ids=["png-named-jpg", "html-named-png", "jpeg-named-svg"],
)
def test_a_file_that_is_not_what_its_name_says_is_refused(decap, github, name, data, expected):
    if data is None:
        data = picture("PNG") if name.endswith(".jpg") else picture("JPEG")

    status, answer, _ = decap.tree(decap.main_sha(), {f"territories/loiret/images/{name}": data})

    assert status == 422
    assert expected in answer["message"]
    assert not any(
        r.method == "POST" and r.path.endswith("/git/trees") for r in github.fake.requests
    )


@pytest.mark.parametrize(
    "name", ["anim.gif", "page.html", "script.js", "photo.heic", "sans-extension"]
)
def test_other_kinds_of_files_are_refused_in_images(decap, name):
    status, answer, _ = decap.tree(
        decap.main_sha(), {f"territories/loiret/images/{name}": picture("PNG")}
    )

    assert status == 422
    assert "images/" in answer["message"]


def test_an_image_outside_images_is_refused(decap):
    status, answer, _ = decap.tree(
        decap.main_sha(), {"territories/loiret/photo.jpg": picture("JPEG")}
    )

    assert status == 422
    assert "ne peut pas être modifié depuis l'éditeur" in answer["message"]


def test_a_file_over_the_limit_is_refused_before_it_reaches_github(decap, github):
    big = b"\xff\xd8\xff" + b"0" * media.MAX_UPLOAD_BYTES

    status, answer, _ = decap.call(
        "POST", "/git/blobs", {"content": _b64(big), "encoding": "base64"}
    )

    assert status == 422
    assert "Fichier trop lourd (4,0 Mo) : 4 Mo au maximum" in answer["message"]
    assert not any(
        r.path.endswith("/git/blobs") and r.method == "POST" for r in github.fake.requests
    )


def _b64(data: bytes) -> str:
    import base64

    return base64.b64encode(data).decode()


@pytest.mark.parametrize("kind", ["JPEG", "PNG", "WEBP", "AVIF"])
def test_the_type_is_read_from_the_bytes(kind):
    assert media.sniff(picture(kind)) == {"WEBP": "WebP"}.get(kind, kind)


def test_svg_is_recognised_with_or_without_its_prologue():
    assert media.sniff(SVG) == "SVG"
    assert media.sniff(b"\n<svg xmlns='http://www.w3.org/2000/svg'></svg>") == "SVG"
    assert media.sniff(b"<!-- logo -->\n<svg>") == "SVG"
    assert media.sniff(b"<html><svg></svg></html>") is None
