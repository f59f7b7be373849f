"""The server is killed (SIGKILL) during a photo upload: after a restart there is no half report
and no orphan file, and ``fieldaudit check`` reports 0 problems.

A real gunicorn is killed with its workers while a client sends three large photos slowly over
a raw socket (in the middle of the body), and again at moments just after the body is complete
(while the photos are decoded, converted and staged).
"""

from __future__ import annotations

import io
import json
import socket
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest
from PIL import Image, ImageDraw
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from fieldaudit.extensions import db as _db
from fieldaudit.photos import TMP_DIR
from scripts.servers import Gunicorn, server_environment
from tests.hardening.conftest import media_files

# Kill moments after the whole body was sent: when this many staging files exist (each photo
# is staged as a display image and a thumbnail, so 1 is during the first photo, 4 during the
# third).
KILL_AT_STAGED_FILES = (1, 4)


def large_photos(count: int = 3) -> list[bytes]:
    """Photos of about 8 MB each (12 megapixels of noise, hard to compress)."""
    noise = Image.merge("RGB", [Image.effect_noise((4000, 3000), 60) for _ in range(3)])
    photos = []
    for index in range(count):
        image = noise.copy()
        ImageDraw.Draw(image).rectangle((index * 300, 0, index * 300 + 200, 200), fill=(255, 0, 0))
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=85)
        photos.append(buffer.getvalue())
    return photos


def request_bytes(port: int, payload: dict, photos: list[bytes]) -> tuple[bytes, bytes]:
    """The head and body of a multipart POST /api/v1/reports."""
    fields = MultiDict(
        [("report", json.dumps(payload))]
        + [
            ("photos", FileStorage(io.BytesIO(p), f"{i}.jpg", content_type="image/jpeg"))
            for i, p in enumerate(photos)
        ]
    )
    boundary, body = encode_multipart(fields)
    head = (
        f"POST /api/v1/reports HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode()
    return head, body


def send_slowly(sock: socket.socket, data: bytes, chunk: int, pause_s: float) -> None:
    for start in range(0, len(data), chunk):
        sock.sendall(data[start : start + chunk])
        time.sleep(pause_s)


def staged_files(media: Path) -> list[str]:
    return [name for name in media_files(media) if name.startswith(f"{TMP_DIR}/")]


def wait_for_staged(media: Path, count: int, timeout_s: float = 30.0) -> int:
    """Wait until ``count`` staging files exist (the server is processing the photos)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = len(staged_files(media))
        if found >= count:
            return found
        time.sleep(0.002)
    raise AssertionError(f"the server never staged {count} files")


def report_state(server: Gunicorn, report_uuid: str) -> tuple[int, int]:
    """(HTTP status of GET /api/v1/reports/<uuid>, number of photos it has)."""
    try:
        with urllib.request.urlopen(f"{server.url}/api/v1/reports/{report_uuid}") as answer:
            return answer.status, len(json.loads(answer.read())["photos"])
    except urllib.error.HTTPError as error:
        return error.code, 0


@pytest.fixture
def server(app, herlev, tmp_path):
    with app.app_context():
        _db.session.remove()
        _db.engine.dispose()
    gunicorn = Gunicorn(server_environment(app.config), tmp_path / "gunicorn.log")
    yield gunicorn
    gunicorn.stop()


def test_sigkill_during_photo_uploads_leaves_no_half_report_and_no_orphan(
    app, runner, server, make_report_payload
):
    media = Path(app.config["MEDIA_DIR"])
    photos = large_photos()
    outcomes = []
    kills = [("mid-body", None), *[("while staging", count) for count in KILL_AT_STAGED_FILES]]
    server.start()
    for moment, staged_at_kill in kills:
        payload = make_report_payload(uuid=str(uuid.uuid4()))
        head, body = request_bytes(server.port, payload, photos)
        with socket.create_connection(("127.0.0.1", server.port)) as sock:
            sock.sendall(head)
            if staged_at_kill is None:
                send_slowly(sock, body[: len(body) // 2], 256 * 1024, 0.02)
            else:
                sock.sendall(body)
                wait_for_staged(media, staged_at_kill)
            server.kill()
        left_staged = staged_files(media)
        server.start()  # startup removes the staging files of the killed worker
        status, stored_photos = report_state(server, payload["uuid"])
        # All or nothing: either no report, or the report with every one of its photos.
        assert (status, stored_photos) in ((404, 0), (200, len(photos))), (moment, status)
        check = runner.invoke(args=["check"])
        assert check.exit_code == 0, check.output
        assert "0 problems" in check.output
        assert not staged_files(media)
        if staged_at_kill:
            assert len(left_staged) >= staged_at_kill  # the kill did leave staging files
        outcomes.append((moment, status, len(left_staged)))

    # After the restarts, reports with photos are stored completely again.
    payload = make_report_payload()
    head, body = request_bytes(server.port, payload, photos[:1])
    content_type = head.decode().split("Content-Type: ")[1].split("\r\n")[0]
    sent = urllib.request.Request(
        f"{server.url}/api/v1/reports", data=body, headers={"Content-Type": content_type}
    )
    with urllib.request.urlopen(sent) as answer:
        assert answer.status == 201
    check = runner.invoke(args=["check"])
    assert check.exit_code == 0 and "0 problems" in check.output, check.output
    print("kills (moment, report status after restart, staging files left):", outcomes)
