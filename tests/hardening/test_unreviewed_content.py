"""Issue 12, hole 7: unreviewed positions and rejected content leaked.

``/api/v1/sites``, ``/api/v1/map`` (features and grid cells) and ``/api/v1/sites/nearby`` listed
new, unreviewed sites with exact position, time and severity to anyone; a rejected report's text
and photos were public at ``/rapporter/<id>`` and its photo URLs. Now the public sees public
sites only (the device that reported a site under review sees that one too), the duplicate
check says only that a report of the category is under review within about so many metres, and
a rejected report shows its status and public reason, never its text or photos.

The class: one site of every status, and every public GET route of the url_map requested
without a sign-in; the unreviewed and rejected texts, photos and positions never appear.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import func, select

from fieldaudit import report_review, site_decisions, visibility
from fieldaudit.crs import to_wgs84
from fieldaudit.models import BarrierReport, BarrierSite
from fieldaudit.photos import media_path
from tests.test_public import STAFF_PREFIXES, _expand

OWN_TOKEN = "own-device-token-0123456789abcdefghij"
OTHER_TOKEN = "other-device-token-0123456789abcdefgh"
HERLEV_BBOX = "bbox=12.39,55.70,12.46,55.76"


@dataclass
class World:
    """One site of every status; what must stay private, and the ids to request."""

    new: BarrierReport
    rejected: BarrierReport
    rejected_in_public_site: BarrierReport
    public: BarrierReport
    secret_texts: list[str]
    secret_positions: list[tuple[float, float]]  # lon, lat
    secret_photo_bytes: list[bytes]
    secret_photo_ids: list[int]
    ids: dict[str, list[Any]]


def _lon_lat(db, site_id: int) -> tuple[float, float]:
    x, y = db.session.execute(
        select(func.ST_X(BarrierSite.geom), func.ST_Y(BarrierSite.geom)).where(
            BarrierSite.id == site_id
        )
    ).one()
    return to_wgs84(x, y)


@pytest.fixture
def world(app, db, herlev, make_report, make_photo, make_user) -> World:
    import hashlib

    reviewer = make_user("reviewer")
    planner = make_user("planner")
    own_device = hashlib.sha256(OWN_TOKEN.encode()).hexdigest()

    def public(dx: float, text: str) -> BarrierReport:
        report = make_report(dx=dx, dy=40, description=text)
        make_photo(report)
        report_review.verify_report(db.session, report, reviewer, note="PublicNoteOK")
        db.session.commit()
        return report

    verified = public(0, "VerifiedTextOK")
    planned = public(250, "PlannedTextOK")
    site_decisions.plan_site(db.session, planned.site, planner, 2027)
    fixed = public(500, "FixedTextOK")
    site_decisions.fix_site(db.session, fixed.site, planner)
    closed = public(750, "ClosedTextOK")
    site_decisions.close_site(db.session, closed.site, planner, "Privat grund")

    new = make_report(dx=-310, dy=-620, description="LeakNewText", device=own_device)
    new_photo = make_photo(new, colour=(10, 200, 200))
    rejected = make_report(dx=640, dy=-910, description="LeakRejectedText")
    rejected_photo = make_photo(rejected, colour=(200, 10, 200))
    report_review.reject_report(db.session, rejected, reviewer, "Ingen barriere her")
    inside = make_report(dx=2, dy=41, description="LeakRejectedInPublicSite")
    inside_photo = make_photo(inside, colour=(200, 200, 10))
    report_review.reject_report(db.session, inside, reviewer, "Forkert sted")
    duplicate = make_report(dx=-900, dy=300, description="DuplicateTextOK")
    emptied_site_id = duplicate.site_id
    report_review.mark_duplicate(db.session, duplicate, reviewer, verified.site, "Samme trin")
    db.session.commit()
    assert {s.status for s in db.session.scalars(select(BarrierSite))} == {
        "new",
        "verified",
        "planned",
        "fixed",
        "closed",
        "rejected",
        "duplicate",
    }
    assert inside.site_id == verified.site_id  # a rejected report inside a public site

    photos = [new_photo, rejected_photo, inside_photo]
    all_reports = [verified, planned, fixed, closed, new, rejected, inside, duplicate]
    return World(
        new=new,
        rejected=rejected,
        rejected_in_public_site=inside,
        public=verified,
        secret_texts=["LeakNewText", "LeakRejectedText", "LeakRejectedInPublicSite"],
        secret_positions=[_lon_lat(db, new.site_id), _lon_lat(db, rejected.site_id)],
        secret_photo_bytes=[
            media_path(app.config["MEDIA_DIR"], name).read_bytes()
            for photo in photos
            for name in (photo.display_name, photo.thumb_name)
        ],
        secret_photo_ids=[p.id for p in photos],
        ids={
            "report_id": [r.id for r in all_reports],
            "site_id": sorted({r.site_id for r in all_reports} | {emptied_site_id}),
            "area_id": [verified.area_id or 1],
            "photo_id": [p.id for p in photos] + [verified.photos[0].id],
            # A report's UUID is made and kept by its device: GET /api/v1/reports/<uuid> is its
            # reporter's view (all of it). Open311's tokens/<uuid> gives only the number.
            "report_uuid": [verified.uuid],
            "token": [new.uuid, rejected.uuid],
            "request_id": [str(r.id) for r in all_reports],
            "feature_id": [str(r.site_id) for r in all_reports],
            "collection_id": ["barrier_sites", "areas"],
            "variant": ["display", "thumb", "thumbnail"],
            "fmt": ["json", "xml"],
            "code": ["step"],
        },
    )


def _truncations(value: float) -> set[str]:
    """How a coordinate may be written to 5 decimals or more (rounded to 6 or 7, or not)."""
    forms = set()
    for rounded in (value, round(value, 6), round(value, 7)):
        text = f"{rounded:.7f}"
        forms.add(text[: text.index(".") + 6])
    forms.add(f"{value:.5f}")
    return forms


def _leaks(text: str, world: World) -> list[str]:
    found = [s for s in world.secret_texts if s in text]
    for lon, lat in world.secret_positions:
        if any(f in text for f in _truncations(lon)) and any(f in text for f in _truncations(lat)):
            found.append(f"position {lon:.6f},{lat:.6f}")
    return found


def _queries(world: World, db) -> dict[str, list[str]]:
    near = []
    for report in (world.new, world.rejected):
        lon, lat = _lon_lat(db, report.site_id)
        near.append(f"lat={lat:.6f}&lon={lon:.6f}&category=step&accuracy=200")
    ids = f"{world.new.id},{world.rejected.id}"
    return {
        "public.sites": ["", "status=new", "status=rejected", "status=duplicate"],
        "public.sites_geojson": ["", "status=new", "status=rejected"],
        "api.sites_in_bbox": [HERLEV_BBOX, f"{HERLEV_BBOX}&limit=2000"],
        "api.map_of_sites": ["", HERLEV_BBOX],
        "api.nearby_sites": near,
        "open311.request_list": ["", "status=open", "status=closed", f"service_request_id={ids}"],
        "ogc.items": ["", "limit=1000", "f=html"],
        "ogc.item": ["", "f=html"],
    }


def _public_urls(app, world: World, db) -> list[str]:
    queries = _queries(world, db)
    urls = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.rule.startswith(STAFF_PREFIXES):
            continue
        if rule.endpoint in ("open311.unknown", "accounts.invitation"):
            continue
        unknown = set(rule.arguments) - set(world.ids)
        assert not unknown, f"Tell the scan which values to use for {unknown} ({rule.rule})"
        for url in _expand(rule.rule, set(rule.arguments), world.ids):
            urls += [f"{url}?{q}" if q else url for q in queries.get(rule.endpoint, [""])]
    return urls


@pytest.mark.parametrize("max_features", [2000, 1], ids=["features", "cells"])
def test_no_public_route_shows_unreviewed_or_rejected_content(app, client, db, world, max_features):
    """Every public GET route, without a sign-in and without the reporter's device token."""
    app.config["MAP_MAX_FEATURES"] = max_features  # 1: the maps answer with grid cells
    urls = _public_urls(app, world, db)
    assert len(urls) > 100
    seen_public = False
    for url in urls:
        response = client.get(url)
        data = response.get_data()
        response.close()
        if response.status_code == 302 and "/konto/log-ind" in response.headers["Location"]:
            continue
        assert response.status_code < 500, url
        assert data not in world.secret_photo_bytes, f"{url} serves an unreviewed/rejected photo"
        text = data.decode("utf-8", errors="ignore")
        leaked = _leaks(text, world)
        assert not leaked, f"{url} shows {leaked}"
        seen_public = seen_public or "VerifiedTextOK" in text
    assert seen_public  # the scan did see public content


def test_the_map_cells_count_public_sites_only(app, client, db, world):
    app.config["MAP_MAX_FEATURES"] = 1
    cells = client.get(f"/api/v1/map?{HERLEV_BBOX}").get_json()
    assert cells["clustered"] is True
    public = db.session.scalar(
        select(func.count()).select_from(BarrierSite).where(visibility.public_site_clause())
    )
    assert sum(f["properties"]["count"] for f in cells["features"]) == public == 4


def test_the_reporting_device_sees_its_own_site_under_review(app, client, db, world):
    own = {"X-Device-Token": OWN_TOKEN}
    other = {"X-Device-Token": OTHER_TOKEN}
    site_id = world.new.site_id

    def site_ids(url: str, headers: dict[str, str]) -> set[int]:
        return {f["id"] for f in client.get(url, headers=headers).get_json()["features"]}

    for url in (f"/api/v1/sites?{HERLEV_BBOX}", f"/api/v1/map?{HERLEV_BBOX}"):
        assert site_id in site_ids(url, own)
        assert site_id not in site_ids(url, other)
        assert site_id not in site_ids(url, {})
        assert world.rejected.site_id not in site_ids(url, own)
        assert world.public.site_id in site_ids(url, other)

    lon, lat = _lon_lat(db, site_id)
    nearby = f"/api/v1/sites/nearby?lat={lat:.6f}&lon={lon:.6f}&category=step"
    mine = client.get(nearby, headers=own).get_json()
    assert [s["id"] for s in mine["sites"]] == [site_id]
    assert mine["under_review"] is None
    # Anyone else learns only that a report of the category is under review, about how far.
    theirs = client.get(nearby, headers=other).get_json()
    assert theirs["sites"] == []
    assert theirs["under_review"] == {"category": "step", "within_m": 30}  # about 30 m
    assert client.get(nearby).get_json() == theirs

    # Only a site one may see can be confirmed (the answer would show the site).
    body = {"uuid": "5b7c1d2e-0000-4000-8000-000000000001", "kind": "still_there"}
    url = f"/api/v1/sites/{site_id}/confirmations"
    assert client.post(url, json=body, headers=other).status_code == 404
    assert (
        client.post(f"/api/v1/sites/{world.rejected.site_id}/confirmations", json=body).status_code
        == 404
    )
    assert client.post(url, json=body, headers=own).status_code == 201


def test_a_rejected_report_shows_status_and_reason_but_no_text_or_photo(client, db, world):
    for report in (world.rejected, world.rejected_in_public_site):
        page = client.get(f"/rapporter/{report.id}").get_data(as_text=True)
        assert "Afvist" in page and report.status_reason in page
        assert report.description not in page
        assert "/fotos/" not in page
        for photo in report.photos:
            for url in (
                f"/fotos/{photo.id}/display",
                f"/fotos/{photo.id}/thumb",
                f"/api/v1/photos/{photo.id}/display",
                f"/api/v1/photos/{photo.id}/thumbnail",
            ):
                assert client.get(url).status_code == 404, url
    barrier = client.get(f"/barrierer/{world.public.site_id}").get_data(as_text=True)
    assert "VerifiedTextOK" in barrier and "DuplicateTextOK" in barrier
    assert "LeakRejectedInPublicSite" not in barrier
    assert f"/fotos/{world.rejected_in_public_site.photos[0].id}/" not in barrier
    # Open311: a rejected report's status and reason, no position, text or photo.
    record = client.get(f"/open311/v2/requests/{world.rejected.id}.json").get_json()[0]
    assert record["status_notes"] == "Afvist: Ingen barriere her"
    assert (record["lat"], record["long"], record["description"], record["media_url"]) == (
        None,
        None,
        None,
        None,
    )
