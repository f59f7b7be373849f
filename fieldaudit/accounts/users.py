"""Accounts: password hashing, sign-in, sessions, invitations, roles (no Flask).

Passwords are hashed with scrypt (werkzeug, N=2^15, r=8, p=1). A sign-in is refused without
saying whether the e-mail exists: an unknown e-mail, a wrong password and an inactive account
get the same answer, and failures are throttled per (e-mail, client address) pair and per
address in the database (``fieldaudit.accounts.throttle``), the same for unknown e-mails as for
known ones. Every lockout is logged (``fieldaudit.accounts``), and ``unlock`` lifts them.

A signed-in session names its user by ``users.session_token``, never by the integer id (SQLite
gives a deleted user's id to the next account). ``track_session_tokens`` replaces the token
whenever a user's password, role or active state changes, and ``end_sessions`` does on sign-out,
so every session of the user ends; deleting the user deletes the token with the row.

Invitations are one-time links: the token is shown once, only its SHA-256 is stored in
``users.invite_token_hash``, and it expires after ``INVITE_DAYS`` days.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any, NoReturn

from sqlalchemy import event, func, inspect, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from fieldaudit.accounts import throttle
from fieldaudit.errors import ConflictError, DomainError, NotFoundError, Problem, ValidationError
from fieldaudit.models import User, new_session_token
from fieldaudit.problems import problem
from fieldaudit.status import Role
from fieldaudit.utc import as_utc

PASSWORD_METHOD = "scrypt:32768:8:1"
MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 256
INVITE_DAYS = 7
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

# A change of any of these ends every session of the user.
SESSION_ENDING_CHANGES = ("password_hash", "role", "active")

log = logging.getLogger("fieldaudit.accounts")

# Checked against when the e-mail is unknown, so both answers take the same time.
_DUMMY_HASH = generate_password_hash(secrets.token_hex(16), method=PASSWORD_METHOD)


class LoginRefused(DomainError):
    """Wrong e-mail or password (or an inactive account): HTTP 401."""

    status = 401


class TooManyAttempts(DomainError):
    """Too many failed logins for this e-mail from this client, or from the client: HTTP 429."""

    status = 429


class LastAdminError(ConflictError):
    """The change would leave no active administrator."""


WRONG_LOGIN = problem("password", "wrong_login")
TOO_MANY = problem("email", "too_many_attempts")


def _now(now: datetime | None) -> datetime:
    return (now or datetime.now(UTC)).astimezone(UTC)


def normalise_email(email: str) -> str:
    """The form an e-mail is stored and looked up in: trimmed and lower case."""
    return email.strip().lower()


def hash_password(password: str) -> str:
    """Hash a password with scrypt."""
    return generate_password_hash(password, method=PASSWORD_METHOD)


def hash_token(token: str) -> str:
    """The stored form of an invitation token."""
    return hashlib.sha256(token.encode()).hexdigest()


def password_problems(password: str, email: str = "") -> list[Problem]:
    """What is wrong with a new password (empty when it is good enough)."""
    problems: list[Problem] = []
    if len(password) < MIN_PASSWORD_LENGTH:
        problems.append(problem("password", "password_too_short", min_chars=MIN_PASSWORD_LENGTH))
    elif len(password) > MAX_PASSWORD_LENGTH:
        problems.append(problem("password", "password_too_long", max_chars=MAX_PASSWORD_LENGTH))
    elif len(set(password)) < 4 or (email and normalise_email(email) in password.lower()):
        problems.append(problem("password", "password_weak"))
    return problems


def email_problems(email: str) -> list[Problem]:
    """What is wrong with an e-mail address (empty when it looks like one)."""
    if len(email) <= 254 and EMAIL_PATTERN.match(email.strip()):
        return []
    return [problem("email", "invalid_email")]


def parse_role(value: str) -> Role:
    """The role named ``value``, or a ValidationError."""
    try:
        return Role(value)
    except ValueError:
        raise ValidationError(problem("role", "unknown_role")) from None


def find_user(session: Session, email: str) -> User | None:
    """The user with an e-mail address (case-insensitive), or None."""
    return session.scalar(select(User).where(User.email == normalise_email(email)))


def authenticate(
    session: Session,
    email: str,
    password: str,
    client: str,
    now: datetime | None = None,
) -> User:
    """Check an e-mail and password; return the user or raise LoginRefused / TooManyAttempts.

    The answer depends only on the e-mail, the address and the password, never on whether the
    account exists. Failures are counted (the caller commits in every case to keep them).
    """
    now = _now(now)
    email = normalise_email(email)[:254]
    if throttle.refused(session, email, client, now):
        raise TooManyAttempts(TOO_MANY)
    user = find_user(session, email)
    usable = user is not None and user.active and user.password_hash is not None
    # Without a usable account a dummy hash is checked, so both answers take the same time.
    matches = check_password_hash(user.password_hash if usable else _DUMMY_HASH, password)
    if not (usable and matches):
        _count_failure(session, email, client, now)
    assert user is not None and user.password_hash is not None
    throttle.forget_pair(session, email, client)
    user.last_login_at = now
    if not user.password_hash.startswith(PASSWORD_METHOD + "$"):
        user.password_hash = hash_password(password)
    if user.session_token is None:
        user.session_token = new_session_token()
    session.flush()
    return user


def _count_failure(session: Session, email: str, client: str, now: datetime) -> NoReturn:
    """Count a failed sign-in, log a lockout it causes, and raise the answer."""
    lockout = throttle.record_failure(session, email, client, now)
    session.flush()
    if lockout is None:
        raise LoginRefused(WRONG_LOGIN)
    log.warning(
        "Sign-in locked for %s from %s until %s after %d failed attempts",
        email,
        client,
        lockout.until.isoformat(timespec="seconds"),
        lockout.failures,
    )
    raise TooManyAttempts(TOO_MANY)


def unlock(session: Session, email: str) -> int:
    """Lift every sign-in lock of an e-mail; return from how many addresses it had failures."""
    return throttle.unlock(session, normalise_email(email))


def end_sessions(session: Session, user: User) -> None:
    """End every signed-in session of a user (on sign-out): a new session token."""
    user.session_token = new_session_token()
    session.flush()


def _rotate_changed_tokens(session: Session, _context: Any, _instances: Any) -> None:
    for user in session.dirty:
        if not isinstance(user, User):
            continue
        state = inspect(user)
        if any(state.attrs[name].history.has_changes() for name in SESSION_ENDING_CHANGES):
            user.session_token = new_session_token()


def track_session_tokens(session_class: type[Session]) -> None:
    """End a user's sessions whenever their password, role or active state changes.

    An ORM hook, so no code path that changes them can forget it.
    """
    if not event.contains(session_class, "before_flush", _rotate_changed_tokens):
        event.listen(session_class, "before_flush", _rotate_changed_tokens)


def create_user(
    session: Session,
    email: str,
    role: Role,
    password: str | None = None,
    display_name: str = "",
) -> User:
    """Create an account (with a password, or without one until an invitation is accepted)."""
    problems = email_problems(email)
    if password is not None:
        problems += password_problems(password, email)
    if problems:
        raise ValidationError(problems)
    if find_user(session, email) is not None:
        raise ConflictError(problem("email", "email_taken"))
    user = User(
        email=normalise_email(email),
        role=Role(role).value,
        display_name=display_name.strip()[:120],
        password_hash=hash_password(password) if password is not None else None,
        active=True,
    )
    session.add(user)
    session.flush()
    return user


def invite_user(
    session: Session,
    email: str,
    role: Role,
    display_name: str = "",
    now: datetime | None = None,
) -> tuple[User, str]:
    """Invite someone: create the account if needed and return it with a one-time token.

    Inviting again (before the invitation was used) replaces the old token. A person who
    already has a password cannot be invited.
    """
    now = _now(now)
    user = find_user(session, email)
    if user is None:
        user = create_user(session, email, role, None, display_name)
    elif user.password_hash is not None:
        raise ConflictError(problem("email", "already_member"))
    else:
        user.role = Role(role).value
        if display_name.strip():
            user.display_name = display_name.strip()[:120]
    token = secrets.token_urlsafe(32)
    user.invite_token_hash = hash_token(token)
    user.invite_expires_at = now + timedelta(days=INVITE_DAYS)
    user.active = True
    session.flush()
    return user, token


def user_for_invitation(session: Session, token: str, now: datetime | None = None) -> User | None:
    """The invited user a token belongs to, if the invitation is still valid."""
    if not token or len(token) > 200:
        return None
    user = session.scalar(select(User).where(User.invite_token_hash == hash_token(token)))
    if user is None or not user.active:
        return None
    expires = as_utc(user.invite_expires_at)
    if expires is None or expires <= _now(now):
        return None
    return user


def accept_invitation(
    session: Session,
    token: str,
    password: str,
    display_name: str = "",
    now: datetime | None = None,
) -> User:
    """Set the password of an invited user; the token cannot be used again."""
    user = user_for_invitation(session, token, now)
    if user is None:
        raise NotFoundError(problem("token", "invitation_invalid"))
    problems = password_problems(password, user.email)
    if problems:
        raise ValidationError(problems)
    user.password_hash = hash_password(password)
    user.invite_token_hash = None
    user.invite_expires_at = None
    if display_name.strip():
        user.display_name = display_name.strip()[:120]
    session.flush()
    return user


def set_password(session: Session, user: User, password: str) -> None:
    """Give a user a new password (which ends their sessions) and lift their sign-in locks."""
    problems = password_problems(password, user.email)
    if problems:
        raise ValidationError(problems)
    user.password_hash = hash_password(password)
    throttle.unlock(session, user.email)
    session.flush()


def _other_active_admins(session: Session, user: User) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(User)
            .where(User.role == Role.ADMIN.value, User.active.is_(True), User.id != user.id)
        )
        or 0
    )


def _keep_an_admin(session: Session, user: User) -> None:
    if user.role == Role.ADMIN.value and user.active and not _other_active_admins(session, user):
        raise LastAdminError(problem("role", "last_admin"))


def set_role(session: Session, user: User, role: Role) -> None:
    """Change a user's role (never removing the last active administrator)."""
    role = Role(role)
    if role != Role.ADMIN:
        _keep_an_admin(session, user)
    user.role = role.value
    session.flush()


def set_active(session: Session, user: User, active: bool) -> None:
    """Activate or deactivate an account (a deactivated user cannot sign in)."""
    if not active:
        _keep_an_admin(session, user)
        user.invite_token_hash = None
        user.invite_expires_at = None
    user.active = active
    session.flush()


def list_users(session: Session) -> list[User]:
    """Every account, administrators first, then by e-mail."""
    order = {Role.ADMIN.value: 0, Role.REVIEWER.value: 1, Role.PLANNER.value: 2}
    users = session.scalars(select(User)).all()
    return sorted(users, key=lambda u: (order.get(u.role, 3), u.email))


def invitation_pending(user: User, now: datetime | None = None) -> bool:
    """Tell whether a user has an unused, unexpired invitation."""
    expires = as_utc(user.invite_expires_at)
    return user.invite_token_hash is not None and expires is not None and expires > _now(now)
