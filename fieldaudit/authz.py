"""Access to the views: who is signed in, and the roles a view needs.

Views declare the roles they need with ``@require_role(...)``; anonymous visitors are sent to
the login page, signed-in users without the role get 403. Which role implies which is the one
table in ``permissions`` (shared with the domain's checks of each action).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlsplit

from flask import abort, redirect, request, url_for
from flask_login import LoginManager, current_user
from sqlalchemy import select

from fieldaudit.extensions import db
from fieldaudit.models import User
from fieldaudit.permissions import holds
from fieldaudit.status import Role

login_manager = LoginManager()
login_manager.login_view = "accounts.login"


@login_manager.user_loader
def load_user(session_token: str) -> User | None:
    """Load the signed-in user for Flask-Login by the session token the cookie holds.

    Never by the integer id: SQLite gives a deleted user's id to the next account. The token
    changes when the user signs out or their password, role or active state changes, so an
    old cookie (or remember-me cookie) then loads nobody.
    """
    if not session_token or len(session_token) > 64:
        return None
    user = db.session.scalar(select(User).where(User.session_token == session_token))
    return user if user is not None and user.active else None


def has_role(user: Any, *roles: Role) -> bool:
    """Tell whether a (possibly anonymous) user holds one of ``roles`` (``permissions.holds``)."""
    return bool(getattr(user, "is_authenticated", False)) and holds(user, *roles)


def _come_back_to() -> str | None:
    """Where to go after signing in: this page, or for a form sent after the session ended
    (idle, 12 h) the page the form was on, since a sent form cannot be opened again."""
    if request.method == "GET":
        return request.full_path
    referrer = urlsplit(request.referrer or "")
    if referrer.netloc != request.host or not referrer.path.startswith("/"):
        return None
    return referrer.path + (f"?{referrer.query}" if referrer.query else "")


def require_role(*roles: Role) -> Callable:
    """Decorator: the view needs a signed-in user with one of ``roles``."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return redirect(url_for(login_manager.login_view, next=_come_back_to()))
            if not has_role(current_user, *roles):
                abort(403)
            return view(*args, **kwargs)

        wrapped.required_roles = roles  # type: ignore[attr-defined]
        return wrapped

    return decorator
