"""The planner's pages in real Chromium: the priority map and the coverage map draw without
tiles, a site is marked planned with the keyboard, and axe-core finds no WCAG 2.2 A/AA problem."""

from __future__ import annotations

import pytest

from fieldaudit.report_review import verify_report

from ..conftest import TEST_PASSWORD
from .axe import axe_violations

pytestmark = pytest.mark.browser


def test_planner_pages_in_chromium(desk, db, make_user, make_report):
    make_user("planner", email="planlaegger@herlev.dk", display_name="Planlægger")
    step = make_report()
    make_report(dx=300, category="surface", measurements={}, severity="medium")
    verify_report(db.session, step, make_user("reviewer"))  # only verified sites are planned
    db.session.commit()
    page = desk
    page.goto("/konto/log-ind")
    page.get_by_label("E-mail").fill("planlaegger@herlev.dk")
    page.get_by_label("Adgangskode").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Log ind").click()
    page.wait_for_load_state()

    page.goto("/planlaegning/")
    page.locator("#priority-map[data-ready='true']").wait_for(state="attached")
    markers = page.locator("#priority-map .prio-marker")
    assert markers.count() == 1  # the list shows what the council verified
    assert markers.first.inner_text() == "1"
    assert axe_violations(page) == []

    page.get_by_role("link", name="Trin eller dørtrin").click()
    page.get_by_label("År").fill("2030")
    page.get_by_label("Anslået pris i kr. (valgfri)").fill("45000")
    page.get_by_label("Anslået pris i kr. (valgfri)").press("Enter")
    page.wait_for_load_state()
    assert "Stedet er markeret som planlagt." in page.locator(".flash-messages").inner_text()
    assert "planlagt 2030" in page.locator(".site-facts").inner_text()
    assert axe_violations(page) == []

    page.goto("/planlaegning/omraader")
    page.locator("#coverage-map[data-ready='true']").wait_for(state="attached")
    assert page.locator("#coverage-map path.leaflet-interactive").count() > 10
    assert axe_violations(page) == []

    page.goto("/planlaegning/saadan-prioriterer-vi")
    assert axe_violations(page) == []
