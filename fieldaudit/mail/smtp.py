"""The SMTP side, on Python's own smtplib and email packages.

Settings come from the app's configuration (``FIELDAUDIT_MAIL_SERVER``, ``_PORT``,
``_USERNAME``, ``_PASSWORD``, ``_USE_TLS`` (STARTTLS), ``_USE_SSL`` (implicit TLS),
``_SENDER``, ``_CA_FILE``); with no server, nothing is sent and the mail waits in the outbox.
TLS always verifies the server's certificate and name.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any

from fieldaudit.models import MailMessage

TIMEOUT_S = 30


@dataclass(frozen=True)
class SmtpSettings:
    """Where and how to hand mail over."""

    server: str
    port: int
    username: str
    password: str
    use_tls: bool
    use_ssl: bool
    sender: str
    ca_file: str = ""

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> SmtpSettings:
        """Read the ``MAIL_*`` settings (see ``config.defaults``)."""
        use_ssl = bool(config.get("MAIL_USE_SSL"))
        return cls(
            server=str(config.get("MAIL_SERVER") or ""),
            port=int(config.get("MAIL_PORT") or (465 if use_ssl else 25)),
            username=str(config.get("MAIL_USERNAME") or ""),
            password=str(config.get("MAIL_PASSWORD") or ""),
            use_tls=bool(config.get("MAIL_USE_TLS")),
            use_ssl=use_ssl,
            sender=str(config.get("MAIL_SENDER") or "FieldAudit <noreply@localhost>"),
            ca_file=str(config.get("MAIL_CA_FILE") or ""),
        )

    @property
    def configured(self) -> bool:
        """Tell whether a server is set (unset: mail stays in the outbox)."""
        return bool(self.server)


def email_message(message: MailMessage, sender: str, domain: str = "fieldaudit") -> EmailMessage:
    """The outbox row as a MIME message: plain text with an HTML alternative."""
    mime = EmailMessage()
    mime["From"] = sender
    mime["To"] = message.recipient
    mime["Subject"] = message.subject
    mime["Date"] = formatdate(localtime=False)
    # The same id on every attempt: a receiving server may drop a copy it already has.
    mime["Message-ID"] = make_msgid(idstring=f"outbox-{message.id}", domain=domain)
    mime["Content-Language"] = message.language
    mime["Auto-Submitted"] = "auto-generated"
    for name, value in (message.headers or {}).items():
        mime[name] = value
    mime.set_content(message.text_body)
    mime.add_alternative(message.html_body, subtype="html")
    return mime


class SmtpTransport:
    """One SMTP connection, opened on entering and closed on leaving."""

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings
        self.connection: smtplib.SMTP | None = None

    def __enter__(self) -> SmtpTransport:
        return self.open()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def open(self) -> SmtpTransport:
        """Connect (TLS and sign-in as configured)."""
        s = self.settings
        context = ssl.create_default_context(cafile=s.ca_file or None)
        if s.use_ssl:
            connection: smtplib.SMTP = smtplib.SMTP_SSL(
                s.server, s.port, timeout=TIMEOUT_S, context=context
            )
        else:
            connection = smtplib.SMTP(s.server, s.port, timeout=TIMEOUT_S)
        try:
            if s.use_tls and not s.use_ssl:
                connection.starttls(context=context)
            if s.username:
                connection.login(s.username, s.password)
        except BaseException:
            connection.close()
            raise
        self.connection = connection
        return self

    def send(self, mime: EmailMessage) -> None:
        """Hand one message to the server; returns only once the server accepted it."""
        assert self.connection is not None
        refused = self.connection.send_message(mime)
        if refused:
            raise smtplib.SMTPRecipientsRefused(refused)

    def close(self) -> None:
        """Say goodbye and close the socket (safe to call twice)."""
        if self.connection is None:
            return
        try:
            self.connection.quit()
        except (smtplib.SMTPException, OSError):
            pass
        finally:
            self.connection.close()
            self.connection = None


def is_permanent(error: BaseException) -> bool:
    """Tell whether an SMTP error will not go away by trying again (a 5xx answer)."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(500 <= code < 600 for code, _ in error.recipients.values())
    code = getattr(error, "smtp_code", None)
    return isinstance(code, int) and 500 <= code < 600 and code != 530
