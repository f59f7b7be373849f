"""The photo pipeline: upright, without any metadata, content-hash names, clear refusals."""

from __future__ import annotations

import io
import json
import struct
import zlib
from pathlib import Path

import pytest
from PIL import ExifTags, Image, ImageCms

from fieldaudit.errors import ValidationError
from fieldaudit.photos import (
    DEFAULT_PHOTO_WORKERS,
    DISPLAY_MAX_PX,
    MAX_PHOTO_BYTES,
    THUMB_MAX_PX,
    PhotosBusyError,
    configure_photo_workers,
    media_path,
    photo_slot,
    render_photo,
    stage_photos,
    sweep_temporary_files,
)
from scripts.bench.photo_ingest import flat_png

RED, BLUE = (220, 20, 20), (20, 20, 220)


def encode(image: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def two_halves(width: int = 400, height: int = 200) -> Image.Image:
    """Left half red, right half blue."""
    image = Image.new("RGB", (width, height), RED)
    image.paste(BLUE, (width // 2, 0, width, height))
    return image


def jpeg_rotated_with_gps() -> bytes:
    """A landscape JPEG whose EXIF says 'rotate 90° clockwise' (orientation 6), with GPS."""
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    exif[ExifTags.Base.Make] = "TestCam"
    exif[ExifTags.IFD.GPSInfo] = {
        ExifTags.GPS.GPSLatitudeRef: "N",
        ExifTags.GPS.GPSLatitude: (55.0, 43.0, 8.0),
        ExifTags.GPS.GPSLongitudeRef: "E",
        ExifTags.GPS.GPSLongitude: (12.0, 26.0, 37.0),
    }
    data = encode(two_halves(), "JPEG", exif=exif, quality=95)
    check = Image.open(io.BytesIO(data)).getexif()
    assert check[ExifTags.Base.Orientation] == 6 and check.get_ifd(ExifTags.IFD.GPSInfo)
    return data


def close_to(pixel: tuple[int, ...], colour: tuple[int, int, int], tolerance: int = 40) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(pixel[:3], colour, strict=True))


def assert_no_metadata(data: bytes) -> None:
    image = Image.open(io.BytesIO(data))
    assert image.format == "JPEG"
    assert len(image.getexif()) == 0
    assert not {"exif", "icc_profile", "xmp", "XML:com.adobe.xmp", "comment"} & set(image.info)
    # No APP1 (EXIF/XMP), APP2 (ICC) or COM segments in the file at all.
    assert b"Exif\x00\x00" not in data and b"http://ns.adobe.com/xap" not in data
    assert b"\xff\xe1" not in data[:2048] and b"\xff\xe2" not in data[:2048]
    assert b"\xff\xfe" not in data[:2048]


def test_stored_photo_is_upright_and_has_no_exif_at_all(tmp_path: Path):
    staged = stage_photos([jpeg_rotated_with_gps()], tmp_path)
    (photo,) = staged.photos
    staged.publish()
    assert len(list((tmp_path / "photos").rglob("*.jpg"))) == 2  # display and thumbnail
    data = (tmp_path / photo.display_name).read_bytes()
    assert_no_metadata(data)
    image = Image.open(io.BytesIO(data)).convert("RGB")
    # Orientation 6: the stored landscape becomes portrait, its left (red) half on top.
    assert image.size == (200, 400)
    assert close_to(image.getpixel((100, 20)), RED)
    assert close_to(image.getpixel((100, 380)), BLUE)
    assert_no_metadata((tmp_path / photo.thumb_name).read_bytes())


def test_names_are_content_hashes_and_sizes_are_bounded(tmp_path: Path):
    big = two_halves(3000, 2000)
    staged = stage_photos([encode(big, "JPEG")], tmp_path)
    (photo,) = staged.photos
    assert photo.display_name.startswith("photos/") and photo.display_name.endswith(".jpg")
    digest = Path(photo.display_name).stem
    assert len(digest) == 64 and Path(photo.display_name).parent.name == digest[:2]
    assert (photo.width, photo.height) == (DISPLAY_MAX_PX, round(DISPLAY_MAX_PX * 2 / 3))
    staged.publish()
    with Image.open(tmp_path / photo.thumb_name) as thumb:
        assert max(thumb.size) == THUMB_MAX_PX
    assert not list((tmp_path / "tmp").iterdir())  # nothing left behind


def test_discard_removes_every_temporary_file(tmp_path: Path):
    staged = stage_photos([encode(two_halves(), "PNG"), encode(two_halves(), "WEBP")], tmp_path)
    assert len(list((tmp_path / "tmp").iterdir())) == 4
    staged.discard()
    assert not list((tmp_path / "tmp").iterdir())
    assert not (tmp_path / "photos").exists()


def heic_bytes() -> bytes:
    pillow_heif = pytest.importorskip("pillow_heif")
    pillow_heif.register_heif_opener()
    return encode(two_halves(), "HEIF")


def cmyk_jpeg() -> bytes:
    return encode(two_halves().convert("CMYK"), "JPEG")


def png_16bit() -> bytes:
    image = Image.frombytes("I;16", (64, 64), struct.pack("<H", 40000) * 64 * 64)
    return encode(image, "PNG")


def png_palette_transparent() -> bytes:
    image = two_halves().convert("P")
    image.info["transparency"] = 0
    return encode(image, "PNG", transparency=0)


def png_alpha() -> bytes:
    image = Image.new("RGBA", (100, 100), (0, 0, 0, 0))
    image.paste((20, 20, 220, 255), (50, 0, 100, 100))
    return encode(image, "PNG")


def jpeg_with_icc_profile() -> bytes:
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    return encode(two_halves(), "JPEG", icc_profile=profile)


@pytest.mark.parametrize(
    "make",
    [heic_bytes, cmyk_jpeg, png_16bit, png_palette_transparent, png_alpha, jpeg_with_icc_profile],
)
def test_every_accepted_kind_becomes_a_clean_rgb_jpeg(make):
    display, thumbnail, width, height = render_photo(make())
    for data in (display, thumbnail):
        assert_no_metadata(data)
        assert Image.open(io.BytesIO(data)).mode == "RGB"
    assert width > 0 and height > 0


def test_transparent_pixels_become_white_and_16_bit_is_scaled():
    display, *_ = render_photo(png_alpha())
    image = Image.open(io.BytesIO(display))
    assert close_to(image.getpixel((10, 50)), (255, 255, 255))
    assert close_to(image.getpixel((90, 50)), BLUE)
    grey = Image.open(io.BytesIO(render_photo(png_16bit())[0])).getpixel((32, 32))
    assert 140 < grey[0] < 170  # 40000 / 65535 of white, not clipped to 255


def png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims a huge size (a decompression bomb)."""
    data = bytearray(encode(Image.new("1", (1, 1)), "PNG"))
    ihdr = data[12:29]
    patched = b"IHDR" + struct.pack(">II", width, height) + bytes(ihdr[12:17])
    data[12:29] = patched
    data[29:33] = struct.pack(">I", zlib.crc32(patched))
    return bytes(data)


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (
            b"Dette er ikke et billede, bare tekst i en fil der hedder foto.jpg\n",
            "photo_not_an_image",
        ),
        (b"", "photo_empty"),
        (encode(two_halves(), "JPEG")[:600], "photo_not_an_image"),  # truncated
        (encode(two_halves(), "PNG")[:-30], "photo_not_an_image"),  # truncated
        (encode(two_halves(), "GIF"), "photo_format"),
        (encode(two_halves(), "BMP"), "photo_format"),
        (png_claiming(20_000, 20_000), "photo_too_many_pixels"),  # Pillow's own bomb error
        (png_claiming(8000, 6500), "photo_too_many_pixels"),  # above our limit (50 MP)
        (b"\xff\xd8" + b"\x00" * (MAX_PHOTO_BYTES + 1), "photo_too_large"),
    ],
    ids=["text", "empty", "truncated-jpeg", "truncated-png", "gif", "bmp", "bomb", "big", "15mb"],
)
def test_bad_files_are_refused_with_a_clear_message(tmp_path: Path, data: bytes, code: str):
    with pytest.raises(ValidationError) as caught:
        stage_photos([encode(two_halves(), "PNG"), data], tmp_path)
    problem = caught.value.first
    assert problem.code == code and problem.field == "photos[1]"
    assert problem.message.da and problem.message.en and problem.message.da != problem.message.en
    assert caught.value.status == 422
    assert not list((tmp_path / "tmp").iterdir())  # the good first photo was cleaned up too


def test_at_most_three_photos(tmp_path: Path):
    one = encode(two_halves(), "PNG")
    with pytest.raises(ValidationError) as caught:
        stage_photos([one] * 4, tmp_path)
    assert caught.value.first.code == "too_many_photos"


def test_media_path_refuses_names_outside_the_photo_folder(tmp_path: Path):
    assert media_path(tmp_path, "photos/ab/abc.jpg") == tmp_path / "photos/ab/abc.jpg"
    for bad in ("../secret", "photos/../../x.jpg", "/etc/passwd", "photos/ab", "tmp/x/y.jpg"):
        assert media_path(tmp_path, bad) is None


def test_sweep_removes_only_old_temporary_files(tmp_path: Path):
    staged = stage_photos([encode(two_halves(), "PNG")], tmp_path)
    assert sweep_temporary_files(tmp_path, older_than_s=3600) == 0
    assert sweep_temporary_files(tmp_path, older_than_s=-1) == 2
    staged.discard()


def test_a_12_megapixel_jpeg_becomes_display_and_thumbnail():
    # Smooth content with texture, like a photo; 4000 x 3000 pixels. Its speed is measured by
    # the benchmark (scripts/bench), not here: a timed test fails on a busy machine.
    base = Image.linear_gradient("L").resize((4000, 3000))
    noise = Image.effect_noise((4000, 3000), 40)
    photo = Image.merge("RGB", (base, noise, base.transpose(Image.Transpose.FLIP_LEFT_RIGHT)))
    display, thumbnail, width, height = render_photo(encode(photo, "JPEG", quality=90))
    assert (width, height) == (1600, 1200)
    assert Image.open(io.BytesIO(display)).size == (1600, 1200)
    assert max(Image.open(io.BytesIO(thumbnail)).size) == 320


def peak_rss_growth_mb(action) -> tuple[float, object]:
    """Run ``action`` and return how far this process's peak RSS rose above its RSS before."""
    status = Path("/proc/self/status")

    def field_kb(name: str) -> int:
        line = next(x for x in status.read_text().splitlines() if x.startswith(name))
        return int(line.split()[1])

    Path("/proc/self/clear_refs").write_text("5")  # reset the peak (VmHWM) to the current RSS
    before = field_kb("VmRSS:")
    result = action()
    return (field_kb("VmHWM:") - before) / 1024, result


def test_a_small_png_of_88_megapixels_is_refused_without_decoding_it(
    client, herlev, make_report_payload
):
    # Issue 12, hole 4: a 360 KB PNG of 9400 x 9400 RGBA took 1.1-1.5 GB to process.
    bomb = flat_png(9400, 9400)
    assert len(bomb) < 1024 * 1024
    headers = {"X-Device-Token": "device-token-" + "c" * 40}
    files = {
        "report": (io.BytesIO(json.dumps(make_report_payload()).encode()), "r.json"),
        "photos": [(io.BytesIO(bomb), "foto.png", "image/png")],
    }
    growth, response = peak_rss_growth_mb(
        lambda: client.post(
            "/api/v1/reports?lang=en",
            data=files,
            content_type="multipart/form-data",
            headers=headers,
        )
    )
    assert response.status_code == 422
    body = response.get_json()
    assert body["error"] == "photo_too_many_pixels" and body["field"] == "photos[0]"
    assert "50 megapixels" in body["message"]
    assert growth < 60, f"refusing the photo raised the peak RSS by {growth:.0f} MB"


def test_the_largest_allowed_png_is_processed_in_little_more_than_its_own_pixels():
    # 7000 x 7000 RGBA (49 MP, under the cap): 196 MB of pixels once decoded. Converting it to
    # RGB on white and shrinking it works band by band, so no full-size copy is ever made.
    data = flat_png(7000, 7000)
    growth, (display, _thumbnail, width, height) = peak_rss_growth_mb(lambda: render_photo(data))
    assert (width, height) == (1600, 1600)
    assert close_to(Image.open(io.BytesIO(display)).getpixel((800, 800)), (133, 228, 142), 6)
    assert growth < 196 + 80, f"processing raised the peak RSS by {growth:.0f} MB"


def test_photo_processing_waits_for_a_free_slot_and_then_answers_busy(tmp_path: Path):
    configure_photo_workers(1, wait_s=0.2)
    try:
        # Another request is decoding a photo and holds the only slot.
        with photo_slot(), pytest.raises(PhotosBusyError) as caught:
            stage_photos([encode(two_halves(), "PNG")], tmp_path)
        assert caught.value.status == 503 and caught.value.first.code == "photos_busy"
        assert not list(tmp_path.rglob("*.jpg"))
        staged = stage_photos([encode(two_halves(), "PNG")], tmp_path)  # the slot is free again
        assert len(staged.photos) == 1
        staged.discard()
    finally:
        configure_photo_workers(DEFAULT_PHOTO_WORKERS)


def test_no_more_requests_wait_for_a_photo_slot_than_there_are_slots(tmp_path: Path):
    """Second review: waiting uploads held every server thread (GET / took 20 s). With the only
    slot busy, one request may wait; the next is told at once to come back later."""
    import threading
    import time

    configure_photo_workers(1, wait_s=5.0)
    started = threading.Event()
    outcome: list[object] = []

    def waiter() -> None:
        started.set()
        try:
            outcome.append(stage_photos([encode(two_halves(), "PNG")], tmp_path / "waiter"))
        except PhotosBusyError as error:
            outcome.append(error)

    try:
        with photo_slot():  # another request is decoding
            thread = threading.Thread(target=waiter)
            thread.start()
            started.wait()
            time.sleep(0.2)  # the waiter is now waiting for the slot
            begun = time.monotonic()
            with pytest.raises(PhotosBusyError) as caught:
                stage_photos([encode(two_halves(), "PNG")], tmp_path / "third")
            assert time.monotonic() - begun < 1.0  # refused at once, not after 5 s
            assert caught.value.retry_after and caught.value.retry_after > 0
        thread.join(10)
        assert len(outcome) == 1 and not isinstance(outcome[0], PhotosBusyError)
        outcome[0].discard()
    finally:
        configure_photo_workers(DEFAULT_PHOTO_WORKERS)


def test_a_busy_answer_says_when_to_come_back(client, herlev, make_report_payload):
    configure_photo_workers(1, wait_s=0.1)
    try:
        with photo_slot():
            photo = (io.BytesIO(encode(two_halves(), "JPEG")), "foto.jpg", "image/jpeg")
            response = client.post(
                "/api/v1/reports",
                data={"report": json.dumps(make_report_payload()), "photos": [photo]},
                content_type="multipart/form-data",
            )
    finally:
        configure_photo_workers(DEFAULT_PHOTO_WORKERS)
    assert response.status_code == 503, response.get_json()
    assert response.get_json()["error"] == "photos_busy"
    assert int(response.headers["Retry-After"]) > 0


def test_a_webp_has_a_lower_pixel_cap_because_decoding_it_holds_three_copies(tmp_path: Path):
    webp = encode(Image.new("RGB", (5000, 4000), RED), "WEBP", lossless=True)
    with pytest.raises(ValidationError) as caught:
        stage_photos([webp], tmp_path)
    assert caught.value.first.code == "photo_too_many_pixels"
    assert "16 megapixel" in caught.value.first.message.da
    allowed = encode(Image.new("RGB", (4000, 4000), RED), "WEBP", lossless=True)
    assert render_photo(allowed)[2:] == (1600, 1600)


def test_a_truncated_photo_is_refused_also_after_a_pdf_was_printed(tmp_path: Path):
    """Importing WeasyPrint turns on Pillow's process-wide LOAD_TRUNCATED_IMAGES; printing a
    PDF in a worker must not make that worker accept damaged photos (found in the full run)."""
    from PIL import ImageFile

    from fieldaudit.exports.pdf import html_to_pdf

    assert html_to_pdf("<html><body><p>Prøve</p></body></html>").startswith(b"%PDF")
    ImageFile.LOAD_TRUNCATED_IMAGES = True  # as WeasyPrint's import leaves it
    with pytest.raises(ValidationError) as caught:
        stage_photos([encode(two_halves(), "JPEG")[:600]], tmp_path)
    assert caught.value.first.code == "photo_not_an_image"
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False
