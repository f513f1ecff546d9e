"""Illustrations of the reference territories, drawn with Pillow: landscapes, castles, a town.

    python -m tools.illustrations [--out territories/loir-et-cher/images]

The sample territories need photos to show what the site does with them, and no photo of ours
can be published: these are drawn from shapes, deterministically (the same file every run),
and credited as illustrations. Each is a JPEG well under 500 KB.
"""

from __future__ import annotations

import argparse
import math
import random
from collections.abc import Callable
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "territories" / "loir-et-cher" / "images"

Colour = tuple[int, int, int]


def mix(a: Colour, b: Colour, t: float) -> Colour:
    return tuple(round(x + (y - x) * t) for x, y in zip(a, b, strict=True))


def sky(size: tuple[int, int], top: Colour, bottom: Colour) -> Image.Image:
    """A vertical gradient."""
    h = size[1]
    column = Image.new("RGB", (1, h))
    column.putdata([mix(top, bottom, y / (h - 1)) for y in range(h)])
    return column.resize(size)


def ridge(rng: random.Random, w: int, base: float, amplitude: float, waves: int) -> list:
    """A line of hills: a sum of sines with random phases."""
    phases = [rng.uniform(0, 2 * math.pi) for _ in range(waves)]
    points = []
    for x in range(0, w + 16, 16):
        y = base
        for k, phase in enumerate(phases, 1):
            y -= amplitude / k * math.sin(x / w * math.pi * (k + 0.5) + phase)
        points.append((x, y))
    return points


def hills(img: Image.Image, rng: random.Random, layers: list[tuple[float, float, Colour]]) -> None:
    """Layers of hills, far (hazy) to near."""
    w, h = img.size
    for base, amplitude, colour in layers:
        layer = Image.new("RGBA", img.size)
        line = ridge(rng, w, base * h, amplitude * h, 4)
        ImageDraw.Draw(layer).polygon([(0, h), *line, (w, h)], fill=(*colour, 255))
        img.alpha_composite(layer) if img.mode == "RGBA" else img.paste(layer, (0, 0), layer)


def trees(draw: ImageDraw.ImageDraw, rng: random.Random, w: int, y0: float, y1: float, n: int):
    """Rounded trees scattered between two heights, smaller far away."""
    for _ in range(n):
        y = rng.uniform(y0, y1)
        r = (y - y0 + 20) / (y1 - y0 + 20) * rng.uniform(18, 42) * w / 1600
        x = rng.uniform(0, w)
        green = mix((34, 82, 48), (70, 120, 60), rng.random())
        draw.rectangle((x - r / 8, y, x + r / 8, y + r * 1.2), fill=(70, 52, 40))
        draw.ellipse((x - r, y - r * 1.6, x + r, y + r * 0.4), fill=green)


def tower(draw, x: float, ground: float, width: float, height: float, wall: Colour, roof: Colour):
    """A round tower with its pointed roof, windows lit."""
    draw.rectangle((x - width / 2, ground - height, x + width / 2, ground), fill=wall)
    draw.polygon(
        [
            (x - width * 0.62, ground - height),
            (x, ground - height - width * 1.5),
            (x + width * 0.62, ground - height),
        ],
        fill=roof,
    )
    for level in range(1, int(height // (width * 0.9)) + 1):
        wy = ground - level * width * 0.9
        draw.rectangle((x - width / 10, wy - width / 4, x + width / 10, wy), fill=(250, 214, 140))


def castle(draw, cx: float, ground: float, scale: float, wall: Colour, roof: Colour, towers: int):
    """A Renaissance castle: a main block, towers at the ends, chimneys and lanterns."""
    body_w, body_h = 520 * scale, 150 * scale
    draw.rectangle((cx - body_w / 2, ground - body_h, cx + body_w / 2, ground), fill=wall)
    draw.polygon(
        [
            (cx - body_w / 2, ground - body_h),
            (cx - body_w / 2 + 40 * scale, ground - body_h - 70 * scale),
            (cx + body_w / 2 - 40 * scale, ground - body_h - 70 * scale),
            (cx + body_w / 2, ground - body_h),
        ],
        fill=roof,
    )
    for i in range(towers):
        x = cx - body_w / 2 + body_w * i / max(towers - 1, 1)
        tower(draw, x, ground, 70 * scale, (190 + 40 * (i % 2)) * scale, wall, roof)
    for i in range(7):  # chimneys and lanterns on the roof
        x = cx - body_w * 0.35 + body_w * 0.7 * i / 6
        h = (40 + 30 * (i % 3)) * scale
        draw.rectangle(
            (
                x - 8 * scale,
                ground - body_h - 70 * scale - h,
                x + 8 * scale,
                ground - body_h - 60 * scale,
            ),
            fill=wall,
        )
    for i in range(9):  # two rows of windows
        x = cx - body_w * 0.4 + body_w * 0.8 * i / 8
        for y in (ground - body_h * 0.75, ground - body_h * 0.35):
            draw.rectangle(
                (x - 9 * scale, y - 16 * scale, x + 9 * scale, y + 16 * scale), fill=(60, 70, 90)
            )


def river(img: Image.Image, y: float, height: float, colour: Colour) -> None:
    """A band of water with a lighter shimmer."""
    w, _ = img.size
    draw = ImageDraw.Draw(img)
    draw.rectangle((0, y, w, y + height), fill=colour)
    rng = random.Random(7)
    for _ in range(int(w / 6)):
        x, yy = rng.uniform(0, w), rng.uniform(y + 4, y + height - 4)
        draw.line(
            (x, yy, x + rng.uniform(20, 90), yy), fill=mix(colour, (255, 255, 255), 0.35), width=2
        )


def sun(img: Image.Image, x: float, y: float, r: float, colour: Colour) -> None:
    glow = Image.new("RGBA", img.size)
    ImageDraw.Draw(glow).ellipse(
        (x - r * 2.2, y - r * 2.2, x + r * 2.2, y + r * 2.2), fill=(*colour, 70)
    )
    glow = glow.filter(ImageFilter.GaussianBlur(r))
    ImageDraw.Draw(glow).ellipse((x - r, y - r, x + r, y + r), fill=(*colour, 255))
    img.paste(glow, (0, 0), glow)


def valley_castle(size, seed, *, towers=4, wall=(236, 226, 204), roof=(74, 84, 104)) -> Image.Image:
    """A castle on the Loire at sunset: the hero."""
    w, h = size
    rng = random.Random(seed)
    img = sky(size, (92, 120, 170), (246, 196, 150))
    sun(img, w * 0.78, h * 0.36, h * 0.06, (255, 236, 190))
    hills(img, rng, [(0.58, 0.05, (150, 150, 170)), (0.64, 0.04, (96, 120, 104))])
    draw = ImageDraw.Draw(img)
    castle(draw, w * 0.42, h * 0.68, w / 2560 * 1.6, wall, roof, towers)
    trees(draw, rng, w, h * 0.6, h * 0.7, 60)
    river(img, h * 0.7, h * 0.16, (92, 128, 164))
    ImageDraw.Draw(img).rectangle((0, h * 0.86, w, h), fill=(72, 108, 64))
    trees(ImageDraw.Draw(img), rng, w, h * 0.9, h * 0.98, 25)
    return img


def forest_pond(size, seed) -> Image.Image:
    """Sologne: a pond among forests, morning light."""
    w, h = size
    rng = random.Random(seed)
    img = sky(size, (160, 190, 214), (232, 236, 226))
    hills(img, rng, [(0.5, 0.03, (120, 150, 130)), (0.55, 0.03, (70, 110, 80))])
    draw = ImageDraw.Draw(img)
    trees(draw, rng, w, h * 0.45, h * 0.6, 140)
    draw.ellipse((w * 0.1, h * 0.6, w * 0.9, h * 0.9), fill=(110, 150, 170))
    river(img, h * 0.7, h * 0.08, (100, 142, 166))
    ImageDraw.Draw(img).rectangle((0, h * 0.9, w, h), fill=(86, 120, 70))
    trees(ImageDraw.Draw(img), rng, w, h * 0.88, h * 0.97, 30)
    return img


def town(size, seed) -> Image.Image:
    """Blois: houses climbing above the river, a bridge, the cathedral."""
    w, h = size
    rng = random.Random(seed)
    img = sky(size, (120, 160, 210), (220, 230, 240))
    draw = ImageDraw.Draw(img)
    for row in range(6):  # roofs, back to front
        y = h * (0.35 + row * 0.06)
        x = -20.0
        while x < w:
            bw = rng.uniform(60, 140) * w / 1600
            bh = rng.uniform(60, 120) * h / 1000
            wall = mix((232, 220, 196), (250, 244, 230), rng.random())
            draw.rectangle((x, y - bh, x + bw, y + 200), fill=wall)
            draw.polygon(
                [(x - 6, y - bh), (x + bw / 2, y - bh - bw * 0.45), (x + bw + 6, y - bh)],
                fill=mix((60, 66, 86), (90, 96, 120), rng.random()),
            )
            for wx in range(int(x + 12), int(x + bw - 12), 28):
                draw.rectangle((wx, y - bh + 20, wx + 10, y - bh + 38), fill=(70, 80, 100))
            x += bw + 4
    tower(draw, w * 0.62, h * 0.5, 60 * w / 1600, 260 * h / 1000, (226, 214, 190), (60, 66, 86))
    river(img, h * 0.72, h * 0.28, (96, 132, 168))
    draw = ImageDraw.Draw(img)
    for i in range(9):  # the bridge's arches
        x = w * i / 8
        draw.rectangle((x - w / 32, h * 0.7, x + w / 32, h * 0.86), fill=(214, 200, 176))
    draw.rectangle((0, h * 0.68, w, h * 0.72), fill=(214, 200, 176))
    return img


def clinic(size, seed) -> Image.Image:
    """A health centre: a modern low building, trees, a blue sky."""
    w, h = size
    rng = random.Random(seed)
    img = sky(size, (110, 160, 220), (210, 228, 244))
    hills(img, rng, [(0.6, 0.03, (120, 160, 120))])
    draw = ImageDraw.Draw(img)
    trees(draw, rng, w, h * 0.5, h * 0.62, 40)
    draw.rectangle((w * 0.15, h * 0.42, w * 0.85, h * 0.82), fill=(244, 242, 236))
    draw.rectangle((w * 0.15, h * 0.4, w * 0.85, h * 0.44), fill=(122, 31, 61))
    for i in range(8):
        x = w * (0.19 + i * 0.085)
        draw.rectangle((x, h * 0.5, x + w * 0.06, h * 0.64), fill=(120, 160, 190))
    draw.rectangle((w * 0.46, h * 0.66, w * 0.54, h * 0.82), fill=(80, 110, 140))
    draw.rectangle((w * 0.47, h * 0.28, w * 0.53, h * 0.38), fill=(46, 107, 48))
    draw.rectangle((w * 0.49, h * 0.26, w * 0.51, h * 0.4), fill=(255, 255, 255))
    draw.rectangle((w * 0.455, h * 0.32, w * 0.545, h * 0.34), fill=(255, 255, 255))
    ImageDraw.Draw(img).rectangle((0, h * 0.82, w, h), fill=(150, 150, 150))
    return img


def bike_path(size, seed) -> Image.Image:
    """La Loire à Vélo: a path along the river, poplars."""
    w, h = size
    rng = random.Random(seed)
    img = sky(size, (130, 176, 226), (236, 240, 232))
    hills(img, rng, [(0.5, 0.03, (140, 160, 150))])
    river(img, h * 0.5, h * 0.16, (100, 140, 174))
    draw = ImageDraw.Draw(img)
    draw.rectangle((0, h * 0.66, w, h), fill=(102, 146, 76))
    draw.polygon(
        [(w * 0.3, h), (w * 0.52, h * 0.66), (w * 0.58, h * 0.66), (w * 0.9, h)],
        fill=(222, 200, 160),
    )
    for i in range(10):
        x = w * (0.05 + i * 0.1)
        draw.ellipse((x - 16, h * 0.3, x + 16, h * 0.62), fill=(60, 104, 60))
    return img


# file name → (drawing, size, seed): the hero is 2,560 px wide, the others 1,600.
DRAWINGS: dict[str, tuple[Callable, tuple[int, int], int]] = {
    "val-de-loire.jpg": (valley_castle, (2560, 1440), 41),
    "chambord.jpg": (lambda s, n: valley_castle(s, n, towers=6), (1600, 1000), 1),
    "blois.jpg": (town, (1600, 1000), 2),
    "cheverny.jpg": (
        lambda s, n: valley_castle(s, n, towers=2, wall=(246, 240, 228)),
        (1600, 1000),
        3,
    ),
    "sologne.jpg": (forest_pond, (1600, 1000), 4),
    "loire-a-velo.jpg": (bike_path, (1600, 1000), 5),
    "maison-de-sante.jpg": (clinic, (1600, 1000), 6),
}


def draw_all(out: Path) -> list[Path]:
    """Draw every illustration into `out`; returns the files written."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, (drawing, size, seed) in DRAWINGS.items():
        image = drawing(size, seed).convert("RGB").filter(ImageFilter.SMOOTH)
        path = out / name
        image.save(path, "JPEG", quality=82, optimize=True, progressive=True)
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.illustrations", description=__doc__)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    for path in draw_all(args.out):
        print(f"{path}  {path.stat().st_size // 1024} Ko")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
