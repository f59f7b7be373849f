"""``GET /healthz`` (the process answers) and ``GET /readyz`` (it can serve), as JSON.

Both are answered by a WSGI layer in front of the Flask app, so no hook runs for them: no host
check (a load balancer probes by address, whatever FIELDAUDIT_TRUSTED_HOSTS says), no session,
no rate limit, no request log line (a probe every few seconds would drown the log). Readiness
runs every check in ``app.extensions["fieldaudit_readiness"]``: the database answers, its
migrations are at the head revision, and the media folder is writable. More checks (the mail
outbox not stuck) are added with ``add_readiness_check(app, name, check)``; a check returns
``(ok, detail)`` and is called inside an app context.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from functools import cache
from pathlib import Path

from flask import Flask
from sqlalchemy import text

from fieldaudit.extensions import db

HEALTH_PATH = "/healthz"
READY_PATH = "/readyz"
ReadinessCheck = Callable[[Flask], tuple[bool, str]]


@cache
def migration_heads(directory: str) -> frozenset[str]:
    """The head revisions of the migrations folder (read once per process)."""
    from alembic.script import ScriptDirectory

    return frozenset(ScriptDirectory(directory).get_heads())


def database_ready(app: Flask) -> tuple[bool, str]:
    """The database answers and its migrations are at the head revision."""
    try:
        with db.engine.connect() as connection:
            current = {
                row[0]
                for row in connection.execute(text("SELECT version_num FROM alembic_version"))
            }
    except Exception as exc:  # any failure means "not ready", with its class for the operator
        return False, f"database unreachable ({type(exc).__name__})"
    heads = migration_heads(app.extensions["migrate"].directory)
    if current != heads:
        return False, f"migrations at {sorted(current)}, head is {sorted(heads)}"
    return True, "ok"


def media_writable(app: Flask) -> tuple[bool, str]:
    """A file can be created (and removed) in the media folder."""
    try:
        with tempfile.NamedTemporaryFile(dir=Path(app.config["MEDIA_DIR"]), prefix=".readyz-"):
            pass
    except OSError as exc:
        return False, f"media folder not writable ({exc.strerror})"
    return True, "ok"


def add_readiness_check(app: Flask, name: str, check: ReadinessCheck) -> None:
    """Add a check to /readyz (e.g. ``outbox`` from the mail worker)."""
    app.extensions.setdefault("fieldaudit_readiness", {})[name] = check


class HealthEndpoints:
    """WSGI middleware answering the two probe paths before the Flask app sees them."""

    def __init__(self, app: Flask, wsgi_app: Callable) -> None:
        self.app = app
        self.wsgi_app = wsgi_app

    def _answer(self, start_response, status: int, body: dict, method: str):
        payload = json.dumps(body).encode()
        start_response(
            f"{status} {'OK' if status == 200 else 'Service Unavailable'}",
            [
                ("Content-Type", "application/json"),
                ("Content-Length", str(len(payload))),
                ("Cache-Control", "no-store"),
            ],
        )
        return [b""] if method == "HEAD" else [payload]

    def __call__(self, environ, start_response):
        path, method = environ.get("PATH_INFO", ""), environ.get("REQUEST_METHOD", "")
        if path not in (HEALTH_PATH, READY_PATH) or method not in ("GET", "HEAD"):
            return self.wsgi_app(environ, start_response)
        if path == HEALTH_PATH:
            return self._answer(start_response, 200, {"status": "ok"}, method)
        checks = {}
        with self.app.app_context():
            try:
                for name, check in self.app.extensions["fieldaudit_readiness"].items():
                    ok, detail = check(self.app)
                    checks[name] = {"ok": ok, "detail": detail}
            finally:
                db.session.remove()
        ready = all(result["ok"] for result in checks.values())
        body = {"status": "ok" if ready else "unavailable", "checks": checks}
        return self._answer(start_response, 200 if ready else 503, body, method)


def init_health(app: Flask) -> None:
    """Answer /healthz and /readyz in front of every other layer of the app."""
    add_readiness_check(app, "database", database_ready)
    add_readiness_check(app, "media", media_writable)
    app.wsgi_app = HealthEndpoints(app, app.wsgi_app)  # type: ignore[method-assign]
