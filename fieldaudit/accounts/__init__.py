"""Accounts and roles: sign-in, invitations, user administration, and app-wide form safety.

``init_accounts(app)`` sets up what every form and session of the app relies on: CSRF
protection for every POST (except the JSON API blueprints, which take no forms and no
cookies' word for anything), secure session cookie flags, the session's lifetime and idle
timeout (``accounts/sessions.py``), and a readable 400 page when a form's token is missing or
stale.
"""

from __future__ import annotations

from flask import Flask, render_template, request
from flask_wtf.csrf import CSRFError, CSRFProtect

from fieldaudit.accounts import (
    operations_views,  # noqa: F401  (jobs page, issue 15)
    privacy_views,  # noqa: F401  ('my data' routes, issue 8)
)
from fieldaudit.accounts.sessions import init_sessions
from fieldaudit.accounts.views import bp as accounts

__all__ = ["CSRF_EXEMPT_BLUEPRINTS", "accounts", "csrf", "init_accounts"]

csrf = CSRFProtect()

# JSON APIs (no forms): the field app's API, and the standard APIs when they exist.
CSRF_EXEMPT_BLUEPRINTS = frozenset({"api", "open311", "ogc"})


def init_accounts(app: Flask) -> None:
    """Register the accounts blueprint, CSRF protection and cookie settings on ``app``."""
    production = app.config.get("ENV_NAME") == "production"
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config.setdefault("SESSION_COOKIE_SAMESITE", "Lax")
    app.config["SESSION_COOKIE_SECURE"] = production or bool(
        app.config.get("SESSION_COOKIE_SECURE")
    )
    app.config["REMEMBER_COOKIE_HTTPONLY"] = True
    app.config["REMEMBER_COOKIE_SAMESITE"] = "Lax"
    app.config["REMEMBER_COOKIE_SECURE"] = app.config["SESSION_COOKIE_SECURE"]
    # Checked below for every blueprint but the exempt ones.
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", 8 * 3600)
    csrf.init_app(app)

    @app.before_request
    def protect_forms():
        if not app.config.get("WTF_CSRF_ENABLED", True):
            return None
        if request.method not in app.config.get(
            "WTF_CSRF_METHODS", ("POST", "PUT", "PATCH", "DELETE")
        ):
            return None
        if request.endpoint is None:
            return None  # no view will run (404/405)
        top = (request.blueprint or "").split(".")[0]
        if top in CSRF_EXEMPT_BLUEPRINTS:
            return None
        csrf.protect()
        return None

    init_sessions(app)  # after the CSRF check: a form is checked against the session it came with

    @app.errorhandler(CSRFError)
    def csrf_failed(error: CSRFError):
        return render_template("accounts/csrf_error.html"), 400

    app.register_blueprint(accounts)
