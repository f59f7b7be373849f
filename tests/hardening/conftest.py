"""Helpers for the hardening tests: a snapshot of every table and every stored file."""

from __future__ import annotations

import io
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from PIL import Image
from sqlalchemy import func, select

from fieldaudit.extensions import db as _db


@dataclass(frozen=True)
class Snapshot:
    """Row counts of every table and the files under MEDIA_DIR at one moment."""

    rows: dict[str, int]
    files: tuple[str, ...]

    def changes(self, later: Snapshot) -> list[str]:
        """What differs in ``later``: tables whose count changed, files added or removed."""
        found = [
            f"{name}: {self.rows[name]} -> {later.rows.get(name)}"
            for name in self.rows
            if self.rows[name] != later.rows.get(name)
        ]
        added = sorted(set(later.files) - set(self.files))
        removed = sorted(set(self.files) - set(later.files))
        found += [f"new file {name}" for name in added]
        found += [f"removed file {name}" for name in removed]
        return found


def media_files(media_dir: str | Path) -> tuple[str, ...]:
    """Every file under the media folder, relative names, sorted."""
    root = Path(media_dir)
    return tuple(sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()))


def take_snapshot(app: Flask) -> Snapshot:
    """Count the rows of every table (on a fresh connection) and list the stored files."""
    with app.app_context(), _db.engine.connect() as conn:
        rows = {
            table.name: conn.execute(select(func.count()).select_from(table)).scalar_one()
            for table in _db.metadata.sorted_tables
        }
    return Snapshot(rows, media_files(app.config["MEDIA_DIR"]))


@pytest.fixture
def snapshot(app: Flask):
    """``snapshot()`` returns the state of the database and the media folder now."""
    return lambda: take_snapshot(app)


def image_bytes(
    mode: str = "RGB",
    size: tuple[int, int] = (320, 240),
    colour: Any = (200, 30, 30),
    fmt: str = "JPEG",
    **save: Any,
) -> bytes:
    """An image made in memory."""
    buffer = io.BytesIO()
    Image.new(mode, size, colour).save(buffer, fmt, **save)
    return buffer.getvalue()


def png_with_header_size(width: int, height: int) -> bytes:
    """A tiny real PNG whose header claims ``width`` x ``height`` (a decompression bomb)."""
    data = bytearray(image_bytes("RGB", (1, 1), (0, 0, 0), "PNG"))
    # Signature (8) + length (4) + b"IHDR" (4), then 13 bytes of header data and its CRC.
    header = bytearray(data[16:29])
    header[0:4] = width.to_bytes(4, "big")
    header[4:8] = height.to_bytes(4, "big")
    data[16:29] = header
    data[29:33] = zlib.crc32(b"IHDR" + bytes(header)).to_bytes(4, "big")
    return bytes(data)


def jpeg_segments(data: bytes) -> list[tuple[int, bytes]]:
    """The marker segments of a JPEG before its image data: (marker, payload)."""
    assert data[:2] == b"\xff\xd8", "not a JPEG"
    found = []
    at = 2
    while at < len(data):
        assert data[at] == 0xFF, f"bad marker at {at}"
        marker = data[at + 1]
        if marker == 0xDA:  # start of scan: the rest is image data
            break
        length = int.from_bytes(data[at + 2 : at + 4], "big")
        found.append((marker, data[at + 4 : at + 2 + length]))
        at += 2 + length
    return found


def metadata_in_jpeg(data: bytes) -> list[str]:
    """Anything in a JPEG beyond pixels: APPn segments other than JFIF, comments, EXIF, XMP, ICC."""
    problems = []
    for marker, payload in jpeg_segments(data):
        if marker == 0xE0 and payload.startswith(b"JFIF\x00"):
            continue
        if 0xE0 <= marker <= 0xEF:
            problems.append(f"APP{marker - 0xE0} segment {payload[:12]!r}")
        elif marker == 0xFE:
            problems.append(f"comment {payload[:20]!r}")
    for needle in (b"Exif\x00\x00", b"http://ns.adobe.com/xap", b"ICC_PROFILE"):
        if needle in data:
            problems.append(f"contains {needle!r}")
    return problems
