"""The sender behind ``fieldaudit mail send``: claim, send, mark; once or in a loop.

Unlike a request, the sender owns its transactions: a claim is committed before the SMTP
conversation, and a sent mark right after the server accepted the message, so a crash loses no
mail and two senders (on one machine or two) never send the same row while its lease holds.
"""

from __future__ import annotations

import smtplib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from fieldaudit.mail import outbox
from fieldaudit.mail.smtp import SmtpSettings, SmtpTransport, email_message, is_permanent

Clock = Callable[[], datetime]


@dataclass
class SendResult:
    """What one pass of the sender did."""

    sent: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


def _loggable(error: BaseException) -> str:
    """An SMTP error for the log: its kind, code and the server's words, never an address."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = sorted({code for code, _ in error.recipients.values()})
        return f"SMTPRecipientsRefused {codes}"
    code = getattr(error, "smtp_code", None)
    return f"{type(error).__name__} {code or ''} {getattr(error, 'strerror', '') or ''}".strip()


def _clock() -> datetime:
    return datetime.now(UTC)


def send_due(
    session: Session,
    settings: SmtpSettings,
    clock: Clock = _clock,
    limit: int = 1000,
    transport: Callable[[SmtpSettings], SmtpTransport] = SmtpTransport,
    stop: Callable[[], bool] = lambda: False,
) -> SendResult:
    """Send every due mail (at most ``limit``) over one SMTP connection; commit after each."""
    result = SendResult()
    if not settings.configured:
        return result
    connection: SmtpTransport | None = None
    try:
        while result.sent + result.failed < limit and not stop():
            claimed = outbox.claim(session, clock())
            session.commit()
            if claimed is None:
                if outbox.any_due(session, clock()):
                    continue  # another sender took the row this one aimed at
                break
            message, token = claimed
            try:
                if connection is None:
                    connection = transport(settings).open()
                domain = settings.sender.rsplit("@", 1)[-1].strip("> ") or "fieldaudit"
                connection.send(email_message(message, settings.sender, domain))
            except (smtplib.SMTPException, OSError) as error:
                outbox.mark_failed(
                    session, message.id, token, repr(error), is_permanent(error), clock()
                )
                session.commit()
                result.failed += 1
                result.errors.append(_loggable(error))
                if connection is not None:
                    connection.close()
                    connection = None
                if not is_permanent(error):
                    break  # the server is away: the rest waits for the next pass
                continue
            outbox.mark_sent(session, message.id, token, clock())
            session.commit()
            result.sent += 1
    finally:
        session.rollback()
        if connection is not None:
            connection.close()
    return result
