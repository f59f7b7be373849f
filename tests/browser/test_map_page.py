"""The map page in real Chromium: Herlev's areas drawn from our own data, with no tiles."""

import pytest

pytestmark = pytest.mark.browser


def test_map_draws_the_areas_without_tiles(page, live_server):
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(live_server.url + "/")
    page.wait_for_selector("#areas-map[data-ready='true']", timeout=15_000)
    drawn = page.locator("#areas-map path.leaflet-interactive").count()
    assert drawn >= 23  # 22 areas and the boundary, some as several polygons
    assert page.locator(".area-list li").count() == 22
    assert errors == []
