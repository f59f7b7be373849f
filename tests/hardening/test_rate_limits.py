"""Rate limits (Flask-Limiter), configured in one place (fieldaudit/web/security.py)."""

from __future__ import annotations

import pytest

from fieldaudit import create_app
from fieldaudit.extensions import db as _db
from fieldaudit.web.security import RATE_LIMITS

REDIS_URL = "redis://127.0.0.1:6379/15"


@pytest.fixture
def limited_app(app):
    """Factory: a second app on the same database and media, with limits switched on."""
    made = []

    def make(**limits):
        made.append(create_app({**app.config, "RATELIMIT_ENABLED": True, **limits}))
        return made[-1]

    yield make
    for other in made:
        with other.app_context():
            _db.session.remove()
            _db.engine.dispose()


def test_anonymous_report_submission_is_limited_with_a_json_429(
    limited_app, herlev, make_report_payload
):
    client = limited_app(RATELIMIT_REPORTS="3/minute").test_client()
    statuses = [
        client.post("/api/v1/reports", json=make_report_payload()).status_code for _ in range(3)
    ]
    assert statuses == [201, 201, 201]
    refused = client.post("/api/v1/reports", json=make_report_payload())
    assert refused.status_code == 429
    body = refused.get_json()
    assert body["error"] == "too_many_requests" and body["message"] and "field" in body
    assert 0 < int(refused.headers["Retry-After"]) <= 61  # the window of 1 minute
    # Reading is not limited.
    assert client.get("/api/v1/categories").status_code == 200


def test_sign_in_is_limited_with_a_page_and_retry_after(limited_app, db):
    limited = limited_app(RATELIMIT_LOGIN="2/minute")
    client = limited.test_client()
    with client.session_transaction() as session:
        session["csrf_token"] = "x" * 40
    from itsdangerous import URLSafeTimedSerializer

    token = URLSafeTimedSerializer(limited.secret_key, salt="wtf-csrf-token").dumps("x" * 40)
    form = {"csrf_token": token, "email": "nobody@example.org", "password": "wrong password"}
    for _ in range(2):
        assert client.post("/konto/log-ind", data=form).status_code in (401, 403, 422)
    refused = client.post("/konto/log-ind", data=form)
    assert refused.status_code == 429
    assert refused.mimetype == "text/html"
    assert "For mange forsøg" in refused.get_data(as_text=True)
    assert int(refused.headers["Retry-After"]) > 0
    assert client.get("/konto/log-ind").status_code == 200  # the page itself stays open


def test_limits_are_off_in_tests_and_on_in_production(app, tmp_path):
    assert app.config["RATELIMIT_ENABLED"] is False
    production = create_app(
        {
            "DATABASE_URL": f"sqlite:///{tmp_path / 'p.sqlite'}",
            "MEDIA_DIR": str(tmp_path / "media"),
            "SECRET_KEY": "a-long-random-production-secret",
        }
    )
    assert production.config["RATELIMIT_ENABLED"] is True
    assert production.config["RATELIMIT_STORAGE_URI"] == "memory://"


def test_storage_comes_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("FIELDAUDIT_RATELIMIT_STORAGE_URI", "memory://?shared=1")
    configured = create_app(
        {"DATABASE_URL": f"sqlite:///{tmp_path / 'e.sqlite'}", "MEDIA_DIR": str(tmp_path / "m")}
    )
    assert configured.config["RATELIMIT_STORAGE_URI"] == "memory://?shared=1"


@pytest.mark.parametrize("endpoint", sorted(RATE_LIMITS))
def test_every_limited_endpoint_exists(app, endpoint):
    assert endpoint in app.view_functions
    key, default, methods = RATE_LIMITS[endpoint]
    assert key.startswith("RATELIMIT_") and "/" in default
    # Writes are limited; of the reads only the duplicate check (it can be probed) and
    # routes (each runs Dijkstra over the whole walking network twice).
    assert methods == ("POST",) or (endpoint, methods) in {
        ("api.nearby_sites", ("GET",)),
        ("api.route", ("GET",)),
    }


def test_two_workers_share_the_limit_through_redis(limited_app, herlev, make_report_payload):
    """Gunicorn runs several worker processes; with memory:// each counts alone, with a
    redis:// storage (FIELDAUDIT_RATELIMIT_STORAGE_URI) they share one count."""
    import uuid

    import redis

    server = redis.Redis.from_url(REDIS_URL)
    server.ping()  # the test command starts Redis (scripts/test.sh)
    prefix = f"fieldaudit-test-{uuid.uuid4().hex}"
    shared = {
        "RATELIMIT_REPORTS": "3/minute",
        "RATELIMIT_STORAGE_URI": REDIS_URL,
        "RATELIMIT_KEY_PREFIX": prefix,
    }
    workers = [limited_app(**shared).test_client() for _ in range(2)]
    statuses = [
        workers[number % 2].post("/api/v1/reports", json=make_report_payload()).status_code
        for number in range(4)
    ]
    assert statuses == [201, 201, 201, 429]
    assert server.keys(f"*{prefix}*")
    server.delete(*server.keys(f"*{prefix}*"))
    alone = [limited_app(RATELIMIT_REPORTS="3/minute").test_client() for _ in range(2)]
    statuses = [
        alone[number % 2].post("/api/v1/reports", json=make_report_payload()).status_code
        for number in range(4)
    ]
    assert statuses == [201, 201, 201, 201]  # memory://: each worker counts only its own
