"""Security headers: a strict Content-Security-Policy (no inline script) and friends."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, abort, request


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


def init_security_headers(app: Flask) -> None:
    """Add security headers to every response."""
    policy = content_security_policy(app.config.get("TILE_URL", ""))

    @app.after_request
    def add_headers(response):
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
        values = [*request.args.values()]
        if request.method in ("POST", "PUT", "PATCH") and request.mimetype in (
            "application/x-www-form-urlencoded",
            "multipart/form-data",
        ):
            values += [*request.form.values()]
        if any("\x00" in value for value in values):
            abort(400)
        return None
