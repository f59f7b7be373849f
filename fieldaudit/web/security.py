"""Security headers: a strict Content-Security-Policy (no inline script), HSTS in production,
``Cache-Control: no-store`` on everything personal, request guards and rate limits."""

from __future__ import annotations

import math
import time
from urllib.parse import urlsplit

from flask import Flask, abort, request, session
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

from fieldaudit.web import query
from fieldaudit.web.client import DEVICE_TOKEN_HEADER


def content_security_policy(tile_url: str) -> str:
    """Build the CSP; map tiles are the only third-party origin, and only if configured."""
    tiles = ""
    if tile_url:
        parts = urlsplit(tile_url.replace("{s}", "a"))
        tiles = f" {parts.scheme}://{parts.netloc}"
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            f"img-src 'self' data: blob:{tiles}",
            "connect-src 'self'",
            "worker-src 'self'",
            "manifest-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


# Public, content-hashed files: browsers and shared caches may keep them, even when a signed-in
# user's browser asks (every other answer to a signed-in user is ``no-store``).
CACHEABLE_ENDPOINTS = frozenset({"static", "vendor.file"})
# Personal data answered to whoever holds a device token (the views check it themselves).
PERSONAL_DATA_ENDPOINTS = frozenset({"api.my_data", "api.my_reports"})
# Sent only in production (served over HTTPS behind the proxy): browsers then refuse plain HTTP.
HSTS_HEADER = "max-age={seconds}; includeSubDomains"


def must_not_be_stored(app: Flask) -> bool:
    """Tell whether this request's answer is personal: no browser or proxy may keep it.

    That is every page behind sign-in (a view with ``required_roles``), every answer to a
    signed-in user or to a device token, and the personal-data endpoints.
    """
    endpoint = request.endpoint
    if endpoint in CACHEABLE_ENDPOINTS:
        return False
    if endpoint in PERSONAL_DATA_ENDPOINTS or DEVICE_TOKEN_HEADER in request.headers:
        return True
    if getattr(app.view_functions.get(endpoint or ""), "required_roles", None):
        return True
    return "_user_id" in session


def init_security_headers(app: Flask) -> None:
    """Add security headers to every response."""
    policy = content_security_policy(app.config.get("TILE_URL", ""))
    hsts = HSTS_HEADER.format(seconds=int(app.config.get("HSTS_SECONDS", 0)))
    production = app.config.get("ENV_NAME") == "production"

    @app.after_request
    def add_headers(response):
        if must_not_be_stored(app):
            response.headers["Cache-Control"] = "no-store"
        if production:
            response.headers.setdefault("Strict-Transport-Security", hsts)
        response.headers.setdefault("Content-Security-Policy", policy)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault(
            "Permissions-Policy", "geolocation=(self), camera=(self), microphone=()"
        )
        return response


# --- Hardening (issue 8): refuse what no form field can hold -------------------------------

# Blueprints that check their own input and answer errors in their own formats.
SELF_CHECKING_BLUEPRINTS = frozenset({"api", "priority_api", "open311", "ogc"})


def init_request_guards(app: Flask) -> None:
    """Refuse form and query values with NUL characters (400) before any view sees them.

    PostgreSQL cannot store NUL in text and no browser form sends it, so it is only ever an
    attack or a broken client; without this a review note with NUL was a 500 on PostGIS.
    """

    @app.before_request
    def refuse_nul_characters():
        top = (request.blueprint or "").split(".")[0]
        if request.endpoint is None or top in SELF_CHECKING_BLUEPRINTS:
            return None
        values = [*query.all_args().values()]
        if request.method in ("POST", "PUT", "PATCH") and request.mimetype in (
            "application/x-www-form-urlencoded",
            "multipart/form-data",
        ):
            values += [*request.form.values()]
        if any("\x00" in value for value in values):
            abort(400)
        return None


# --- Rate limits (hardening, issue 8): every limit of the app, in one place ---------------------

# endpoint -> (configuration key, default limit, methods it counts). A limit is a Flask-Limiter
# string ("30/minute;300/hour"), set per deployment with FIELDAUDIT_<KEY>. Keyed by client
# address: behind a reverse proxy, wrap the app in werkzeug's ProxyFix so that is the client's.
RATE_LIMITS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    # Anonymous submissions: an outbox after a day offline is tens of reports, not hundreds.
    "api.create_report": ("RATELIMIT_REPORTS", "60/minute;600/hour", ("POST",)),
    "api.confirm_site": ("RATELIMIT_CONFIRMATIONS", "60/minute;600/hour", ("POST",)),
    "public.confirm": ("RATELIMIT_CONFIRMATIONS", "60/minute;600/hour", ("POST",)),
    # The duplicate check: a person asks once or twice per report; probing it is slowed down.
    "api.nearby_sites": ("RATELIMIT_NEARBY", "30/minute;300/hour", ("GET",)),
    # A route runs Dijkstra twice over the whole network (issue 16).
    "api.route": ("RATELIMIT_ROUTES", "60/minute;600/hour", ("GET",)),
    # Password guessing (on top of the per-account throttle in accounts/users.py).
    "accounts.login": ("RATELIMIT_LOGIN", "10/minute;100/hour", ("POST",)),
    "accounts.invitation": ("RATELIMIT_PASSWORD_FORMS", "10/minute;100/hour", ("POST",)),
    "accounts.delete_own_account": ("RATELIMIT_PASSWORD_FORMS", "10/minute;100/hour", ("POST",)),
    # Following by e-mail sends a confirmation mail to any address typed: kept slow (issue 15).
    "mail.follow": ("RATELIMIT_FOLLOW", "5/minute;30/hour", ("POST",)),
}


def init_rate_limits(app: Flask) -> Limiter:
    """Apply RATE_LIMITS to the app's views (after the blueprints are registered).

    Storage: FIELDAUDIT_RATELIMIT_STORAGE_URI (default memory://, per process; use
    redis://... to share the counts between gunicorn workers). Off in tests unless
    RATELIMIT_ENABLED is set; a refused request is a 429 with Retry-After, in JSON under
    /api/ and as a page elsewhere (the app's error handlers).
    """
    app.config.setdefault("RATELIMIT_STORAGE_URI", "memory://")
    app.config.setdefault("RATELIMIT_ENABLED", not app.testing)
    # Flask-Limiter's own headers would put its Retry-After on every answer of a limited view
    # (a 503 included); only a refusal gets one, below.
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", False)
    limiter = Limiter(get_remote_address, app=app)
    # The wrapped views refer to the limiter weakly: the app must hold it.
    app.extensions["fieldaudit_limiter"] = limiter

    @app.after_request
    def retry_after_a_refusal(response):
        if response.status_code == 429 and "Retry-After" not in response.headers:
            breached = limiter.current_limit
            wait = breached.reset_at - time.time() if breached is not None else 60
            response.headers["Retry-After"] = str(max(1, math.ceil(wait)))
        return response

    for endpoint, (key, default, methods) in RATE_LIMITS.items():
        view = app.view_functions.get(endpoint)
        if view is None:
            continue
        limit = str(app.config.get(key) or default)
        app.view_functions[endpoint] = limiter.limit(limit, methods=list(methods))(view)
    return limiter
