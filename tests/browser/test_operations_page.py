"""The admins' operations page (/konto/drift) with a failed and a completed job: axe finds no
WCAG 2.2 AA violation on phone and desktop, in Danish and English, and the error text opens."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from fieldaudit import jobs
from tests.browser.axe import axe_violations
from tests.browser.test_accessibility import VIEWPORTS, _session_cookie

pytestmark = pytest.mark.browser


def failing(session, config, now):
    raise jobs.JobFailed("3 problems: <img src=x onerror=alert(1)> missing_file photos/ab/x.jpg")


def test_operations_page_is_accessible_and_shows_the_failure(
    app, db, browser, live_server, make_user
):
    now = datetime.now(UTC)
    jobs.run_due(db.session, app.config, now=now, only="rescore")
    broken = jobs.Job("check", jobs.DAILY, failing, {"da": "Tjek", "en": "Check"})
    jobs.run_job(db.session, broken, app.config, now, "browser-test")
    admin = make_user("admin")
    alerts: list[str] = []

    def refuse(dialog):
        alerts.append(dialog.message)
        dialog.dismiss()

    for viewport, options in VIEWPORTS.items():
        context = browser.new_context(locale="da-DK", base_url=live_server.url, **options)
        context.add_cookies(_session_cookie(app, admin, live_server.url))
        page = context.new_page()
        page.on("dialog", refuse)
        for language in ("da", "en"):
            page.goto(f"/konto/drift?lang={language}")
            assert page.get_by_role("alert").count() == 1
            page.locator("#job-check summary").click()
            assert "<img src=x onerror=alert(1)>" in page.locator("#job-check pre").inner_text()
            assert axe_violations(page) == [], f"{viewport} {language}"
        assert page.get_by_role("link", name="Operations").count() == 1  # in the menu
        assert alerts == []
        context.close()
