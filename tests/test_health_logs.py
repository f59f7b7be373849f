"""/healthz and /readyz, the JSON request log with its request id, and error pages showing it."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from fieldaudit import create_app
from fieldaudit.extensions import db as _db
from fieldaudit.web.request_log import LOGGER


class Lines(logging.Handler):
    """Collects the request log's lines."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[dict] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(json.loads(record.getMessage()))


@pytest.fixture
def request_lines() -> Iterator[Lines]:
    handler = Lines()
    logger = logging.getLogger(LOGGER)
    logger.addHandler(handler)
    yield handler
    logger.removeHandler(handler)


@pytest.fixture
def logged_app(app, request_lines) -> Iterator:
    """The test app's database, with JSON lines on and a trusted proxy in front."""
    config = {k: app.config[k] for k in ("DATABASE_URL", "MEDIA_DIR", "SECRET_KEY")}
    logged = create_app(
        {
            **config,
            "TESTING": True,
            "TILE_URL": "",
            "LOG_JSON": "1",
            "PROXY_HOPS": 1,
            "TRUSTED_HOSTS": "fieldaudit.example",
        }
    )
    yield logged
    with logged.app_context():
        _db.engine.dispose()


def test_healthz_and_readyz_answer_json_for_any_host(logged_app, request_lines):
    client = logged_app.test_client()
    health = client.get("/healthz", headers={"Host": "10.0.0.5"})
    assert health.status_code == 200 and health.get_json() == {"status": "ok"}
    ready = client.get("/readyz", headers={"Host": "10.0.0.5:8000"})
    assert ready.status_code == 200, ready.get_json()
    checks = ready.get_json()["checks"]
    assert {name: check["ok"] for name, check in checks.items()} == {
        "database": True,
        "media": True,
    }
    assert ready.headers["Cache-Control"] == "no-store"
    assert client.head("/readyz").status_code == 200
    assert client.get("/", headers={"Host": "10.0.0.5"}).status_code == 400  # others still checked
    assert [line["path"] for line in request_lines.lines] == ["/"]  # probes are not logged


def test_readyz_fails_when_migrations_are_behind_or_media_is_not_writable(logged_app):
    client = logged_app.test_client()
    with logged_app.app_context():
        with _db.engine.begin() as connection:
            current = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
            connection.execute(text("UPDATE alembic_version SET version_num = '0006'"))
        try:
            answer = client.get("/readyz")
            assert answer.status_code == 503
            assert answer.get_json()["checks"]["database"]["ok"] is False
            assert "0006" in answer.get_json()["checks"]["database"]["detail"]
        finally:
            with _db.engine.begin() as connection:
                connection.execute(
                    text("UPDATE alembic_version SET version_num = :v"), {"v": current}
                )
    media = Path(logged_app.config["MEDIA_DIR"])
    if os.geteuid() != 0:  # root writes anywhere: take the folder away instead
        media.chmod(0o500)
        moved = None
    else:
        moved = media.with_name("media-away")
        media.rename(moved)
        media.write_bytes(b"a file where the folder was")
    try:
        answer = client.get("/readyz")
        assert answer.status_code == 503 and answer.get_json()["checks"]["media"]["ok"] is False
    finally:
        if moved is None:
            media.chmod(0o700)
        else:
            media.unlink()
            moved.rename(media)
    assert client.get("/readyz").status_code == 200


def test_readyz_takes_more_checks(logged_app):
    from fieldaudit.web.health import add_readiness_check

    add_readiness_check(logged_app, "outbox", lambda app: (False, "oldest mail 2 h unsent"))
    answer = logged_app.test_client().get("/readyz")
    assert answer.status_code == 503
    assert answer.get_json()["checks"]["outbox"] == {
        "ok": False,
        "detail": "oldest mail 2 h unsent",
    }


def test_one_json_line_per_request_without_query_or_personal_data(logged_app, request_lines, app):
    client = logged_app.test_client()
    headers = {"Host": "fieldaudit.example", "X-Device-Token": "secret-device-token-123456"}
    answer = client.get("/api/v1/sites?bbox=12.4,55.7,12.5,55.8&email=a@b.dk", headers=headers)
    [line] = request_lines.lines
    assert set(line) == {"time", "request_id", "method", "path", "status", "duration_ms", "role"}
    assert (
        line["path"] == "/api/v1/sites"
        and line["status"] == answer.status_code
        and line["method"] == "GET"
    )
    assert line["role"] == "anonymous" and line["duration_ms"] >= 0
    assert line["request_id"] == answer.headers["X-Request-ID"]
    assert len(line["request_id"]) == 32
    raw = json.dumps(line)
    assert "a@b.dk" not in raw and "secret-device-token" not in raw and "bbox" not in raw


def test_the_proxy_request_id_is_kept_if_sane(logged_app, request_lines):
    client = logged_app.test_client()
    host = {"Host": "fieldaudit.example"}
    sane = client.get("/healthz-not", headers={**host, "X-Request-ID": "3f2a9c0d11e4b7a8"})
    assert sane.headers["X-Request-ID"] == "3f2a9c0d11e4b7a8"
    insane = client.get("/x", headers={**host, "X-Request-ID": "<script>alert(1)</script>"})
    assert insane.headers["X-Request-ID"] != "<script>alert(1)</script>"
    assert [line["request_id"] for line in request_lines.lines] == [
        "3f2a9c0d11e4b7a8",
        insane.headers["X-Request-ID"],
    ]


def test_without_a_proxy_an_offered_id_is_not_taken(client):
    answer = client.get("/", headers={"X-Request-ID": "client-chosen-id-1234"})
    assert answer.headers["X-Request-ID"] != "client-chosen-id-1234"


def test_the_signed_in_role_is_logged(logged_app, request_lines, app, make_user):
    from fieldaudit.accounts.sessions import session_values

    client = logged_app.test_client()
    with logged_app.app_context():
        user = _db.session.merge(make_user("reviewer", email="logged-reviewer@example.org"))
        with client.session_transaction(base_url="http://fieldaudit.example") as session:
            session.update(session_values(user))
    client.get("/gennemgang/", base_url="http://fieldaudit.example")
    assert request_lines.lines[-1]["role"] == "reviewer"
    assert "logged-reviewer" not in json.dumps(request_lines.lines)


def test_error_pages_show_the_request_id(logged_app, request_lines):
    client = logged_app.test_client()
    host = {"Host": "fieldaudit.example"}
    for language, label in (("da", "Fejl-id"), ("en", "Error id")):
        answer = client.get(f"/findes-ikke?lang={language}", headers=host)
        assert answer.status_code == 404
        assert f"{label}: {answer.headers['X-Request-ID']}." in answer.get_data(as_text=True)
    bad_host = client.get("/", headers={"Host": "evil.example"})
    assert bad_host.status_code == 400
    assert bad_host.headers["X-Request-ID"] in bad_host.get_data(as_text=True)
    assert request_lines.lines[-1]["status"] == 400


def test_log_lines_are_off_by_default_outside_production(client, request_lines):
    client.get("/")
    assert request_lines.lines == []
