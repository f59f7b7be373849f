"""The volunteer's field app in real Chromium, as a Pixel 7 with geolocation: a full report with
a photo, the duplicate prompt, offline filing and sync, axe-core on every step, the keyboard
alone, and a report made without touching the map."""

from __future__ import annotations

import io
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import ExifTags, Image
from sqlalchemy import select

from fieldaudit.extensions import db
from fieldaudit.models import Area, BarrierReport, BarrierSite, SiteConfirmation
from tests.browser.axe import axe_violations

pytestmark = pytest.mark.browser

STATION = {"latitude": 55.71890, "longitude": 12.44370, "accuracy": 8}
TIMEOUT_MS = 15_000
WAITING_NONE = "Ingen rapporter venter."

OUTBOX_UUIDS = """() => new Promise((resolve, reject) => {
  const open = indexedDB.open("fieldaudit");
  open.onerror = () => reject(open.error);
  open.onsuccess = () => {
    const request = open.result.transaction("outbox").objectStore("outbox").getAllKeys();
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  };
})"""


def photo_with_gps(lat_seconds: float = 8.0) -> bytes:
    """A JPEG like a phone's: EXIF orientation 6 and a GPS position near Herlev Station."""
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    exif[ExifTags.IFD.GPSInfo] = {
        ExifTags.GPS.GPSLatitudeRef: "N",
        ExifTags.GPS.GPSLatitude: (55.0, 43.0, lat_seconds),
        ExifTags.GPS.GPSLongitudeRef: "E",
        ExifTags.GPS.GPSLongitude: (12.0, 26.0, 37.0),
    }
    image = Image.new("RGB", (640, 480), (180, 40, 40))
    image.paste((30, 30, 160), (320, 0, 640, 480))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif, quality=90)
    return buffer.getvalue()


@pytest.fixture
def phone(browser: Any, live_server: Any) -> Iterator[tuple[Any, Any]]:
    """A Pixel 7 at Herlev Station with location allowed: (context, page)."""
    devices = browser.browser_type._impl_obj._playwright.devices  # playwright.devices
    context = browser.new_context(
        **devices["Pixel 7"],
        locale="da-DK",
        geolocation=STATION,
        permissions=["geolocation"],
        base_url=live_server.url,
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield context, page
    context.close()
    assert errors == []


def publish(app: Any, site_id: int) -> None:
    """A reviewer verifies the site's reports, so everyone sees it (not only its reporter)."""
    from fieldaudit import report_review
    from fieldaudit.models import User

    with app.app_context():
        reviewer = User(email="reviewer-browser@example.org", role="reviewer")
        db.session.add(reviewer)
        for report in db.session.scalars(
            select(BarrierReport).where(BarrierReport.site_id == site_id)
        ):
            report_review.verify_report(db.session, report, reviewer)
        db.session.commit()


def open_capture(page: Any) -> None:
    page.goto("/indberet")
    page.wait_for_selector("html[data-capture-ready='true']", state="attached", timeout=TIMEOUT_MS)


def focused(page: Any, element_id: str) -> None:
    """Wait until the element has the focus (a function, not a string: the CSP forbids eval)."""
    page.wait_for_function(
        "(id) => document.activeElement && document.activeElement.id === id",
        arg=element_id,
        timeout=TIMEOUT_MS,
    )


def on_step(page: Any, heading_id: str) -> None:
    """Wait until the step headed ``heading_id`` is shown and has the focus (its first control,
    or its heading)."""
    page.wait_for_function(
        """(id) => {
          const section = document.getElementById(id).closest("section");
          return !section.hidden && section.contains(document.activeElement);
        }""",
        arg=heading_id,
        timeout=TIMEOUT_MS,
    )


def next_step(page: Any, heading_id: str) -> None:
    page.get_by_role("button", name="Næste").click()
    on_step(page, heading_id)


def fill_category_and_severity(page: Any, category: str = "step", severity: str = "high") -> None:
    page.locator(f"label[for='cat-{category}']").click()
    next_step(page, "h-severity")
    page.locator(f"label[for='sev-{severity}']").click()
    next_step(page, "h-details")


def wait_until_all_sent(page: Any) -> None:
    """The outbox on the phone is empty and says so (polled: a report just filed may still be
    on its way into IndexedDB when the status is first read)."""
    status = page.locator("#outbox-status")
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    while page.evaluate(OUTBOX_UUIDS) and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    assert page.evaluate(OUTBOX_UUIDS) == []
    status.filter(has_text=WAITING_NONE).wait_for(timeout=TIMEOUT_MS)


def reports(app: Any) -> list[BarrierReport]:
    with app.app_context():
        rows = db.session.scalars(select(BarrierReport).order_by(BarrierReport.id)).all()
        for row in rows:
            _ = row.photos, row.area
        db.session.expunge_all()
        return list(rows)


def test_a_full_report_with_a_photo(app, phone):
    _context, page = phone
    open_capture(page)
    page.get_by_role("button", name="Brug min position").click()
    page.locator("#position-status").filter(has_text="nøjagtig inden for 8 m").wait_for()
    next_step(page, "h-category")
    fill_category_and_severity(page)
    assert page.locator("#group-WHEEL").is_checked()  # pre-filled from the category
    assert not page.locator("#group-HEAR").is_checked()
    page.locator("label[for='tag-no_alternative_route']").click()
    page.fill("#m-threshold_height", "12,5")
    verdict = page.locator("#m-threshold_height-verdict")
    assert "Bryder reglen: højst 2,5 cm (BR18 §51)" in verdict.inner_text()
    next_step(page, "h-photos")
    # The photo's GPS is about 60 m north of the phone's: the app offers it as the position.
    page.set_input_files(
        "#photo-pick",
        files=[{"name": "trin.jpg", "mimeType": "image/jpeg", "buffer": photo_with_gps(10.0)}],
    )
    page.locator("#photo-list img").wait_for()
    assert page.locator("#photo-gps").is_visible()
    assert "Fotoet har en position" in page.locator("#photo-gps-text").inner_text()
    page.fill("#description", "Højt trin ved indgangen til stationen.")
    next_step(page, "h-review")
    page.locator("#nearby-status").filter(has_text="Ingen kendte barrierer").wait_for()
    page.get_by_role("button", name="Send rapporten").click()
    page.locator("#done-title").wait_for()
    wait_until_all_sent(page)

    (report,) = reports(app)
    assert (report.category, report.severity, report.tags) == (
        "step",
        "high",
        ["no_alternative_route"],
    )
    assert report.measurements == {"threshold_height": {"value": 12.5, "unit": "cm"}}
    assert report.area.name == "Herlev Station" and report.accuracy_m == 8
    assert report.device_token_hash and len(report.device_token_hash) == 64
    (photo,) = report.photos
    stored = Path(app.config["MEDIA_DIR"]) / photo.display_name
    with Image.open(stored) as image:
        assert len(image.getexif()) == 0 and "exif" not in image.info
        # Upright: the browser applied orientation 6 before re-encoding (portrait now).
        assert image.height > image.width
    page.goto("/mine-rapporter")
    page.locator("#sent-list .my-report").first.wait_for(timeout=TIMEOUT_MS)
    assert "Trin eller dørtrin" in page.locator("#sent-list").inner_text()
    assert "Status: Modtaget" in page.locator("#sent-list").inner_text()


def test_the_duplicate_prompt_turns_a_report_into_a_confirmation(app, phone, make_report_payload):
    _context, page = phone
    existing = make_report_payload(lat=55.71895, lon=12.44372, category="kerb", measurements={})
    created = app.test_client().post("/api/v1/reports", json=existing)
    assert created.status_code == 201
    site_id = created.get_json()["site_id"]
    publish(app, site_id)

    open_capture(page)
    page.get_by_role("button", name="Brug min position").click()
    page.locator("#position-status").filter(has_text="nøjagtig").wait_for()
    next_step(page, "h-category")
    fill_category_and_severity(page, "kerb", "medium")
    next_step(page, "h-photos")
    next_step(page, "h-review")
    item = page.locator("#nearby-list .nearby-item")
    item.first.wait_for(timeout=TIMEOUT_MS)
    assert item.count() == 1
    assert "Kantsten ikke sænket" in item.inner_text() and "m væk" in item.inner_text()
    page.get_by_role("button", name="Det er den her").click()
    page.locator("#done-text").filter(has_text="stadig er der").wait_for()
    wait_until_all_sent(page)

    with app.app_context():
        assert len(db.session.scalars(select(BarrierReport)).all()) == 1
        (confirmation,) = db.session.scalars(select(SiteConfirmation)).all()
        assert (confirmation.site_id, confirmation.kind) == (site_id, "still_there")
        assert db.session.get(BarrierSite, site_id).confirmation_count == 1


def test_the_duplicate_check_tells_of_a_report_under_review_without_showing_it(
    app, phone, make_report_payload
):
    _context, page = phone
    someone_else = make_report_payload(
        lat=55.71895, lon=12.44372, category="kerb", measurements={}, description="Hemmelig"
    )
    assert app.test_client().post("/api/v1/reports", json=someone_else).status_code == 201

    open_capture(page)
    page.get_by_role("button", name="Brug min position").click()
    page.locator("#position-status").filter(has_text="nøjagtig").wait_for()
    next_step(page, "h-category")
    fill_category_and_severity(page, "kerb", "medium")
    next_step(page, "h-photos")
    next_step(page, "h-review")
    status = page.locator("#nearby-status")
    status.filter(has_text="er ved at blive gennemgået").wait_for(timeout=TIMEOUT_MS)
    assert status.inner_text() == (
        "En rapport om samme slags barriere inden for ca. 30 m er ved at blive gennemgået."
    )
    assert page.locator("#nearby-list .nearby-item").count() == 0
    assert "Hemmelig" not in page.content()
    # The report can still be sent; then this phone sees its own report on the map and list.
    page.get_by_role("button", name="Send rapporten").click()
    page.locator("#done-title").wait_for()
    wait_until_all_sent(page)
    page.get_by_role("button", name="Meld en barriere mere").click()
    page.get_by_role("button", name="Brug min position").click()
    page.get_by_role("button", name="Vælg på kortet").click()  # the map, started on demand
    own = page.locator("#site-list li").filter(has_text="Modtaget").first
    own.wait_for(state="attached", timeout=TIMEOUT_MS)  # (inside the closed list's details)


def file_report_from_place(page: Any, place: str, category: str, severity: str) -> None:
    page.fill("#place-search", place)
    page.locator("#place-list li:not([hidden]) label").first.click()
    next_step(page, "h-category")
    fill_category_and_severity(page, category, severity)
    next_step(page, "h-photos")
    next_step(page, "h-review")
    page.get_by_role("button", name="Send rapporten").click()
    page.locator("#done-title").wait_for()


def test_offline_reports_wait_on_the_phone_and_are_sent_once(app, phone):
    context, page = phone
    open_capture(page)
    page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=TIMEOUT_MS)
    context.set_offline(True)
    page.reload()
    page.wait_for_selector("html[data-capture-ready='true']", state="attached", timeout=TIMEOUT_MS)
    reports_to_file = [
        ("Bibliotek", "surface", "low"),
        ("Byparken", "benches", "medium"),
        ("Rådhus", "heavy_door", "high"),
    ]
    for number, (place, category, severity) in enumerate(reports_to_file, 1):
        file_report_from_place(page, place, category, severity)
        expected = "1 venter på at blive sendt." if number == 1 else f"{number} venter på"
        page.locator("#outbox-status").filter(has_text=expected).wait_for()
        page.get_by_role("button", name="Meld en barriere mere").click()
    waiting = set(page.evaluate(OUTBOX_UUIDS))
    assert len(waiting) == 3 and reports(app) == []

    context.set_offline(False)
    wait_until_all_sent(page)
    stored = reports(app)
    assert {r.uuid for r in stored} == waiting and len(stored) == 3
    assert sorted(r.category for r in stored) == ["benches", "heavy_door", "surface"]


def test_every_step_passes_axe(app, phone, make_report_payload):
    _context, page = phone
    created = app.test_client().post(
        "/api/v1/reports", json=make_report_payload(category="step", measurements={})
    )
    assert created.status_code == 201
    publish(app, created.get_json()["site_id"])
    open_capture(page)
    found = {"position": axe_violations(page)}
    page.get_by_role("button", name="Næste").click()  # nothing chosen: the error summary
    page.locator("#error-summary").wait_for()
    found["errors"] = axe_violations(page)
    page.get_by_role("button", name="Brug min position").click()
    page.locator("#position-status").filter(has_text="nøjagtig").wait_for()
    found["position with pin"] = axe_violations(page)
    next_step(page, "h-category")
    found["category"] = axe_violations(page)
    page.locator("label[for='cat-step']").click()
    next_step(page, "h-severity")
    found["severity"] = axe_violations(page)
    page.locator("label[for='sev-high']").click()
    next_step(page, "h-details")
    page.fill("#m-threshold_height", "4")
    found["details"] = axe_violations(page)
    next_step(page, "h-photos")
    page.set_input_files(
        "#photo-pick",
        files=[{"name": "a.jpg", "mimeType": "image/jpeg", "buffer": photo_with_gps()}],
    )
    page.locator("#photo-list img").wait_for()
    page.locator("label[for='show-name']").click()
    page.fill("#reporter-name", "Anne Andersen")
    found["photos"] = axe_violations(page)
    next_step(page, "h-review")
    page.locator("#nearby-list .nearby-item").first.wait_for(timeout=TIMEOUT_MS)
    found["review"] = axe_violations(page)
    page.get_by_role("button", name="Send rapporten").click()
    page.locator("#done-title").wait_for()
    wait_until_all_sent(page)
    found["done"] = axe_violations(page)
    page.goto("/mine-rapporter")
    page.locator("#sent-list .my-report").first.wait_for(timeout=TIMEOUT_MS)
    found["my reports"] = axe_violations(page)
    assert {step: v for step, v in found.items() if v} == {}


def tab_to(page: Any, element_id: str, limit: int = 120) -> None:
    """Press Tab until the element with ``element_id`` has the focus."""
    for _ in range(limit):
        if page.evaluate("document.activeElement && document.activeElement.id") == element_id:
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached #{element_id}")


def test_the_flow_can_be_completed_with_the_keyboard_alone(app, phone):
    _context, page = phone
    open_capture(page)
    tab_to(page, "place-search")
    page.keyboard.type("Bibliotek")
    tab_to(page, "place-" + place_id(app, "Herlev Bibliotek"))
    page.keyboard.press("Space")
    assert "Herlev Bibliotek" in page.locator("#position-status").inner_text()
    tab_to(page, "step-next")
    page.keyboard.press("Enter")
    on_step(page, "h-category")
    tab_to(page, "cat-step")
    page.keyboard.press("ArrowRight")  # radios: arrows move and choose
    assert page.locator("#cat-missing_ramp").is_checked()
    tab_to(page, "step-next")
    page.keyboard.press("Enter")
    focused(page, "sev-medium")  # chosen beforehand, and focused
    assert page.locator("#sev-medium").is_checked()
    tab_to(page, "step-next")
    page.keyboard.press("Enter")
    on_step(page, "h-details")
    tab_to(page, "m-level_difference")
    page.keyboard.type("20")
    tab_to(page, "step-next")
    page.keyboard.press("Enter")
    on_step(page, "h-photos")
    tab_to(page, "description")
    page.keyboard.type("Tre trin og ingen rampe.")
    tab_to(page, "step-next")
    page.keyboard.press("Enter")
    on_step(page, "h-review")
    tab_to(page, "send-report")
    page.keyboard.press("Enter")
    focused(page, "done-title")
    wait_until_all_sent(page)
    (report,) = reports(app)
    assert (report.category, report.severity) == ("missing_ramp", "medium")
    assert report.measurements == {"level_difference": {"value": 20.0, "unit": "cm"}}
    assert report.area.name == "Herlev Bibliotek"


def place_id(app: Any, name: str) -> str:
    with app.app_context():
        return str(db.session.scalar(select(Area.id).where(Area.name == name)))


def test_a_report_without_touching_the_map(app, browser, live_server):
    # No location permission at all: the named place is the only position.
    context = browser.new_context(locale="da-DK", base_url=live_server.url)
    page = context.new_page()
    try:
        open_capture(page)
        page.fill("#place-search", "torv")
        visible = page.locator("#place-list li:not([hidden])")
        assert visible.count() >= 1
        assert "passer på søgningen" in page.locator("#place-count").inner_text()
        page.locator("#place-list li:not([hidden]) label", has_text="Herlev Torv").click()
        next_step(page, "h-category")
        fill_category_and_severity(page, "signage", "low")
        next_step(page, "h-photos")
        next_step(page, "h-review")
        page.get_by_role("button", name="Send rapporten").click()
        page.locator("#done-title").wait_for()
        wait_until_all_sent(page)
    finally:
        context.close()
    (report,) = reports(app)
    assert report.area.name == "Herlev Torv" and report.category == "signage"
    assert json.dumps(report.groups)  # pre-filled from the category
    assert report.groups == ["COG", "READ", "VIS"]


def test_a_captive_portal_is_not_delivery_and_a_conflict_is_kept_aside(
    app, browser, live_server, make_report_payload
):
    # Service workers blocked so the test can stand in for a Wi-Fi login page on the network.
    context = browser.new_context(locale="da-DK", base_url=live_server.url, service_workers="block")
    page = context.new_page()
    portal = {"on": True}

    def network(route: Any) -> None:
        if portal["on"]:
            route.fulfill(status=200, content_type="text/html", body="<h1>Log ind på Wi-Fi</h1>")
        else:
            route.continue_()

    page.route("**/api/v1/reports", network)
    try:
        open_capture(page)
        file_report_from_place(page, "Byparken", "benches", "low")
        page.locator("#outbox-status").filter(has_text="1 venter på at blive sendt.").wait_for()
        (waiting,) = page.evaluate(OUTBOX_UUIDS)
        assert reports(app) == []  # the portal's 200 was not taken as delivery

        # Meanwhile the server got another report with the same UUID: a conflict (409).
        other = make_report_payload(uuid=waiting)
        assert app.test_client().post("/api/v1/reports", json=other).status_code == 201
        portal["on"] = False
        page.get_by_role("button", name="Send nu").click()
        held = page.locator("#outbox-held")
        held.filter(has_text="En anden rapport med samme UUID").wait_for(timeout=TIMEOUT_MS)
        assert page.locator("#outbox-status").inner_text() == WAITING_NONE
        assert page.evaluate(OUTBOX_UUIDS) == [waiting]  # kept aside, not retried
        assert len(reports(app)) == 1
        held.get_by_role("button", name="Fjern").click()
        page.wait_for_function(
            "() => document.getElementById('outbox-held').hidden", timeout=TIMEOUT_MS
        )
        assert page.evaluate(OUTBOX_UUIDS) == []
    finally:
        context.close()
