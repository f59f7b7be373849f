"""E-mail in real Chromium: follow a barrier from its page, confirm from the mail's link,
unsubscribe; the staff and admin mail pages and the HTML mails themselves pass axe (WCAG 2.2 AA)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select

from fieldaudit import site_decisions
from fieldaudit.extensions import db as _db
from fieldaudit.models import MailMessage, MailSubscription
from tests.browser.axe import axe_violations
from tests.browser.test_accessibility import _session_cookie

pytestmark = pytest.mark.browser


def _mails(app: Any) -> list[MailMessage]:
    with app.app_context():
        found = list(_db.session.scalars(select(MailMessage).order_by(MailMessage.id)))
        _db.session.expunge_all()
        return found


def test_follow_confirm_and_unsubscribe_in_the_browser(
    app, browser, live_server, make_public_report, make_user
):
    site = make_public_report().site
    site_id, area_id = site.id, site.area_id
    context = browser.new_context(locale="da-DK", base_url=live_server.url)
    page = context.new_page()
    page.goto(f"/barrierer/{site_id}")
    assert axe_violations(page) == []
    page.get_by_label("Din e-mailadresse").fill("nabo@example.org")
    page.get_by_role("button", name="Følg", exact=True).click()
    page.wait_for_url(re.compile(rf"/barrierer/{site_id}"))
    assert "Tjek din e-mail" in page.locator(".flashes").inner_text()
    assert axe_violations(page) == []

    (confirmation,) = _mails(app)
    link = re.search(r"http://localhost:5000(/mail/bekraeft/\S+)", confirmation.text_body)[1]
    page.goto(link)
    assert axe_violations(page) == []
    page.get_by_role("button", name="Ja, send mig e-mails").click()
    page.get_by_role("heading", name="Du følger nu med").wait_for()
    assert axe_violations(page) == []

    with app.app_context():
        site = _db.session.get(type(site), site_id)
        site_decisions.fix_site(_db.session, site, make_user("planner"), "Rampe lagt")
        _db.session.commit()
    news = _mails(app)[-1]
    for mail in (confirmation, news):  # the HTML mails themselves
        page.set_content(mail.html_body)
        assert axe_violations(page) == [], mail.subject
    unsubscribe = news.headers["List-Unsubscribe"].strip("<>").removeprefix("http://localhost:5000")
    page.goto(unsubscribe)
    assert axe_violations(page) == []
    page.get_by_role("button", name="Afmeld").click()
    page.get_by_role("heading", name="Du er afmeldt").wait_for()
    with app.app_context():
        assert _db.session.scalars(select(MailSubscription)).all() == []

    page.goto(f"/barrierer?area={area_id}")
    assert page.get_by_role("heading", name="Følg med på e-mail").is_visible()
    assert axe_violations(page) == []
    context.close()


@pytest.mark.parametrize(
    ("role", "path"), [("reviewer", "/mail/indstillinger"), ("admin", "/mail/udbakke")]
)
def test_staff_mail_pages_pass_axe_on_a_phone(
    app, browser, live_server, make_user, make_public_report, role, path
):
    from fieldaudit.mail import subscriptions

    site = make_public_report().site
    with app.app_context():  # something in the outbox
        subscriptions.request_follow(_db.session, "vent@example.org", "da", "site", site.id)
        _db.session.commit()
    context = browser.new_context(
        locale="da-DK",
        base_url=live_server.url,
        viewport={"width": 412, "height": 915},
        is_mobile=True,
        has_touch=True,
    )
    context.add_cookies(_session_cookie(app, make_user(role), live_server.url))
    page = context.new_page()
    page.goto(path)
    assert page.locator("h1").count() == 1
    assert axe_violations(page) == []
    context.close()
