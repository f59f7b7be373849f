"""The disk is full when a photo is saved: a clear 507 in JSON (Danish and English), nothing
half-written, no report stored; once there is space again, the same report is stored.

The media folder is a real 4 MB tmpfs filled up to its last 64 kB (root may mount here; the
test is skipped with the reason when mounting is not permitted).
"""

from __future__ import annotations

import contextlib
import errno
import io
import json
import subprocess
from pathlib import Path

import pytest
from PIL import Image
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from tests.hardening.conftest import take_snapshot

FREE_BYTES = 64 * 1024


@pytest.fixture
def full_media(app):
    media = Path(app.config["MEDIA_DIR"])
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=4m,mode=0755", "tmpfs", str(media)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {mounted.stderr.strip()}")
    filler = media / "filler.bin"
    try:
        with filler.open("wb") as out, contextlib.suppress(OSError):
            while True:
                out.write(b"\0" * 65536)
                out.flush()
        with filler.open("r+b") as out:
            out.truncate(max(0, filler.stat().st_size - FREE_BYTES))
        yield media, filler
    finally:
        subprocess.run(["umount", "-l", str(media)], check=False)


def noisy_photo() -> bytes:
    """About 1.5 MB as stored: far more than the space left."""
    image = Image.merge("RGB", [Image.effect_noise((1600, 1200), 70) for _ in range(3)])
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def post(client, payload, photo, lang="da"):
    fields = MultiDict(
        [
            ("report", json.dumps(payload)),
            ("photos", FileStorage(io.BytesIO(photo), "foto.jpg", content_type="image/jpeg")),
        ]
    )
    boundary, body = encode_multipart(fields)  # in memory: no temporary file left open
    return client.post(
        f"/api/v1/reports?lang={lang}",
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )


def test_disk_full_is_a_clear_507_and_nothing_is_half_written(
    app, client, herlev, runner, full_media, make_report_payload
):
    media, filler = full_media
    photo = noisy_photo()
    payload = make_report_payload()
    before = take_snapshot(app)
    answer = post(client, payload, photo)
    assert answer.status_code == 507
    body = answer.get_json()
    assert body["error"] == "storage_full" and body["field"] == "photos"
    assert "disk er fuld" in body["message"]
    english = post(client, payload, photo, lang="en").get_json()
    assert "disk is full" in english["message"]
    assert not before.changes(take_snapshot(app))  # no row, no file, no staging file
    with pytest.raises(OSError) as full:
        (media / "probe").write_bytes(b"\0" * (2 * FREE_BYTES))
    assert full.value.errno == errno.ENOSPC
    (media / "probe").unlink(missing_ok=True)

    filler.unlink()  # space again: the device's outbox sends the same report once more
    stored = post(client, payload, photo)
    assert stored.status_code == 201 and len(stored.get_json()["photos"]) == 1
    check = runner.invoke(args=["check"])
    assert check.exit_code == 0 and "0 problems" in check.output, check.output
