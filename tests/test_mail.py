"""E-mail (issue 15): mails written with the change that causes them, follows with double
opt-in and one-click unsubscribe, reporter follow-ups, digests, and addresses as personal data.

Sending over SMTP is tests/test_mail_delivery.py (a real aiosmtpd server)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from fieldaudit import report_review, site_decisions
from fieldaudit.history import add_note
from fieldaudit.mail import digests, outbox, subscriptions
from fieldaudit.models import DigestSetting, MailMessage, MailSubscription
from fieldaudit.privacy import apply_retention, delete_account, export_personal_data

LINK = re.compile(r"http://localhost:5000(/\S+)")


def messages(db, recipient: str | None = None) -> list[MailMessage]:
    query = select(MailMessage).order_by(MailMessage.id)
    if recipient:
        query = query.where(MailMessage.recipient == recipient)
    return list(db.session.scalars(query))


def follow_own_report(db, report, email="melder@example.org", lang="da"):
    subscriptions.follow_report(db.session, report, email, lang)
    db.session.commit()


def links_in(message: MailMessage) -> list[str]:
    return LINK.findall(message.text_body)


# --- the outbox is written with the change --------------------------------------------------


def test_a_review_decision_writes_the_reporters_mail_in_the_same_transaction(
    db, herlev, make_report, make_user
):
    reviewer = make_user("reviewer")
    report = make_report(reporter_name="Hanne Hansen", show_name=True)
    follow_own_report(db, report)

    report_review.reject_report(db.session, report, reviewer, "Trinnet er fjernet.")
    db.session.rollback()  # the decision is undone: so is its mail
    assert messages(db) == []

    report_review.reject_report(db.session, report, reviewer, "Trinnet er fjernet.")
    db.session.commit()
    (mail,) = messages(db)
    assert mail.recipient == "melder@example.org" and mail.language == "da"
    assert mail.subject == f"Din melding #{report.id}: Afvist"
    for body in (mail.text_body, mail.html_body):
        assert "Trinnet er fjernet." in body  # the public reason
        assert "Trin eller dørtrin ved indgang" in body or "Trin" in body
        assert "Hanne Hansen" not in body and "12 cm ved indgangen" not in body
    assert '<html lang="da">' in mail.html_body and "<h1" in mail.html_body
    assert mail.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert mail.headers["List-Unsubscribe"].startswith("<http://localhost:5000/mail/afmeld/")


def test_internal_notes_and_unchanged_status_write_no_mail(db, herlev, make_report, make_user):
    reviewer = make_user("reviewer")
    report = make_report()
    follow_own_report(db, report)
    add_note(db.session, reviewer, "Intern: ring til vejafdelingen", public=False, report=report)
    db.session.commit()
    assert messages(db) == []
    report_review.verify_report(db.session, report, reviewer)
    db.session.commit()
    (mail,) = messages(db)
    assert "vejafdelingen" not in mail.text_body + mail.html_body
    assert "Bekræftet" in mail.subject


def test_planner_decisions_reach_the_reporter_site_and_area_followers_once_each(
    app, db, herlev, make_public_report, make_user
):
    planner = make_user("planner")
    report = make_public_report()
    site = report.site
    follow_own_report(db, report, "melder@example.org", "en")
    for kind, target in (("site", site.id), ("area", site.area_id)):
        subscriptions.request_follow(db.session, "nabo@example.org", "da", kind, target)
    db.session.commit()
    for mail in messages(db, "nabo@example.org"):
        token = links_in(mail)[0].rsplit("/", 1)[1]
        assert subscriptions.confirm_follow(db.session, token) is not None
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(MailSubscription)) == 3

    site_decisions.plan_site(db.session, site, planner, datetime.now(UTC).year, note="Næste år")
    db.session.commit()
    reporter_mail = [m for m in messages(db, "melder@example.org")]
    follower_mail = [m for m in messages(db, "nabo@example.org") if "Barriere" in m.subject]
    assert len(reporter_mail) == 1 and len(follower_mail) == 1  # site + area: one mail
    english = reporter_mail[0]
    assert (
        english.subject == f"Your report #{report.id}: Planned" and 'lang="en"' in english.html_body
    )
    assert "Næste år" in english.text_body  # the planner's public note
    assert follower_mail[0].subject == f"Barriere #{site.id}: Planlagt"
    with app.test_client() as client:  # every link in the mails opens
        for mail in (english, follower_mail[0]):
            for path in links_in(mail):
                assert client.get(path).status_code == 200, path


# --- following with double opt-in, one-click unsubscribe --------------------------------------


def test_follow_a_barrier_double_opt_in_and_one_click_unsubscribe(
    app, client, db, herlev, make_public_report, make_user, csrf
):
    site = make_public_report().site
    page = client.get(f"/barrierer/{site.id}").get_data(as_text=True)
    assert 'action="/mail/foelg"' in page and 'autocomplete="email"' in page

    answer = client.post(
        "/mail/foelg",
        data={
            "csrf_token": csrf(),
            "kind": "site",
            "target": site.id,
            "email": " Nabo@Example.org",
        },
    )
    assert answer.status_code == 302 and answer.location.endswith(f"/barrierer/{site.id}#follow")
    assert db.session.scalar(select(func.count()).select_from(MailSubscription)) == 0
    (confirmation,) = messages(db)
    assert confirmation.recipient == "nabo@example.org"
    assert "List-Unsubscribe" not in confirmation.headers  # nothing to unsubscribe from yet
    confirm_path = links_in(confirmation)[0]
    assert client.get(confirm_path).status_code == 200  # a page with a button: stores nothing
    assert db.session.scalar(select(func.count()).select_from(MailSubscription)) == 0
    assert client.post(confirm_path, data={"csrf_token": csrf()}).status_code == 200
    assert client.post(confirm_path, data={"csrf_token": csrf()}).status_code == 200  # once
    assert db.session.scalar(select(func.count()).select_from(MailSubscription)) == 1

    site_decisions.fix_site(db.session, site, make_user("planner"), "Rampe lagt")
    db.session.commit()
    news = messages(db)[-1]
    unsubscribe = news.headers["List-Unsubscribe"].strip("<>").removeprefix("http://localhost:5000")
    assert unsubscribe in news.text_body and unsubscribe in news.html_body
    # RFC 8058: the mail program POSTs, signed out, with no form token.
    with app.test_client() as mail_program:
        done = mail_program.post(unsubscribe, data={"List-Unsubscribe": "One-Click"})
        assert done.status_code == 200
        assert mail_program.post(unsubscribe).status_code == 200  # again: still fine
    left = db.session.scalar(
        select(func.count())
        .select_from(MailSubscription)
        .where(MailSubscription.email.like("%nabo%"))
    )
    assert left == 0  # following nothing leaves no address behind
    assert client.post("/mail/afmeld/forged-token").status_code == 400
    assert (
        client.post("/mail/bekraeft/forged-token", data={"csrf_token": csrf()}).status_code == 400
    )


def test_follow_an_area_from_its_page_and_bad_addresses(
    client, db, herlev, csrf, make_public_report
):
    site = make_public_report().site
    page = client.get(f"/barrierer?area={site.area_id}").get_data(as_text=True)
    assert 'name="kind" value="area"' in page
    bad = client.post(
        "/mail/foelg",
        data={
            "csrf_token": csrf(),
            "kind": "area",
            "target": site.area_id,
            "email": "ikke en adresse",
        },
        follow_redirects=True,
    )
    assert "Skriv en gyldig e-mailadresse." in bad.get_data(as_text=True)
    assert messages(db) == []
    for _ in range(2):  # asking twice the same day: one confirmation mail
        client.post(
            "/mail/foelg",
            data={"csrf_token": csrf(), "kind": "area", "target": site.area_id, "email": "a@b.dk"},
        )
    assert len(messages(db)) == 1
    assert (
        client.post(
            "/mail/foelg",
            data={"csrf_token": csrf(), "kind": "site", "target": 999999, "email": "a@b.dk"},
        ).status_code
        == 404
    )


def test_a_stale_or_forged_confirmation_link_stores_nothing(db, herlev, make_public_report):
    from itsdangerous import TimestampSigner, URLSafeTimedSerializer

    from fieldaudit.mail.links import CONFIRM_SALT

    site = make_public_report().site
    follow = {"e": "a@b.dk", "k": "site", "t": site.id, "l": "da"}

    class EightDaysAgo(TimestampSigner):
        def get_timestamp(self) -> int:
            return int((datetime.now(UTC) - timedelta(days=8)).timestamp())

    aged = URLSafeTimedSerializer("test-secret", salt=CONFIRM_SALT, signer=EightDaysAgo)
    forged = URLSafeTimedSerializer("another-secret", salt=CONFIRM_SALT)
    fresh = URLSafeTimedSerializer("test-secret", salt=CONFIRM_SALT)
    assert subscriptions.confirm_follow(db.session, aged.dumps(follow)) is None
    assert subscriptions.confirm_follow(db.session, forged.dumps(follow)) is None
    assert subscriptions.confirm_follow(db.session, fresh.dumps(follow)) is not None


def test_following_is_rate_limited(app, herlev):
    from fieldaudit import create_app
    from fieldaudit.extensions import db as _db

    limited = create_app({**app.config, "RATELIMIT_ENABLED": True, "RATELIMIT_FOLLOW": "2/minute"})
    limited.config["WTF_CSRF_ENABLED"] = False
    try:
        client = limited.test_client()
        form = {"kind": "area", "target": "1", "email": "a@b.dk"}
        statuses = [client.post("/mail/foelg", data=form).status_code for _ in range(3)]
        assert statuses[2] == 429 and 429 not in statuses[:2]
    finally:
        with limited.app_context():
            _db.session.remove()
            _db.engine.dispose()


# --- the reporter's address through the API and the field app ------------------------------------


def test_the_api_takes_an_optional_follow_address_and_never_shows_it(
    client, db, herlev, make_report_payload
):
    refused = client.post("/api/v1/reports", json=make_report_payload(follow_email="nej"))
    assert refused.status_code == 422
    assert refused.get_json()["field"] == "follow_email"
    payload = make_report_payload(follow_email="Melder@Example.org", follow_language="en")
    created = client.post("/api/v1/reports", json=payload)
    assert created.status_code == 201
    again = client.post("/api/v1/reports", json=payload)  # a retry: still one follow
    assert again.status_code == 200
    for answer in (created, again, client.get(f"/api/v1/reports/{payload['uuid']}")):
        assert "melder@example.org" not in answer.get_data(as_text=True).lower()
    (follow,) = db.session.scalars(select(MailSubscription)).all()
    assert (follow.email, follow.language, follow.kind) == ("melder@example.org", "en", "report")
    plain = client.post("/api/v1/reports", json=make_report_payload(follow_email=""))
    assert plain.status_code == 201
    assert db.session.scalar(select(func.count()).select_from(MailSubscription)) == 1
    capture = client.get("/indberet").get_data(as_text=True)
    assert 'id="follow-email"' in capture and 'type="email"' in capture


def test_the_openapi_document_describes_the_follow_address(client):
    schema = client.get("/api/v1/openapi.json").get_json()
    properties = schema["components"]["schemas"]["ReportInput"]["properties"]
    assert "follow_email" in properties and properties["follow_language"]["enum"] == ["da", "en"]


# --- digests ---------------------------------------------------------------------------------


def test_reviewer_digests_daily_per_area_and_off_when_turned_off(
    db, herlev, make_report, make_user
):
    everywhere = make_user("reviewer", email="alle@example.org")
    elsewhere = make_user("reviewer", email="andet@example.org")
    quiet = make_user("reviewer", email="stille@example.org")
    make_user("volunteer", email="frivillig@example.org")
    report = make_report()
    digests.save_setting(db.session, elsewhere, "en", True, True, [report.area_id + 1000])
    digests.save_setting(db.session, quiet, "da", False, True, [])
    db.session.commit()
    now = datetime.now(UTC) + timedelta(minutes=1)
    assert digests.queue_reviewer_digests(db.session, now) == 1
    assert digests.queue_reviewer_digests(db.session, now) == 0  # same day: not twice
    db.session.commit()
    (digest,) = messages(db)
    assert digest.recipient == everywhere.email
    assert f"/gennemgang/rapporter/{report.id}" in digest.text_body
    assert digest.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert digests.queue_reviewer_digests(db.session, now + timedelta(days=2)) == 0  # nothing new


def test_planner_digest_weekly_of_newly_verified_sites_and_its_unsubscribe_link(
    app, db, herlev, make_public_report, make_user
):
    planner = make_user("planner", email="plan@example.org")
    site = make_public_report().site
    now = datetime.now(UTC) + timedelta(minutes=1)
    assert digests.queue_planner_digests(db.session, now) == 1
    assert digests.queue_planner_digests(db.session, now) == 0
    db.session.commit()
    (digest,) = messages(db, planner.email)
    assert f"/barrierer/{site.id}" in digest.text_body
    unsubscribe = (
        digest.headers["List-Unsubscribe"].strip("<>").removeprefix("http://localhost:5000")
    )
    with app.test_client() as mail_program:
        assert (
            mail_program.post(unsubscribe, data={"List-Unsubscribe": "One-Click"}).status_code
            == 200
        )
    assert db.session.get(DigestSetting, planner.id).planner_weekly is False
    assert digests.queue_planner_digests(db.session, now + timedelta(days=7)) == 0
    delete_account(db.session, planner)
    db.session.commit()
    with app.test_client() as mail_program:  # the link of a deleted account: nothing to end
        assert mail_program.post(unsubscribe).status_code == 200
    assert db.session.get(DigestSetting, planner.id) is None


def test_staff_choose_their_digests_on_the_settings_page(client, db, herlev, login, csrf):
    reviewer = login("reviewer")
    page = client.get("/mail/indstillinger")
    assert page.status_code == 200 and 'id="reviewer-daily"' in page.get_data(as_text=True)
    assert 'id="planner-weekly"' not in page.get_data(as_text=True)
    saved = client.post(
        "/mail/indstillinger", data={"csrf_token": csrf(), "language": "en", "areas": ["1", "x"]}
    )
    assert saved.status_code == 302
    setting = db.session.get(DigestSetting, reviewer.id)
    assert setting.reviewer_daily is False and setting.language == "en"


def test_admins_see_the_unsent_mail_when_no_server_is_set(client, db, herlev, login, make_report):
    report = make_report()
    follow_own_report(db, report)
    subscriptions.request_follow(db.session, "vent@example.org", "da", "area", report.area_id)
    db.session.commit()
    login("admin")
    page = client.get("/mail/udbakke").get_data(as_text=True)
    assert "ingen mailserver" in page and "vent@example.org" in page


# --- stuck, personal data, retention ---------------------------------------------------------


def test_stuck_when_the_oldest_unsent_mail_is_older_than_half_an_hour(db, herlev, make_report):
    report = make_report()
    now = datetime.now(UTC)
    assert outbox.stuck(db.session, now) is False
    subscriptions.request_follow(db.session, "a@b.dk", "da", "area", report.area_id, now)
    db.session.commit()
    assert outbox.stuck(db.session, now + timedelta(minutes=29)) is False
    assert outbox.stuck(db.session, now + timedelta(minutes=31)) is True


def test_addresses_are_in_the_data_download_and_go_with_the_account(
    db, herlev, make_report, make_user
):
    user = make_user("volunteer", email="konto@example.org")
    report = make_report(reporter=user)
    follow_own_report(db, report, "konto@example.org")
    subscriptions.request_follow(db.session, "konto@example.org", "da", "area", report.area_id)
    db.session.commit()
    exported = export_personal_data(db.session, user=user)
    assert [f["follows"] for f in exported["email_follows"]] == ["report"]
    delete_account(db.session, user)
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(MailSubscription)) == 0
    assert messages(db, "konto@example.org") == []  # the unsent confirmation is gone too


def test_retention_forgets_a_closed_reports_address_and_old_sent_mail(
    db, herlev, make_report, make_user
):
    report = make_report(device=None)
    follow_own_report(db, report)
    report_review.reject_report(db.session, report, make_user("reviewer"), "Ikke en barriere.")
    db.session.commit()
    assert len(messages(db)) == 1
    later = datetime.now(UTC) + timedelta(days=800)
    (mail,) = messages(db)
    mail.sent_at = datetime.now(UTC)
    db.session.commit()
    assert apply_retention(db.session, 730, now=later) == 1
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(MailSubscription)) == 0
    assert messages(db) == []


@pytest.mark.parametrize(
    "address", ["a@b", "a b@c.dk", "<a@b.dk>", "a@b.dk\x07", "x" * 250 + "@b.dk"]
)
def test_addresses_that_are_refused(address):
    from fieldaudit.errors import ValidationError

    with pytest.raises(ValidationError):
        subscriptions.check_address(address)


def test_staff_find_the_mail_pages_from_their_account_pages(client, login):
    login("reviewer")
    assert "/mail/indstillinger" in client.get("/konto/mine-data").get_data(as_text=True)
    login("admin")
    assert "/mail/udbakke" in client.get("/konto/brugere").get_data(as_text=True)
