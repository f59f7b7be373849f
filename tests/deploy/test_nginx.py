"""The shipped nginx site (deploy/nginx/fieldaudit.conf) in front of gunicorn with the shipped
configuration (deploy/gunicorn.conf.py), both on loopback: pages, static files with long cache
lifetimes, photos through X-Accel-Redirect (the app decides), a slow upload that holds no
worker, health probes, the upload limit and the request id from nginx to the app's log."""

from __future__ import annotations

import http.client
import json
import re
import shutil
import socket
import ssl
import threading
import time
from pathlib import Path

import pytest

from fieldaudit import report_review
from scripts.deploy_nginx import NGINX, LoopbackNginx
from scripts.servers import ROOT, Gunicorn, server_environment

pytestmark = pytest.mark.skipif(
    shutil.which(NGINX) is None and not Path(NGINX).exists(),
    reason="nginx is not installed (scripts/setup.sh test installs nginx-light)",
)


@pytest.fixture
def stack(app, herlev, tmp_path):
    """gunicorn (1 worker, 1 thread: one slow client would block it) behind nginx."""
    env = server_environment(
        app.config,
        FIELDAUDIT_ENV_NAME="production",
        FIELDAUDIT_PROXY_HOPS="1",
        FIELDAUDIT_PROXY_HOST="1",
        FIELDAUDIT_TRUSTED_HOSTS="localhost,127.0.0.1",  # the start-up probe asks 127.0.0.1
        FIELDAUDIT_X_ACCEL_PHOTOS="1",
        FIELDAUDIT_GUNICORN_THREADS="1",
    )
    options = ("--config", str(ROOT / "deploy" / "gunicorn.conf.py"))
    with Gunicorn(env, tmp_path / "gunicorn.log", workers=1, options=options) as server:
        proxy = LoopbackNginx(
            tmp_path / "nginx", [f"127.0.0.1:{server.port}"], app.config["MEDIA_DIR"]
        )
        with proxy:
            yield server, proxy


def https(proxy: LoopbackNginx) -> http.client.HTTPSConnection:
    context = ssl.create_default_context(cafile=str(proxy.cert))
    return http.client.HTTPSConnection("localhost", proxy.https_port, context=context, timeout=30)


def eventually(check, seconds: float = 10.0) -> bool:
    """True once ``check()`` is; False if it never was within ``seconds``."""
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def fetch(proxy, method, path, body=None, headers=None):
    connection = https(proxy)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        answer = connection.getresponse()
        return answer.status, dict(answer.getheaders()), answer.read()
    finally:
        connection.close()


def test_pages_static_files_and_health_through_nginx(stack):
    server, proxy = stack
    status, headers, body = fetch(proxy, "GET", "/")
    assert status == 200 and "Strict-Transport-Security" in headers
    request_id = headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", request_id)  # nginx's $request_id, taken by the app
    # nginx writes its log line after the answer has gone out: wait for it (a busy machine).
    access_log = proxy.prefix / "logs" / "fieldaudit-access.log"
    assert eventually(lambda: f"id={request_id}" in access_log.read_text())

    def app_logged() -> bool:
        lines = [json.loads(x) for x in server.log_tail().splitlines() if x.startswith("{")]
        return any(line["request_id"] == request_id and line["path"] == "/" for line in lines)

    assert eventually(app_logged)

    asset = re.search(r'/static/[^"?]+\.(?:css|js)\?v=[0-9a-f]+', body.decode()).group(0)
    status, headers, _ = fetch(proxy, "GET", asset)
    assert status == 200 and "X-Request-ID" not in headers  # nginx, not the app
    assert headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert headers["X-Content-Type-Options"] == "nosniff"
    status, headers, _ = fetch(proxy, "GET", asset.split("?")[0])  # an import by relative path
    assert status == 200 and headers["Cache-Control"] == "no-cache"
    vendor = re.search(r'/vendor/leaflet/[^"]+\?v=[^"]+', body.decode()).group(0)
    status, headers, _ = fetch(proxy, "GET", vendor.replace("&amp;", "&"))
    assert status == 200 and "immutable" in headers["Cache-Control"]

    for path in ("/healthz", "/readyz"):
        status, headers, body = fetch(proxy, "GET", path)
        assert status == 200 and json.loads(body)["status"] == "ok"
    plain = http.client.HTTPConnection("127.0.0.1", proxy.http_port, timeout=10)
    try:
        plain.request("GET", "/barrierer", headers={"Host": "localhost"})
        answer = plain.getresponse()
        answer.read()
        assert answer.status == 301 and answer.headers["Location"].startswith("https://localhost")
        plain.request("GET", "/healthz", headers={"Host": "10.0.0.7"})  # a load balancer's probe
        answer = plain.getresponse()
        assert answer.status == 200 and json.loads(answer.read()) == {"status": "ok"}
    finally:
        plain.close()


def test_photos_are_sent_by_nginx_only_when_the_app_allows(
    stack, app, db, make_report, make_photo, make_user
):
    _server, proxy = stack
    report = make_report()
    shown, hidden = make_photo(report), make_photo(report, colour=(10, 10, 200))
    assert fetch(proxy, "GET", f"/fotos/{shown.id}/display")[0] == 404  # not reviewed yet
    reviewer = make_user("reviewer")
    report_review.verify_report(db.session, report, reviewer)
    report_review.set_photo_hidden(db.session, hidden, reviewer, True, "Ansigt")
    db.session.commit()

    status, headers, body = fetch(proxy, "GET", f"/fotos/{shown.id}/display")
    assert status == 200 and headers["Content-Type"] == "image/jpeg"
    stored = Path(app.config["MEDIA_DIR"]) / shown.display_name
    assert body == stored.read_bytes()
    # nginx's workers (www-data, in the media folder's group) must be able to read it.
    assert stored.stat().st_mode & 0o040 and not stored.stat().st_mode & 0o004
    assert "X-Accel-Redirect" not in headers and "max-age=600" in headers["Cache-Control"]
    assert fetch(proxy, "GET", f"/fotos/{hidden.id}/display")[0] == 404
    assert fetch(proxy, "GET", f"/fotos/{hidden.id}/thumb")[0] == 404
    # The files themselves cannot be asked for: the location is internal.
    assert fetch(proxy, "GET", f"/_media/{hidden.display_name}")[0] == 404
    assert fetch(proxy, "GET", f"/_media/{shown.display_name}")[0] == 404


def test_a_slow_upload_holds_no_worker_and_a_big_one_is_refused(stack, make_report_payload):
    _server, proxy = stack
    body = json.dumps(make_report_payload()).encode()
    context = ssl.create_default_context(cafile=str(proxy.cert))
    raw = socket.create_connection(("127.0.0.1", proxy.https_port), timeout=30)
    slow = context.wrap_socket(raw, server_hostname="localhost")
    answers: list[bytes] = []
    try:
        slow.sendall(
            (
                "POST /api/v1/reports HTTP/1.1\r\nHost: localhost\r\n"
                "Content-Type: application/json\r\nX-Device-Token: slow-phone-" + "x" * 24 + "\r\n"
                f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
            ).encode()
        )
        pieces = [body[i : i + 40] for i in range(0, len(body), 40)]
        step = 3.0 / len(pieces)

        def trickle():
            for piece in pieces:
                slow.sendall(piece)
                time.sleep(step)
            answers.append(slow.recv(65536))

        sender = threading.Thread(target=trickle)
        sender.start()
        time.sleep(0.5)
        # The only gunicorn thread answers others while the phone is still sending.
        timings = []
        for path in ("/healthz", "/", "/barrierer"):
            started = time.perf_counter()
            assert fetch(proxy, "GET", path)[0] == 200
            timings.append(time.perf_counter() - started)
        still_sending = sender.is_alive()
        sender.join(timeout=30)
    finally:
        slow.close()
    assert still_sending and max(timings) < 1.5, timings
    assert answers and answers[0].startswith(b"HTTP/1.1 201"), answers

    too_big = 50 * 1024 * 1024  # the app takes 46 MB (3 photos of 15 MB + 1 MB)
    connection = https(proxy)
    try:
        connection.putrequest("POST", "/api/v1/reports")
        connection.putheader("Content-Type", "application/json")
        connection.putheader("Content-Length", str(too_big))
        connection.endheaders()
        answer = connection.getresponse()
        assert answer.status == 413
        answer.read()
    finally:
        connection.close()
