"""The council's daily review in real Chromium: "Bekræft og næste" through the queue, verifying
several reports of one site at once, and merging two sites; axe-core (WCAG 2.2 A/AA) on each
page, the confirmation focused where the eye is, and the pages at 320 px, 412 px and desktop
without sideways scrolling (``FIELDAUDIT_SHOTS=dir`` also saves them as PNGs to look at)."""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageDraw

from fieldaudit.extensions import db
from fieldaudit.models import BarrierReport, BarrierSite
from fieldaudit.photos import attach_photos, stage_photos

from .axe import axe_violations
from .test_review import sign_in

pytestmark = pytest.mark.browser

DESCRIPTIONS = [
    "Højt trin ved indgangen til biblioteket, cirka 12 cm. Ingen rampe, og dørkarmen er også høj.",
    "Samme trin. Min kørestol kunne ikke komme op, jeg måtte vende om.",
    "Trinnet ved hovedindgangen er stadig der. Skiltet om en anden indgang er væk.",
    "Kantsten ved cykelstien er ikke sænket.",
]


def scene_jpeg(seed: int) -> bytes:
    """A drawn photo of a step in front of a door (sky, wall, door, pavement, a step)."""
    image = Image.new("RGB", (800, 600), (150 + seed * 20 % 80, 190, 225))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 180, 800, 420), fill=(170, 120, 90))
    draw.rectangle((320 + seed * 10, 220, 470 + seed * 10, 420), fill=(60, 60, 70))
    draw.rectangle((0, 420, 800, 600), fill=(120, 120, 118))
    draw.rectangle((260, 400, 560, 440), fill=(200, 200, 195))
    for x in range(0, 800, 60):
        draw.line((x, 440, x - 40, 600), fill=(95, 95, 95), width=3)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


def add_photo(app: Any, report: BarrierReport, seed: int) -> None:
    staged = stage_photos([scene_jpeg(seed)], app.config["MEDIA_DIR"])
    attach_photos(db.session, report, staged)
    db.session.commit()
    staged.publish()


@pytest.fixture
def queue_data(app, make_user, make_report):
    """A reviewer; a site with three reports (photos), a second site of the same barrier 40 m
    away, and two lone reports."""
    make_user("reviewer", email="bedommer@herlev.dk", display_name="Bedømmer")
    first = [
        make_report(
            dx=i * 1.5,
            description=DESCRIPTIONS[i],
            created_at=f"2026-03-0{i + 2}T09:00:00+00:00",
        )
        for i in range(3)
    ]
    for i, report in enumerate(first[:2]):
        add_photo(app, report, i)
    second = make_report(
        dx=40, description="Trin ved bagindgangen.", created_at="2026-04-01T09:00:00+00:00"
    )
    add_photo(app, second, 3)
    lone = make_report(
        dx=400,
        category="kerb",
        measurements={},
        description=DESCRIPTIONS[3],
        created_at="2026-05-01T09:00:00+00:00",
    )
    return {"first": first, "second": second, "lone": lone}


def save_shot(page: Any, name: str) -> None:
    """Save the viewport as a PNG when ``FIELDAUDIT_SHOTS`` names a folder (to look at)."""
    shots = os.environ.get("FIELDAUDIT_SHOTS")
    if shots:
        Path(shots).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{shots}/{name}.png")


def confirmation_in_view(page: Any) -> str:
    """The focused confirmation's text; fails unless it has focus and is inside the viewport."""
    page.wait_for_function("() => document.activeElement.classList.contains('flash')")
    box = page.locator(".flash").bounding_box()
    assert (
        box is not None
        and box["y"] >= 0
        and box["y"] + box["height"] <= page.viewport_size["height"]
    )
    return page.locator(".flash").inner_text()


def test_verify_and_next_walks_the_queue(desk, queue_data):
    page = desk
    first, second = queue_data["first"], queue_data["second"]
    sign_in(page, "bedommer@herlev.dk")
    page.get_by_role("link", name=f"#{first[0].id}", exact=True).click()
    page.locator("#review-map[data-ready='true']").wait_for(state="attached")
    assert axe_violations(page) == []
    # The decisions stay in view while the evidence scrolls.
    page.evaluate("() => window.scrollTo(0, 1500)")
    page.wait_for_function("() => window.scrollY > 1000")
    box = page.get_by_role("button", name="Bekræft og næste").bounding_box()
    assert (
        box is not None
        and box["y"] >= 0
        and box["y"] < page.viewport_size["height"] - box["height"]
    )
    page.evaluate("() => window.scrollTo(0, 0)")
    page.get_by_role("button", name="Bekræft og næste").click()
    assert page.url.endswith(f"/gennemgang/rapporter/{first[1].id}")
    text = confirmation_in_view(page)
    assert f"Rapport #{first[0].id} er bekræftet. Her er den næste rapport i køen." in text
    save_shot(page, "report-after-next-desktop")
    page.evaluate("() => window.scrollTo(0, 1800)")
    page.wait_for_function("() => window.scrollY > 1000")
    save_shot(page, "report-scrolled-desktop")
    page.evaluate("() => window.scrollTo(0, 0)")
    assert axe_violations(page) == []
    # With the keyboard: reject with a reason, then on to the next.
    page.get_by_label("Begrundelse (vises offentligt)").fill(f"Samme trin som #{first[0].id}.")
    page.get_by_role("button", name="Afvis og næste").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/gennemgang/rapporter/{first[2].id}")
    assert f"Rapport #{first[1].id} er afvist." in confirmation_in_view(page)
    db.session.expire_all()
    assert db.session.get(BarrierReport, first[0].id).status == "verified"
    assert db.session.get(BarrierReport, first[1].id).status == "rejected"
    assert second.status == "new"


def test_bulk_verify_several_reports_of_one_site(desk, queue_data):
    page = desk
    first = queue_data["first"]
    site_id = first[0].site_id
    sign_in(page, "bedommer@herlev.dk")
    group = page.locator(f"#bulk-{site_id}")
    assert group.locator("img").count() == 2  # the thumbnails
    assert axe_violations(page) == []
    # Rejecting needs the reason: the error is shown in the group and focused.
    group.get_by_role("button", name="Afvis valgte").click()
    page.wait_for_function("() => document.activeElement.classList.contains('error-summary')")
    assert "Skriv en begrundelse" in page.locator(f"#bulk-{site_id} .error-summary").inner_text()
    assert axe_violations(page) == []
    # All three are chosen; leave the third for later.
    page.get_by_label(f"Vælg rapport #{first[2].id}").uncheck()
    group.get_by_label("Begrundelse (kræves ved afvisning, vises offentligt)").fill(
        "Set ved besøg."
    )
    group.get_by_role("button", name="Bekræft valgte").click()
    text = confirmation_in_view(page)
    assert f"2 rapporter fra sted #{site_id} er bekræftet: #{first[0].id}, #{first[1].id}." in text
    db.session.expire_all()
    statuses = [db.session.get(BarrierReport, r.id).status for r in first]
    assert statuses == ["verified", "verified", "new"]
    assert db.session.get(BarrierSite, site_id).status == "verified"


def test_merge_two_sites(desk, queue_data):
    page = desk
    first, second = queue_data["first"], queue_data["second"]
    source_id, target_id = second.site_id, first[0].site_id
    sign_in(page, "bedommer@herlev.dk")
    page.goto(f"/gennemgang/steder/{source_id}")
    page.locator("#site-map[data-ready='true']").wait_for(state="attached")
    assert page.locator("#site-map .review-marker").count() == 2  # its report "1", site "A"
    assert axe_violations(page) == []
    page.locator(f"#merge-site-{target_id}").focus()
    page.keyboard.press("Space")
    page.get_by_label("Begrundelse (valgfri, vises offentligt)").fill("Samme trin, to indgange.")
    page.get_by_role("button", name="Læg stederne sammen").click()
    assert page.url.endswith(f"/gennemgang/steder/{target_id}")
    text = confirmation_in_view(page)
    assert f"Sted #{source_id} er lagt sammen med sted #{target_id}" in text
    page.locator("#site-map[data-ready='true']").wait_for(state="attached")
    assert page.locator("#site-map .review-marker").count() == 4  # all four reports now
    assert axe_violations(page) == []
    # The emptied site redirects; its own history stays reachable.
    page.goto(f"/gennemgang/steder/{source_id}")
    assert page.url.endswith(f"/gennemgang/steder/{target_id}")
    page.get_by_role("link", name=f"Se sted #{source_id} og dets historik").click()
    assert "Steder lagt sammen" in page.locator("#history").inner_text()
    db.session.expire_all()
    assert db.session.get(BarrierReport, second.id).site_id == target_id
    assert db.session.get(BarrierSite, source_id).status == "duplicate"


WIDTHS = {"320": (320, 720), "412": (412, 915), "desktop": (1366, 900)}


@pytest.mark.parametrize("name", list(WIDTHS))
def test_review_pages_fit_every_width(browser, live_server, queue_data, name):
    """No sideways scrolling at 320 px (WCAG 1.4.10) nor at 412 px and desktop."""
    width, height = WIDTHS[name]
    context = browser.new_context(
        locale="da-DK", base_url=live_server.url, viewport={"width": width, "height": height}
    )
    page = context.new_page()
    try:
        sign_in(page, "bedommer@herlev.dk")
        first = queue_data["first"]
        shots = os.environ.get("FIELDAUDIT_SHOTS")
        for label, url, ready in (
            ("queue", "/gennemgang/", None),
            ("report", f"/gennemgang/rapporter/{first[0].id}", "#review-map"),
            ("site", f"/gennemgang/steder/{first[0].site_id}", "#site-map"),
        ):
            page.goto(url)
            if ready:
                page.locator(f"{ready}[data-ready='true']").wait_for(state="attached")
            overflow = page.evaluate(
                "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            if shots:
                Path(shots).mkdir(parents=True, exist_ok=True)
                page.screenshot(path=f"{shots}/{label}-{name}.png", full_page=True)
                page.screenshot(path=f"{shots}/{label}-{name}-viewport.png")
            assert overflow <= 0, f"{label} at {name} scrolls sideways by {overflow} px"
    finally:
        context.close()
