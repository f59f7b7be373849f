"""Handicaprådet's review in real Chromium: sign in, verify, reject with a reason, merge a
duplicate, black out part of a photo; then the public pages and "my reports" show the new
status and nothing hidden. axe-core (WCAG 2.2 A/AA) on every review and public page, and the
review done with the keyboard alone."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from fieldaudit import report_review
from fieldaudit.extensions import db
from fieldaudit.models import BarrierReport, BarrierSite, Photo
from fieldaudit.photos import media_path

from ..conftest import TEST_PASSWORD
from .axe import axe_violations
from .images import image_loaded

pytestmark = pytest.mark.browser


@pytest.fixture
def cases(app, make_user, make_report, make_photo):
    """A reviewer, a reporter with an account, and reports to verify, reject and merge."""
    reviewer = make_user("reviewer", email="bedommer@herlev.dk", display_name="Bedømmer")
    reporter = make_user("volunteer", email="frivillig@herlev.dk", display_name="Frivillig")
    to_verify = make_report(reporter=reporter, description="Højt trin ved biblioteket")
    photo = make_photo(to_verify, colour=(240, 240, 240))
    to_reject = make_report(
        dx=300,
        reporter=reporter,
        category="surface",
        measurements={},
        description="Grus på stien",
    )
    duplicate = make_report(dx=30, description="Samme trin, set fra den anden side")
    secret = make_report(dx=2, description="SkjultTekstDerIkkeMaaVises")
    report_review.verify_report(db.session, secret, reviewer)
    report_review.set_report_hidden(db.session, secret, reviewer, True, "Personoplysninger")
    db.session.commit()
    return {
        "reviewer": reviewer,
        "reporter": reporter,
        "verify": to_verify,
        "photo": photo,
        "reject": to_reject,
        "duplicate": duplicate,
        "secret": secret,
    }


def sign_in(page: Any, email: str) -> None:
    page.goto("/konto/log-ind")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Adgangskode").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Log ind").click()
    page.wait_for_load_state()


def sign_out(page: Any) -> None:
    page.get_by_role("button", name="Log ud").click()
    page.wait_for_load_state()


def flash(page: Any) -> str:
    return page.locator(".flashes").inner_text()


def test_review_flow_public_record_and_my_reports(app, desk, cases):
    page = desk
    violations: dict[str, list[str]] = {}
    page.goto("/konto/log-ind")
    violations["login"] = axe_violations(page)
    sign_in(page, "bedommer@herlev.dk")
    assert page.url.endswith("/gennemgang/")
    violations["queue"] = axe_violations(page)
    verify, reject, duplicate = cases["verify"], cases["reject"], cases["duplicate"]

    # Verify one report.
    page.get_by_role("link", name=f"#{verify.id}", exact=True).click()
    page.locator("#review-map[data-ready='true']").wait_for(state="attached")
    violations["report"] = axe_violations(page)
    page.get_by_label("Bemærkning (valgfri, vises offentligt)").first.fill("Set på stedet.")
    page.get_by_role("button", name="Bekræft", exact=True).click()
    assert "Rapporten er bekræftet." in flash(page)
    assert "Bekræftet" in page.locator("#status").inner_text()

    # Black out part of its photo.
    card = page.locator(f"#photo-{cases['photo'].id}")
    card.get_by_text("Skjul eller slør foto 1").click()  # the photo's actions fold out
    card.get_by_label("Fra venstre (%)").fill("10")
    card.get_by_label("Fra toppen (%)").fill("10")
    card.get_by_label("Bredde (%)").fill("40")
    card.get_by_label("Højde (%)").fill("40")
    card.get_by_label("Hvad sløres? (intern)").fill("Nummerplade")
    card.get_by_role("button", name="Slør området").click()
    assert "Det valgte område er sløret" in flash(page)

    # Reject one with a reason; first without, to see the error.
    page.goto(f"/gennemgang/rapporter/{reject.id}")
    page.get_by_role("button", name="Afvis", exact=True).click()
    summary = page.locator("#reject .error-summary")
    summary.wait_for()
    # review.js moves focus to the summary once the page has loaded: wait for it, not a moment.
    page.wait_for_function(
        "() => document.activeElement.classList.contains('error-summary')", timeout=10_000
    )
    assert "Skriv en begrundelse for afvisningen." in summary.inner_text()
    violations["report with errors"] = axe_violations(page)
    page.get_by_label("Begrundelse (vises offentligt)").fill("Gruset er fjernet, stien er fast.")
    page.get_by_role("button", name="Afvis", exact=True).click()
    assert "Rapporten er afvist." in flash(page)

    # Merge a duplicate into the verified site.
    page.goto(f"/gennemgang/rapporter/{duplicate.id}")
    page.get_by_label(f"#{verify.site_id} ").check()
    page.get_by_role("button", name="Flet ind i stedet").click()
    assert f"flettet ind i sted #{verify.site_id}" in flash(page)
    page.goto(f"/gennemgang/steder/{verify.site_id}")
    violations["site (staff)"] = axe_violations(page)
    page.goto("/gennemgang/statistik")
    violations["statistics"] = axe_violations(page)
    page.goto("/gennemgang/statistik/statusrapport")
    violations["status report"] = axe_violations(page)
    sign_out(page)

    # The database agrees.
    db.session.expire_all()
    assert db.session.get(BarrierReport, verify.id).status == "verified"
    assert db.session.get(BarrierReport, reject.id).status == "rejected"
    merged = db.session.get(BarrierReport, duplicate.id)
    assert merged.status == "duplicate" and merged.site_id == verify.site_id
    assert db.session.get(BarrierSite, verify.site_id).report_count == 3  # with the hidden one
    photo = db.session.get(Photo, cases["photo"].id)
    assert photo.redacted and photo.original_name
    private = Path(app.config["MEDIA_DIR"]).resolve().parent / "private-originals"
    assert (private / photo.original_name).is_file()
    with Image.open(media_path(app.config["MEDIA_DIR"], photo.display_name)) as image:
        assert image.getpixel((image.width // 4, image.height // 4)) < (20, 20, 20)

    # The public record shows the right status and nothing hidden.
    page.goto("/barrierer")
    page.locator("#sites-map[data-ready='true']").wait_for(state="attached")
    violations["public list"] = axe_violations(page)
    listing = page.locator("main").inner_text()
    assert f"#{verify.site_id}" in listing and f"#{reject.site_id}" not in listing
    page.goto(f"/barrierer/{verify.site_id}")
    violations["public site"] = axe_violations(page)
    site_text = page.locator("main").inner_text()
    assert "Bekræftet" in site_text and "Set på stedet." in site_text
    assert "Samme trin, set fra den anden side" in site_text  # the merged report
    assert "SkjultTekstDerIkkeMaaVises" not in page.content()
    assert "Nummerplade" not in page.content() and "Bedømmer" not in page.content()
    thumb = page.locator(f"img[src*='/fotos/{photo.id}/thumb']")
    assert image_loaded(thumb)
    page.goto(f"/rapporter/{reject.id}")
    violations["public report"] = axe_violations(page)
    assert "Afvist" in page.locator("main").inner_text()
    assert "Gruset er fjernet, stien er fast." in page.locator("main").inner_text()
    assert page.goto(f"/rapporter/{cases['secret'].id}").status == 404

    # The reporter follows the reports under "my reports".
    sign_in(page, "frivillig@herlev.dk")
    page.goto("/mine-rapporter")
    page.locator("#sent-list .my-report").first.wait_for()
    mine = page.locator("#sent-list").inner_text()
    assert "Status: Bekræftet" in mine and "Status: Afvist" in mine

    assert violations == {name: [] for name in violations}


def tab_to(page: Any, selector: str, limit: int = 120) -> None:
    """Press Tab until the element matching ``selector`` has the focus."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement.matches(s)", selector):
            outline = page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
            assert outline != "none", f"{selector} has no visible focus"
            return
    raise AssertionError(f"{selector} cannot be reached with Tab")


def test_review_with_the_keyboard_alone(desk, cases):
    page = desk
    report = cases["verify"]
    page.goto("/konto/log-ind")
    tab_to(page, "#email")
    page.keyboard.type("bedommer@herlev.dk")
    page.keyboard.press("Tab")
    page.keyboard.type(TEST_PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url("**/gennemgang/")
    tab_to(page, f"a[href='/gennemgang/rapporter/{report.id}']")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/gennemgang/rapporter/{report.id}")
    tab_to(page, "#verify-note")
    page.keyboard.type("Bekræftet med tastaturet.")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.wait_for_load_state()
    assert "Rapporten er bekræftet." in page.locator(".flashes").inner_text()
    # Mark the next one as a duplicate with the keyboard: choose the nearby site, then submit.
    page.goto(f"/gennemgang/rapporter/{cases['duplicate'].id}")
    tab_to(page, f"#duplicate-site-{report.site_id}")
    page.keyboard.press("Space")
    tab_to(page, "#duplicate button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_load_state()
    assert f"flettet ind i sted #{report.site_id}" in page.locator(".flashes").inner_text()


def test_admin_pages_pass_axe(desk, make_user):
    make_user("admin", email="admin@herlev.dk")
    page = desk
    sign_in(page, "admin@herlev.dk")
    page.goto("/konto/brugere")
    found = {"users": axe_violations(page)}
    page.get_by_label("E-mail").fill("ny@herlev.dk")
    page.get_by_role("button", name="Lav invitationslink").click()
    link = page.locator("#invite-link").input_value()
    found["invited"] = axe_violations(page)
    sign_out(page)
    page.goto(link)
    found["invitation"] = axe_violations(page)
    assert found == {name: [] for name in found}
