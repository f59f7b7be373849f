"""Sign-in throttling (issue 12, hole 3): nobody can lock somebody else out, and the answers
never tell which e-mails have an account.

Failures count per (e-mail, client address) pair and per address, in the database, so every
worker process sees the same counts. Requests come from given addresses through the WSGI
environment (REMOTE_ADDR), as from a real client.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
from typing import Any

import pytest
from flask import Flask, g, has_app_context
from itsdangerous import URLSafeTimedSerializer

from fieldaudit import create_app
from fieldaudit.accounts import throttle
from fieldaudit.extensions import db as _db
from tests.conftest import TEST_PASSWORD

ATTACKER = "203.0.113.66"
OWNER = "198.51.100.7"
WRONG = "et forkert kodeord"


def client_at(app: Flask, address: str) -> Any:
    """A test client whose requests come from ``address``."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def sign_in(app: Flask, client: Any, email: str, password: str) -> Any:
    """POST the sign-in form (with a valid CSRF token) in a request of its own."""
    with client.session_transaction() as session:
        if "csrf_token" not in session:
            session["csrf_token"] = hashlib.sha1(os.urandom(64)).hexdigest()
        raw = session["csrf_token"]
    token = URLSafeTimedSerializer(app.secret_key, salt="wtf-csrf-token").dumps(raw)
    if has_app_context():
        g.pop("_login_user", None)
    return client.post(
        "/konto/log-ind", data={"email": email, "password": password, "csrf_token": token}
    )


def lock_out(app: Flask, email: str, address: str = ATTACKER) -> list[int]:
    """Send MAX_FAILED_LOGINS wrong passwords for ``email`` from ``address``; the statuses."""
    client = client_at(app, address)
    return [
        sign_in(app, client, email, WRONG).status_code for _ in range(throttle.MAX_FAILED_LOGINS)
    ]


def test_a_lockout_from_one_address_leaves_the_owner_elsewhere_signing_in(app, db, make_user):
    owner = make_user("reviewer")
    statuses = lock_out(app, owner.email)
    assert statuses == [401] * (throttle.MAX_FAILED_LOGINS - 1) + [429]
    # The attacker's address is locked, even with the right password ...
    assert sign_in(app, client_at(app, ATTACKER), owner.email, TEST_PASSWORD).status_code == 429
    # ... the owner, at their own address, signs in as always.
    response = sign_in(app, client_at(app, OWNER), owner.email, TEST_PASSWORD)
    assert response.status_code == 302
    assert "/konto/log-ind" not in response.headers["Location"]


def _answers(app: Flask, email: str, address: str) -> list[tuple[int, str]]:
    """Status and page of MAX_FAILED_LOGINS + 1 wrong passwords, e-mail and token blanked."""
    client = client_at(app, address)
    found = []
    for _ in range(throttle.MAX_FAILED_LOGINS + 1):
        response = sign_in(app, client, email, WRONG)
        page = response.get_data(as_text=True).replace(email, "E-MAIL")
        page = re.sub(r'name="csrf_token" type="hidden" value="[^"]*"', "TOKEN", page)
        found.append((response.status_code, page))
    return found


def test_unknown_and_known_emails_get_identical_answers(app, db, make_user):
    known = make_user("reviewer", email="kendt@herlev.dk").email
    inactive = make_user("reviewer", email="stoppet@herlev.dk", active=False).email
    invited = make_user("volunteer", email="inviteret@herlev.dk", password_hash=None).email
    reference = _answers(app, "ukendt@herlev.dk", "10.0.0.1")
    assert [status for status, _ in reference] == [401] * 4 + [429, 429]
    assert "Forkert e-mail eller adgangskode" in reference[0][1]
    for number, email in enumerate((known, inactive, invited), start=2):
        assert _answers(app, email, f"10.0.0.{number}") == reference, email


def test_lockouts_are_logged_without_the_password(app, db, make_user, caplog):
    owner = make_user("reviewer")
    with caplog.at_level(logging.WARNING, logger="fieldaudit.accounts"):
        lock_out(app, owner.email)
        lock_out(app, "ukendt@herlev.dk")
    lines = [
        record.getMessage() for record in caplog.records if record.name.startswith("fieldaudit")
    ]
    assert len(lines) == 2, lines
    assert owner.email in lines[0] and ATTACKER in lines[0]
    assert "ukendt@herlev.dk" in lines[1]
    assert not any(WRONG in line or TEST_PASSWORD in line for line in caplog.messages)


def test_the_unlock_command_lifts_every_lock_of_an_email(app, db, make_user, runner):
    owner = make_user("reviewer")
    lock_out(app, owner.email, ATTACKER)
    lock_out(app, owner.email, OWNER)  # the owner locked themselves out, too
    assert sign_in(app, client_at(app, OWNER), owner.email, TEST_PASSWORD).status_code == 429
    result = runner.invoke(args=["users", "unlock", owner.email.upper()])
    assert result.exit_code == 0, result.output
    assert "2 address(es)" in result.output
    assert sign_in(app, client_at(app, OWNER), owner.email, TEST_PASSWORD).status_code == 302
    result = runner.invoke(args=["users", "unlock", "ingen@herlev.dk"])
    assert result.exit_code != 0 and "No user" in result.output


@pytest.fixture
def second_worker(app):
    """Another app on the same database: a second gunicorn worker process."""
    other = create_app(dict(app.config))
    yield other
    with other.app_context():
        _db.session.remove()
        _db.engine.dispose()


def test_workers_share_the_counts(app, db, make_user, second_worker):
    owner = make_user("reviewer")
    workers = [client_at(app, ATTACKER), client_at(second_worker, ATTACKER)]
    apps = [app, second_worker]
    statuses = [
        sign_in(apps[n % 2], workers[n % 2], owner.email, WRONG).status_code
        for n in range(throttle.MAX_FAILED_LOGINS)
    ]
    assert statuses[-1] == 429
    # The address's own limit, over any e-mails, is shared too.
    guesses = [
        sign_in(apps[n % 2], workers[n % 2], f"gæt{n}@herlev.dk", WRONG).status_code
        for n in range(throttle.CLIENT_LIMIT)
    ]
    assert guesses[-1] == 429
    assert guesses.count(401) == throttle.CLIENT_LIMIT - throttle.MAX_FAILED_LOGINS
