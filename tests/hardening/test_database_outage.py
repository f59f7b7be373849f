"""The database goes away under a real server: the API answers 503 with Retry-After (JSON),
pages answer 503, and once the database is back the same report is stored exactly once.

PostgreSQL: the server is pointed at a closed port (connections refused). SpatiaLite: at a
file in a folder that does not exist (the database cannot be opened).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request

from fieldaudit.extensions import db as _db
from scripts.servers import Gunicorn, server_environment
from tests.conftest import TEST_DB


def post_report(url: str, payload: dict) -> tuple[int, dict, dict]:
    request = urllib.request.Request(
        f"{url}/api/v1/reports",
        data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json", "X-Device-Token": "o" * 40},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, dict(answer.headers), json.loads(answer.read())
    except urllib.error.HTTPError as error:
        with error:
            return error.code, dict(error.headers), json.loads(error.read())


def test_database_away_then_back(app, herlev, tmp_path, make_report_payload):
    with app.app_context():
        _db.session.remove()
        _db.engine.dispose()
    if TEST_DB == "postgis":
        gone = "postgresql+psycopg://postgres@127.0.0.1:9/fieldaudit"
    else:
        gone = f"sqlite:///{tmp_path / 'no-such-folder' / 'fieldaudit.sqlite'}"
    payload = make_report_payload()
    away = Gunicorn(server_environment({**app.config, "DATABASE_URL": gone}), tmp_path / "away.log")
    with away:
        status, headers, body = post_report(away.url, payload)
        assert status == 503, body
        assert headers["Retry-After"] == "30"
        assert body["error"] == "database_unavailable" and body["message"]
        try:
            urllib.request.urlopen(f"{away.url}/", timeout=30)
        except urllib.error.HTTPError as error:
            with error:
                assert error.code == 503
                assert "midlertidigt utilgængelig" in error.read().decode()

    back = Gunicorn(server_environment(app.config), tmp_path / "back.log", port=away.port)
    with back:
        assert post_report(back.url, payload)[0] == 201
        assert post_report(back.url, payload)[0] == 200  # a resend is not a second report
