"""Map tooltips in real Chromium (issue 12, hole 2): an area name is text, never markup.

An area named ``<img src=x onerror=...>`` (an import, or anyone editing OpenStreetMap) was put
into Leaflet tooltips as HTML on the public map, the coverage map and the review page's map.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from fieldaudit.area_import import import_areas, read_area_file

from ..conftest import TEST_PASSWORD, LiveServer
from ..hardening.test_stored_markup import _area_file

pytestmark = pytest.mark.browser

NAME = '<img src=x onerror="document.body.dataset.hacked=1"> Hovedgaden <b>park</b>'


@pytest.fixture
def server(app: Any, db: Any, tmp_path: Any) -> Iterator[LiveServer]:
    """The app with one area, named with markup, imported from a file (no other areas)."""
    import_areas(db.session, read_area_file(_area_file(tmp_path, NAME)))
    db.session.commit()
    with LiveServer(app) as live:
        yield live


@pytest.fixture
def map_page(browser: Any, server: LiveServer) -> Iterator[Any]:
    context = browser.new_context(locale="da-DK", base_url=server.url)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.set_default_timeout(20_000)
    yield page
    context.close()
    assert errors == []


def sign_in(page: Any, email: str) -> None:
    page.goto("/konto/log-ind")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Adgangskode").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Log ind").click()
    page.wait_for_load_state()


def tooltip_of(page: Any, map_id: str, area_path: str) -> Any:
    """Hover the area's polygon (a mouseover on its path) and return the tooltip."""
    page.wait_for_selector(f"#{map_id}[data-ready='true']")
    page.locator(f"#{map_id} {area_path}").first.dispatch_event("mouseover")
    tooltip = page.locator(f"#{map_id} .leaflet-tooltip")
    tooltip.wait_for()
    return tooltip


def assert_text_only(page: Any, tooltip: Any) -> None:
    assert tooltip.locator("img, b").count() == 0
    assert tooltip.inner_text().strip() == NAME
    assert page.evaluate("document.body.dataset.hacked") is None


def test_public_map_tooltip_is_text(map_page):
    map_page.goto("/")
    assert_text_only(map_page, tooltip_of(map_page, "areas-map", "path.leaflet-interactive"))


def test_coverage_map_tooltip_is_text(map_page, make_user):
    make_user("planner", email="planlaegger@herlev.dk")
    sign_in(map_page, "planlaegger@herlev.dk")
    map_page.goto("/planlaegning/omraader")
    tooltip = tooltip_of(map_page, "coverage-map", "path.leaflet-interactive")
    assert tooltip.locator("img, b").count() == 0
    assert tooltip.inner_text().startswith(NAME + ": ")
    assert map_page.evaluate("document.body.dataset.hacked") is None


def test_review_map_tooltip_is_text(map_page, make_user, make_report):
    report = make_report()
    assert report.area is not None and report.area.name == NAME
    make_user("reviewer", email="bedommer@herlev.dk")
    sign_in(map_page, "bedommer@herlev.dk")
    map_page.goto(f"/gennemgang/rapporter/{report.id}")
    # The area is the green polygon; the report is a red circle on top of it.
    assert_text_only(
        map_page, tooltip_of(map_page, "review-map", "path.leaflet-interactive[stroke='#2e7d32']")
    )


def test_field_app_strips_control_characters_before_queueing(map_page):
    """plainText (js/text.js), used by the capture form for the description and the name."""
    map_page.goto("/")
    cleaned = map_page.evaluate(
        """async () => (await import("/static/js/text.js")).plainText(
            "Trin\\u000bved\\u0001 indgangen\\r\\nHøjt\\tnok\\u0085\\u009f!")"""
    )
    assert cleaned == "Trin\nved indgangen\nHøjt\tnok\n!"
