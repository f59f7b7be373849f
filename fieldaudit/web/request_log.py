"""One JSON line per request on the ``fieldaudit.requests`` logger, and the request id.

Every request gets an id: the ``X-Request-ID`` the reverse proxy sets (nginx's
``$request_id``), if the app is behind one (FIELDAUDIT_PROXY_HOPS) and the value is sane, else
a fresh one. It is sent back in the ``X-Request-ID`` header and shown on error pages, so a
person's "it said error abc123" finds the log line. The line holds the id, method, path (never
the query string, which may carry a position or a token), status, duration in ms and the user's
role (``anonymous`` when not signed in); never an e-mail, a device token or a name.

FIELDAUDIT_LOG_JSON turns the lines on or off (default: on in production). They go to stderr
(gunicorn's error log, the journal under systemd) unless the logger already has a handler.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import sys
import time
from datetime import UTC, datetime

from flask import Flask, current_app, request, session

LOGGER = "fieldaudit.requests"
HEADER = "X-Request-ID"
# Kept on the request's environ, not on ``g`` (an app context may outlive one request).
ENVIRON_KEY, STARTED_KEY = "fieldaudit.request_id", "fieldaudit.request_started"
SANE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{7,99}")


def request_id() -> str:
    """This request's id (made now if no hook has made it yet)."""
    environ = request.environ
    if ENVIRON_KEY not in environ:
        environ[ENVIRON_KEY] = _incoming_id(current_app)
        environ[STARTED_KEY] = time.perf_counter()
    return environ[ENVIRON_KEY]


def _incoming_id(app: Flask) -> str:
    offered = request.headers.get(HEADER, "")
    if app.config.get("PROXY_HOPS") and SANE_ID.fullmatch(offered):
        return offered
    return secrets.token_hex(16)


def _role() -> str:
    # Without a session cookie nobody is signed in: the session is not touched (touching it
    # would add "Vary: Cookie" to public, cacheable answers) and no user is looked up.
    if current_app.config.get("SESSION_COOKIE_NAME", "session") not in request.cookies:
        return "anonymous"
    if "_user_id" not in session:
        return "anonymous"
    from flask_login import current_user

    return current_user.role if current_user.is_authenticated else "anonymous"


def _handler_for(logger: logging.Logger) -> None:
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False


def init_request_log(app: Flask) -> None:
    """Give every request an id and, if FIELDAUDIT_LOG_JSON is on, log one line for it."""
    setting = str(app.config.get("LOG_JSON", "")).strip().lower()
    if setting in ("", "auto"):
        enabled = app.config.get("ENV_NAME") == "production"
    else:
        enabled = setting in ("1", "true", "yes", "on")
    logger = logging.getLogger(LOGGER)
    if enabled:
        _handler_for(logger)

    @app.before_request
    def start_request():
        request_id()

    @app.after_request
    def log_request(response):
        response.headers[HEADER] = request_id()
        if enabled:
            line = {
                "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
                "request_id": request_id(),
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "duration_ms": round(
                    (time.perf_counter() - request.environ[STARTED_KEY]) * 1000, 1
                ),
                "role": _role(),
            }
            logger.info(json.dumps(line, ensure_ascii=False))
        return response

    app.jinja_env.globals["request_id"] = request_id
