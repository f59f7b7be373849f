"""The OGC API - Features HTML pages in real Chromium: axe-core (WCAG 2.2 A/AA) finds nothing."""

from __future__ import annotations

import pytest

from tests.browser.axe import axe_violations

pytestmark = pytest.mark.browser


@pytest.mark.parametrize(
    "path",
    [
        "/ogc/?f=html",
        "/ogc/api?f=html",
        "/ogc/conformance?f=html",
        "/ogc/collections?f=html",
        "/ogc/collections/areas?f=html",
        "/ogc/collections/areas/items?f=html&limit=5",
        "/ogc/collections/areas/items/1?f=html",
    ],
)
def test_ogc_pages_pass_axe(page, live_server, path):
    page.goto(live_server.url + path)
    assert page.locator("h1").count() == 1
    assert axe_violations(page) == []


def test_a_browser_gets_html_and_can_page_with_the_keyboard(page, live_server):
    page.goto(live_server.url + "/ogc/collections/areas/items?limit=5")
    assert page.locator("table caption").inner_text() == "Byrum og grønne områder"
    next_link = page.locator("a[rel='next']")
    next_link.focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**offset=5**")
    assert page.locator("tbody tr").count() == 5
