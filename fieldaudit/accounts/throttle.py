"""Sign-in throttling in the database (no Flask), shared by every worker process.

Two counters, both in ``login_attempts`` (one row per key, updated atomically):

* per (e-mail, client address) pair: after ``MAX_FAILED_LOGINS`` failures the pair is locked
  for ``LOCK_MINUTES`` minutes, doubling with every further series (at most ``MAX_LOCK``). Only
  that address is refused, so an attacker elsewhere cannot lock the real user out; unknown
  e-mails are counted exactly like known ones, so a lock tells nothing about who has an account;
* per client address: at most ``CLIENT_LIMIT`` failures in a ``CLIENT_WINDOW`` that starts at
  the window's first failure, whatever the e-mail.

Keys are SHA-256 digests, so neither the e-mails tried nor the addresses are stored in the clear.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, case, delete, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from fieldaudit.models import LoginAttempts
from fieldaudit.utc import as_utc

MAX_FAILED_LOGINS = 5
LOCK_MINUTES = 15
MAX_LOCK = timedelta(days=1)
CLIENT_LIMIT = 20
CLIENT_WINDOW = timedelta(minutes=15)
# A pair's series of failures is forgotten this long after its last failure.
FORGET_AFTER = 2 * MAX_LOCK


@dataclass(frozen=True)
class Lockout:
    """A pair that has just been locked: for the log line."""

    failures: int
    until: datetime


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()


def email_key(email: str) -> str:
    """The stored form of an (already normalised) e-mail, for finding its locks."""
    return _digest("email", email)


def pair_key(email: str, client: str) -> str:
    """The key of one e-mail tried from one client address."""
    return _digest("pair", email, client)


def client_key(client: str) -> str:
    """The key of one client address."""
    return _digest("client", client)


def lock_length(failures: int) -> timedelta:
    """How long a pair is locked after ``failures`` (a multiple of MAX_FAILED_LOGINS)."""
    series = max(failures // MAX_FAILED_LOGINS, 1)
    doublings = min(series - 1, 16)  # 15 min x 2^16 is far past MAX_LOCK (and no overflow)
    return min(timedelta(minutes=LOCK_MINUTES) * 2**doublings, MAX_LOCK)


def refused(session: Session, email: str, client: str, now: datetime) -> bool:
    """Tell whether sign-in for ``email`` from ``client`` is refused without checking anything."""
    rows = session.execute(
        select(
            LoginAttempts.key,
            LoginAttempts.failures,
            LoginAttempts.window_start,
            LoginAttempts.locked_until,
        ).where(LoginAttempts.key.in_([pair_key(email, client), client_key(client)]))
    ).all()
    for key, failures, window_start, locked_until in rows:
        if key == client_key(client):
            if failures >= CLIENT_LIMIT and as_utc(window_start) > now - CLIENT_WINDOW:
                return True
        elif locked_until is not None and as_utc(locked_until) > now:
            return True
    return False


def _count(
    session: Session,
    key: str,
    email_hash: str | None,
    is_stale: ColumnElement[bool],
    now: datetime,
) -> int:
    """Add one failure to ``key`` (counting from 1 again when ``is_stale``); return the count."""
    bump = (
        update(LoginAttempts)
        .where(LoginAttempts.key == key)
        .values(
            failures=case((is_stale, 1), else_=LoginAttempts.failures + 1),
            window_start=case((is_stale, now), else_=LoginAttempts.window_start),
            last_failure_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    if session.execute(bump).rowcount == 0:
        try:
            with session.begin_nested():
                session.execute(
                    insert(LoginAttempts).values(
                        key=key,
                        email_hash=email_hash,
                        failures=1,
                        window_start=now,
                        last_failure_at=now,
                    )
                )
        except IntegrityError:  # another worker inserted it first
            session.execute(bump)
    return session.scalar(select(LoginAttempts.failures).where(LoginAttempts.key == key)) or 0


def record_failure(session: Session, email: str, client: str, now: datetime) -> Lockout | None:
    """Count a failed sign-in for the pair and the client; return the lock it starts, if any."""
    _forget_old(session, now)
    _count(
        session,
        client_key(client),
        None,
        LoginAttempts.window_start <= now - CLIENT_WINDOW,
        now,
    )
    key = pair_key(email, client)
    failures = _count(
        session,
        key,
        email_key(email),
        LoginAttempts.last_failure_at <= now - FORGET_AFTER,
        now,
    )
    if failures % MAX_FAILED_LOGINS:
        return None
    until = now + lock_length(failures)
    session.execute(
        update(LoginAttempts)
        .where(LoginAttempts.key == key)
        .values(locked_until=until)
        .execution_options(synchronize_session=False)
    )
    return Lockout(failures, until)


def forget_pair(session: Session, email: str, client: str) -> None:
    """Forget the failures of a pair (after it signed in successfully)."""
    session.execute(
        delete(LoginAttempts)
        .where(LoginAttempts.key == pair_key(email, client))
        .execution_options(synchronize_session=False)
    )


def unlock(session: Session, email: str) -> int:
    """Lift every lock of an e-mail and forget its failures; return from how many addresses."""
    rows = session.execute(
        delete(LoginAttempts)
        .where(LoginAttempts.email_hash == email_key(email))
        .execution_options(synchronize_session=False)
    )
    return rows.rowcount or 0


def _forget_old(session: Session, now: datetime) -> None:
    """Delete rows nobody needs any more, so the table stays small."""
    session.execute(
        delete(LoginAttempts)
        .where(
            LoginAttempts.last_failure_at < now - FORGET_AFTER,
            or_(LoginAttempts.locked_until.is_(None), LoginAttempts.locked_until < now),
        )
        .execution_options(synchronize_session=False)
    )
