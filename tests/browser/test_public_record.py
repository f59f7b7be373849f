"""Issue 17, what was left, in real Chromium: "already reported?" with photos, a line of text and a
numbered map matching the list; the public barrier page's map and nearest named place; the
/barrierer map's area layers, sensible zoom for one barrier and the aligned checkbox; the done
screen's link to "Mine rapporter". axe-core on each; screenshots at 412 px, 320 px and desktop
(into FIELDAUDIT_SHOTS_DIR when set, for a person to look at; else the test's own folder)."""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

import pytest

from tests.browser.axe import axe_violations
from tests.browser.images import image_loaded
from tests.browser.test_field_app import STATION, TIMEOUT_MS, next_step, open_capture
from tests.browser.test_field_flow import STEP_HEADINGS, new_phone, use_gps

pytestmark = pytest.mark.browser

# Five distinct sites of one kind within the duplicate check's 30 m (more than 10 m apart, so
# the site rule keeps them apart), nearest first.
NEARBY_OFFSETS = [(0, 4), (12, -8), (-16, 6), (6, 20), (-18, -18)]
DESCRIPTIONS = [
    "Trin på 12 cm ved indgangen til stationen.",
    "Højt trin ved cykelparkeringen, ingen rampe.",
    "Trin ved kiosken; kørestole kan ikke komme ind.",
    "Dørtrin ved venteværelset.\nAnden linje vises ikke.",
    "Trin ved elevatoren, " + "meget lang tekst " * 20,
]
WIDTHS = {"412": (412, 915), "320": (320, 720), "desktop": (1280, 900)}


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    """Where the screenshots go."""
    folder = Path(os.environ.get("FIELDAUDIT_SHOTS_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def nearby_sites(db, live_server, make_public_report, make_photo):
    """Five public step sites around Herlev Station, each with a photo and a description."""
    reports = []
    for (dx, dy), text in zip(NEARBY_OFFSETS, DESCRIPTIONS, strict=True):
        report = make_public_report(dx=dx, dy=dy, description=text)
        make_photo(report, colour=(40 * len(reports), 90, 160))
        reports.append(report)
    assert len({r.site_id for r in reports}) == 5
    return reports


def public_sites(make_public_report, count: int) -> list[Any]:
    """``count`` public sites of several kinds spread over Herlev (north and west of the
    station), on a spiral so none merge."""
    kinds = ["step", "kerb", "surface", "obstacle", "narrow_passage"]
    reports = []
    for i in range(count):
        angle, radius = i * 2.4, 120 + 26 * i
        dx = -abs(radius * math.cos(angle)) * 0.8
        dy = abs(radius * math.sin(angle)) * 1.1 + 300
        code = kinds[i % len(kinds)]
        extra = {} if code == "step" else {"measurements": {}}
        reports.append(make_public_report(dx=dx, dy=dy, category=code, **extra))
    return reports


def context_at(browser: Any, live_server: Any, name: str) -> Any:
    """A browser context at one of WIDTHS: a Pixel 7 (412 px), the same phone narrowed to
    320 px, or a desktop; at Herlev Station with location allowed."""
    width, height = WIDTHS[name]
    if name == "desktop":
        device: dict[str, Any] = {"viewport": {"width": width, "height": height}}
    else:
        devices = browser.browser_type._impl_obj._playwright.devices  # playwright.devices
        device = {**devices["Pixel 7"], "viewport": {"width": width, "height": height}}
    return browser.new_context(
        **device,
        locale="da-DK",
        geolocation=STATION,
        permissions=["geolocation"],
        base_url=live_server.url,
    )


def to_review(page: Any) -> None:
    open_capture(page)
    use_gps(page)
    next_step(page, "h-category")
    page.locator("label[for='cat-step']").click()
    for heading in STEP_HEADINGS[2:]:
        next_step(page, heading)


def test_already_reported_shows_photos_text_and_a_numbered_map_matching_the_list(
    browser, live_server, nearby_sites, shots
):
    for name, (width, _height) in WIDTHS.items():
        context = context_at(browser, live_server, name)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error, errors=errors: errors.append(str(error)))
        try:
            to_review(page)
            items = page.locator("#nearby-list > li")
            items.nth(4).wait_for(timeout=TIMEOUT_MS)
            page.locator("#nearby-map svg").wait_for(timeout=TIMEOUT_MS)
            assert items.count() == 5
            # The list is an ordered list (a screen reader says "1 of 5"); the number shown
            # beside each item is the number on the map.
            assert page.locator("ol#nearby-list").count() == 1
            numbers = [items.nth(i).locator(".nearby-number").inner_text() for i in range(5)]
            assert numbers == ["1", "2", "3", "4", "5"]
            first = items.nth(0).inner_text()
            assert "Trin eller dørtrin" in first and "Bekræftet" in first
            assert "1 rapport ·" in first and "0 bekræftelser" in first
            assert "»Trin på 12 cm ved indgangen til stationen.«" in first
            assert "Anden linje" not in items.nth(3).inner_text()
            assert items.nth(4).locator(".nearby-summary").inner_text().endswith("…«")
            for i in range(5):
                image = items.nth(i).locator("img")
                assert image.get_attribute("alt") == f"Foto af barriere nummer {i + 1}"
                assert image_loaded(image)
            # The map: the areas under the markers, markers numbered 1-5 in the list's order:
            # the person's ring is nearest marker 1 and farthest from marker 5.
            svg = page.locator("#nearby-map svg")
            assert svg.get_attribute("role") == "img"
            assert "numrene svarer til listen" in svg.get_attribute("aria-label")
            assert page.locator("#nearby-map path.place-area").count() >= 1
            labels = page.locator("#nearby-map text.place-number").all_text_contents()
            assert sorted(labels) == ["1", "2", "3", "4", "5"]
            gaps = page.evaluate(
                """() => {
                  const you = document.querySelector('#nearby-map .nearby-you');
                  const [x, y] = [+you.getAttribute('cx'), +you.getAttribute('cy')];
                  return [...document.querySelectorAll('#nearby-map text.place-number')]
                    .map((label) => [+label.textContent, Math.hypot(
                      +label.getAttribute('x') - x, +label.getAttribute('y') - y)])
                    .sort((a, b) => a[0] - b[0]).map(([, gap]) => gap);
                }"""
            )
            assert gaps == sorted(gaps) and gaps[0] > 0
            # The map sits inside the page: no sideways scrolling at any width.
            assert page.evaluate("document.documentElement.scrollWidth") <= width
            page.locator("#h-review").scroll_into_view_if_needed()
            page.screenshot(path=str(shots / f"already-reported-{name}.png"), full_page=True)
            assert axe_violations(page) == []
            # Keyboard: Tab from the heading reaches each "Det er den her" in order, never the
            # map (it repeats the list for the eye).
            page.focus("#h-review")
            reached = []
            for _ in range(8):
                page.keyboard.press("Tab")
                reached.append(page.evaluate("document.activeElement.textContent.trim()"))
            assert reached[:5] == ["Det er den her"] * 5
            assert page.locator("#nearby-map [tabindex], #nearby-map a").count() == 0
        finally:
            context.close()
        assert errors == []


def test_choosing_a_known_barrier_ends_on_a_link_to_my_reports(browser, live_server, nearby_sites):
    context = new_phone(browser, live_server, STATION)
    page = context.new_page()
    try:
        to_review(page)
        page.locator("#nearby-list > li").nth(4).wait_for(timeout=TIMEOUT_MS)
        page.locator("#nearby-list > li").nth(1).get_by_role(
            "button", name="Det er den her"
        ).click()
        page.locator("#done").wait_for(timeout=TIMEOUT_MS)
        follow = page.get_by_role("link", name="Følg rapporten under »Mine rapporter«")
        follow.click()
        page.wait_for_url("**/mine-rapporter*", timeout=TIMEOUT_MS)
        assert page.locator("h1").inner_text() == "Mine rapporter"
        page.get_by_text("Du bekræftede, at en barriere stadig er der").wait_for(timeout=TIMEOUT_MS)
        assert axe_violations(page) == []
    finally:
        context.close()


def test_the_done_link_opens_the_report_in_my_reports(browser, live_server):
    context = new_phone(browser, live_server, STATION)
    page = context.new_page()
    try:
        to_review(page)
        page.locator("#nearby-status").filter(has_text="barriere").wait_for(timeout=TIMEOUT_MS)
        page.get_by_role("button", name="Send rapporten").click()
        page.locator("#done-text").filter(has_text="sendt til kommunen").wait_for(
            timeout=TIMEOUT_MS
        )
        reference = page.locator("#done-reference").inner_text().split()[-1]
        page.get_by_role("link", name="Følg rapporten under »Mine rapporter«").click()
        page.wait_for_url("**/mine-rapporter#rapport-*", timeout=TIMEOUT_MS)
        item = page.locator(".my-report").filter(has_text=f"Reference: {reference}")
        item.wait_for(timeout=TIMEOUT_MS)
        page.wait_for_function(
            "() => document.activeElement && document.activeElement.classList.contains('my-report')",
            timeout=TIMEOUT_MS,
        )
        assert axe_violations(page) == []
    finally:
        context.close()


def test_the_public_barrier_page_has_a_map_and_the_nearest_place(
    browser, live_server, nearby_sites, shots
):
    site_id = nearby_sites[0].site_id
    for name, (width, _height) in WIDTHS.items():
        context = context_at(browser, live_server, name)
        page = context.new_page()
        try:
            page.goto(f"/barrierer/{site_id}")
            caption = page.locator("#place-caption").inner_text()
            assert caption.startswith("Barrieren ligger")
            assert "Herlev Station" in caption
            figure = page.locator("figure.place-map svg")
            box = figure.bounding_box()
            assert 0.5 * min(width, 640) < box["width"] <= width
            assert page.locator("figure.place-map path.place-area").count() >= 1
            assert page.locator("figure.place-map circle.place-marker").count() == 1
            assert page.evaluate("document.documentElement.scrollWidth") <= width
            page.screenshot(path=str(shots / f"barrier-page-{name}.png"), full_page=True)
            assert axe_violations(page) == []
        finally:
            context.close()


def _open_sites(page: Any, query: str = "") -> None:
    page.goto(f"/barrierer{query}")
    page.wait_for_selector("#sites-map[data-ready='true']", timeout=TIMEOUT_MS)


def _checkbox_aligned(page: Any) -> None:
    box = page.locator("#p-new-look").bounding_box()
    label = page.locator("label[for='p-new-look']").bounding_box()
    assert 20 <= box["height"] <= 28 and 20 <= box["width"] <= 28
    assert abs((box["y"] + box["height"] / 2) - (label["y"] + label["height"] / 2)) < 4
    assert label["x"] > box["x"] + box["width"]  # beside it, not under it


def test_the_barrier_map_shows_areas_a_sensible_zoom_and_an_aligned_checkbox(
    browser, live_server, make_public_report, shots
):
    one = make_public_report()
    context = context_at(browser, live_server, "412")
    page = context.new_page()
    try:
        _open_sites(page)
        # One barrier: a pin (not a circle), named, and the one marker on the map.
        pin = page.locator("#sites-map .leaflet-marker-icon.site-pin")
        assert pin.count() == 1 and pin.get_attribute("aria-label")
        assert page.locator("#sites-map path.leaflet-interactive").count() == 0
        areas = page.locator("#sites-map .leaflet-overlay-pane path").count()
        assert areas >= 23  # 22 areas and the boundary, beneath the marker
        # Its streets and the areas around it: at least 800 m across, never closer than zoom 16.
        assert float(page.locator("#sites-map").get_attribute("data-zoom")) <= 16
        across = page.evaluate(
            """() => { const box = document.getElementById('sites-map').getBoundingClientRect();
                 return box.width; }"""
        )
        zoom = float(page.locator("#sites-map").get_attribute("data-zoom"))
        metres_per_px = 156543.03 * 0.5628 / 2**zoom  # cos(55.7°) in Herlev
        assert across * metres_per_px >= 780
        pin.click()
        page.locator(".leaflet-popup-content a").wait_for()  # the pin opens its link
        # Leaflet fades the popup in (0.2 s): axe would read the link's contrast half-faded.
        page.wait_for_function(
            "() => getComputedStyle(document.querySelector('.leaflet-popup')).opacity === '1'"
        )
        _checkbox_aligned(page)
        assert axe_violations(page) == []
        assert one.site_id
        page.locator("#sites-map").scroll_into_view_if_needed()
        page.screenshot(path=str(shots / "barrierer-1-412.png"))
    finally:
        context.close()


@pytest.mark.parametrize("count", [5, 60])
def test_the_barrier_list_and_map_look_right(
    browser, live_server, make_public_report, shots, count
):
    public_sites(make_public_report, count)
    for name, (width, _height) in WIDTHS.items():
        context = context_at(browser, live_server, name)
        page = context.new_page()
        try:
            _open_sites(page)
            markers = page.locator("#sites-map path.leaflet-interactive").count()
            assert markers == count
            assert page.evaluate("document.documentElement.scrollWidth") <= width
            _checkbox_aligned(page)
            page.locator("#p-new-look").scroll_into_view_if_needed()
            page.screenshot(path=str(shots / f"barrierer-{count}-{name}.png"))
            assert axe_violations(page) == []
        finally:
            context.close()


def test_an_area_filter_explains_its_feed(browser, live_server, make_public_report, shots):
    area_id = make_public_report().area_id
    assert area_id
    context = browser.new_context(locale="da-DK", base_url=live_server.url)
    page = context.new_page()
    try:
        _open_sites(page, f"?area={area_id}")
        page.get_by_text("Hvad er et feed?").click()
        page.get_by_text("feedlæser").first.wait_for()
        assert axe_violations(page) == []
    finally:
        context.close()
