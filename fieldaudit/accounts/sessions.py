"""Signed-in sessions: begun with time stamps, checked on every request, ended for good.

The session cookie names the user by ``users.session_token`` (``User.get_id``), so a session
ends when the token changes (sign-out, password, role, active) or the user is deleted. On top
of that every request checks two stamps kept in the (signed) session:

* ``_signed_in_at``: the session ends ``SESSION_LIFETIME_HOURS`` (12) after signing in, however
  busy it is (the cookie's own lifetime is the same, Flask's ``PERMANENT_SESSION_LIFETIME``);
* ``_last_seen``: staff sessions (reviewer, planner, admin) end after ``IDLE_TIMEOUT_MINUTES``
  (30) without a request.

A session without the stamps was not begun by signing in (a remember-me cookie, a session from
before this check) and is ended as well.
"""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from flask import Flask, flash, request, session
from flask_babel import gettext
from flask_login import current_user, login_user, logout_user

from fieldaudit.accounts import users as accounts
from fieldaudit.extensions import db
from fieldaudit.models import User
from fieldaudit.permissions import STAFF, roles_holding

SIGNED_IN_AT = "_signed_in_at"
LAST_SEEN = "_last_seen"
# Roles whose sessions end after a while without use: they see reporters' data or act for
# the municipality.
IDLE_ROLES = frozenset(role.value for role in roles_holding(*STAFF))
# Content-hashed public files: no user is needed, and their requests keep no session alive.
UNCHECKED_ENDPOINTS = frozenset({"static", "vendor.file"})


def expiry_reason(
    stamps: dict[str, Any], role: str, now: float, lifetime: timedelta, idle: timedelta
) -> str | None:
    """Why a session with these stamps has ended ("lifetime" or "idle"), or None if it has not."""
    signed_in_at = stamps.get(SIGNED_IN_AT)
    last_seen = stamps.get(LAST_SEEN)
    if not isinstance(signed_in_at, int | float) or not isinstance(last_seen, int | float):
        return "lifetime"
    if now - signed_in_at >= lifetime.total_seconds():
        return "lifetime"
    if role in IDLE_ROLES and now - last_seen >= idle.total_seconds():
        return "idle"
    return None


def session_values(user: User, now: float | None = None) -> dict[str, Any]:
    """What a freshly signed-in session holds (besides Flask-Login's own bookkeeping)."""
    moment = int(time.time() if now is None else now)
    return {"_user_id": user.get_id(), "_fresh": True, SIGNED_IN_AT: moment, LAST_SEEN: moment}


def sign_in(user: User) -> None:
    """Begin a new session for ``user`` (nothing of the previous session is kept)."""
    session.clear()
    login_user(user)
    session.permanent = True
    session.update(session_values(user))


def forget_session() -> None:
    """Drop the signed-in user from this session (and any remember-me cookie)."""
    session.clear()
    logout_user()  # after clear(): it marks a remember-me cookie to be deleted


def sign_out() -> None:
    """End every session of the signed-in user, on every device, and this one."""
    if current_user.is_authenticated:
        accounts.end_sessions(db.session, current_user._get_current_object())  # type: ignore[attr-defined]
        db.session.commit()
    forget_session()


def ended_message(reason: str, lifetime: timedelta, idle: timedelta) -> str:
    """What the person is told when their session has ended for ``reason``."""
    if reason == "idle":
        return gettext(
            "Du er logget ud, fordi du ikke har brugt FieldAudit i %(minutes)s minutter. "
            "Log ind igen.",
            minutes=int(idle.total_seconds() // 60),
        )
    return gettext(
        "Du er logget ud, fordi det er %(hours)s timer siden, du loggede ind. Log ind igen.",
        hours=int(lifetime.total_seconds() // 3600),
    )


def init_sessions(app: Flask) -> None:
    """Set the session lifetime and check every signed-in request's session."""
    lifetime = timedelta(hours=float(app.config["SESSION_LIFETIME_HOURS"]))
    idle = timedelta(minutes=float(app.config["IDLE_TIMEOUT_MINUTES"]))
    # Forced: Flask's own default (31 days) would otherwise win over a setdefault.
    app.config["PERMANENT_SESSION_LIFETIME"] = lifetime

    @app.before_request
    def check_session():
        if request.endpoint in UNCHECKED_ENDPOINTS:
            return None
        # From the session or a remember-me cookie (which has no stamps, so it ends below).
        if not current_user.is_authenticated:
            if "_user_id" in session:  # a replaced token, a deleted or inactive user
                forget_session()
            return None
        now = time.time()
        reason = expiry_reason(session, current_user.role, now, lifetime, idle)
        if reason is not None:
            forget_session()
            flash(ended_message(reason, lifetime, idle), "error")
            return None
        session[LAST_SEEN] = int(now)
        return None
