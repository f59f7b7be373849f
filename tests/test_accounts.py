"""Accounts: passwords, throttled sign-in, CSRF, cookies, invitations, roles, the users CLI."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from fieldaudit.accounts import throttle
from fieldaudit.accounts import users as accounts
from fieldaudit.errors import ConflictError, ValidationError
from fieldaudit.models import LoginAttempts, User
from fieldaudit.status import Role

from .conftest import TEST_PASSWORD

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def post_login(client, csrf, email, password, **extra):
    return client.post(
        "/konto/log-ind",
        data={"email": email, "password": password, "csrf_token": csrf(), **extra},
    )


def test_password_is_hashed_with_scrypt(db, make_user):
    user = make_user("reviewer")
    assert user.password_hash.startswith("scrypt:32768:8:1$")
    assert TEST_PASSWORD not in user.password_hash


@pytest.mark.parametrize(
    ("password", "code"),
    [("kort", "password_too_short"), ("a" * 12, "password_weak"), ("x" * 300, "password_too_long")],
)
def test_weak_passwords_are_refused(password, code):
    assert [p.code for p in accounts.password_problems(password)] == [code]


def test_password_containing_the_email_is_weak():
    problems = accounts.password_problems("anna@herlev.dk-2026!", "Anna@herlev.dk")
    assert [p.code for p in problems] == ["password_weak"]


def test_login_and_logout(client, make_user, csrf):
    user = make_user("reviewer")
    response = post_login(client, csrf, user.email.upper(), TEST_PASSWORD)
    assert response.status_code == 302
    assert "/konto/log-ind" not in response.headers["Location"]
    page = client.get("/").get_data(as_text=True)
    assert "Log ud" in page
    assert client.post("/konto/log-ud", data={"csrf_token": csrf()}).status_code == 302
    assert "Log ind" in client.get("/").get_data(as_text=True)


def test_login_form_without_csrf_token_is_refused(client, make_user):
    user = make_user("reviewer")
    response = client.post("/konto/log-ind", data={"email": user.email, "password": TEST_PASSWORD})
    assert response.status_code == 400
    assert "Formularen er udløbet" in response.get_data(as_text=True)


def test_logout_needs_csrf_token(client, login):
    login("reviewer")
    assert client.post("/konto/log-ud").status_code == 400


def test_login_redirects_only_to_local_next(client, make_user, csrf):
    user = make_user("reviewer")
    response = post_login(client, csrf, user.email, TEST_PASSWORD, next="https://evil.example/x")
    assert "evil.example" not in response.headers["Location"]
    client.post("/konto/log-ud", data={"csrf_token": csrf()})
    response = post_login(client, csrf, user.email, TEST_PASSWORD, next="/konto/brugere?x=1")
    assert response.headers["Location"] == "/konto/brugere?x=1"


def test_protected_page_sends_anonymous_to_login_with_next(client):
    response = client.get("/konto/brugere")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/konto/log-ind?next=")


def test_wrong_password_is_counted_and_locks_the_pair(client, db, make_user, csrf):
    user = make_user("reviewer")
    for _ in range(throttle.MAX_FAILED_LOGINS - 1):
        response = post_login(client, csrf, user.email, "forkert adgangskode")
        assert response.status_code == 401
        assert "Forkert e-mail eller adgangskode" in response.get_data(as_text=True)
    response = post_login(client, csrf, user.email, "forkert adgangskode")
    assert response.status_code == 429
    # Even the right password is refused from this address while the lock lasts.
    assert post_login(client, csrf, user.email, TEST_PASSWORD).status_code == 429


def test_lock_expires_and_success_resets_the_counter(db, make_user):
    user = make_user("reviewer")
    for _ in range(throttle.MAX_FAILED_LOGINS):
        with pytest.raises((accounts.LoginRefused, accounts.TooManyAttempts)):
            accounts.authenticate(db.session, user.email, "nej", "10.0.0.1", NOW)
    with pytest.raises(accounts.TooManyAttempts):
        accounts.authenticate(db.session, user.email, TEST_PASSWORD, "10.0.0.1", NOW)
    later = NOW + timedelta(minutes=throttle.LOCK_MINUTES, seconds=1)
    assert accounts.authenticate(db.session, user.email, TEST_PASSWORD, "10.0.0.1", later)
    assert user.last_login_at is not None
    # The success forgot the pair's failures: one more wrong password does not lock it again.
    with pytest.raises(accounts.LoginRefused):
        accounts.authenticate(db.session, user.email, "nej", "10.0.0.1", later)


def test_second_series_of_failures_locks_longer(db, make_user):
    user = make_user("reviewer")
    after_first_lock = NOW + timedelta(minutes=throttle.LOCK_MINUTES, seconds=1)
    for moment in (NOW, after_first_lock):
        for _ in range(throttle.MAX_FAILED_LOGINS):
            with pytest.raises((accounts.LoginRefused, accounts.TooManyAttempts)):
                accounts.authenticate(db.session, user.email, "nej", "10.0.0.1", moment)
    locked = db.session.scalar(
        select(LoginAttempts.locked_until).where(
            LoginAttempts.key == throttle.pair_key(user.email, "10.0.0.1")
        )
    )
    lock = 2 * timedelta(minutes=throttle.LOCK_MINUTES)
    assert locked == after_first_lock + lock  # aware UTC on both databases (UTCDateTime)
    assert throttle.lock_length(50 * throttle.MAX_FAILED_LOGINS) == throttle.MAX_LOCK


def test_client_throttle_also_covers_unknown_emails(db):
    for n in range(throttle.CLIENT_LIMIT):
        with pytest.raises(accounts.LoginRefused):
            accounts.authenticate(db.session, f"nobody{n}@x.dk", "pw", "10.9.9.9", NOW)
    with pytest.raises(accounts.TooManyAttempts):
        accounts.authenticate(db.session, "other@x.dk", "pw", "10.9.9.9", NOW)
    # Another address is not affected, and the window ends.
    with pytest.raises(accounts.LoginRefused):
        accounts.authenticate(db.session, "other@x.dk", "pw", "10.9.9.8", NOW)
    with pytest.raises(accounts.LoginRefused):
        accounts.authenticate(
            db.session, "other@x.dk", "pw", "10.9.9.9", NOW + throttle.CLIENT_WINDOW
        )


def test_inactive_user_cannot_sign_in_and_is_signed_out(client, db, make_user, login, csrf):
    user = make_user("reviewer", active=False)
    assert post_login(client, csrf, user.email, TEST_PASSWORD).status_code == 401
    make_user("admin")
    active = login("admin")
    assert client.get("/konto/brugere").status_code == 200
    active.active = False
    db.session.commit()
    assert client.get("/konto/brugere").status_code == 302


def test_session_cookie_flags(app, client, make_user, csrf):
    user = make_user("volunteer")
    response = post_login(client, csrf, user.email, TEST_PASSWORD)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert app.config["SESSION_COOKIE_SECURE"] is False  # plain HTTP in tests


def test_production_cookies_are_secure(database_template, tmp_path):
    from fieldaudit import create_app

    app = create_app(
        {
            "ENV_NAME": "production",
            "SECRET_KEY": "a-long-random-production-secret-for-the-test",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite'}",
            "MEDIA_DIR": str(tmp_path / "media"),
        }
    )
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_api_posts_need_no_csrf_token(client):
    # The JSON API is exempt: a POST reaches the view (here 404/405/4xx), never the CSRF page.
    response = client.post("/api/v1/areas", json={})
    assert response.status_code != 400 or b"Formularen" not in response.data


def test_invitation_flow(client, db, login, csrf):
    login("admin")
    response = client.post(
        "/konto/brugere/inviter",
        data={
            "invite-email": "Ny.Bedommer@Herlev.dk",
            "invite-display_name": "Ny Bedømmer",
            "invite-role": "reviewer",
            "invite-csrf_token": csrf(),
        },
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    link = page.split('id="invite-link" class="wide" type="text" readonly value="')[1].split('"')[0]
    path = link.split("localhost", 1)[1]
    user = db.session.scalar(select(User).where(User.email == "ny.bedommer@herlev.dk"))
    assert user.role == "reviewer" and user.password_hash is None
    assert user.invite_token_hash and path.split("/")[-1] not in user.invite_token_hash
    client.post("/konto/log-ud", data={"csrf_token": csrf()})

    assert client.get(path).status_code == 200
    bad = client.post(path, data={"password": "kort", "confirm": "kort", "csrf_token": csrf()})
    assert bad.status_code == 422
    assert "error-summary" in bad.get_data(as_text=True)
    good = client.post(
        path,
        data={"password": TEST_PASSWORD, "confirm": TEST_PASSWORD, "csrf_token": csrf()},
    )
    assert good.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, user.id).password_hash.startswith("scrypt:")
    # One time only.
    assert client.get(path).status_code == 404


def test_invitation_expires(db):
    user, token = accounts.invite_user(db.session, "a@herlev.dk", Role.PLANNER, now=NOW)
    assert accounts.user_for_invitation(db.session, token, NOW + timedelta(days=6)) is user
    assert accounts.user_for_invitation(db.session, token, NOW + timedelta(days=8)) is None
    assert accounts.user_for_invitation(db.session, "not-a-token", NOW) is None


def test_inviting_an_existing_member_is_refused(db, make_user):
    user = make_user("volunteer")
    with pytest.raises(ConflictError):
        accounts.invite_user(db.session, user.email, Role.REVIEWER)


def test_admin_sets_role_and_deactivates(client, db, login, make_user, csrf):
    login("admin")
    user = make_user("volunteer")
    response = client.post(
        f"/konto/brugere/{user.id}",
        data={
            f"user-{user.id}-role": "planner",
            f"user-{user.id}-active": "0",
            f"user-{user.id}-csrf_token": csrf(),
        },
    )
    assert response.status_code == 302
    db.session.expire_all()
    changed = db.session.get(User, user.id)
    assert changed.role == "planner" and changed.active is False


def test_last_admin_cannot_be_removed(db, make_user):
    admin = make_user("admin")
    with pytest.raises(ConflictError):
        accounts.set_role(db.session, admin, Role.VOLUNTEER)
    with pytest.raises(ConflictError):
        accounts.set_active(db.session, admin, False)
    make_user("admin")
    accounts.set_role(db.session, admin, Role.VOLUNTEER)
    assert admin.role == "volunteer"


def test_create_user_checks_input(db):
    with pytest.raises(ValidationError) as error:
        accounts.create_user(db.session, "not an email", Role.VOLUNTEER, "kort")
    assert {p.code for p in error.value.problems} == {"invalid_email", "password_too_short"}


def test_users_cli(runner, db):
    result = runner.invoke(
        args=["users", "create", "chef@herlev.dk", "--role", "admin", "--password", TEST_PASSWORD]
    )
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["users", "invite", "frivillig@herlev.dk"])
    assert result.exit_code == 0, result.output
    assert "http://127.0.0.1:5000/konto/invitation/" in result.output
    result = runner.invoke(args=["users", "set-role", "frivillig@herlev.dk", "reviewer"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["users", "list"])
    assert "chef@herlev.dk" in result.output and "invited" in result.output
    assert "reviewer" in result.output
    result = runner.invoke(args=["users", "set-role", "chef@herlev.dk", "volunteer"])
    assert result.exit_code != 0 and "at least one active administrator" in result.output
    result = runner.invoke(args=["users", "set-role", "nobody@herlev.dk", "admin"])
    assert result.exit_code != 0


def test_sign_out_clears_the_cache_but_not_the_storage(client, login, csrf):
    """Sign-out empties the browser's cache of this site (second review, finding 7), and not
    "storage": that would delete the field app's outbox of reports not yet sent."""
    login("volunteer")
    response = client.post("/konto/log-ud", data={"csrf_token": csrf()})
    assert response.status_code == 302
    assert response.headers["Clear-Site-Data"] == '"cache"'
