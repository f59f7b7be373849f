"""The volunteer's flow as a person on a phone meets it (issue 17), in real Chromium as a Pixel 7:
Enter continues and never sends early, a position outside Herlev is caught where it is chosen
and again before sending, a report the server refused stays editable, every step is a history
entry, the draft survives a reload, an old draft is offered, focus is never hidden behind the
sticky bar, the done screen gives a reference, and the map asks GET /api/v1/map."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import pytest
from PIL import ExifTags, Image
from sqlalchemy import select

from fieldaudit.extensions import db
from fieldaudit.models import BarrierReport
from fieldaudit.report_review import verify_report
from tests.browser.axe import axe_violations
from tests.browser.test_field_app import (
    OUTBOX_UUIDS,
    STATION,
    TIMEOUT_MS,
    focused,
    next_step,
    on_step,
    open_capture,
    reports,
    wait_until_all_sent,
)

pytestmark = pytest.mark.browser

COPENHAGEN = {"latitude": 55.6761, "longitude": 12.5683, "accuracy": 10}
STEP_HEADINGS = ["h-position", "h-category", "h-severity", "h-details", "h-photos", "h-review"]


def _degrees(value: float) -> tuple[float, float, float]:
    whole = int(value)
    minutes = int((value - whole) * 60)
    return (float(whole), float(minutes), round((value - whole - minutes / 60) * 3600, 2))


def photo_at(lat: float, lon: float) -> bytes:
    """A JPEG with an EXIF GPS position."""
    exif = Image.Exif()
    exif[ExifTags.IFD.GPSInfo] = {
        ExifTags.GPS.GPSLatitudeRef: "N",
        ExifTags.GPS.GPSLatitude: _degrees(lat),
        ExifTags.GPS.GPSLongitudeRef: "E",
        ExifTags.GPS.GPSLongitude: _degrees(lon),
    }
    buffer = io.BytesIO()
    Image.new("RGB", (320, 240), (40, 120, 40)).save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


def new_phone(browser: Any, live_server: Any, where: dict[str, float], **extra: Any) -> Any:
    devices = browser.browser_type._impl_obj._playwright.devices  # playwright.devices
    return browser.new_context(
        **devices["Pixel 7"],
        locale="da-DK",
        geolocation=where,
        permissions=["geolocation"],
        base_url=live_server.url,
        **extra,
    )


@pytest.fixture
def phone_page(browser: Any, live_server: Any) -> Iterator[Any]:
    """A Pixel 7 at Herlev Station, failing the test on any script error."""
    context = new_phone(browser, live_server, STATION)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert errors == []


def current_step(page: Any) -> str:
    return page.evaluate("document.getElementById('capture-form').dataset.step")


def wait_for_step(page: Any, name: str) -> None:
    page.wait_for_function(
        "(name) => document.getElementById('capture-form').dataset.step === name",
        arg=name,
        timeout=TIMEOUT_MS,
    )


def use_gps(page: Any) -> None:
    page.get_by_role("button", name="Brug min position").click()
    page.locator("#position-status").filter(has_text="nøjagtig").wait_for()


def wait_for_saved_draft(page: Any) -> None:
    """Wait until the draft has been written after the latest change."""
    page.evaluate("delete document.documentElement.dataset.draftSaved")
    page.wait_for_function("() => document.documentElement.dataset.draftSaved", timeout=TIMEOUT_MS)


def outbox(page: Any) -> list[str]:
    return page.evaluate(OUTBOX_UUIDS)


def test_enter_continues_on_every_step_and_never_sends_early(app, phone_page):
    page = phone_page
    open_capture(page)
    use_gps(page)
    page.focus("#place-search")
    page.keyboard.press("Enter")  # a field on the position step: continue
    on_step(page, "h-category")
    assert page.evaluate("document.activeElement.id") == "cat-step"  # the first tile
    page.keyboard.press("Enter")  # Enter on a tile chooses it, then continues
    on_step(page, "h-severity")
    assert page.locator("#cat-step").is_checked()
    page.go_back()
    on_step(page, "h-category")
    page.focus("#cat-kerb")
    page.keyboard.press("Space")  # Space chooses a tile too
    assert page.locator("#cat-kerb").is_checked() and current_step(page) == "category"
    page.focus("#cat-missing_ramp")
    page.keyboard.press("Enter")
    on_step(page, "h-severity")
    assert page.locator("#cat-missing_ramp").is_checked()
    assert page.evaluate("document.activeElement.id") == "sev-medium"  # chosen beforehand
    page.keyboard.press("Enter")
    on_step(page, "h-details")
    assert page.evaluate("document.activeElement.id") == "m-level_difference"
    page.keyboard.type("9999")
    page.keyboard.press("Enter")  # out of range: the step's check, not the next step
    page.locator("#error-summary").wait_for()
    assert current_step(page) == "details"
    page.fill("#m-level_difference", "20")
    page.focus("#m-level_difference")
    page.keyboard.press("Enter")  # the phone keyboard's "Go"
    on_step(page, "h-photos")
    page.focus("#description")
    page.keyboard.type("Tre trin.")
    page.keyboard.press("Enter")  # a new line in the text area, nothing else
    assert current_step(page) == "photos"
    assert page.input_value("#description") == "Tre trin.\n"
    page.check("#show-name")
    page.fill("#reporter-name", "Anne")
    page.focus("#reporter-name")
    page.keyboard.press("Enter")
    on_step(page, "h-review")
    page.keyboard.press("Enter")  # on the review heading: nothing happens
    page.wait_for_timeout(300)
    assert outbox(page) == [] and reports(app) == []  # nothing was sent before the last step
    page.keyboard.press("Tab")  # the last step's field (no known barriers nearby to pass)
    assert page.evaluate("document.activeElement.id") == "follow-email"
    page.keyboard.press("Enter")  # on the last step Enter in a field sends, as in any form
    page.locator("#done-title").wait_for()
    wait_until_all_sent(page)
    (report,) = reports(app)
    assert report.category == "missing_ramp" and report.severity == "medium"
    assert report.measurements == {"level_difference": {"value": 20.0, "unit": "cm"}}
    assert report.description == "Tre trin." and report.reporter_name == "Anne"


def show_herlev_and_tap_the_map(page: Any) -> None:
    page.get_by_role("button", name="Vis Herlev på kortet").click()
    page.locator("#capture-map[data-ready='true']").wait_for(timeout=TIMEOUT_MS)
    page.wait_for_timeout(400)  # the map's zoom animation
    box = page.locator("#capture-map").bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.locator("#position-status").filter(has_text="nålen").wait_for()
    page.locator("#show-herlev").wait_for(state="hidden")


def test_a_position_in_copenhagen_is_refused_where_chosen_and_before_sending(
    app, browser, live_server
):
    context = new_phone(browser, live_server, COPENHAGEN)
    page = context.new_page()
    try:
        open_capture(page)
        page.get_by_role("button", name="Brug min position").click()
        error = page.locator("#position-error")
        error.filter(has_text="uden for Herlev Kommune").wait_for()
        assert page.locator("#show-herlev").is_visible()
        assert axe_violations(page) == []
        page.get_by_role("button", name="Næste").click()
        page.locator("#error-summary").filter(has_text="uden for Herlev Kommune").wait_for()
        assert current_step(page) == "position"
        show_herlev_and_tap_the_map(page)  # the pin moves where the map is tapped
        assert not error.is_visible()
        next_step(page, "h-category")
        page.locator("label[for='cat-obstacle']").click()
        next_step(page, "h-severity")
        next_step(page, "h-details")
        next_step(page, "h-photos")
        # The photo's own position (in Copenhagen) is taken: the review step catches it.
        page.set_input_files(
            "#photo-pick",
            files=[
                {"name": "k.jpg", "mimeType": "image/jpeg", "buffer": photo_at(55.6761, 12.5683)}
            ],
        )
        page.get_by_role("button", name="Brug fotoets position").click()
        next_step(page, "h-review")
        warning = page.locator("#review-outside")
        warning.filter(has_text="uden for Herlev Kommune").wait_for()
        assert axe_violations(page) == []
        page.get_by_role("button", name="Send rapporten").click()
        page.locator("#error-summary").filter(has_text="uden for Herlev Kommune").wait_for()
        assert current_step(page) == "position" and outbox(page) == []
        show_herlev_and_tap_the_map(page)
        next_step(page, "h-category")
        for heading in STEP_HEADINGS[2:]:
            next_step(page, heading)
        assert not warning.is_visible()
        page.get_by_role("button", name="Send rapporten").click()
        page.locator("#done-title").wait_for()
        wait_until_all_sent(page)
    finally:
        context.close()
    (report,) = reports(app)
    assert report.category == "obstacle"  # taken by the server: inside the service area


def test_a_report_the_server_refused_stays_editable(app, browser, live_server, make_report_payload):
    context = new_phone(browser, live_server, STATION, service_workers="block")
    page = context.new_page()
    page.route("**/api/v1/reports", lambda route: route.abort())  # no connection at first
    try:
        open_capture(page)
        use_gps(page)
        next_step(page, "h-category")
        page.locator("label[for='cat-step']").click()
        next_step(page, "h-severity")
        page.locator("label[for='sev-high']").click()
        next_step(page, "h-details")
        page.fill("#m-threshold_height", "12")
        next_step(page, "h-photos")
        page.set_input_files(
            "#photo-pick",
            files=[
                {"name": "a.jpg", "mimeType": "image/jpeg", "buffer": photo_at(55.7189, 12.4437)}
            ],
        )
        page.locator("#photo-list img").wait_for()
        page.fill("#description", "Højt trin ved døren.")
        next_step(page, "h-review")
        page.get_by_role("button", name="Send rapporten").click()
        page.locator("#done-text").filter(has_text="gemt på telefonen").wait_for()
        (waiting,) = outbox(page)
        # Meanwhile the server got another report with the same UUID: it refuses ours (409).
        other = make_report_payload(uuid=waiting)
        assert app.test_client().post("/api/v1/reports", json=other).status_code == 201
        page.unroute("**/api/v1/reports")
        page.get_by_role("button", name="Send nu").click()
        page.locator("#done-text").filter(has_text="Serveren afviste rapporten").wait_for()
        held = page.locator("#outbox-held")
        held.filter(has_text="En anden rapport med samme UUID").wait_for()
        assert held.get_by_role("link", name="Ret rapporten").is_visible()
        assert held.get_by_role("button", name="Fjern").is_visible()
        page.locator("#done-edit").click()  # the done screen offers it too
        page.wait_for_selector(
            "html[data-capture-ready='true']", state="attached", timeout=TIMEOUT_MS
        )
        # Everything entered is back in the form, with the server's reason.
        page.locator("#error-summary").filter(has_text="En anden rapport med samme UUID").wait_for()
        assert page.locator("#cat-step").is_checked() and page.locator("#sev-high").is_checked()
        assert page.input_value("#m-threshold_height") == "12"
        assert page.input_value("#description") == "Højt trin ved døren."
        assert page.locator("#photo-list img").count() == 1
        assert axe_violations(page) == []
        while current_step(page) != "review":
            page.get_by_role("button", name="Næste").click()
            page.wait_for_timeout(50)
        page.get_by_role("button", name="Send rapporten").click()
        page.locator("#done-text").filter(has_text="sendt til kommunen").wait_for()
        wait_until_all_sent(page)
        assert not page.locator("#outbox-held").is_visible()
    finally:
        context.close()
    stored = reports(app)
    assert len(stored) == 2
    mine = next(r for r in stored if r.uuid != waiting)
    assert mine.description == "Højt trin ved døren." and len(mine.photos) == 1
    assert mine.measurements == {"threshold_height": {"value": 12.0, "unit": "cm"}}


def test_back_goes_one_step_back_and_forward_again_with_the_draft_kept(phone_page):
    page = phone_page
    open_capture(page)
    use_gps(page)
    next_step(page, "h-category")
    page.locator("label[for='cat-step']").click()
    next_step(page, "h-severity")
    page.locator("label[for='sev-low']").click()
    next_step(page, "h-details")
    page.fill("#m-threshold_height", "7")
    next_step(page, "h-photos")
    page.fill("#description", "Kant.")
    next_step(page, "h-review")
    for heading in reversed(STEP_HEADINGS[:-1]):  # Back from each step: one step back
        page.go_back()
        on_step(page, heading)
    assert "/indberet" in page.url  # still in the app
    assert "nøjagtig inden for 8 m" in page.locator("#position-status").inner_text()
    for heading in STEP_HEADINGS[1:]:  # and forward again
        page.go_forward()
        on_step(page, heading)
    assert page.locator("#cat-step").is_checked() and page.locator("#sev-low").is_checked()
    assert page.input_value("#m-threshold_height") == "7"
    assert page.input_value("#description") == "Kant."
    page.get_by_role("button", name="Tilbage").click()  # the app's own Back button too
    on_step(page, "h-photos")


def test_a_reload_midway_keeps_the_draft_photos_included(phone_page):
    page = phone_page
    open_capture(page)
    use_gps(page)
    next_step(page, "h-category")
    page.locator("label[for='cat-step']").click()
    next_step(page, "h-severity")
    next_step(page, "h-details")
    page.fill("#m-threshold_height", "4,5")
    next_step(page, "h-photos")
    page.set_input_files(
        "#photo-pick",
        files=[{"name": "a.jpg", "mimeType": "image/jpeg", "buffer": photo_at(55.7189, 12.4437)}],
    )
    page.locator("#photo-list img").wait_for()
    page.fill("#description", "Trin ved indgangen.")
    wait_for_saved_draft(page)
    page.reload()  # a crash, a phone call, a reload
    page.wait_for_selector("html[data-capture-ready='true']", state="attached", timeout=TIMEOUT_MS)
    assert current_step(page) == "photos"
    assert page.locator("#draft-text").filter(has_text="kladde").is_visible()
    assert page.input_value("#description") == "Trin ved indgangen."
    assert page.locator("#photo-list img").count() == 1
    page.go_back()
    on_step(page, "h-details")
    assert page.input_value("#m-threshold_height") == "4,5"
    assert page.locator("#cat-step").is_checked()
    assert "nøjagtig inden for 8 m" in page.locator("#position-status").inner_text()


AGE_THE_DRAFT = """() => new Promise((resolve, reject) => {
  const open = indexedDB.open("fieldaudit");
  open.onsuccess = () => {
    const store = open.result.transaction("meta", "readwrite").objectStore("meta");
    const request = store.get("draft");
    request.onsuccess = () => {
      const record = request.result;
      record.value.savedAt -= 2 * 24 * 60 * 60 * 1000;
      store.put(record).onsuccess = () => resolve(true);
    };
    request.onerror = () => reject(request.error);
  };
})"""


def test_an_old_draft_is_offered_not_forced(phone_page):
    page = phone_page
    open_capture(page)
    use_gps(page)
    next_step(page, "h-category")
    page.locator("label[for='cat-kerb']").click()
    wait_for_saved_draft(page)
    page.evaluate(AGE_THE_DRAFT)  # two days old
    page.reload()
    page.wait_for_selector("html[data-capture-ready='true']", state="attached", timeout=TIMEOUT_MS)
    offer = page.locator("#draft-panel")
    assert offer.is_visible() and "Du har en kladde fra" in offer.inner_text()
    assert current_step(page) == "position"  # not forced
    assert page.locator("#position-status").inner_text() == "Ingen position valgt endnu."
    assert axe_violations(page) == []
    page.get_by_role("button", name="Fortsæt med kladden fra").click()
    on_step(page, "h-category")
    assert page.locator("#cat-kerb").is_checked() and not offer.is_visible()

    page.evaluate(AGE_THE_DRAFT)
    page.reload()
    page.wait_for_selector("html[data-capture-ready='true']", state="attached", timeout=TIMEOUT_MS)
    page.evaluate("delete document.documentElement.dataset.draftSaved")
    page.get_by_role("button", name="Start forfra").click()
    assert not offer.is_visible() and current_step(page) == "position"
    # The empty form is stored (the draft dropped) before the reload, however slow the phone.
    page.wait_for_function("() => document.documentElement.dataset.draftSaved", timeout=TIMEOUT_MS)
    page.reload()
    page.wait_for_selector("html[data-capture-ready='true']", state="attached", timeout=TIMEOUT_MS)
    assert not offer.is_visible()  # the old draft is gone


HIDDEN_CONTROLS = """() => {
  const section = document.querySelector('section.step:not([hidden])');
  const controls = [...section.querySelectorAll(
      'input, select, textarea, button, a[href], summary, [tabindex="0"]'),
    ...document.querySelectorAll('.step-buttons button')]
    .filter((el) => !el.closest('[hidden]') && !el.disabled && el.getClientRects().length);
  const hidden = [];
  for (const control of controls) {
    control.focus();
    const box = control.getBoundingClientRect();
    const x = box.left + box.width / 2, y = box.top + box.height / 2;
    const found = document.elementFromPoint(x, y);
    const ok = found && (found === control || control.contains(found)
      || (control.labels && [...control.labels].some((l) => l.contains(found))));
    if (!ok) hidden.push(`${control.id || control.textContent.trim().slice(0, 30)} under ${
      found ? found.className || found.tagName : 'nothing'}`);
  }
  return [controls.length, hidden];
}"""


def test_focus_is_never_hidden_behind_the_sticky_bar_and_every_step_passes_axe(
    app, phone_page, make_report_payload
):
    created = app.test_client().post(
        "/api/v1/reports", json=make_report_payload(category="step", measurements={})
    )
    assert created.status_code == 201
    page = phone_page
    open_capture(page)
    use_gps(page)
    found: dict[str, Any] = {}
    violations: dict[str, list[str]] = {}

    def look(step: str) -> None:
        page.wait_for_timeout(100)
        violations[step] = axe_violations(page)
        found[step] = page.evaluate(HIDDEN_CONTROLS)

    look("position")
    page.get_by_role("button", name="Vælg på kortet").click()
    page.locator("#capture-map[data-ready='true']").wait_for(timeout=TIMEOUT_MS)
    look("position with the map")
    next_step(page, "h-category")
    look("category")
    page.locator("label[for='cat-step']").click()
    next_step(page, "h-severity")
    look("severity")
    next_step(page, "h-details")
    look("details")
    next_step(page, "h-photos")
    page.set_input_files(
        "#photo-pick",
        files=[{"name": "a.jpg", "mimeType": "image/jpeg", "buffer": photo_at(55.7196, 12.4437)}],
    )
    page.locator("#photo-list img").wait_for()
    page.check("#show-name")
    page.fill("#reporter-name", "Anne")
    look("photos")
    next_step(page, "h-review")
    page.locator("#nearby-status").filter(has_text="barriere").wait_for()
    look("review")
    assert all(count > 0 for count, _hidden in found.values())
    assert {step: hidden for step, (_count, hidden) in found.items() if hidden} == {}
    assert {step: v for step, v in violations.items() if v} == {}
    # The outbox is one line when nothing waits: the step heading sits near the top.
    box = page.locator(".outbox").bounding_box()
    assert box["height"] < 60


def test_the_done_screen_says_sent_or_saved_with_a_reference_and_a_link(app, browser, live_server):
    context = new_phone(browser, live_server, STATION)
    page = context.new_page()
    try:
        open_capture(page)
        use_gps(page)
        next_step(page, "h-category")
        page.locator("label[for='cat-signage']").click()
        for heading in STEP_HEADINGS[2:]:
            next_step(page, heading)
        context.set_offline(True)
        page.get_by_role("button", name="Send rapporten").click()
        text = page.locator("#done-text")
        text.filter(has_text="gemt på telefonen og sendes").wait_for()
        (uuid,) = outbox(page)
        reference = page.locator("#done-reference").inner_text()
        assert reference == f"Reference: {uuid[:8]}"
        follow = page.get_by_role("link", name="Følg rapporten under »Mine rapporter«")
        assert follow.get_attribute("href") == f"/mine-rapporter#rapport-{uuid}"
        context.set_offline(False)
        text.filter(has_text="Rapporten er sendt til kommunen").wait_for(timeout=TIMEOUT_MS)
        wait_until_all_sent(page)
        assert axe_violations(page) == []
        page.go_back()  # Back from the done screen leaves the steps behind
        page.wait_for_load_state()
        assert "/indberet" not in page.url or page.locator("#done").is_visible()
        page.goto(f"/mine-rapporter#rapport-{uuid}")
        item = page.locator(f"[id='rapport-{uuid}']")
        item.wait_for(timeout=TIMEOUT_MS)
        assert f"Reference: {uuid[:8]}" in item.inner_text()
        focused(page, f"rapport-{uuid}")
    finally:
        context.close()
    with app.app_context():
        assert db.session.query(BarrierReport).count() == 1


def test_my_reports_says_it_could_not_fetch_when_the_server_is_away(browser, live_server):
    context = new_phone(browser, live_server, STATION, service_workers="block")
    page = context.new_page()
    try:
        page.goto("/mine-rapporter")
        page.locator("#sent-status").filter(has_text="Der er ingen sendte").wait_for()
        page.route("**/api/v1/my/reports*", lambda route: route.fulfill(status=503, body="nede"))
        page.reload()
        status = page.locator("#sent-status")
        status.filter(has_text="kunne ikke hentes fra serveren").wait_for(timeout=TIMEOUT_MS)
        assert "Uden forbindelse" not in status.inner_text()
    finally:
        context.close()


def test_the_map_asks_for_map_cells_not_the_sites_list(
    app, phone_page, make_report_payload, make_user
):
    for lat, lon in ((55.7189, 12.4437), (55.7300, 12.4100), (55.7450, 12.4300)):
        payload = make_report_payload(lat=lat, lon=lon, category="kerb", measurements={})
        assert app.test_client().post("/api/v1/reports", json=payload).status_code == 201
    with app.app_context():  # the public map shows reviewed sites only
        reviewer = make_user("reviewer")
        for report in db.session.scalars(select(BarrierReport)).all():
            verify_report(db.session, report, reviewer)
        db.session.commit()
    app.config["MAP_MAX_FEATURES"] = 2  # fewer than the sites: the zoomed-out map gets cells
    page = phone_page
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url))
    open_capture(page)
    assert page.evaluate("typeof window.L") == "undefined"  # no Leaflet until the map is asked for
    assert not any("leaflet" in url for url in asked)
    page.get_by_role("button", name="Vælg på kortet").click()
    cell = page.locator(".site-cell [role='img']").first
    cell.wait_for(timeout=TIMEOUT_MS)
    assert "kendte barrierer her" in cell.get_attribute("aria-label") or "kendt barriere her" in (
        cell.get_attribute("aria-label")
    )
    assert any("/api/v1/map?bbox=" in url for url in asked)
    assert not any("/api/v1/sites?" in url for url in asked)
    page.locator("summary", has_text="som liste").click()
    assert "Zoom ind" in page.locator("#site-list").inner_text()
    app.config["MAP_MAX_FEATURES"] = 2000
    use_gps(page)  # zoomed in at the station: the site itself
    page.locator("#capture-map .site-icon").first.wait_for(timeout=TIMEOUT_MS)
    assert "Kantsten" in page.locator("#site-list").inner_text()


PAGE_SIZE = """() => ({elements: document.querySelectorAll('*').length,
  leaflet: typeof window.L !== 'undefined',
  tiles: document.querySelectorAll('#cat-step, #description, #send-report').length})"""


def test_the_page_opens_small_without_leaflet_and_the_map_comes_when_asked(phone_page):
    """What makes /indberet quick on a slow phone (Lighthouse's Total Blocking Time): no Leaflet
    until the person asks for the map, and the later steps' markup only when they are reached."""
    page = phone_page
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url))
    open_capture(page)
    first = page.evaluate(PAGE_SIZE)
    assert first["elements"] < 300 and not first["leaflet"] and first["tiles"] == 0
    assert not any("/vendor/leaflet" in url or "/api/v1/map" in url for url in asked)
    assert not page.locator("#capture-map").is_visible()
    # By keyboard: "Vælg på kortet" starts the map and the focus goes to it; the pin is put in
    # the middle by its button; the list of known barriers is under the map.
    # A position found: previewed among the areas as SVG, still without Leaflet.
    use_gps(page)
    preview = page.locator("#position-preview svg[role='img']")
    preview.wait_for(timeout=TIMEOUT_MS)
    assert "valgte position" in preview.get_attribute("aria-label")
    assert page.locator("#position-preview path.place-area").count() >= 1
    assert page.evaluate("typeof window.L") == "undefined"
    show = page.get_by_role("button", name="Vælg på kortet")
    assert show.get_attribute("aria-expanded") == "false"
    show.focus()
    page.keyboard.press("Enter")
    page.locator("#capture-map[data-ready='true']").wait_for(timeout=TIMEOUT_MS)
    page.locator("#capture-map[data-areas='true']").wait_for(timeout=TIMEOUT_MS)
    assert page.evaluate("document.activeElement.id") == "capture-map"
    assert page.evaluate("typeof window.L") == "object"
    page.locator("#site-list li").first.wait_for(state="attached", timeout=TIMEOUT_MS)
    page.wait_for_timeout(500)
    assert sum("/api/v1/map?bbox=" in url for url in asked) == 1  # the sites, asked for once
    for _ in range(4):  # past the map's zoom buttons
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "pin-to-centre":
            break
    assert page.evaluate("document.activeElement.id") == "pin-to-centre"
    page.keyboard.press("Enter")
    page.locator("#position-status").filter(has_text="nålen").wait_for()
    assert page.locator("#capture-map .pin-icon").count() == 1
    assert page.locator("#position-preview svg").count() == 0  # the map shows it now
    page.keyboard.press("Enter")  # the pin's button again: nothing else happens
    page.get_by_role("button", name="Næste").click()
    on_step(page, "h-category")
    later = page.evaluate(PAGE_SIZE)
    assert later["tiles"] == 3  # the later steps are there once the person goes on
    page.go_back()
    on_step(page, "h-position")
    assert page.locator("#capture-map").is_visible()  # the map stays open, pin and all
    assert page.locator("#capture-map .pin-icon").count() == 1


def test_a_report_costs_at_most_8_taps_and_40_key_presses(browser, live_server):
    """The figures of docs/field-flow.md, counted by scripts/measure_flow.py's own drivers."""
    from scripts.measure_flow import (
        GOAL_KEYS,
        GOAL_TAPS,
        keys_for_keyboard_report,
        taps_for_shortest_report,
    )

    counted = []
    for run in (taps_for_shortest_report, keys_for_keyboard_report):
        context = new_phone(browser, live_server, STATION)
        page = context.new_page()
        try:
            open_capture(page)
            counted.append(run(page))
        finally:
            context.close()
    taps, (moves, typed) = counted
    assert taps <= GOAL_TAPS
    assert typed == 26 and moves + typed <= GOAL_KEYS


def test_the_map_asked_for_offline_says_so_and_the_step_still_works(browser, live_server):
    """Offline before the phone kept Leaflet (no service worker yet): a message, not a grey box."""
    context = new_phone(browser, live_server, STATION, service_workers="block")
    page = context.new_page()
    try:
        open_capture(page)
        context.set_offline(True)
        page.get_by_role("button", name="Vælg på kortet").click()
        error = page.locator("#position-error")
        error.filter(has_text="Kortet kan ikke hentes uden forbindelse").wait_for()
        assert not page.locator("#map-panel").is_visible()
        assert page.evaluate("document.activeElement.id") == "show-map"
        assert axe_violations(page) == []
        use_gps(page)  # the position step works without the map
        next_step(page, "h-category")
    finally:
        context.close()
