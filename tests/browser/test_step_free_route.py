"""Find en trinfri vej in real Chromium: chosen with the keyboard from lists or by tapping the
map on a phone, answered in words, and axe-core finds no WCAG 2.2 A/AA problem on the form or
the answer (issue 16)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from fieldaudit.crs import to_metric
from fieldaudit.network.lines import read_line_file
from fieldaudit.network.store import read_destination_file, replace_network, upsert_destinations

from .axe import axe_violations
from .conftest import TIMEOUT_MS

pytestmark = pytest.mark.browser
DATA = Path(__file__).resolve().parents[2] / "data" / "geo"
SHOTS = Path("/work/shots/route")


@pytest.fixture
def phone(browser: Any, live_server: Any) -> Iterator[Any]:
    """A Pixel 7 (412 px wide, touch) on the live server; fails the test on any script error."""
    devices = browser.browser_type._impl_obj._playwright.devices  # playwright.devices
    context = browser.new_context(**devices["Pixel 7"], locale="da-DK", base_url=live_server.url)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.set_default_timeout(TIMEOUT_MS)
    yield page
    context.close()
    assert errors == []


def _shot(page: Any, name: str) -> None:
    if SHOTS.parent.is_dir():
        SHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SHOTS / name), full_page=True)


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
    page.get_by_role("combobox", name="Fra").select_option(label="Herlev Station")
    page.get_by_role("combobox", name="Til").select_option(label="Herlev Bibliotek")
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


def _tap_where_the_list_puts(page, end, place):
    """Choose ``place`` in the list (its marker shows where it is), then tap the map there."""
    page.get_by_role("combobox", name=end).select_option(label=place)
    marker = page.locator(f"#route-pick-map path.route-end-{end.lower()}")
    marker.scroll_into_view_if_needed()
    box = marker.bounding_box()
    page.touchscreen.tap(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)


def test_choose_fra_and_til_by_tapping_the_map_on_a_phone(phone, db):
    _shipped_network(db)
    page = phone
    page.goto("/trinfri-vej")
    picker = page.get_by_role("region", name="Vælg på kortet")
    page.wait_for_selector("#route-picker[data-ready='true']")
    assert page.get_by_role("radio", name="Fra").is_checked()  # which end the next tap sets
    assert axe_violations(page) == []
    _shot(page, "picker-412.png")
    _tap_where_the_list_puts(page, "Fra", "Herlev Station")
    status = picker.locator("#route-pick-status")
    assert status.inner_text() == "Fra er sat til et punkt på kortet. Næste klik vælger Til."
    assert page.get_by_role("radio", name="Til").is_checked()
    _tap_where_the_list_puts(page, "Til", "Herlev Bibliotek")
    assert "Tryk på »Find vejen«" in status.inner_text()
    chosen = page.get_by_role("combobox", name="Fra").evaluate("s => s.value")
    lon, lat = (float(v) for v in chosen.split(","))
    assert abs(lon - 12.4437) < 0.0005 and abs(lat - 55.7189) < 0.0003  # where the tap was
    selected = page.locator("#route-to option:checked").inner_text()
    assert selected.startswith("Punkt på kortet (55,725")
    page.get_by_role("button", name="Find vejen").tap()
    page.wait_for_selector("#route-picker[data-ready='true']")
    answer = page.locator(".route-answer")
    assert "Vejen fra et punkt på kortet til et punkt på kortet" in answer.inner_text()
    assert "meter ad Herlev Bygade." in answer.inner_text()
    drawn = page.locator("#route-pick-map path.route-on-map")
    assert drawn.count() == 1 and drawn.evaluate("line => line.getTotalLength()") > 50
    assert page.locator(".route-answer .route-line").count() == 1  # the tile-free map stays
    assert page.locator("#route-pick-map path.route-end-fra").count() == 1
    assert axe_violations(page) == []
    _shot(page, "answer-412.png")
    page.get_by_role("radio", name="Til").check()  # a new Til: the old route is taken away
    _tap_where_the_list_puts(page, "Til", "Herlev Rådhus")
    assert drawn.count() == 0 and page.locator("#route-pick-map path.route-end-til").count() == 1


def test_the_map_with_the_keyboard_and_the_page_without_script(desk, browser, live_server, db):
    _shipped_network(db)
    page = desk
    page.goto("/trinfri-vej")
    page.wait_for_selector("#route-picker[data-ready='true']")
    _shot(page, "picker-1280.png")
    the_map = page.get_by_role("region", name="Kort til at vælge Fra og Til")
    the_map.focus()
    assert page.evaluate("getComputedStyle(document.activeElement, '::after').content") != "none"
    page.keyboard.press("ArrowUp")
    page.keyboard.press("Enter")  # the middle of the map is Fra
    assert page.locator("#route-from option:checked").inner_text().startswith("Punkt på kortet")
    assert page.get_by_role("radio", name="Til").is_checked()
    context = browser.new_context(java_script_enabled=False, base_url=live_server.url)
    try:
        plain = context.new_page()
        plain.goto("/trinfri-vej")
        assert not plain.locator("#route-picker").is_visible()  # no map without its script
        plain.get_by_role("combobox", name="Fra").select_option(label="Herlev Station")
        plain.get_by_role("combobox", name="Til").select_option(label="Herlev Bibliotek")
        plain.get_by_role("button", name="Find vejen").click()
        assert plain.locator(".route-answer .route-line").count() == 1
    finally:
        context.close()
