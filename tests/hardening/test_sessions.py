"""Sessions are revocable (issue 12, hole 1): a kept cookie opens nothing once its session ended.

Every test signs in through the real sign-in form and keeps the session cookie as an attacker
would (a shared computer, a copied cookie), then replays it from a fresh client.
"""

from __future__ import annotations

import hashlib
import os
import time
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask, g, has_app_context
from flask_login.utils import encode_cookie
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import select

from fieldaudit.accounts import users as accounts
from fieldaudit.accounts.sessions import LAST_SEEN, SIGNED_IN_AT, ended_message, expiry_reason
from fieldaudit.models import User
from fieldaudit.status import Role
from tests.conftest import TEST_DB, TEST_PASSWORD

COOKIE = "session"
REVIEW_PAGE = "/gennemgang/"  # reviewers and admins
USERS_PAGE = "/konto/brugere"  # admins
MY_DATA_PAGE = "/konto/mine-data"  # anyone signed in


def get(client: Any, path: str) -> Any:
    """GET as a browser would, in a request of its own.

    The test's app context (the ``db`` fixture) is shared by the client's requests, and
    Flask-Login caches the signed-in user in its ``g``: forget it, as a new request would.
    """
    _forget_cached_user()
    return client.get(path)


def post(client: Any, path: str, data: dict[str, str]) -> Any:
    """POST a form, in a request of its own (see ``get``)."""
    _forget_cached_user()
    return client.post(path, data=data)


def _forget_cached_user() -> None:
    if has_app_context():
        g.pop("_login_user", None)


def csrf_token(app: Flask, client: Any) -> str:
    """A valid CSRF token for ``client``'s session (as Flask-WTF's generate_csrf makes it)."""
    with client.session_transaction() as session:
        if "csrf_token" not in session:
            session["csrf_token"] = hashlib.sha1(os.urandom(64)).hexdigest()
        raw = session["csrf_token"]
    return URLSafeTimedSerializer(app.secret_key, salt="wtf-csrf-token").dumps(raw)


def signed_in_client(app: Flask, email: str) -> Any:
    """A client signed in through the sign-in form."""
    client = app.test_client()
    response = post(
        client,
        "/konto/log-ind",
        {"email": email, "password": TEST_PASSWORD, "csrf_token": csrf_token(app, client)},
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def kept_cookie(client: Any) -> str:
    """The session cookie as it is now (what an attacker copies)."""
    return client.get_cookie(COOKIE).value


def replay(app: Flask, cookie: str, path: str) -> Any:
    """GET ``path`` from a fresh client that has only the kept cookie."""
    attacker = app.test_client()
    attacker.set_cookie(COOKIE, cookie)
    return get(attacker, path)


def assert_sent_to_sign_in(response: Any) -> None:
    assert response.status_code == 302, response.status_code
    assert response.headers["Location"].startswith("/konto/log-ind")


def invite(app: Flask, admin: Any, email: str, role: str) -> None:
    response = post(
        admin,
        "/konto/brugere/inviter",
        {
            "invite-email": email,
            "invite-role": role,
            "invite-csrf_token": csrf_token(app, admin),
        },
    )
    assert response.status_code == 200, response.get_data(as_text=True)


def delete_own_account(app: Flask, client: Any) -> None:
    response = post(
        client,
        "/konto/slet",
        {"password": TEST_PASSWORD, "confirm": "y", "csrf_token": csrf_token(app, client)},
    )
    assert response.status_code == 302, response.get_data(as_text=True)


def test_a_deleted_accounts_cookie_does_not_open_the_next_account(app, db, make_user):
    """The reproduction from issue 12: on SQLite the new admin got the deleted reviewer's id,
    and the reviewer's old cookie opened /konto/brugere as that admin."""
    inviter = make_user("admin")
    reviewer = make_user("reviewer")  # the highest id: SQLite hands it out again
    old_id = reviewer.id
    reviewer_client = signed_in_client(app, reviewer.email)
    cookie = kept_cookie(reviewer_client)
    assert replay(app, cookie, REVIEW_PAGE).status_code == 200  # the cookie works until then

    delete_own_account(app, reviewer_client)
    invite(app, signed_in_client(app, inviter.email), "ny.admin@herlev.dk", "admin")
    db.session.expire_all()
    newcomer = db.session.scalar(select(User).where(User.email == "ny.admin@herlev.dk"))
    if TEST_DB == "spatialite":
        assert newcomer.id == old_id  # the condition of the attack is still there ...

    assert_sent_to_sign_in(replay(app, cookie, USERS_PAGE))  # ... the attack is not
    assert_sent_to_sign_in(replay(app, cookie, REVIEW_PAGE))


def test_an_id_given_again_opens_nothing_on_any_database(app, db, make_user, test_password_hash):
    """Whatever hands an id out again (SQLite, a restored backup, a reset sequence)."""
    reviewer = make_user("reviewer")
    old_id = reviewer.id
    reviewer_client = signed_in_client(app, reviewer.email)
    cookie = kept_cookie(reviewer_client)
    delete_own_account(app, reviewer_client)
    db.session.add(
        User(id=old_id, email="ny.admin@herlev.dk", role="admin", password_hash=test_password_hash)
    )
    db.session.commit()
    assert_sent_to_sign_in(replay(app, cookie, USERS_PAGE))


def test_signing_out_ends_the_session_for_good(app, make_user):
    reviewer = make_user("reviewer")
    client = signed_in_client(app, reviewer.email)
    cookie = kept_cookie(client)
    response = post(client, "/konto/log-ud", {"csrf_token": csrf_token(app, client)})
    assert response.status_code == 302
    assert_sent_to_sign_in(replay(app, cookie, REVIEW_PAGE))
    assert_sent_to_sign_in(replay(app, cookie, MY_DATA_PAGE))
    # Signing in again works, with a new cookie.
    assert get(signed_in_client(app, reviewer.email), REVIEW_PAGE).status_code == 200


def _admin_changes(app: Flask, admin: Any, user: User, role: str, active: str) -> None:
    response = post(
        admin,
        f"/konto/brugere/{user.id}",
        {
            f"user-{user.id}-role": role,
            f"user-{user.id}-active": active,
            f"user-{user.id}-csrf_token": csrf_token(app, admin),
        },
    )
    assert response.status_code == 302


def test_a_role_change_ends_the_users_sessions(app, make_user):
    reviewer = make_user("reviewer")
    cookie = kept_cookie(signed_in_client(app, reviewer.email))
    admin = signed_in_client(app, make_user("admin").email)
    _admin_changes(app, admin, reviewer, "planner", "1")
    assert_sent_to_sign_in(replay(app, cookie, MY_DATA_PAGE))


def test_deactivation_ends_the_sessions_even_after_activating_again(app, make_user):
    reviewer = make_user("reviewer")
    cookie = kept_cookie(signed_in_client(app, reviewer.email))
    admin = signed_in_client(app, make_user("admin").email)
    _admin_changes(app, admin, reviewer, "reviewer", "0")
    assert_sent_to_sign_in(replay(app, cookie, MY_DATA_PAGE))
    _admin_changes(app, admin, reviewer, "reviewer", "1")
    assert_sent_to_sign_in(replay(app, cookie, MY_DATA_PAGE))


def test_a_password_change_ends_the_users_sessions(app, db, make_user):
    reviewer = make_user("reviewer")
    cookie = kept_cookie(signed_in_client(app, reviewer.email))
    accounts.set_password(db.session, reviewer, "et helt nyt og langt kodeord")
    db.session.commit()
    assert_sent_to_sign_in(replay(app, cookie, MY_DATA_PAGE))


def test_an_unchanged_role_keeps_the_session(app, make_user):
    """The admin form posts role and state together; saving it unchanged ends nothing."""
    reviewer = make_user("reviewer")
    cookie = kept_cookie(signed_in_client(app, reviewer.email))
    admin = signed_in_client(app, make_user("admin").email)
    _admin_changes(app, admin, reviewer, "reviewer", "1")
    assert replay(app, cookie, REVIEW_PAGE).status_code == 200


def test_a_remember_me_cookie_opens_nothing(app, make_user):
    """Flask-Login's remember-me cookie is never set; one made by hand names the session token
    (never the id) and still gives no session, as it was not begun by signing in."""
    reviewer = make_user("reviewer")
    for name in (str(reviewer.id), reviewer.get_id()):
        with app.app_context():
            value = encode_cookie(name)
        client = app.test_client()
        client.set_cookie("remember_token", value)
        assert_sent_to_sign_in(get(client, MY_DATA_PAGE))


def test_the_session_lasts_12_hours_from_signing_in(app, make_user):
    assert app.config["PERMANENT_SESSION_LIFETIME"] == timedelta(hours=12)
    volunteer = make_user("volunteer")
    client = app.test_client()
    response = post(
        client,
        "/konto/log-ind",
        {
            "email": volunteer.email,
            "password": TEST_PASSWORD,
            "csrf_token": csrf_token(app, client),
        },
    )
    cookie = client.get_cookie(COOKIE)
    assert abs(cookie.expires.timestamp() - (time.time() + 12 * 3600)) < 60, response.headers
    assert get(client, MY_DATA_PAGE).status_code == 200
    with client.session_transaction() as session:  # busy all along, signed in 12 h ago
        session[SIGNED_IN_AT] = int(time.time()) - 12 * 3600 - 1
        session[LAST_SEEN] = int(time.time())
    assert_sent_to_sign_in(get(client, MY_DATA_PAGE))
    page = get(client, "/konto/log-ind").get_data(as_text=True)
    assert "det er 12 timer siden, du loggede ind" in page


def test_the_session_ended_messages_are_in_english_too(app):
    lifetime, idle = timedelta(hours=12), timedelta(minutes=30)
    with app.test_request_context("/?lang=en"):
        assert ended_message("lifetime", lifetime, idle) == (
            "You were signed out because you signed in 12 hours ago. Please sign in again."
        )
        assert "have not used FieldAudit for 30 minutes" in ended_message("idle", lifetime, idle)


def test_the_lifetime_cannot_be_left_to_flask(database_template, tmp_path):
    """It was a setdefault, which left Flask's own 31 days in place."""
    from fieldaudit import create_app

    configured = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite'}",
            "MEDIA_DIR": str(tmp_path / "media"),
            "SESSION_LIFETIME_HOURS": 8,
        }
    )
    assert configured.config["PERMANENT_SESSION_LIFETIME"] == timedelta(hours=8)


@pytest.mark.parametrize(
    ("role", "page", "ends"),
    [
        ("reviewer", REVIEW_PAGE, True),
        ("admin", USERS_PAGE, True),
        ("planner", "/planlaegning/", True),
        ("volunteer", MY_DATA_PAGE, False),
    ],
)
def test_staff_sessions_end_after_30_idle_minutes(app, make_user, role, page, ends):
    user = make_user(role)
    client = signed_in_client(app, user.email)
    with client.session_transaction() as session:
        session[LAST_SEEN] = int(time.time()) - 29 * 60
    assert get(client, page).status_code == 200  # 29 minutes: still there, and seen again now
    with client.session_transaction() as session:
        session[LAST_SEEN] = int(time.time()) - 30 * 60 - 1
    response = get(client, page)
    if not ends:
        assert response.status_code == 200
        return
    assert_sent_to_sign_in(response)
    page_text = get(client, "/konto/log-ind").get_data(as_text=True)
    assert "ikke har brugt FieldAudit i 30 minutter" in page_text


def test_expiry_rules():
    hour, idle = timedelta(hours=12), timedelta(minutes=5)
    stamps = {SIGNED_IN_AT: 1000, LAST_SEEN: 1000}
    assert expiry_reason(stamps, Role.ADMIN.value, 1000 + 299, hour, idle) is None
    assert expiry_reason(stamps, Role.ADMIN.value, 1000 + 300, hour, idle) == "idle"
    assert expiry_reason(stamps, Role.VOLUNTEER.value, 1000 + 300, hour, idle) is None
    assert expiry_reason(stamps, Role.VOLUNTEER.value, 1000 + 12 * 3600, hour, idle) == "lifetime"
    assert expiry_reason({}, Role.VOLUNTEER.value, 1000, hour, idle) == "lifetime"
    assert expiry_reason({SIGNED_IN_AT: "x", LAST_SEEN: 1}, "volunteer", 1, hour, idle)


def test_every_user_has_a_distinct_session_token(db, make_user):
    users = [make_user(role) for role in ("volunteer", "reviewer", "planner", "admin")]
    tokens = {user.get_id() for user in users}
    assert len(tokens) == 4 and all(len(token) >= 40 for token in tokens)
    assert all(user.get_id() != str(user.id) for user in users)


def test_a_form_sent_after_the_session_ended_comes_back_to_its_page(app, make_user, make_report):
    """Signing in again leads to the page the form was on (not to the form's POST address,
    which would be a 405), so the reviewer can send it again."""
    reviewer = make_user("reviewer")
    page = f"/gennemgang/rapporter/{make_report().id}"
    client = signed_in_client(app, reviewer.email)
    assert get(client, page).status_code == 200
    with client.session_transaction() as session:
        session[LAST_SEEN] = int(time.time()) - 31 * 60
    _forget_cached_user()
    response = client.post(
        f"{page}/note",
        data={"csrf_token": csrf_token(app, client), "note": "Set på stedet"},
        headers={"Referer": f"http://localhost{page}"},
    )
    assert_sent_to_sign_in(response)
    assert response.headers["Location"] == f"/konto/log-ind?next={page}"
    again = post(
        client,
        "/konto/log-ind",
        {
            "email": reviewer.email,
            "password": TEST_PASSWORD,
            "csrf_token": csrf_token(app, client),
            "next": page,
        },
    )
    assert again.headers["Location"] == page
    # A referrer on another site is not followed.
    _forget_cached_user()
    stranger = app.test_client()
    elsewhere = stranger.post(
        f"{page}/note",
        data={"csrf_token": csrf_token(app, stranger)},
        headers={"Referer": "https://evil.example/x"},
    )
    assert elsewhere.headers["Location"] == "/konto/log-ind"
