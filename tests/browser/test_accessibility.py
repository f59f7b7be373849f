"""The accessibility suite: every page x every role x phone and desktop, zero axe violations.

Pages come from the app's URL map (every GET route that answers HTML to a role, with the
arguments and access rules of tests/test_access.py), so a new page is covered when it exists.
No axe rule is disabled. Beside axe: reflow at 320 px, 44 x 44 px primary controls, dark mode
contrast and reduced motion.
"""

from __future__ import annotations

from typing import Any

import pytest

from fieldaudit.accounts.sessions import session_values
from tests.browser.axe import axe_violations
from tests.test_access import (  # the one table of routes, roles and arguments
    EXPECT,
    ROLES,
    _routes,
    _sign_in,
    _url,
    expectation,
    world,  # noqa: F401  (fixture)
)

pytestmark = pytest.mark.browser

SKIP_BLUEPRINTS = ("api.", "open311.", "ogc.", "vendor.", "static")
VIEWPORTS = {
    "phone": {"viewport": {"width": 412, "height": 915}, "is_mobile": True, "has_touch": True},
    "desktop": {"viewport": {"width": 1280, "height": 900}},
}


def _html_routes() -> list[tuple[str, str]]:
    return [
        (rule, endpoint)
        for rule, method, endpoint in _routes()
        if method == "GET" and not endpoint.startswith(SKIP_BLUEPRINTS)
    ]


def _session_cookie(app: Any, user: Any, live_url: str) -> list[dict[str, Any]]:
    if user is None:
        return []
    serializer = app.session_interface.get_signing_serializer(app)
    value = serializer.dumps(session_values(user))
    return [
        {"name": app.config.get("SESSION_COOKIE_NAME", "session"), "value": value, "url": live_url}
    ]


@pytest.fixture
def pages_by_role(app, world, make_user):  # noqa: F811
    """For each role, the HTML pages it may open (URLs), checked with the test client."""
    users = {role: None if role == "anonymous" else make_user(role) for role in ROLES}
    found: dict[str, list[str]] = {role: [] for role in ROLES}
    for rule, endpoint in _html_routes():
        expect = expectation(app, rule, endpoint)
        if expect.everyone_gets:
            continue
        url = _url(app, rule, "GET", endpoint, {**world, **expect.args})
        if expect.query:
            url = f"{url}?{expect.query}"
        for role in ROLES:
            if role not in expect.ok:
                continue
            client = app.test_client()
            _sign_in(client, users[role])
            response = client.get(url)
            if response.status_code == 200 and response.mimetype == "text/html":
                found[role].append(url)
            response.close()
    return users, found


def _open(browser: Any, app: Any, live_url: str, user: Any, viewport: str, **extra: Any) -> Any:
    context = browser.new_context(
        locale="da-DK", base_url=live_url, reduced_motion="reduce", **VIEWPORTS[viewport], **extra
    )
    context.add_cookies(_session_cookie(app, user, live_url))
    return context


def _settle(page: Any) -> None:
    """Wait for scripts (maps, lists) to finish drawing."""
    page.wait_for_load_state("networkidle")


def test_every_page_passes_axe_for_every_role_and_viewport(
    app, browser, live_server, pages_by_role
):
    users, found = pages_by_role
    assert len(found["anonymous"]) >= 5 and len(found["admin"]) > len(found["anonymous"])
    problems = []
    for viewport in VIEWPORTS:
        for role in ROLES:
            context = _open(browser, app, live_server.url, users[role], viewport)
            page = context.new_page()
            for url in found[role]:
                page.goto(url)
                _settle(page)
                for violation in axe_violations(page):
                    problems.append(f"{viewport} {role} {url}: {violation}")
            context.close()
    assert not problems, "\n".join(problems)


def test_pages_reflow_at_320_px_and_have_large_primary_controls(
    app, browser, live_server, pages_by_role
):
    users, found = pages_by_role
    problems = []
    for role in ("anonymous", "admin"):
        context = browser.new_context(
            locale="da-DK", base_url=live_server.url, viewport={"width": 320, "height": 640}
        )
        context.add_cookies(_session_cookie(app, users[role], live_server.url))
        page = context.new_page()
        for url in found[role]:
            page.goto(url)
            _settle(page)
            overflow = page.evaluate(
                "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            if overflow > 0:
                problems.append(f"{role} {url}: scrolls sideways by {overflow} px at 320 px")
            small = page.evaluate(
                """() => [...document.querySelectorAll(
                    'main button, main [type=submit], main a.button, .nav-list a, .nav-list button')]
                  .filter(el => el.offsetParent !== null)
                  .map(el => [el.textContent.trim().slice(0, 30), el.getBoundingClientRect()])
                  .filter(([, r]) => r.width < 44 || r.height < 44)
                  .map(([t, r]) => `${t} ${Math.round(r.width)}x${Math.round(r.height)}`)"""
            )
            if small:
                problems.append(f"{role} {url}: controls under 44x44 px: {small[:4]}")
        context.close()
    assert not problems, "\n".join(problems)


def test_dark_mode_keeps_contrast_and_reduced_motion_stops_animation(
    app, browser, live_server, pages_by_role
):
    _users, found = pages_by_role
    problems = []
    context = _open(browser, app, live_server.url, None, "desktop", color_scheme="dark")
    page = context.new_page()
    for url in found["anonymous"]:
        page.goto(url)
        _settle(page)
        for violation in axe_violations(page, ["wcag2aa"]):
            problems.append(f"dark {url}: {violation}")
        running = page.evaluate(
            "() => document.getAnimations().filter(a => a.playState === 'running').length"
        )
        if running:
            problems.append(f"reduced motion {url}: {running} animations still running")
    context.close()
    assert not problems, "\n".join(problems)


def test_the_table_covers_pages_for_every_role():
    assert {"public.index", "field.capture", "review.queue", "planning.index"} <= set(EXPECT)


# A tile server as in production (config.TILE_URL), on a port where nothing answers: the map
# draws its attribution ("Leaflet | Kort: © OpenStreetMap-bidragydere"), links in running text.
UNREACHABLE_TILES = "http://127.0.0.1:9/{z}/{x}/{y}.png"
EMPTY_STATE_PAGES = ("/", "/barrierer", "/barrierer?status=fixed", "/indberet")


def test_empty_pages_with_map_tiles_pass_axe(app, browser, live_server):
    """A fresh install without barriers, with map tiles configured: zero axe violations.

    The other tests run without tiles (no network), so the map's attribution never appeared.
    """
    app.config["TILE_URL"] = UNREACHABLE_TILES
    problems = []
    attributions = 0
    for viewport in VIEWPORTS:
        context = _open(browser, app, live_server.url, None, viewport)
        page = context.new_page()
        for url in EMPTY_STATE_PAGES:
            page.goto(url)
            _settle(page)
            attributions += page.locator(".leaflet-control-attribution a").count()
            for violation in axe_violations(page):
                problems.append(f"{viewport} {url}: {violation}")
        # The capture page's map, started on demand, in its empty state with tiles.
        page.goto("/indberet")
        page.get_by_role("button", name="Vælg på kortet").click()
        page.locator("#capture-map[data-ready='true']").wait_for()
        _settle(page)
        attributions += page.locator("#capture-map .leaflet-control-attribution a").count()
        for violation in axe_violations(page):
            problems.append(f"{viewport} /indberet with the map: {violation}")
        context.close()
    assert attributions >= 2 * len(VIEWPORTS)  # the case is really there
    assert not problems, "\n".join(problems)
