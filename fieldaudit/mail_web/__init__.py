"""E-mail pages (issue 15): follow a barrier or an area (double opt-in), confirm, one-click
unsubscribe (RFC 8058), staff digest settings, and the admins' view of the outbox.

``init_mail(app)`` registers the blueprint and gives every database session of the app what
mails need to link back (``mail.links.configure``: ``FIELDAUDIT_MAIL_BASE_URL`` and the secret).
"""

from __future__ import annotations

from typing import Any

from flask import Flask, appcontext_pushed

from fieldaudit.extensions import db
from fieldaudit.mail.links import configure
from fieldaudit.mail_web.views import mail

__all__ = ["init_mail", "mail"]

DEFAULT_BASE_URL = "http://localhost:5000"


def configure_links(app: Flask) -> None:
    """Configure mail links on the current app context's session."""
    configure(
        db.session, app.config.get("MAIL_BASE_URL") or DEFAULT_BASE_URL, app.config["SECRET_KEY"]
    )


def init_mail(app: Flask) -> None:
    """Register the mail pages; configure mail links in every app context of ``app``."""
    app.register_blueprint(mail)

    def pushed(sender: Flask, **_extra: Any) -> None:
        configure_links(sender)

    appcontext_pushed.connect(pushed, app, weak=False)
