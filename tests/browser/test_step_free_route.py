"""Find en trinfri vej in real Chromium: chosen with the keyboard from lists, answered in
words, and axe-core finds no WCAG 2.2 A/AA problem on the form or the answer (issue 16)."""

from __future__ import annotations

from pathlib import Path

import pytest

from fieldaudit.crs import to_metric
from fieldaudit.network.lines import read_line_file
from fieldaudit.network.store import read_destination_file, replace_network, upsert_destinations

from .axe import axe_violations

pytestmark = pytest.mark.browser
DATA = Path(__file__).resolve().parents[2] / "data" / "geo"


def _shipped_network(db):
    lines, _skipped, _srid = read_line_file(DATA / "herlev_network.geojson")
    replace_network(db.session, lines)
    places, _skipped = read_destination_file(DATA / "herlev_destinations.geojson")
    upsert_destinations(db.session, places)
    db.session.commit()


def test_step_free_route_page_in_chromium(desk, db, make_public_report):
    _shipped_network(db)
    x0, y0 = to_metric(12.4437, 55.7189)
    x, y = to_metric(12.4431, 55.71995)  # on the way from the station towards the centre
    make_public_report(dx=x - x0, dy=y - y0)  # a 12 cm step: 60 m penalty for MOB
    page = desk
    page.goto("/trinfri-vej")
    assert axe_violations(page) == []
    page.get_by_label("Fra").select_option(label="Herlev Station")
    page.get_by_label("Til").select_option(label="Herlev Bibliotek")
    page.get_by_label("Gangbesværede, arm- og håndhandicap").check()
    page.get_by_role("button", name="Find vejen").press("Enter")
    page.wait_for_load_state()
    answer = page.locator(".route-answer")
    assert "Vejen fra Herlev Station til Herlev Bibliotek" in answer.inner_text()
    assert "meter ad Herlev Bygade." in answer.inner_text()
    assert answer.get_by_role("link", name="Trin eller dørtrin").count() == 1
    assert axe_violations(page) == []
    # The map: one image named by its caption, the route drawn, the barrier numbered as listed.
    drawn = answer.get_by_role(
        "img", name="Kort over vejen fra Herlev Station til Herlev Bibliotek"
    )
    assert drawn.count() == 1 and drawn.is_visible()
    assert page.locator(".route-line").evaluate("line => line.getTotalLength()") > 100
    assert page.locator(".route-map .place-number").all_text_contents() == ["1"]
    assert answer.locator(".route-barriers li").count() == 1
    # Nothing in the map takes the keyboard: from the last link of the answer, Tab leaves it.
    answer.get_by_role("link", name="Trin eller dørtrin").focus()
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.closest('.route-map') === null")
    assert focused
    page.set_viewport_size({"width": 320, "height": 640})  # WCAG 1.4.10: the map reflows
    assert drawn.bounding_box()["width"] <= 320
    assert axe_violations(page) == []


def test_the_area_summary_in_chromium(desk, db, make_public_report):
    """The per-area summary on the public list of an area: read as a list, axe-core clean."""
    _shipped_network(db)
    site = make_public_report().site  # a 12 cm step at Herlev Station
    assert site.area_id is not None
    page = desk
    page.goto(f"/barrierer?area={site.area_id}")
    summary = page.get_by_role("region", name="Hvad de kendte barrierer betyder i")
    assert summary.is_visible()
    rows = summary.get_by_role("listitem")
    assert rows.count() == 6  # every group with rules
    wheel = rows.filter(has_text="Kørestolsbrugere").inner_text()
    assert "1 kendt barriere" in wheel and "fra Herlev Station: ja" in wheel
    assert "0 kendte barrierer" in rows.filter(has_text="Synshandicappede").inner_text()
    assert axe_violations(page) == []
