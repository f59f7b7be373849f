"""The network factor on the planner's pages in real Chromium: the site's reasons name the pair
of destinations, the factor table has its row, and axe-core finds no WCAG 2.2 A/AA problem on
the site page or on "Sådan prioriterer vi" (at 1280 px and at 412 px)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ..conftest import TEST_PASSWORD
from ..test_network_priority import BRIDGE_SENTENCE_DA, halves, refresh  # noqa: F401
from .axe import axe_violations

pytestmark = pytest.mark.browser
SHOTS = os.environ.get("FIELDAUDIT_SHOTS_DIR")  # screenshots for the reviewer, when set


def _shot(page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / name), full_page=True)


@pytest.mark.usefixtures("halves")
def test_the_network_factor_on_the_planners_pages(desk, app, db, make_user, make_public_report):
    bridge = make_public_report(dx=150).site
    refresh(app, db)
    make_user("planner", email="planlaegger@herlev.dk", display_name="Planlægger")
    page = desk
    page.goto("/konto/log-ind")
    page.get_by_label("E-mail").fill("planlaegger@herlev.dk")
    page.get_by_label("Adgangskode").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Log ind").click()
    page.wait_for_load_state()
    for width in (1280, 412):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(f"/planlaegning/steder/{bridge.id}")
        reasons = page.locator("ul.reasons li").all_inner_texts()
        assert BRIDGE_SENTENCE_DA in reasons
        row = page.get_by_role("row", name="Betydning på gangnettet")
        assert row.inner_text().split() == ["Betydning", "på", "gangnettet", "×", "2"]
        assert axe_violations(page) == []
        _shot(page, f"site-{width}.png")
        page.goto("/planlaegning/saadan-prioriterer-vi")
        item = page.get_by_text("Hvad barrieren betyder på gangnettet.")
        assert item.is_visible()
        assert axe_violations(page) == []
        _shot(page, f"how-{width}.png")
