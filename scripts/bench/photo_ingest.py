"""Benchmark 5 of issue 7: ingest of a 12-megapixel JPEG, FieldAudit vs minimal Pillow.

The photo is made deterministically: 4000 x 3000 pixels of photo-like content (a sky
gradient over ground, multi-scale texture, sensor grain), JPEG quality 90 with 4:2:0 chroma,
and the EXIF a phone writes (orientation 6, make, model, time, GPS position in Herlev).

- **FieldAudit**: ``photos.stage_photos`` then ``publish`` — checks the upload, decodes it,
  turns it upright, converts to sRGB/RGB, makes the 1600 px display and the 320 px thumbnail
  JPEGs without any metadata, names them by content hash and writes them to disk.
- **Minimal Pillow**: the same output made with nothing else: open, the same decoder scaling
  (``draft``), ``exif_transpose``, ``convert("RGB")``, the same resize filter to 1600 px, save
  with the same quality and no metadata, thumbnail to 320 px, save; both files written to disk.
  Same settings on both sides, so the ratio is FieldAudit's own overhead.
"""

from __future__ import annotations

import functools
import io
import shutil
import statistics
import struct
import tempfile
import time
import zlib
from pathlib import Path

import numpy as np
from PIL import ExifTags, Image, ImageDraw, ImageOps

from fieldaudit.photos import (
    DISPLAY_MAX_PX,
    DISPLAY_QUALITY,
    THUMB_MAX_PX,
    THUMB_QUALITY,
    stage_photos,
)
from scripts.bench.figures import Figure

GOAL = "<= 1.2x minimal Pillow and < 200 ms"
WIDTH, HEIGHT = 4000, 3000


def _texture(rng: np.random.Generator, width: int, height: int) -> np.ndarray:
    """Multi-scale smooth noise in [-1, 1] (a 1/f spectrum, like natural images)."""
    total = np.zeros((height, width), dtype=np.float32)
    weight_sum = 0.0
    cells = 3
    while cells <= width // 4:
        grid = rng.standard_normal((max(2, cells * height // width), cells)).astype(np.float32)
        layer = Image.fromarray(grid, mode="F").resize((width, height), Image.Resampling.BICUBIC)
        weight = 1.0 / cells**0.6
        total += np.asarray(layer, dtype=np.float32) * weight
        weight_sum += weight
        cells *= 2
    total /= weight_sum
    return np.clip(total / (3 * total.std() + 1e-6), -1, 1)


@functools.lru_cache(maxsize=4)
def make_photo(width: int = WIDTH, height: int = HEIGHT, seed: int = 12) -> bytes:
    """A deterministic photo-like JPEG (quality 90) with a phone's EXIF: orientation 6 and GPS.

    The smooth content (sky, ground, shading) is drawn at a quarter of the size and scaled up;
    the 2 px ground texture and the sensor grain are added at full size, then hard edges.
    """
    rng = np.random.default_rng(seed)
    w, h = width // 4, height // 4
    rows = np.linspace(0.0, 1.0, h, dtype=np.float32)[:, None]
    horizon = 0.38 + 0.05 * np.sin(np.linspace(0, 6.0, w, dtype=np.float32))[None, :]
    ground = rows > horizon
    shade = _texture(rng, w, h)
    detail = _texture(rng, w, h)
    sky = np.stack([120 + 80 * rows, 160 + 60 * rows, 230 - 20 * rows], axis=-1) * np.ones(
        (1, w, 1), dtype=np.float32
    )
    earth = np.stack([95 + 40 * shade, 100 + 45 * shade, 85 + 30 * shade], axis=-1)
    pixels = np.where(ground[..., None], earth, sky + 12 * shade[..., None])
    pixels += 35 * detail[..., None] * np.array([1.0, 0.95, 0.85], dtype=np.float32)
    small = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), "RGB")
    full = np.asarray(small.resize((width, height), Image.Resampling.BICUBIC), dtype=np.int16)
    mask = np.asarray(
        Image.fromarray(ground.astype(np.uint8) * 255).resize((width, height)), dtype=np.int16
    )
    # Gravel and grass: a 2 px texture on the ground; sensor grain everywhere.
    coarse = rng.standard_normal((height // 2, width // 2), dtype=np.float32) * 16
    gravel = Image.fromarray(coarse, mode="F").resize((width, height))
    texture = np.asarray(gravel, dtype=np.float32).astype(np.int16) * mask // 255
    grain = (rng.standard_normal((height, width), dtype=np.float32) * 3).astype(np.int16)
    full = full + (texture + grain)[..., None]
    image = Image.fromarray(np.clip(full, 0, 255).astype(np.uint8), "RGB")
    # Hard edges, as in a street scene: a building with windows, a kerb, steps.
    draw = ImageDraw.Draw(image)
    draw.rectangle((2300, 500, 3700, 1500), fill=(170, 150, 130))
    for column in range(2400, 3600, 220):
        for row in range(600, 1400, 260):
            draw.rectangle((column, row, column + 140, row + 170), fill=(60, 70, 85))
    draw.polygon([(0, 2300), (4000, 2000), (4000, 2080), (0, 2400)], fill=(190, 190, 185))
    for step in range(5):
        top = 1500 + step * 60
        draw.rectangle((2700 - step * 40, top, 3300 + step * 40, top + 45), fill=(140, 135, 125))
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    exif[ExifTags.Base.Make] = "BenchPhone"
    exif[ExifTags.Base.Model] = "BP 12"
    exif[ExifTags.Base.DateTime] = "2026:11:20 10:00:00"
    exif[ExifTags.IFD.GPSInfo] = {
        ExifTags.GPS.GPSLatitudeRef: "N",
        ExifTags.GPS.GPSLatitude: (55.0, 43.0, 8.0),
        ExifTags.GPS.GPSLongitudeRef: "E",
        ExifTags.GPS.GPSLongitude: (12.0, 26.0, 37.0),
    }
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90, exif=exif)
    return buffer.getvalue()


def flat_png(width: int, height: int, pixel: bytes = b"\x0a\xc8\x1e\x80") -> bytes:
    """A PNG of one flat colour (RGBA by default), written row by row: a few hundred KB for any
    size (9400 x 9400 is the decompression bomb of issue 12), never whole in this memory."""
    colour_type = {1: 0, 3: 2, 4: 6}[len(pixel)]

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    row = b"\x00" + pixel * width
    packer = zlib.compressobj(9)
    body = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, colour_type, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b"")
    )


def fieldaudit_ingest(data: bytes, media_dir: Path) -> tuple[int, int]:
    """FieldAudit's pipeline: stage (check, process, write temporary files), then publish."""
    staged = stage_photos([data], media_dir)
    (photo,) = staged.photos
    staged.publish()
    return photo.width, photo.height


def minimal_ingest(data: bytes, folder: Path) -> tuple[int, int]:
    """The same output with Pillow alone (same decoder scaling, filter, quality, no metadata)."""
    image = Image.open(io.BytesIO(data))
    ratio = DISPLAY_MAX_PX / max(image.size)
    image.draft("RGB", (int(image.width * ratio), int(image.height * ratio)))
    image = ImageOps.exif_transpose(image)
    if image.mode != "RGB":  # a camera JPEG is RGB already: no copy
        image = image.convert("RGB")
    image.thumbnail((DISPLAY_MAX_PX, DISPLAY_MAX_PX), Image.Resampling.HAMMING, 2.0)
    image.save(folder / "display.jpg", "JPEG", quality=DISPLAY_QUALITY, optimize=True)
    image.thumbnail((THUMB_MAX_PX, THUMB_MAX_PX), Image.Resampling.LANCZOS, 2.0)
    image.save(folder / "thumb.jpg", "JPEG", quality=THUMB_QUALITY, optimize=True)
    return image.width, image.height


def pillow_defaults_ingest(data: bytes, folder: Path) -> None:
    """Pillow without decoder scaling: full 12 MP decode, default filters (for the note)."""
    image = ImageOps.exif_transpose(Image.open(io.BytesIO(data))).convert("RGB")
    image.thumbnail((DISPLAY_MAX_PX, DISPLAY_MAX_PX))
    image.save(folder / "display.jpg", "JPEG", quality=DISPLAY_QUALITY)
    image.thumbnail((THUMB_MAX_PX, THUMB_MAX_PX))
    image.save(folder / "thumb.jpg", "JPEG", quality=THUMB_QUALITY)


def bench_photo_ingest(runs: int = 20, folder: Path | None = None) -> list[Figure]:
    """5. Ingest of a 12 MP JPEG: FieldAudit vs minimal Pillow, interleaved, after a warm-up."""
    data = make_photo()
    work = Path(folder or tempfile.mkdtemp(prefix="fieldaudit-photo-bench-"))
    media, plain, defaults = work / "media", work / "minimal", work / "defaults"
    for path in (media, plain, defaults):
        path.mkdir(parents=True, exist_ok=True)
    app_times: list[float] = []
    raw_times: list[float] = []
    default_times: list[float] = []
    cpu: dict[str, list[float]] = {"fieldaudit": [], "minimal": []}
    try:
        fieldaudit_ingest(data, media)
        minimal_ingest(data, plain)
        for number in range(runs):
            order = (
                (fieldaudit_ingest, media, app_times, cpu["fieldaudit"]),
                (minimal_ingest, plain, raw_times, cpu["minimal"]),
            )
            for function, target, times, cpu_times in order if number % 2 == 0 else reversed(order):
                started, cpu_started = time.perf_counter(), time.process_time()
                function(data, target)
                times.append(time.perf_counter() - started)
                cpu_times.append(time.process_time() - cpu_started)
        for _ in range(max(3, runs // 4)):
            started = time.perf_counter()
            pillow_defaults_ingest(data, defaults)
            default_times.append(time.perf_counter() - started)
        sizes = sorted(p.stat().st_size for p in (media / "photos").rglob("*.jpg"))
        plain_sizes = sorted(p.stat().st_size for p in plain.glob("*.jpg"))
    finally:
        if folder is None:
            shutil.rmtree(work, ignore_errors=True)
    note = (
        f"{WIDTH} x {HEIGHT} JPEG q90, {len(data) / 1e6:.1f} MB, EXIF orientation 6 + GPS; "
        f"output 1600 x 1200 q{DISPLAY_QUALITY} + 320 px q{THUMB_QUALITY}, "
        f"{sizes[-1] // 1024} + {sizes[0] // 1024} KiB (minimal: {plain_sizes[-1] // 1024} + "
        f"{plain_sizes[0] // 1024} KiB); Pillow without decoder scaling (full decode, default "
        f"filters): {statistics.median(default_times) * 1000:.0f} ms; CPU time (this process, "
        f"what an idle core would take): {statistics.median(cpu['fieldaudit']) * 1000:.0f} ms "
        f"vs minimal {statistics.median(cpu['minimal']) * 1000:.0f} ms"
    )
    return [
        Figure(
            "5 photo ingest (12 MP JPEG)",
            "photos.stage_photos + publish (display, thumbnail, no metadata, on disk)",
            "any",
            0,
            app_times,
            "minimal Pillow pipeline (same scaling, filter, quality)",
            raw_times,
            GOAL,
            note,
        )
    ]
