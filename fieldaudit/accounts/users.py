"""Accounts: password hashing, login throttling, invitations, roles (no Flask).

Passwords are hashed with scrypt (werkzeug, N=2^15, r=8, p=1). A login is refused without
saying whether the e-mail exists. Two throttles work together:

* per account: after ``MAX_FAILED_LOGINS`` wrong passwords in a row the account is locked for
  ``LOCK_MINUTES`` minutes, doubling with every further series of failures (at most a day);
  the counter lives in ``users.failed_logins`` / ``users.locked_until``, so it holds across
  processes and restarts;
* per client address: ``ClientThrottle`` counts failed attempts for any e-mail, known or not,
  in a sliding window. It lives in the memory of one process (with N gunicorn workers an
  address gets at most N times the limit), which is enough to stop guessing against unknown
  e-mails without an extra table.

Invitations are one-time links: the token is shown once, only its SHA-256 is stored in
``users.invite_token_hash``, and it expires after ``INVITE_DAYS`` days.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import threading
from collections import deque
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from fieldaudit.errors import ConflictError, DomainError, NotFoundError, Problem, ValidationError
from fieldaudit.models import User
from fieldaudit.status import Role
from fieldaudit.taxonomy import Label

PASSWORD_METHOD = "scrypt:32768:8:1"
MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 256
MAX_FAILED_LOGINS = 5
LOCK_MINUTES = 15
MAX_LOCK = timedelta(days=1)
INVITE_DAYS = 7
CLIENT_LIMIT = 20
CLIENT_WINDOW = timedelta(minutes=15)
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

# Checked against when the e-mail is unknown, so both answers take the same time.
_DUMMY_HASH = generate_password_hash(secrets.token_hex(16), method=PASSWORD_METHOD)


class LoginRefused(DomainError):
    """Wrong e-mail or password (or an inactive account): HTTP 401."""

    status = 401


class TooManyAttempts(DomainError):
    """Too many failed logins from this client or for this account: HTTP 429."""

    status = 429


class LastAdminError(ConflictError):
    """The change would leave no active administrator."""


WRONG_LOGIN = Problem(
    "password",
    "wrong_login",
    Label("Forkert e-mail eller adgangskode.", "Wrong e-mail or password."),
)
TOO_MANY = Problem(
    "email",
    "too_many_attempts",
    Label(
        "For mange mislykkede forsøg. Vent et kvarter, og prøv igen.",
        "Too many failed attempts. Wait a quarter of an hour and try again.",
    ),
)


def _aware(moment: datetime | None) -> datetime | None:
    """SQLite gives naive UTC datetimes back; make them comparable."""
    if moment is None:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


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
        problems.append(
            Problem(
                "password",
                "password_too_short",
                Label(
                    f"Adgangskoden skal være mindst {MIN_PASSWORD_LENGTH} tegn.",
                    f"The password must be at least {MIN_PASSWORD_LENGTH} characters.",
                ),
            )
        )
    elif len(password) > MAX_PASSWORD_LENGTH:
        problems.append(
            Problem(
                "password",
                "password_too_long",
                Label(
                    f"Adgangskoden må højst være {MAX_PASSWORD_LENGTH} tegn.",
                    f"The password may be at most {MAX_PASSWORD_LENGTH} characters.",
                ),
            )
        )
    elif len(set(password)) < 4 or (email and normalise_email(email) in password.lower()):
        problems.append(
            Problem(
                "password",
                "password_weak",
                Label(
                    "Adgangskoden er for let at gætte. Brug flere forskellige tegn eller ord.",
                    "The password is too easy to guess. Use more different characters or words.",
                ),
            )
        )
    return problems


def email_problems(email: str) -> list[Problem]:
    """What is wrong with an e-mail address (empty when it looks like one)."""
    if len(email) <= 254 and EMAIL_PATTERN.match(email.strip()):
        return []
    return [
        Problem(
            "email",
            "invalid_email",
            Label("Skriv en gyldig e-mailadresse.", "Enter a valid e-mail address."),
        )
    ]


def parse_role(value: str) -> Role:
    """The role named ``value``, or a ValidationError."""
    try:
        return Role(value)
    except ValueError:
        raise ValidationError(
            Problem("role", "unknown_role", Label("Vælg en kendt rolle.", "Choose a known role."))
        ) from None


class ClientThrottle:
    """Failed logins per client address in a sliding window, in this process's memory."""

    def __init__(self, limit: int = CLIENT_LIMIT, window: timedelta = CLIENT_WINDOW) -> None:
        self.limit = limit
        self.window = window
        self._failures: dict[str, deque[datetime]] = {}
        self._lock = threading.Lock()

    def _trim(self, key: str, now: datetime) -> deque[datetime]:
        failures = self._failures.setdefault(key, deque())
        while failures and failures[0] <= now - self.window:
            failures.popleft()
        return failures

    def blocked(self, key: str, now: datetime | None = None) -> bool:
        """Tell whether the client has used up its failed attempts."""
        with self._lock:
            return len(self._trim(key, _now(now))) >= self.limit

    def record_failure(self, key: str, now: datetime | None = None) -> None:
        """Count one failed attempt by the client."""
        with self._lock:
            self._trim(key, _now(now)).append(_now(now))
            if len(self._failures) > 100_000:  # forget idle clients, keep memory bounded
                for idle in [k for k, v in self._failures.items() if not v]:
                    del self._failures[idle]

    def reset(self, key: str) -> None:
        """Forget a client's failures (after a successful login)."""
        with self._lock:
            self._failures.pop(key, None)


def find_user(session: Session, email: str) -> User | None:
    """The user with an e-mail address (case-insensitive), or None."""
    return session.scalar(select(User).where(User.email == normalise_email(email)))


def authenticate(
    session: Session,
    email: str,
    password: str,
    client: str,
    throttle: ClientThrottle,
    now: datetime | None = None,
) -> User:
    """Check an e-mail and password; return the user or raise LoginRefused / TooManyAttempts.

    Failed attempts are counted on the account and for the client; the caller commits in
    both cases so the counters are kept.
    """
    now = _now(now)
    if throttle.blocked(client, now):
        raise TooManyAttempts(TOO_MANY)
    user = find_user(session, email)
    if user is None or not user.active or user.password_hash is None:
        check_password_hash(_DUMMY_HASH, password)
        throttle.record_failure(client, now)
        raise LoginRefused(WRONG_LOGIN)
    locked_until = _aware(user.locked_until)
    if locked_until is not None and locked_until > now:
        throttle.record_failure(client, now)
        raise TooManyAttempts(TOO_MANY)
    if not check_password_hash(user.password_hash, password):
        user.failed_logins = (user.failed_logins or 0) + 1
        throttle.record_failure(client, now)
        if user.failed_logins % MAX_FAILED_LOGINS == 0:
            series = user.failed_logins // MAX_FAILED_LOGINS
            lock = min(timedelta(minutes=LOCK_MINUTES) * 2 ** (series - 1), MAX_LOCK)
            user.locked_until = now + lock
            session.flush()
            raise TooManyAttempts(TOO_MANY)
        session.flush()
        raise LoginRefused(WRONG_LOGIN)
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    if not user.password_hash.startswith(PASSWORD_METHOD + "$"):
        user.password_hash = hash_password(password)
    throttle.reset(client)
    session.flush()
    return user


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
        raise ConflictError(
            Problem(
                "email",
                "email_taken",
                Label(
                    "Der findes allerede en bruger med den e-mail.",
                    "A user with that e-mail already exists.",
                ),
            )
        )
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
        raise ConflictError(
            Problem(
                "email",
                "already_member",
                Label(
                    "Personen har allerede en konto. Skift rollen i listen i stedet.",
                    "The person already has an account. Change the role in the list instead.",
                ),
            )
        )
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
    expires = _aware(user.invite_expires_at)
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
        raise NotFoundError(
            Problem(
                "token",
                "invitation_invalid",
                Label(
                    "Invitationen er udløbet eller allerede brugt.",
                    "The invitation has expired or has already been used.",
                ),
            )
        )
    problems = password_problems(password, user.email)
    if problems:
        raise ValidationError(problems)
    user.password_hash = hash_password(password)
    user.invite_token_hash = None
    user.invite_expires_at = None
    user.failed_logins = 0
    user.locked_until = None
    if display_name.strip():
        user.display_name = display_name.strip()[:120]
    session.flush()
    return user


def set_password(session: Session, user: User, password: str) -> None:
    """Give a user a new password (and unlock the account)."""
    problems = password_problems(password, user.email)
    if problems:
        raise ValidationError(problems)
    user.password_hash = hash_password(password)
    user.failed_logins = 0
    user.locked_until = None
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
        raise LastAdminError(
            Problem(
                "role",
                "last_admin",
                Label(
                    "Der skal være mindst én aktiv administrator.",
                    "There must be at least one active administrator.",
                ),
            )
        )


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
    expires = _aware(user.invite_expires_at)
    return user.invite_token_hash is not None and expires is not None and expires > _now(now)
