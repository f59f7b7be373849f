"""The outbox: one row per e-mail, written in the transaction of the change that causes it.

A sender claims one row at a time with a lease (a single UPDATE whose WHERE repeats every
condition, so two senders never hold the same row; ``FOR UPDATE SKIP LOCKED`` on PostgreSQL
lets them pass each other), sends it, and marks it sent only after the SMTP server accepted it.
A failure puts the row back with a growing delay (``backoff``); a refusal that will not change
(a 5xx answer) or too many attempts gives it up, and admins see it on the outbox page.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import and_, case, delete, func, or_, select, update
from sqlalchemy.orm import Session

from fieldaudit.models import MailMessage

MAX_ATTEMPTS = 20
FIRST_RETRY = timedelta(minutes=1)
LONGEST_RETRY = timedelta(hours=1)
LEASE = timedelta(minutes=5)
STUCK_AFTER = timedelta(minutes=30)
KEEP_SENT = timedelta(days=30)


@dataclass(frozen=True)
class Draft:
    """A mail ready for the outbox (``compose`` makes them)."""

    recipient: str
    language: str
    subject: str
    text: str
    html: str
    headers: dict[str, str]


def _now(now: datetime | None) -> datetime:
    return (now or datetime.now(UTC)).astimezone(UTC)


def queue(session: Session, key: str, draft: Draft, now: datetime | None = None) -> bool:
    """Put a mail into the outbox once per idempotency key (flushes); True if it is new."""
    if session.scalar(select(MailMessage.id).where(MailMessage.idempotency_key == key)):
        return False
    moment = _now(now)
    session.add(
        MailMessage(
            idempotency_key=key,
            recipient=draft.recipient,
            language=draft.language,
            subject=draft.subject,
            text_body=draft.text,
            html_body=draft.html,
            headers=dict(draft.headers),
            created_at=moment,
            attempts=0,
            next_attempt_at=moment,
            last_error="",
        )
    )
    session.flush()
    return True


def _due(now: datetime):
    return (
        MailMessage.sent_at.is_(None),
        MailMessage.attempts < MAX_ATTEMPTS,
        MailMessage.next_attempt_at <= now,
        or_(MailMessage.lease_until.is_(None), MailMessage.lease_until < now),
    )


def claim(session: Session, now: datetime | None = None) -> tuple[MailMessage, str] | None:
    """Claim the oldest due mail for this sender (one UPDATE); return it and the lease token.

    The caller commits the claim before sending. None when nothing is due (or another sender
    took the row this one aimed at: the caller simply asks again)."""
    moment = _now(now)
    token = uuid.uuid4().hex
    oldest = (
        select(MailMessage.id)
        .where(*_due(moment))
        .order_by(MailMessage.id)
        .limit(1)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    claimed = session.execute(
        update(MailMessage)
        .where(MailMessage.id == oldest, *_due(moment))
        .values(lease_owner=token, lease_until=moment + LEASE)
        .returning(MailMessage.id)
        .execution_options(synchronize_session=False)
    ).scalar()
    if claimed is None:
        return None
    message = session.get(MailMessage, claimed, populate_existing=True)
    assert message is not None
    return message, token


def any_due(session: Session, now: datetime | None = None) -> bool:
    """Tell whether some mail is due (a claim that found nothing may have lost a race)."""
    return session.scalar(select(MailMessage.id).where(*_due(_now(now))).limit(1)) is not None


def mark_sent(session: Session, message_id: int, token: str, now: datetime | None = None) -> bool:
    """Record that the server accepted the mail (the caller commits at once)."""
    result = session.execute(
        update(MailMessage)
        .where(MailMessage.id == message_id, MailMessage.lease_owner == token)
        .values(sent_at=_now(now), lease_owner=None, lease_until=None, last_error="")
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def backoff(attempts: int) -> timedelta:
    """How long to wait after the ``attempts``-th failure: 1, 2, 4, ... minutes, at most 1 h."""
    return min(FIRST_RETRY * 2 ** max(0, attempts - 1), LONGEST_RETRY)


def mark_failed(
    session: Session,
    message_id: int,
    token: str,
    error: str,
    permanent: bool = False,
    now: datetime | None = None,
) -> None:
    """Put a mail back for a later attempt (or give it up when ``permanent``)."""
    message = session.get(MailMessage, message_id, populate_existing=True)
    if message is None or message.lease_owner != token:
        return
    message.attempts = MAX_ATTEMPTS if permanent else message.attempts + 1
    message.next_attempt_at = _now(now) + backoff(message.attempts)
    message.last_error = error[:1000]
    message.lease_owner = None
    message.lease_until = None
    session.flush()


def stuck(session: Session, now: datetime | None = None, after: timedelta = STUCK_AFTER) -> bool:
    """Tell whether the oldest unsent mail has waited longer than ``after`` (readiness)."""
    oldest = session.scalar(
        select(func.min(MailMessage.created_at)).where(
            MailMessage.sent_at.is_(None), MailMessage.attempts < MAX_ATTEMPTS
        )
    )
    if oldest is None:
        return False
    if oldest.tzinfo is None:
        oldest = oldest.replace(tzinfo=UTC)
    return oldest < _now(now) - after


def unsent(session: Session, limit: int = 200) -> list[MailMessage]:
    """The mails not sent yet (waiting, retrying or given up), oldest first (admins' page)."""
    return list(
        session.scalars(
            select(MailMessage)
            .where(MailMessage.sent_at.is_(None))
            .order_by(MailMessage.id)
            .limit(limit)
        )
    )


def counts(session: Session) -> dict[str, int]:
    """How many mails are waiting, given up and sent."""
    sent = MailMessage.sent_at.is_not(None)
    given_up = and_(MailMessage.sent_at.is_(None), MailMessage.attempts >= MAX_ATTEMPTS)
    waiting = and_(MailMessage.sent_at.is_(None), MailMessage.attempts < MAX_ATTEMPTS)
    row = session.execute(
        select(
            *(func.coalesce(func.sum(case((c, 1), else_=0)), 0) for c in (waiting, given_up, sent))
        )
    ).one()
    return {"waiting": int(row[0]), "given_up": int(row[1]), "sent": int(row[2])}


def purge(session: Session, now: datetime | None = None, keep: timedelta = KEEP_SENT) -> int:
    """Delete sent and given-up mails older than ``keep`` (they hold addresses); return how many."""
    cutoff = _now(now) - keep
    result = session.execute(
        delete(MailMessage)
        .where(
            MailMessage.created_at < cutoff,
            or_(MailMessage.sent_at.is_not(None), MailMessage.attempts >= MAX_ATTEMPTS),
        )
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


def for_recipient(session: Session, email: str) -> list[MailMessage]:
    """The mails in the outbox to an address (the personal-data export)."""
    return list(
        session.scalars(
            select(MailMessage)
            .where(func.lower(MailMessage.recipient) == email.lower())
            .order_by(MailMessage.id)
        )
    )
