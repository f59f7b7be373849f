"""Blacking out parts of a stored photo (faces, number plates), keeping the original privately.

Works on the files the photo pipeline (``photos.py``) stores under the media folder: the display
JPEG and its thumbnail, named by content hash (``photos/ab/abcd....jpg``). A redaction paints
black rectangles on the display image, stores the result and a new thumbnail under their own
content-hash names, and keeps the image as it was before the first redaction in a private
originals folder that is outside the media folder and never served.

Order of work, so that a failed transaction never loses a picture nor leaves the unredacted
one public: new files are written first; the caller updates the row and commits; only then
does it call ``discard_obsolete`` to remove the files no row needs any more. Files shared with
another photo row (the same upload in two reports) are never removed. Nothing here knows
about Flask.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path

from PIL import Image, ImageDraw

from fieldaudit.errors import Problem, ValidationError
from fieldaudit.photos import (
    DISPLAY_QUALITY,
    SERVED_FILE_MODE,
    THUMB_MAX_PX,
    THUMB_QUALITY,
    content_name,
    media_path,
)
from fieldaudit.problems import problem
from fieldaudit.taxonomy import Label

MIN_BOX_FRACTION = 0.005
MAX_BOXES = 10


@dataclass(frozen=True)
class Box:
    """A rectangle on a photo, as fractions (0-1) of its width and height from the top left."""

    left: float
    top: float
    right: float
    bottom: float

    def pixels(self, width: int, height: int) -> tuple[int, int, int, int]:
        """The rectangle in pixels of an image of ``width`` x ``height``, edges included."""
        return (
            max(0, int(self.left * width)),
            max(0, int(self.top * height)),
            min(width - 1, max(0, round(self.right * width) - 1)),
            min(height - 1, max(0, round(self.bottom * height) - 1)),
        )

    def as_dict(self) -> dict[str, float]:
        """The box as JSON-ready fractions."""
        return {"left": self.left, "top": self.top, "right": self.right, "bottom": self.bottom}


def box_from_percent(left: float, top: float, width: float, height: float) -> Box:
    """A box from percentages of the photo (left, top, width, height); ValidationError if bad."""
    problems: list[Problem] = []
    for name, value in (("left", left), ("top", top)):
        if not 0 <= value < 100:
            problems.append(problem(name, "box_outside"))
    for name, value in (("width", width), ("height", height)):
        if not 100 * MIN_BOX_FRACTION <= value <= 100:
            problems.append(problem(name, "box_size"))
    if problems:
        raise ValidationError(problems)
    return Box(
        left / 100,
        top / 100,
        min(1.0, (left + width) / 100),
        min(1.0, (top + height) / 100),
    )


FULLY_COVERED = 0.999
REDACTION_LABELS = {
    "partly": Label("Delvist sløret", "Partly blacked out"),
    "fully": Label("Helt sløret", "Fully blacked out"),
}


def covered_fraction(boxes: list[Box]) -> float:
    """How much of the photo the boxes black out together (0-1, overlaps counted once)."""
    xs = sorted({v for b in boxes for v in (b.left, b.right)})
    covered = 0.0
    for x0, x1 in pairwise(xs):
        spans = sorted((b.top, b.bottom) for b in boxes if b.left <= x0 and b.right >= x1)
        height, reach = 0.0, 0.0
        for top, bottom in spans:
            top = max(top, reach)
            if bottom > top:
                height += bottom - top
                reach = bottom
        covered += (x1 - x0) * height
    return min(1.0, covered)


def redaction_label(boxes: list[Box]) -> Label:
    """'Helt sløret' when the boxes cover the whole photo, else 'Delvist sløret'."""
    return REDACTION_LABELS["fully" if covered_fraction(boxes) >= FULLY_COVERED else "partly"]


@dataclass
class RedactionResult:
    """The new file names of a redacted photo, and the files to remove after commit."""

    display_name: str
    thumb_name: str
    original_name: str
    obsolete: list[Path] = field(default_factory=list)


def _write_atomically(target: Path, data: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(dir=target.parent, suffix=".tmp")
    os.fchmod(handle, SERVED_FILE_MODE)  # the media folder's group (nginx) reads photos
    with os.fdopen(handle, "wb") as out:
        out.write(data)
    os.replace(tmp, target)


def _jpeg(image: Image.Image, quality: int) -> bytes:
    buffer = io.BytesIO()
    clean = image.copy()
    clean.info = {}
    clean.save(buffer, "JPEG", quality=quality, optimize=True)
    return buffer.getvalue()


def _resolve(media_dir: Path, name: str) -> Path:
    path = media_path(media_dir, name)
    if path is None:
        raise ValueError(f"not a stored photo name: {name!r}")
    return path


def redact_files(
    media_dir: str | Path,
    private_dir: str | Path,
    display_name: str,
    thumb_name: str,
    boxes: list[Box],
    original_name: str | None = None,
    shared_names: frozenset[str] = frozenset(),
) -> RedactionResult:
    """Black out ``boxes`` on a stored photo; return the new names (see the module docstring).

    ``original_name`` is the private copy from an earlier redaction (kept, not replaced);
    ``shared_names`` are file names other photo rows still use (never removed).
    """
    if not boxes or len(boxes) > MAX_BOXES:
        raise ValueError("between 1 and 10 boxes")
    media_dir, private_dir = Path(media_dir), Path(private_dir)
    source = _resolve(media_dir, display_name)
    with Image.open(source) as opened:
        image = opened.convert("RGB")
    draw = ImageDraw.Draw(image)
    for box in boxes:
        draw.rectangle(box.pixels(image.width, image.height), fill=(0, 0, 0))
    display = _jpeg(image, DISPLAY_QUALITY)
    thumb_image = image.copy()
    thumb_image.thumbnail((THUMB_MAX_PX, THUMB_MAX_PX), Image.Resampling.LANCZOS, 2.0)
    thumb = _jpeg(thumb_image, THUMB_QUALITY)
    new_display, new_thumb = content_name(display), content_name(thumb)
    _write_atomically(_resolve(media_dir, new_display), display)
    _write_atomically(_resolve(media_dir, new_thumb), thumb)

    if original_name is None:
        # The first redaction: keep the picture as it was, privately.
        original_name = display_name
        kept = _resolve(private_dir, original_name)
        if not kept.exists():
            kept.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, kept)
    obsolete = [
        _resolve(media_dir, name)
        for name in (display_name, thumb_name)
        if name not in shared_names and name not in (new_display, new_thumb)
    ]
    return RedactionResult(new_display, new_thumb, original_name, obsolete)


def discard_obsolete(result: RedactionResult) -> None:
    """Remove the files a committed redaction replaced."""
    for path in result.obsolete:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
    result.obsolete = []


def discard_new(media_dir: str | Path, result: RedactionResult) -> None:
    """Remove the new files of a redaction whose transaction failed."""
    for name in (result.display_name, result.thumb_name):
        path = media_path(media_dir, name)
        if path is not None:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
