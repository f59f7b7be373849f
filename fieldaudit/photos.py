"""Photos of barriers: checked, turned upright, stripped of all metadata, stored by content hash.

A photo is processed into temporary files first (``stage_photos``). The caller writes the report
and its photo rows in one transaction and then either ``publish``es the staged files (moves them
into place) or ``discard``s them, so there is never a report without its photos and never a file
that no row refers to. Nothing here knows about Flask.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import io
import os
import tempfile
import threading
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from PIL import ExifTags, Image, ImageCms, ImageFile, UnidentifiedImageError
from pillow_heif import open_heif, register_heif_opener
from sqlalchemy.orm import Session

from fieldaudit.errors import DomainError, ValidationError
from fieldaudit.models import BarrierReport, Photo
from fieldaudit.problems import problem

register_heif_opener()

MAX_PHOTO_BYTES = 15 * 1024 * 1024
MAX_PHOTOS = 3
# A phone photo has at most about 50 MP; a few hundred KB of PNG can claim far more (issue 12).
# Checked from the header before any decoding; Pillow's own guard is set to the same cap for
# formats whose header and data disagree (its warning is turned into a refusal below).
MAX_PIXELS = 50_000_000
Image.MAX_IMAGE_PIXELS = MAX_PIXELS
# Decoding a 50 MP PNG or HEIC peaks at about 250-300 MB (4 bytes a pixel, plus the decoder's
# own buffer for HEIC); a WebP holds three full copies (libwebp, bytes, Pillow), so it gets a
# lower cap (phones do not shoot WebP; 16 MP is still above any WebP seen from a phone app).
FORMAT_MAX_PIXELS = {"WEBP": 16_000_000}
# Photos decoded at the same time in one process (FIELDAUDIT_PHOTO_WORKERS): with about 300 MB
# each at most, this bounds the memory of photo processing per server (gunicorn worker) process.
DEFAULT_PHOTO_WORKERS = 1
# A request waits this long for a slot, and no more requests wait than there are slots; the
# others are told at once to come back (503 with Retry-After: the field app's outbox obeys it),
# so uploads never hold all of a server's threads while the rest of the site waits.
PHOTO_WAIT_S = 10.0
PHOTO_RETRY_AFTER_S = 15
# Pixels are converted and shrunk in bands of about this many bytes, never as a full-size copy.
BAND_BYTES = 4 * 1024 * 1024
DISPLAY_MAX_PX = 1600
THUMB_MAX_PX = 320
DISPLAY_QUALITY = 82
THUMB_QUALITY = 78
ACCEPTED_FORMATS = {"JPEG": "JPEG", "PNG": "PNG", "WEBP": "WebP", "HEIF": "HEIC"}
PHOTO_DIR = "photos"
TMP_DIR = "tmp"
_SRGB = ImageCms.createProfile("sRGB")
# Pillow keeps image memory in blocks of 16 MB, under glibc's largest mmap threshold (32 MB), so
# a decoded photo's blocks come from the malloc arena of the thread that decoded it and stay
# there when freed (a gthread worker has one arena per thread: the RSS grew by a full photo per
# thread). 64 MB blocks are mapped and unmapped directly: freed memory goes back to the system.
Image.core.set_block_size(64 * 1024 * 1024)


class StorageFullError(DomainError):
    """The media folder's disk is full (or over quota): nothing was stored (HTTP 507)."""

    status = 507


def _storage_full() -> StorageFullError:
    return StorageFullError(problem("photos", "storage_full"))


@dataclass
class StagedPhoto:
    """A processed photo waiting in temporary files until its report is committed."""

    sha256: str
    width: int
    height: int
    display_name: str
    thumb_name: str
    display_tmp: Path
    thumb_tmp: Path


@dataclass
class StagedPhotos:
    """The processed photos of one report; publish them after commit, discard them otherwise."""

    media_dir: Path
    photos: list[StagedPhoto] = field(default_factory=list)
    folders: list[Path] = field(default_factory=list)  # made for these photos; kept if used

    @property
    def hashes(self) -> list[str]:
        """SHA-256 of each uploaded file, in order (part of the report's content hash)."""
        return [p.sha256 for p in self.photos]

    def publish(self) -> None:
        """Move the files into place under their content-hash names."""
        for photo in self.photos:
            for tmp, name in (
                (photo.display_tmp, photo.display_name),
                (photo.thumb_tmp, photo.thumb_name),
            ):
                target = self.media_dir / name
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(tmp, target)
        self.photos = []

    def restore_missing(self, stored_names: set[str]) -> int:
        """For a resubmission: put back files of the stored report that are missing on disk
        (a move that failed after an earlier commit); discard the rest. Return how many."""
        restored = 0
        for photo in self.photos:
            for tmp, name in (
                (photo.display_tmp, photo.display_name),
                (photo.thumb_tmp, photo.thumb_name),
            ):
                target = self.media_dir / name
                if name in stored_names and not target.exists():
                    target.parent.mkdir(parents=True, exist_ok=True)
                    os.replace(tmp, target)
                    restored += 1
        self.discard()
        return restored

    def discard(self) -> None:
        """Remove the temporary files (the transaction failed or the photos were known)."""
        for photo in self.photos:
            for tmp in (photo.display_tmp, photo.thumb_tmp):
                with contextlib.suppress(FileNotFoundError, IsADirectoryError):
                    if tmp != Path():
                        tmp.unlink()
        self.photos = []
        for folder in reversed(self.folders):
            with contextlib.suppress(OSError):
                folder.rmdir()  # only if still empty
        self.folders = []


class PhotosBusyError(DomainError):
    """Every photo slot of the process is busy: try again (HTTP 503 with Retry-After)."""

    status = 503
    retry_after = PHOTO_RETRY_AFTER_S


@dataclass
class _PhotoSlots:
    """The process-wide bound on photos being decoded at once."""

    size: int
    wait_s: float
    semaphore: threading.BoundedSemaphore
    waiting: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


_slots = _PhotoSlots(
    DEFAULT_PHOTO_WORKERS, PHOTO_WAIT_S, threading.BoundedSemaphore(DEFAULT_PHOTO_WORKERS)
)


def _busy() -> PhotosBusyError:
    return PhotosBusyError(problem("photos", "photos_busy"))


def configure_photo_workers(size: int, wait_s: float = PHOTO_WAIT_S) -> None:
    """Set how many photos this process decodes at once and how long a request waits for one."""
    size = max(1, int(size))
    if size != _slots.size:
        _slots.semaphore = threading.BoundedSemaphore(size)
        _slots.size = size
    _slots.wait_s = wait_s


@contextlib.contextmanager
def photo_slot() -> Iterator[None]:
    """Hold one of the process's photo slots while decoding. When none is free, wait for one
    (at most ``wait_s``, and only as many requests as there are slots); else PhotosBusyError."""
    semaphore = _slots.semaphore
    if not semaphore.acquire(blocking=False):
        with _slots.lock:
            if _slots.waiting >= _slots.size:
                raise _busy()
            _slots.waiting += 1
        try:
            acquired = semaphore.acquire(timeout=_slots.wait_s)
        finally:
            with _slots.lock:
                _slots.waiting -= 1
        if not acquired:
            raise _busy()
    try:
        yield
    finally:
        semaphore.release()


def _open_checked(data: bytes, field_name: str, max_bytes: int) -> Image.Image:
    """Open an upload, refusing anything that is not a whole, reasonably sized, known image."""
    # Pillow's switch is process-wide, and a library may turn it on at import (WeasyPrint
    # does): a truncated photo must never be accepted because a PDF was printed before.
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    if len(data) > max_bytes:
        raise ValidationError(
            problem(field_name, "photo_too_large", max_mb=max_bytes // (1024 * 1024))
        )
    if not data:
        raise ValidationError(problem(field_name, "photo_empty"))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            probe = Image.open(io.BytesIO(data))
            image_format = probe.format or ""
            width, height = probe.size
            cap = pixel_cap(image_format)
            if image_format in ACCEPTED_FORMATS and width * height <= cap:
                probe.verify()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _bomb(field_name, MAX_PIXELS) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        raise ValidationError(problem(field_name, "photo_not_an_image")) from None
    if image_format not in ACCEPTED_FORMATS:
        raise ValidationError(problem(field_name, "photo_format"))
    if width * height > cap or width < 1 or height < 1:
        raise _bomb(field_name, cap)
    return Image.open(io.BytesIO(data))


def pixel_cap(image_format: str) -> int:
    """The most pixels a photo of this format may have (checked before decoding)."""
    return FORMAT_MAX_PIXELS.get(image_format, MAX_PIXELS)


def _bomb(field_name: str, cap: int) -> ValidationError:
    return ValidationError(
        problem(field_name, "photo_too_many_pixels", megapixels=cap // 1_000_000)
    )


def _srgb_transform(mode: str, info: dict) -> ImageCms.ImageCmsTransform | None:
    """The transform from an embedded ICC profile to sRGB, or None (no or unusable profile)."""
    icc = info.get("icc_profile")
    if not icc or mode not in ("RGB", "RGBA", "CMYK"):
        return None
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        output_mode = "RGBA" if mode == "RGBA" else "RGB"
        return ImageCms.buildTransform(source, _SRGB, mode, output_mode)
    except (ImageCms.PyCMSError, OSError, ValueError):
        return None


def _to_srgb(image: Image.Image, transform: ImageCms.ImageCmsTransform | None) -> Image.Image:
    """Convert pixels described by an embedded ICC profile to sRGB (the profile is then dropped)."""
    if transform is None:
        return image
    try:
        converted = ImageCms.applyTransform(image, transform)
    except (ImageCms.PyCMSError, OSError, ValueError):
        return image
    return converted if converted is not None else image


def _to_rgb(image: Image.Image) -> Image.Image:
    """Turn any mode (CMYK, 16-bit, palette, with alpha) into plain 8-bit RGB on white."""
    if image.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I"):
        image = image.convert("I").point(lambda value: value * (1 / 256)).convert("L")
    if image.mode == "P":
        image = image.convert("RGBA" if "transparency" in image.info else "RGB")
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    if image.mode != "RGB":
        return image.convert("RGB")
    return image


def _reduction(size: tuple[int, int]) -> int:
    """The integer factor Pillow's ``thumbnail(..., reducing_gap=2.0)`` would reduce by first."""
    return max(1, int(max(size) / DISPLAY_MAX_PX / 2.0))


@dataclass(frozen=True)
class _Pixels:
    """Decoded pixels that can be read a band of rows at a time."""

    size: tuple[int, int]
    mode: str
    info: dict
    band: Callable[[int, int], Image.Image]  # rows [top, bottom) as an image of the same mode


def _pillow_pixels(image: Image.Image) -> _Pixels:
    """The pixels of a loaded Pillow image."""
    width = image.width
    return _Pixels(
        image.size,
        image.mode,
        image.info,
        lambda top, bottom: image.crop((0, top, width, bottom)),
    )


def _heif_pixels(data: bytes) -> _Pixels:
    """The pixels of a HEIC photo, read from libheif's buffer (Pillow's load() would copy them
    all: 50 MP cost 350 MB instead of 150). libheif has already turned them upright."""
    heif = open_heif(io.BytesIO(data))
    width, height = heif.size
    mode, stride = heif.mode, heif.stride
    buffer = memoryview(heif.data)

    def band(top: int, bottom: int) -> Image.Image:
        rows = buffer[top * stride : bottom * stride]
        return Image.frombuffer(mode, (width, bottom - top), rows, "raw", mode, stride, 1)

    info = {key: value for key, value in heif.info.items() if key == "icc_profile"}
    return _Pixels((width, height), mode, info, band)


def _shrunk_rgb(pixels: _Pixels) -> Image.Image:
    """The decoded pixels in 8-bit sRGB, reduced by an integer factor, converted band by band.

    Each band is a few MB, so converting (alpha onto white, 16-bit, ICC) and reducing a 50 MP
    photo costs little more than its decoded pixels, instead of several full-size copies.
    """
    factor = _reduction(pixels.size)
    transform = _srgb_transform(pixels.mode, pixels.info)
    width, height = pixels.size
    if factor == 1 and transform is None and pixels.mode == "RGB":
        return pixels.band(0, height)  # already what is wanted (e.g. a JPEG decoded scaled)
    rows = max(factor, BAND_BYTES // (width * 4) // factor * factor)
    result = Image.new("RGB", (-(-width // factor), -(-height // factor)), (255, 255, 255))
    for top in range(0, height, rows):
        band = pixels.band(top, min(height, top + rows))
        band = _to_rgb(_to_srgb(band, transform))
        result.paste(band.reduce(factor) if factor > 1 else band, (0, top // factor))
    return result


_UPRIGHT = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


def _orientation(image: Image.Image) -> int:
    """The EXIF orientation of an image (1, upright, when absent or unreadable)."""
    try:
        value = image.getexif().get(ExifTags.Base.Orientation, 1)
    except (OSError, SyntaxError, ValueError, TypeError):
        return 1
    return value if isinstance(value, int) else 1


def _decode(image: Image.Image, data: bytes, field_name: str) -> Image.Image:
    """Decode the pixels (JPEG at a reduced scale) and return them upright, in sRGB, shrunk."""
    if image.format == "HEIF":
        pixels, orientation = _heif_pixels(data), 1
    else:
        if image.format == "JPEG":
            # Let libjpeg decode at 1/2, 1/4 or 1/8 scale while staying above display size.
            ratio = DISPLAY_MAX_PX / max(image.size)
            image.draft("RGB", (int(image.width * ratio), int(image.height * ratio)))
        image.load()
        pixels, orientation = _pillow_pixels(image), _orientation(image)
    cap = pixel_cap(image.format or "")
    if pixels.size[0] * pixels.size[1] > cap:  # a header that did not tell the truth
        raise _bomb(field_name, cap)
    shrunk = _shrunk_rgb(pixels)
    return shrunk.transpose(_UPRIGHT[orientation]) if orientation in _UPRIGHT else shrunk


def _jpeg(image: Image.Image, quality: int, own: bool = False) -> bytes:
    """Encode as JPEG with no metadata at all (no EXIF, ICC, XMP or comments).

    ``own``: the image is the caller's scratch copy, so its metadata is cleared in place
    instead of copying every pixel first.
    """
    clean = image if own else image.copy()
    clean.info = {}
    buffer = io.BytesIO()
    clean.save(buffer, "JPEG", quality=quality, optimize=True)
    return buffer.getvalue()


def render_photo(
    data: bytes, field_name: str = "photos", max_bytes: int = MAX_PHOTO_BYTES
) -> tuple[bytes, bytes, int, int]:
    """Check and convert an upload; return display JPEG, thumbnail JPEG, display width, height."""
    image = _open_checked(data, field_name, max_bytes)
    try:
        with warnings.catch_warnings(), photo_slot():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = _decode(image, data, field_name)
            # Hamming is an antialiasing downscaling filter about 2.5x faster than Lanczos.
            image.thumbnail((DISPLAY_MAX_PX, DISPLAY_MAX_PX), Image.Resampling.HAMMING, 2.0)
            width, height = image.size
            display = _jpeg(image, DISPLAY_QUALITY, own=True)
            # The display is encoded: shrink the same image to the thumbnail (no pixel copy).
            image.thumbnail((THUMB_MAX_PX, THUMB_MAX_PX), Image.Resampling.LANCZOS, 2.0)
            thumbnail = _jpeg(image, THUMB_QUALITY, own=True)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _bomb(field_name, MAX_PIXELS) from None
    except (OSError, SyntaxError, ValueError, EOFError):
        raise ValidationError(problem(field_name, "photo_not_an_image")) from None
    return display, thumbnail, width, height


def content_name(data: bytes) -> str:
    """The storage name of a file: ``photos/ab/abcdef....jpg`` from its SHA-256."""
    digest = hashlib.sha256(data).hexdigest()
    return f"{PHOTO_DIR}/{digest[:2]}/{digest}.jpg"


def _make_folder(folder: Path, made: list[Path]) -> None:
    """Make a folder and its missing parents, recording the ones made (outermost first)."""
    missing = []
    while not folder.exists():
        missing.append(folder)
        folder = folder.parent
    for path in reversed(missing):
        path.mkdir(exist_ok=True)
        made.append(path)


# Photo files are readable by the media folder's group: nginx (www-data) sends public ones
# itself (X-Accel-Redirect, docs/deploy.md). mkstemp alone would make them 0600.
SERVED_FILE_MODE = 0o640


def _write_tmp(media_dir: Path, data: bytes) -> Path:
    folder = media_dir / TMP_DIR
    folder.mkdir(parents=True, exist_ok=True)
    # <pid>-...: a staging file of a process that is gone is stale (fieldaudit/consistency.py).
    handle, name = tempfile.mkstemp(dir=folder, prefix=f"{os.getpid()}-", suffix=".jpg")
    try:
        os.fchmod(handle, SERVED_FILE_MODE)
        with os.fdopen(handle, "wb") as out:
            out.write(data)
    except BaseException:
        # A full disk: no half-written file stays behind.
        with contextlib.suppress(FileNotFoundError):
            os.unlink(name)
        raise
    return Path(name)


def stage_photos(
    uploads: Sequence[bytes],
    media_dir: str | Path,
    max_photos: int = MAX_PHOTOS,
    max_bytes: int = MAX_PHOTO_BYTES,
) -> StagedPhotos:
    """Check and process up to three uploads into temporary files; raise ValidationError if bad."""
    if len(uploads) > max_photos:
        raise ValidationError(problem("photos", "too_many_photos", max_photos=max_photos))
    staged = StagedPhotos(Path(media_dir))
    try:
        for position, data in enumerate(uploads):
            display, thumbnail, width, height = render_photo(data, f"photos[{position}]", max_bytes)
            photo = StagedPhoto(
                sha256=hashlib.sha256(data).hexdigest(),
                width=width,
                height=height,
                display_name=content_name(display),
                thumb_name=content_name(thumbnail),
                display_tmp=_write_tmp(staged.media_dir, display),
                thumb_tmp=Path(),
            )
            staged.photos.append(photo)
            photo.thumb_tmp = _write_tmp(staged.media_dir, thumbnail)
            # Make the target folders now, so publishing after the commit only renames files
            # and cannot fail for want of space (hardening, issue 8).
            for name in (photo.display_name, photo.thumb_name):
                _make_folder((staged.media_dir / name).parent, staged.folders)
    except OSError as error:
        staged.discard()
        if error.errno in (errno.ENOSPC, errno.EDQUOT):
            raise _storage_full() from error
        raise
    except BaseException:
        staged.discard()
        raise
    return staged


def attach_photos(session: Session, report: BarrierReport, staged: StagedPhotos) -> list[Photo]:
    """Add the photo rows of a new report (flushes; the caller commits, then publishes)."""
    rows = [
        Photo(
            report=report,
            position=position,
            sha256=photo.sha256,
            width=photo.width,
            height=photo.height,
            display_name=photo.display_name,
            thumb_name=photo.thumb_name,
        )
        for position, photo in enumerate(staged.photos)
    ]
    session.add_all(rows)
    session.flush()
    return rows


def media_path(media_dir: str | Path, name: str) -> Path | None:
    """The file of a stored name, or None if the name could escape the media folder."""
    parts = Path(name).parts
    if len(parts) != 3 or parts[0] != PHOTO_DIR or any(p in ("", ".", "..") for p in parts):
        return None
    return Path(media_dir) / name


def sweep_temporary_files(media_dir: str | Path, older_than_s: float = 3600.0) -> int:
    """Remove temporary files left by a crashed request; return how many were removed."""
    folder = Path(media_dir) / TMP_DIR
    removed = 0
    limit = time.time() - older_than_s
    for path in folder.glob("*.jpg") if folder.exists() else ():
        with contextlib.suppress(FileNotFoundError):
            if path.stat().st_mtime < limit:
                path.unlink()
                removed += 1
    return removed
