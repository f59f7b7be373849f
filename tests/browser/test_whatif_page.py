"""Hvad hvis in real Chromium: a planner sets a cost estimate and asks for the fixes within a
budget in kroner with the keyboard; the answer, its map and the error are axe-core clean
(WCAG 2.2 A/AA) and reflow at 320 px (issue 16)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ..conftest import TEST_PASSWORD
from .axe import axe_violations

pytestmark = pytest.mark.browser
SHOTS = Path(os.environ.get("FIELDAUDIT_SHOTS", "/work/shots/whatif"))


def _shoot(page, name: str) -> None:
    if SHOTS.parent.exists():
        SHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SHOTS / name), full_page=True)


def test_what_if_page_in_chromium(desk, db, runner, make_user, make_public_report):
    assert runner.invoke(args=["init"]).exit_code == 0
    make_user("planner", email="planlaegger@herlev.dk", display_name="Planlægger")
    site = make_public_report().site  # a 12 cm step at Herlev Station, on the network
    page = desk
    page.goto("/konto/log-ind")
    page.get_by_label("E-mail").fill("planlaegger@herlev.dk")
    page.get_by_label("Adgangskode").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Log ind").click()
    page.wait_for_load_state()

    page.goto(f"/planlaegning/steder/{site.id}")
    estimate = page.get_by_label("Anslået pris for udbedringen i kr. (tom: intet overslag)")
    estimate.fill("45.000")
    estimate.press("Enter")
    page.wait_for_load_state()
    assert "Prisoverslaget er gemt." in page.locator(".flash-messages").inner_text()
    assert axe_violations(page) == []

    page.get_by_role("link", name="Hvad hvis").click()
    page.wait_for_load_state()
    assert axe_violations(page) == []
    page.get_by_label("Målgruppe").select_option(label="Kørestolsbrugere")
    page.get_by_label("et beløb i kroner").check()
    budget = page.get_by_label("Budget (antal steder eller kroner)")
    budget.fill("mange")
    budget.press("Enter")
    page.wait_for_load_state()
    assert "Skriv et beløb i hele kroner fra 1" in page.locator("#budget-error").inner_text()
    assert axe_violations(page) == []

    budget = page.get_by_label("Budget (antal steder eller kroner)")
    budget.fill("100.000")
    budget.press("Enter")
    page.wait_for_load_state()
    answer = page.locator(".whatif-answer")
    assert "trinfrit i kørestol fra gitteret" in answer.inner_text()
    rows = answer.locator("tbody tr")
    assert rows.count() == 1 and "45.000 kr." in rows.first.inner_text()
    drawn = answer.get_by_role("img", name="Kort over den valgte udbedring")
    assert drawn.count() == 1 and drawn.is_visible()
    assert page.locator(".whatif-map .place-number").all_text_contents() == ["1"]
    assert axe_violations(page) == []
    page.set_viewport_size({"width": 1280, "height": 900})
    _shoot(page, "whatif-1280.png")
    page.set_viewport_size({"width": 412, "height": 900})
    _shoot(page, "whatif-412.png")
    page.set_viewport_size({"width": 320, "height": 640})  # WCAG 1.4.10: the map reflows
    assert drawn.bounding_box()["width"] <= 320
    assert axe_violations(page) == []
    page.goto(page.url + "&lang=en")
    assert "What if we fix" in page.locator("h1").inner_text()
    assert axe_violations(page) == []
