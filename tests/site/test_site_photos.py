"""Photos: resized copies without metadata, never the original; only used images published;
bad sources refused with a located message; copies cached by content; the map."""

from __future__ import annotations

import io
import shutil

import pytest
from PIL import Image
from sitekit import build, parse
from territories.generator import BuildStopped

from territories import images

GPS_IFD = 0x8825
ORIENTATION = 0x0112


def photo_bytes(width=2000, height=1500, *, gps=True, orientation=6, kind="JPEG") -> bytes:
    """A photo-like picture (a gradient with grain) with GPS and a rotation in its EXIF."""
    grain = Image.effect_noise((width, height), 12).convert("RGB")
    gradient = Image.linear_gradient("L").resize((width, height)).convert("RGB")
    image = Image.blend(gradient, grain, 0.3)
    exif = Image.Exif()
    exif[ORIENTATION] = orientation
    exif[0x010F] = "Appareil de test"  # Make
    if gps:
        exif[GPS_IFD] = {1: "N", 2: (47.0, 35.0, 12.0), 3: "E", 4: (1.0, 19.0, 50.0)}
    buffer = io.BytesIO()
    image.save(buffer, kind, exif=exif.tobytes(), quality=90)
    return buffer.getvalue()


TERRITORY = """\
name: Photoville
kind: commune
tagline: Une ville en photos
hero:
  image: images/maison.jpg
  alt: La maison du welcomer
  credit: "Photo : Léa Martin"
brand:
  primary: "#1f4e79"
  logo: images/logo.svg
contact:
  email: contact@example.org
notify: [accueil@example.org]
castles:
  - name: Le château
    coordinates: [47.6, 1.3]
    photo:
      image: images/chateau.png
      alt: Le château
      credit: Illustration
housing:
  - title: Un logement
    coordinates: [47.5, 1.4]
welcomers:
  - id: lea
    first_name: Léa
    commune: Photoville
    bio: Bonjour.
    photo: images/lea.webp
"""
PAGE = """---
title: Vivre ici
---
La ville vue du pont :

![Le pont au matin](images/pont.jpg "Photo : Ville de Photoville")
"""


def png_with_alpha() -> bytes:
    image = Image.new("RGBA", (900, 600), (200, 30, 60, 128))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def write_territory(root, territory=TERRITORY, extra=None):
    folder = root / "territories" / "photoville"
    (folder / "images").mkdir(parents=True, exist_ok=True)
    (folder / "pages").mkdir(exist_ok=True)
    (folder / "territory.yaml").write_text(territory, "utf-8")
    (folder / "pages" / "vivre-ici.md").write_text(PAGE, "utf-8")
    files = {
        "images/maison.jpg": photo_bytes(),
        "images/pont.jpg": photo_bytes(1200, 800, gps=False, orientation=1),
        "images/chateau.png": png_with_alpha(),
        "images/lea.webp": photo_bytes(400, 400, orientation=1, kind="WEBP"),
        "images/logo.svg": b'<svg xmlns="http://www.w3.org/2000/svg" width="40" height="40"/>',
        "images/inutilisee.jpg": photo_bytes(300, 200, gps=False),
        "images/piege.html": b"<script>alert(1)</script>",
        **(extra or {}),
    }
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return folder


@pytest.fixture(scope="module")
def photo_site(tmp_path_factory):
    root = tmp_path_factory.mktemp("photos")
    folder = write_territory(root)
    output = root / "output"
    build(output, root / "territories", TERRITORIES_IMAGE_CACHE_PATH=str(root / "image-cache"))
    return root, folder, output


def published(output):
    return sorted(p for p in (output / "photoville" / "images").rglob("*") if p.is_file())


def test_copies_are_resized_small_and_stripped_of_their_metadata(photo_site):
    _, _, output = photo_site
    files = published(output)
    rasters = [p for p in files if p.suffix != ".svg"]
    assert rasters
    for path in rasters:
        assert path.stat().st_size < 500 * 1024, path
        with Image.open(path) as image:
            assert image.width <= 2560
            assert not image.getexif(), path  # no EXIF at all, so no GPS
            assert not image.getexif().get_ifd(GPS_IFD)
            assert "exif" not in image.info and "xmp" not in image.info
            assert "XML:com.adobe.xmp" not in image.info


def test_the_orientation_is_applied_before_the_metadata_goes(photo_site):
    _, _, output = photo_site
    hero = [p for p in published(output) if p.name.startswith("maison-800.")]
    assert hero
    with Image.open(hero[0]) as image:  # 2000 × 1500 turned a quarter: portrait
        assert image.height > image.width


def test_several_widths_never_upscaled_webp_with_a_fallback(photo_site):
    _, _, output = photo_site
    names = [p.name for p in published(output)]
    hero = sorted(int(n.split("-")[1].split(".")[0]) for n in names if n.startswith("maison-"))
    assert max(hero) == 1500  # the upright photo is 1,500 px wide: no larger copy
    assert {"maison-1200", "maison-480"} <= {n.split(".")[0] for n in names}
    assert any(n.startswith("maison-") and n.endswith(".webp") for n in names)
    assert any(n.startswith("maison-") and n.endswith(".jpg") for n in names)
    assert any(n.startswith("chateau-") and n.endswith(".png") for n in names)  # transparency


def test_only_used_images_are_published_never_an_original(photo_site):
    _, folder, output = photo_site
    names = {p.name for p in published(output)}
    originals = {p.name for p in (folder / "images").iterdir()}
    assert names & originals == {"logo.svg"}  # the SVG logo, checked, is the only file as is
    assert not any(n.startswith("inutilisee") for n in names)
    assert not any(n.endswith(".html") for n in names)
    served = {p.read_bytes() for p in published(output)}
    for original in (folder / "images").glob("*.jpg"):
        assert original.read_bytes() not in served


def test_pages_show_pictures_with_sizes_srcset_and_dimensions(photo_site):
    _, _, output = photo_site
    landing = parse((output / "photoville" / "index.html").read_text("utf-8"))
    imgs = [i for i in landing.find_all("img") if "srcset" not in i.attrs]
    for img in landing.find_all("img"):
        sized = img.attrs.get("width") and img.attrs.get("height")
        assert sized or img.attrs["src"].endswith(".svg"), img.attrs
    hero = landing.find("figure", class_="hero-figure")
    hero_img = hero.find("img")
    assert hero_img.attrs["fetchpriority"] == "high" and "loading" not in hero_img.attrs
    assert hero_img.attrs["alt"] == "La maison du welcomer"
    assert hero.find("figcaption").text() == "Photo : Léa Martin"
    assert (
        "Photo\u00a0: Léa Martin</figcaption>" in (output / "photoville" / "index.html").read_text()
    )
    source = hero.find("source")
    assert source.attrs["type"] == "image/webp" and " 1200w" in source.attrs["srcset"]
    assert source.attrs["sizes"]
    others = [i for i in landing.find_all("img") if i is not hero_img and i in imgs]
    assert all(i.attrs.get("loading") == "lazy" for i in others if "avatar" not in str(i))
    assert all("/images/" in i.attrs["src"] for i in landing.find_all("img"))


def test_a_markdown_image_becomes_a_picture_with_its_credit(photo_site):
    _, _, output = photo_site
    page = parse((output / "photoville" / "vivre-ici" / "index.html").read_text("utf-8"))
    figure = page.find("figure", class_="photo")
    assert figure.find("img").attrs["alt"] == "Le pont au matin"
    assert figure.find("img").attrs["src"].startswith("/photoville/images/pont-800.")
    assert figure.find("source").attrs["type"] == "image/webp"
    assert figure.find("figcaption").text() == "Photo : Ville de Photoville"


def test_the_map_draws_every_located_place_and_lists_it_with_the_same_link(photo_site):
    _, _, output = photo_site
    landing = parse((output / "photoville" / "index.html").read_text("utf-8"))
    section = landing.find("section", class_="wrap section map-section")
    assert section.find("h2").text() == "Carte de Photoville"
    svg = section.find("svg")
    assert svg.attrs["aria-hidden"] == "true"  # the list beside it is what assistive tech reads
    points = [a.attrs["href"] for a in svg.find_all("a")]
    listed = [a.attrs["href"] for a in section.find("ol").find_all("a")]
    assert points == listed == ["#chateau-1", "#logement-1"]
    assert all(a.attrs["tabindex"] == "-1" for a in svg.find_all("a"))
    assert landing.by_id("chateau-1") is not None and landing.by_id("logement-1") is not None


def test_an_unchanged_photo_is_never_encoded_again(photo_site, monkeypatch, tmp_path):
    root, _, _ = photo_site
    calls = []
    real = images.encode
    monkeypatch.setattr(images, "encode", lambda *a: calls.append(a) or real(*a))
    build(
        tmp_path / "elsewhere",
        root / "territories",
        TERRITORIES_IMAGE_CACHE_PATH=str(root / "image-cache"),
    )
    assert calls == []
    assert (tmp_path / "elsewhere" / "photoville" / "images").is_dir()


@pytest.mark.parametrize(
    ("extra", "yaml", "message"),
    [
        (
            {"images/maison.jpg": b"pas une image"},
            None,
            "territory.yaml:5: hero.image: images/maison.jpg : ce fichier n'est pas une image",
        ),
        (
            {"images/anim.gif": b"GIF89a\x01\x00\x01\x00\x00\x00\x00;"},
            TERRITORY.replace("images/maison.jpg", "images/anim.gif"),
            "territory.yaml:5: hero.image: « images/anim.gif » n'est pas une image",
        ),
        (
            {
                "images/logo.svg": b'<svg xmlns="http://www.w3.org/2000/svg">\n'
                b"<script>alert(1)</script></svg>"
            },
            None,
            "territory.yaml:10: brand.logo: images/logo.svg, ligne 2 : l'élément <script> est "
            "interdit",
        ),
        (
            {
                "images/logo.svg": b'<svg xmlns="http://www.w3.org/2000/svg" onload="x()">'
                b'<image href="https://tiers.example/p.png"/></svg>'
            },
            None,
            "brand.logo: images/logo.svg, ligne 1 : l'attribut onload",
        ),
    ],
    ids=["not-an-image", "gif", "svg-script", "svg-handler"],
)
def test_a_source_the_site_cannot_serve_is_refused_with_a_located_message(
    tmp_path, extra, yaml, message
):
    write_territory(tmp_path, yaml or TERRITORY, extra)
    with pytest.raises(BuildStopped) as stopped:
        build(tmp_path / "output", tmp_path / "territories")
    assert message in str(stopped.value)


def test_a_source_too_large_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(images, "MAX_SOURCE_BYTES", 1000)
    folder = write_territory(tmp_path)
    problem = images.check_photo(folder / "images" / "maison.jpg")
    assert problem.startswith("le fichier pèse") and "au plus" in problem


def test_a_markdown_image_from_elsewhere_is_refused_then_one_without_alt(tmp_path):
    folder = write_territory(tmp_path)
    (folder / "pages" / "vivre-ici.md").write_text(
        "---\ntitle: Vivre\n---\nTexte.\n\n![](images/pont.jpg)\n\n![x](https://tiers.example/a.jpg)\n",
        "utf-8",
    )
    with pytest.raises(BuildStopped) as stopped:
        build(tmp_path / "output", tmp_path / "territories")
    text = str(stopped.value)
    assert "vivre-ici.md:8: l'image « https://tiers.example/a.jpg » n'est pas autorisée" in text
    (folder / "pages" / "vivre-ici.md").write_text(
        "---\ntitle: Vivre\n---\nTexte.\n\n![](images/pont.jpg)\n", "utf-8"
    )
    with pytest.raises(BuildStopped) as stopped:
        build(tmp_path / "output", tmp_path / "territories")
    assert "vivre-ici.md:6: texte alternatif manquant" in str(stopped.value)


def test_a_removed_photo_leaves_no_copy_behind(tmp_path):
    folder = write_territory(tmp_path)
    cache = str(tmp_path / "cache")
    build(tmp_path / "output", tmp_path / "territories", TERRITORIES_IMAGE_CACHE_PATH=cache)
    assert any(p.name.startswith("pont-") for p in published(tmp_path / "output"))
    (folder / "pages" / "vivre-ici.md").write_text("---\ntitle: Vivre ici\n---\nTexte.\n", "utf-8")
    build(tmp_path / "output", tmp_path / "territories", TERRITORIES_IMAGE_CACHE_PATH=cache)
    assert not any(p.name.startswith("pont-") for p in published(tmp_path / "output"))
    shutil.rmtree(tmp_path / "output")
