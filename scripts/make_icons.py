"""Draw the field app's home-screen icons (192 and 512 px PNG) and the favicons with Pillow.

A map pin in the brand colour with a white tick, on white, inside the central safe zone so the
512 px icon also works as a maskable icon. Run: ``.venv/bin/python scripts/make_icons.py``.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

BRAND = (11, 79, 108)
WHITE = (255, 255, 255)
OUT = Path(__file__).resolve().parent.parent / "fieldaudit" / "static" / "icons"
SUPERSAMPLE = 4


def draw_icon(size: int) -> Image.Image:
    """Draw the icon at ``size`` pixels (drawn 4x larger, then reduced for smooth edges)."""
    big = size * SUPERSAMPLE
    image = Image.new("RGB", (big, big), BRAND)
    draw = ImageDraw.Draw(image)
    unit = big / 100
    # A white map pin: a circle with a point below, within the 80 % safe zone.
    cx, cy, r = 50 * unit, 42 * unit, 24 * unit
    draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=WHITE)
    draw.polygon(
        [(cx - r * 0.82, cy + r * 0.56), (cx + r * 0.82, cy + r * 0.56), (cx, 86 * unit)],
        fill=WHITE,
    )
    # A tick in the brand colour inside the pin: "reported".
    tick = [(38 * unit, 43 * unit), (47 * unit, 52 * unit), (63 * unit, 33 * unit)]
    draw.line(tick, fill=BRAND, width=round(7 * unit), joint="curve")
    return image.resize((size, size), Image.Resampling.LANCZOS)


def main() -> None:
    """Write app-192.png and app-512.png, and the browser-tab icons favicon.ico (16, 32 and
    48 px) and favicon-32.png, scaled down from the 192 px icon."""
    OUT.mkdir(parents=True, exist_ok=True)
    paths = []
    for size in (192, 512):
        path = OUT / f"app-{size}.png"
        draw_icon(size).save(path, optimize=True)
        paths.append(path)
    small = Image.open(OUT / "app-192.png").convert("RGBA")
    small.resize((48, 48), Image.LANCZOS).save(
        OUT / "favicon.ico", sizes=[(16, 16), (32, 32), (48, 48)]
    )
    small.resize((32, 32), Image.LANCZOS).save(OUT / "favicon-32.png", optimize=True)
    for path in [*paths, OUT / "favicon.ico", OUT / "favicon-32.png"]:
        print(f"{path.relative_to(OUT.parent.parent.parent)}: {path.stat().st_size} bytes")


if __name__ == "__main__":
    main()
