"""Security headers: a strict Content-Security-Policy (no inline script) and friends."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask


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
