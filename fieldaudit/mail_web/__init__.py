"""E-mail pages (issue 15): follow a barrier or an area (double opt-in), confirm, one-click
unsubscribe (RFC 8058), staff digest settings, and the admins' view of the outbox.

``init_mail(app)`` registers the blueprint and gives every database session of the app what
mails need to link back (``mail.links.configure``: ``FIELDAUDIT_MAIL_BASE_URL`` and the secret).
"""

from __future__ import annotations

from typing import Any

from flask import Flask, appcontext_pushed
from sqlalchemy.orm import Session

from fieldaudit.extensions import db
from fieldaudit.mail import outbox
from fieldaudit.mail.links import configure
from fieldaudit.mail_web.views import mail
from fieldaudit.web.health import add_readiness_check

__all__ = ["init_mail", "mail"]

DEFAULT_BASE_URL = "http://localhost:5000"


def configure_links(app: Flask) -> None:
    """Configure mail links on the current app context's session."""
    configure(
        db.session, app.config.get("MAIL_BASE_URL") or DEFAULT_BASE_URL, app.config["SECRET_KEY"]
    )


def outbox_ready(app: Flask) -> tuple[bool, str]:
    """/readyz: no mail has waited in the outbox for more than 30 minutes (only where a mail
    server is set; without one, mail waits by design)."""
    if not app.config.get("MAIL_SERVER"):
        return True, "no mail server: mail waits in the outbox"
    try:
        with Session(db.engine) as session:
            waiting = outbox.stuck(session)
    except Exception as exc:  # the database check reports the outage itself
        return False, f"outbox unreadable ({type(exc).__name__})"
    return (False, "mail has waited over 30 minutes") if waiting else (True, "ok")


def init_mail(app: Flask) -> None:
    """Register the mail pages and the outbox's readiness check; configure mail links in every
    app context of ``app``."""
    app.register_blueprint(mail)
    add_readiness_check(app, "outbox", outbox_ready)

    def pushed(sender: Flask, **_extra: Any) -> None:
        configure_links(sender)

    appcontext_pushed.connect(pushed, app, weak=False)
