"""The field app's JSON API: idempotent reports with photos, sites, the duplicate check,
confirmations, 'my reports' and the OpenAPI document that describes all of it."""

from __future__ import annotations

import io
import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from flask import g
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate as validate_spec
from PIL import ExifTags, Image
from sqlalchemy import func, select

from fieldaudit.accounts.sessions import session_values
from fieldaudit.api.openapi import document
from fieldaudit.models import (
    BarrierReport,
    BarrierSite,
    HistoryEntry,
    Photo,
    SiteConfirmation,
    User,
)

TOKEN = "device-token-" + "a" * 40
OTHER_TOKEN = "device-token-" + "b" * 40
STATION = (55.71890, 12.44370)


def schema_validator(name: str) -> Draft202012Validator:
    spec = document()
    return Draft202012Validator(
        {"$ref": f"#/components/schemas/{name}", "components": spec["components"]}
    )


def conforms(body: Any, name: str) -> None:
    errors = sorted(schema_validator(name).iter_errors(body), key=str)
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:5])


def jpeg(colour=(200, 30, 30), gps: bool = False, size=(300, 200)) -> bytes:
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    if gps:
        exif[ExifTags.IFD.GPSInfo] = {
            ExifTags.GPS.GPSLatitudeRef: "N",
            ExifTags.GPS.GPSLatitude: (55.0, 43.0, 8.0),
            ExifTags.GPS.GPSLongitudeRef: "E",
            ExifTags.GPS.GPSLongitude: (12.0, 26.0, 37.0),
        }
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


def multipart(payload: dict[str, Any], photos: list[bytes]) -> dict[str, Any]:
    return {
        "report": (io.BytesIO(json.dumps(payload).encode()), "report.json", "application/json"),
        "photos": [(io.BytesIO(p), f"foto{i}.jpg", "image/jpeg") for i, p in enumerate(photos)],
    }


def post_report(client, payload, photos=None, token=TOKEN, **kwargs):
    headers = {"X-Device-Token": token} if token else {}
    if photos is None:
        return client.post("/api/v1/reports", json=payload, headers=headers, **kwargs)
    return client.post(
        "/api/v1/reports",
        data=multipart(payload, photos),
        content_type="multipart/form-data",
        headers=headers,
        **kwargs,
    )


def fetch(client, url: str, token: str | None = TOKEN) -> tuple[int, str, bytes]:
    """GET a (possibly file) response as the reporting device, and close it."""
    response = client.get(url, headers={"X-Device-Token": token} if token else {})
    try:
        return response.status_code, response.mimetype, response.get_data()
    finally:
        response.close()


def sign_in(client, user: User) -> None:
    """Sign in through the session as Flask-Login does."""
    with client.session_transaction() as session:
        session.update(session_values(user))
    # Requests share the ``db`` fixture's app context, where Flask-Login caches the user in g.
    g.pop("_login_user", None)


def stored_files(app) -> list[Path]:
    media = Path(app.config["MEDIA_DIR"])
    return sorted(p for p in media.rglob("*") if p.is_file())


def count(db, model) -> int:
    db.session.rollback()  # end the test's read transaction: see what the requests committed
    return db.session.scalar(select(func.count()).select_from(model))


# --- reports -------------------------------------------------------------------------------


def test_json_report_is_created_once_and_conflicts_on_other_content(
    client, db, herlev, make_report_payload
):
    payload = make_report_payload()
    first = post_report(client, payload)
    assert first.status_code == 201, first.get_json()
    body = first.get_json()
    conforms(body, "Report")
    assert body["uuid"] == payload["uuid"] and body["status"]["code"] == "new"
    assert body["area"]["name"] == "Herlev Station" and body["site_id"]
    assert body["measurements"]["threshold_height"] == {
        "value": 12.0,
        "unit": "cm",
        "broken": True,
        "limit": 2.5,
        "source": "BR18 §51",
    }
    assert first.headers["Location"].endswith(f"/api/v1/reports/{payload['uuid']}")
    assert "device_token" not in json.dumps(body)

    again = post_report(client, payload)
    assert again.status_code == 200 and again.get_json() == body

    changed = post_report(client, {**payload, "severity": "low"})
    assert changed.status_code == 409
    error = changed.get_json()
    conforms(error, "Error")
    assert error["error"] == "uuid_conflict" and error["field"] == "uuid" and error["message"]
    assert count(db, BarrierReport) == 1
    stored = db.session.scalar(select(BarrierReport))
    assert stored.device_token_hash and TOKEN not in stored.device_token_hash
    assert len(stored.device_token_hash) == 64


def test_report_with_photos_stores_clean_files_atomically(
    app, client, db, herlev, make_report_payload
):
    payload = make_report_payload()
    photos = [jpeg(gps=True), jpeg(colour=(20, 20, 200))]
    response = post_report(client, payload, photos)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    conforms(body, "Report")
    assert len(body["photos"]) == 2
    files = stored_files(app)
    assert len(files) == 4 and all(p.parts[-3] == "photos" for p in files)

    status, mimetype, display = fetch(client, body["photos"][0]["url"])
    assert status == 200 and mimetype == "image/jpeg"
    image = Image.open(io.BytesIO(display))
    assert len(image.getexif()) == 0 and "exif" not in image.info
    assert image.size == (200, 300)  # orientation 6 applied
    status, _, thumbnail = fetch(client, body["photos"][0]["thumbnail_url"])
    assert status == 200 and Image.open(io.BytesIO(thumbnail)).size == (200, 300)

    # The same report again (same photos): 200, nothing new on disk.
    assert post_report(client, payload, photos).status_code == 200
    assert stored_files(app) == files
    # Had moving a file failed after the commit, the device's retry puts it back.
    files[0].unlink()
    assert post_report(client, payload, photos).status_code == 200
    assert stored_files(app) == files
    # Same UUID with another photo is different content: 409 and no orphan file.
    other = post_report(client, payload, [jpeg(colour=(10, 200, 10))])
    assert other.status_code == 409
    assert stored_files(app) == files
    assert count(db, Photo) == 2 and count(db, BarrierReport) == 1


def test_a_bad_photo_refuses_the_whole_report(app, client, db, herlev, make_report_payload):
    response = post_report(client, make_report_payload(), [jpeg(), b"not an image at all"])
    assert response.status_code == 422
    error = response.get_json()
    conforms(error, "Error")
    assert error["error"] == "photo_not_an_image" and error["field"] == "photos[1]"
    assert count(db, BarrierReport) == 0 and stored_files(app) == []


def test_a_failed_transaction_leaves_no_files(
    app, client, db, herlev, make_report_payload, monkeypatch
):
    import fieldaudit.api.reports as views

    real_attach = views.attach_photos

    def attach_then_fail(session, report, staged):
        real_attach(session, report, staged)
        raise RuntimeError("the database went away")

    monkeypatch.setattr(views, "attach_photos", attach_then_fail)
    with pytest.raises(RuntimeError):
        post_report(client, make_report_payload(), [jpeg()])
    assert stored_files(app) == []
    assert count(db, BarrierReport) == 0


def test_too_many_photos_and_too_large(app, client, herlev, make_report_payload):
    response = post_report(client, make_report_payload(), [jpeg()] * 4)
    assert response.status_code == 422 and response.get_json()["error"] == "too_many_photos"
    app.config["MAX_CONTENT_LENGTH"] = 2000
    huge = post_report(client, make_report_payload(), [jpeg(size=(900, 900))])
    assert huge.status_code == 413 and huge.get_json()["error"] == "too_large"
    assert stored_files(app) == []


@pytest.mark.parametrize(
    ("kwargs", "status", "code", "field"),
    [
        ({"data": "{not json", "content_type": "application/json"}, 400, "invalid_json", ""),
        ({"data": "NaN", "content_type": "application/json"}, 400, "invalid_json", ""),
        ({"data": "uuid=1", "content_type": "text/plain"}, 415, "unsupported_media_type", ""),
        ({"json": [1, 2]}, 422, "invalid_body", ""),
        ({"json": {}}, 422, "invalid_uuid", "uuid"),
        (
            {"data": {"report": "{broken"}, "content_type": "multipart/form-data"},
            400,
            "invalid_json",
            "report",
        ),
        (
            {"data": {"other": "x"}, "content_type": "multipart/form-data"},
            400,
            "missing_report",
            "report",
        ),
        (
            {"json": {}, "headers": {"X-Device-Token": "short"}},
            400,
            "invalid_device_token",
            "X-Device-Token",
        ),
    ],
)
def test_bad_requests_get_json_errors(client, herlev, kwargs, status, code, field):
    response = client.post("/api/v1/reports", **kwargs)
    assert response.status_code == status
    body = response.get_json()
    conforms(body, "Error")
    assert (body["error"], body["field"]) == (code, field)


def test_every_problem_is_listed_in_the_requested_language(client, herlev, make_report_payload):
    payload = make_report_payload(category="teleport", severity="huge")
    response = client.post("/api/v1/reports?lang=en", json=payload)
    assert response.status_code == 422
    body = response.get_json()
    assert {p["field"] for p in body["problems"]} >= {"category", "severity"}
    assert body["message"] == "Choose a known category."


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"description": "trin\x00"}, "description"),
        ({"reporter_name": "\ud800", "show_name": True}, "reporter_name"),
        ({"tags": ["\x00"]}, "tags[0]"),
    ],
)
def test_text_a_database_cannot_store_is_refused(
    client, herlev, make_report_payload, override, field
):
    response = post_report(client, make_report_payload(**override))
    assert response.status_code == 422
    assert (response.get_json()["error"], response.get_json()["field"]) == ("invalid_text", field)


def test_ids_beyond_the_database_range_are_404(client, herlev):
    huge = 2**63
    assert fetch(client, f"/api/v1/photos/{huge}/display")[0] == 404
    body = {"uuid": str(uuid.uuid4()), "kind": "still_there"}
    response = client.post(f"/api/v1/sites/{huge}/confirmations", json=body)
    assert response.status_code == 404 and response.get_json()["field"] == "site_id"


def test_report_outside_herlev_is_refused(client, herlev, make_report_payload):
    response = post_report(client, make_report_payload(lat=55.676, lon=12.568))
    assert response.status_code == 422 and response.get_json()["field"] == "position"


def test_get_report_and_public_notes(client, db, herlev, make_report_payload):
    payload = make_report_payload()
    post_report(client, payload)
    report = db.session.scalar(select(BarrierReport))
    db.session.add_all(
        [
            HistoryEntry(
                report_id=report.id,
                action="status",
                after={"status": "verified"},
                reason="Set af Handicaprådet.",
            ),
            HistoryEntry(report_id=report.id, action="note", reason="intern", public=False),
        ]
    )
    db.session.commit()
    body = client.get(f"/api/v1/reports/{payload['uuid']}").get_json()
    conforms(body, "Report")
    assert [n["note"] for n in body["public_notes"]] == ["Set af Handicaprådet."]
    assert body["public_notes"][0]["status"]["label"]["da"] == "Bekræftet"
    for missing in (str(uuid.uuid4()), "not-a-uuid"):
        response = client.get(f"/api/v1/reports/{missing}")
        assert response.status_code == 404 and response.get_json()["error"] == "not_found"
    report.hidden = True
    db.session.commit()
    assert client.get(f"/api/v1/reports/{payload['uuid']}").status_code == 404


def test_hidden_photos_are_never_served(client, db, herlev, make_report_payload):
    body = post_report(client, make_report_payload(), [jpeg(), jpeg((0, 0, 255))]).get_json()
    first, second = body["photos"]
    photo = db.session.get(Photo, first["id"])
    photo.hidden = True
    db.session.commit()
    for url in (first["url"], first["thumbnail_url"]):
        assert fetch(client, url)[0] == 404
    assert fetch(client, second["url"])[0] == 200
    again = client.get(f"/api/v1/reports/{body['uuid']}").get_json()
    assert [p["id"] for p in again["photos"]] == [second["id"]]
    photo.report.hidden = True
    db.session.commit()
    assert client.get(second["url"]).status_code == 404
    assert client.get(f"/api/v1/photos/{second['id']}/original").status_code == 404
    assert client.get("/api/v1/photos/999999/display").status_code == 404


# --- sites ---------------------------------------------------------------------------------


def review_all(db, make_user):
    """Verify every stored report, so its photos become public."""
    from fieldaudit.models import BarrierReport
    from fieldaudit.report_review import verify_report

    reviewer = make_user("reviewer")
    for report in db.session.scalars(select(BarrierReport)).all():
        verify_report(db.session, report, reviewer)
    db.session.commit()


def test_sites_in_a_bbox_as_geojson(client, db, herlev, make_report_payload, make_user):
    post_report(client, make_report_payload(), [jpeg()])
    review_all(db, make_user)
    response = client.get("/api/v1/sites?bbox=12.43,55.71,12.45,55.73")
    assert response.status_code == 200 and response.mimetype == "application/geo+json"
    data = response.get_json()
    conforms(data, "SiteCollection")
    (feature,) = data["features"]
    lon, lat = feature["geometry"]["coordinates"]
    assert abs(lat - STATION[0]) < 1e-5 and abs(lon - STATION[1]) < 1e-5
    assert feature["properties"]["severity"] == "high"
    assert feature["properties"]["thumbnail_url"].endswith("/thumbnail")
    assert client.get("/api/v1/sites").get_json()["features"]  # default: Herlev
    far = client.get("/api/v1/sites?bbox=10,50,10.1,50.1").get_json()
    assert far["features"] == []
    inverted = client.get("/api/v1/sites?bbox=12.45,55.73,12.43,55.71").get_json()
    assert inverted["features"] == []


@pytest.mark.parametrize(
    "query",
    ["bbox=1,2,3", "bbox=a,b,c,d", "bbox=", "bbox=1e5,1,2,3", "bbox=nan,1,2,3", "limit=0"],
)
def test_bad_bbox_is_400(client, query):
    response = client.get(f"/api/v1/sites?{query}")
    assert response.status_code == 400
    conforms(response.get_json(), "Error")


def test_nearby_is_the_duplicate_check(client, db, herlev, make_report_payload, make_user):
    post_report(client, make_report_payload(), [jpeg()])
    review_all(db, make_user)
    lat, lon = STATION
    query = f"/api/v1/sites/nearby?lat={lat + 0.0002}&lon={lon}&category=step"  # about 22 m
    data = client.get(query).get_json()
    conforms(data, "Nearby")
    assert data["radius_m"] == 30
    (site,) = data["sites"]
    assert 15 < site["distance_m"] < 30 and site["thumbnail_url"]
    far = f"/api/v1/sites/nearby?lat={lat + 0.0005}&lon={lon}&category=step"  # about 56 m
    assert client.get(far).get_json()["sites"] == []
    loose = client.get(far + "&accuracy=60").get_json()
    assert loose["radius_m"] == 70 and len(loose["sites"]) == 1
    other_category = f"/api/v1/sites/nearby?lat={lat}&lon={lon}&category=kerb"
    assert client.get(other_category).get_json()["sites"] == []
    site_row = db.session.get(BarrierSite, site["id"])
    site_row.status = "fixed"
    db.session.commit()
    assert client.get(query).get_json()["sites"] == []  # only open sites


def test_nearby_returns_at_most_five(client, db, herlev, make_report_payload, make_user):
    lat, lon = STATION
    for i in range(7):  # 7 sites 12 m apart (more than the 10 m merge radius)
        payload = make_report_payload(lat=lat + i * 0.000108, created_at=f"2026-11-1{i}T10:00:00Z")
        assert post_report(client, payload, token=None).status_code == 201
    review_all(db, make_user)
    data = client.get(f"/api/v1/sites/nearby?lat={lat}&lon={lon}&category=step&accuracy=100")
    sites = data.get_json()["sites"]
    assert len(sites) == 5
    assert [s["distance_m"] for s in sites] == sorted(s["distance_m"] for s in sites)


@pytest.mark.parametrize(
    "query",
    [
        "lon=12.44&category=step",
        "lat=55.7&lon=12.44",
        "lat=55.7&lon=12.44&category=teleport",
        "lat=north&lon=12.44&category=step",
        "lat=91&lon=12.44&category=step",
        "lat=55.7&lon=12.44&category=step&accuracy=-1",
        "lat=55.7&lon=12.44&category=step&accuracy=inf",
    ],
)
def test_nearby_refuses_bad_parameters(client, query):
    response = client.get(f"/api/v1/sites/nearby?{query}")
    assert response.status_code == 400
    conforms(response.get_json(), "Error")


def test_confirmation_is_idempotent_by_uuid(client, db, herlev, make_report_payload):
    site_id = post_report(client, make_report_payload()).get_json()["site_id"]
    body = {"uuid": str(uuid.uuid4()), "kind": "still_there", "created_at": "2026-11-21T09:00:00Z"}
    url = f"/api/v1/sites/{site_id}/confirmations"
    first = client.post(url, json=body, headers={"X-Device-Token": TOKEN})
    assert first.status_code == 201
    conforms(first.get_json(), "ConfirmationResult")
    assert first.get_json()["site"]["confirmation_count"] == 1
    again = client.post(url, json=body, headers={"X-Device-Token": TOKEN})
    assert again.status_code == 200 and again.get_json()["uuid"] == body["uuid"]
    conflict = client.post(
        url, json={**body, "kind": "fixed_now"}, headers={"X-Device-Token": TOKEN}
    )
    assert conflict.status_code == 409 and conflict.get_json()["field"] == "uuid"
    assert count(db, SiteConfirmation) == 1
    assert db.session.get(BarrierSite, site_id).confirmation_count == 1

    missing = client.post("/api/v1/sites/999999/confirmations", json=body)
    assert missing.status_code == 404
    bad = client.post(url, json={"uuid": "x", "kind": "maybe", "created_at": "soon"})
    assert bad.status_code == 422
    assert {p["field"] for p in bad.get_json()["problems"]} == {"uuid", "kind", "created_at"}
    assert client.post(url, data="kind=x").status_code == 415


# --- my reports ----------------------------------------------------------------------------


def test_my_reports_by_device_token_and_by_account(app, client, db, herlev, make_report_payload):
    mine = make_report_payload()
    post_report(client, mine, token=TOKEN)
    post_report(client, make_report_payload(), token=OTHER_TOKEN)
    data = client.get("/api/v1/my/reports", headers={"X-Device-Token": TOKEN}).get_json()
    conforms(data, "MyReports")
    assert [r["uuid"] for r in data["reports"]] == [mine["uuid"]]
    assert client.get("/api/v1/my/reports").get_json() == {"reports": [], "confirmations": []}
    bad = client.get("/api/v1/my/reports", headers={"X-Device-Token": "x"})
    assert bad.status_code == 400

    user = User(email="frivillig@example.dk", display_name="Frivillig")
    db.session.add(user)
    db.session.commit()
    sign_in(client, user)
    signed_in = make_report_payload()
    assert post_report(client, signed_in, token=None).status_code == 201
    db.session.rollback()
    assert (
        db.session.scalar(
            select(BarrierReport.reporter_id).where(BarrierReport.uuid == signed_in["uuid"])
        )
        == user.id
    )
    # Another device of the same person: sees the account's reports and that device's.
    data = client.get("/api/v1/my/reports", headers={"X-Device-Token": OTHER_TOKEN}).get_json()
    assert len(data["reports"]) == 2
    assert signed_in["uuid"] in {r["uuid"] for r in data["reports"]}


def test_signed_in_form_posts_are_not_attributed_to_the_account(
    client, db, herlev, make_report_payload
):
    user = User(email="frivillig@example.dk")
    db.session.add(user)
    db.session.commit()
    sign_in(client, user)
    payload = make_report_payload()
    # A cross-site form could send this multipart body, but not a custom header or JSON.
    assert post_report(client, payload, photos=[], token=None).status_code == 201
    db.session.rollback()
    assert db.session.scalar(select(BarrierReport.reporter_id)) is None


# --- the OpenAPI document ------------------------------------------------------------------


def test_openapi_document_is_valid_and_covers_every_route(app, client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.1")
    validate_spec(spec)
    documented = {(path, method.upper()) for path, item in spec["paths"].items() for method in item}
    routes = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/"):  # every blueprint under /api/v1
            path = rule.rule.replace("<int:", "{").replace("<", "{").replace(">", "}")
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                routes.add((path, method))
    assert routes == documented


def test_categories_and_areas_match_the_document(client, herlev):
    conforms(client.get("/api/v1/categories").get_json(), "Categories")
    conforms(client.get("/api/v1/areas").get_json(), "AreaCollection")


def test_unknown_api_urls_and_methods_answer_json(client):
    missing = client.get("/api/v1/nothing-here")
    assert missing.status_code == 404 and missing.is_json
    wrong = client.delete("/api/v1/reports")
    assert wrong.status_code == 405 and wrong.is_json


def test_unreviewed_photos_are_only_for_the_reporter_and_staff(
    client, db, herlev, make_report_payload, make_user
):
    body = post_report(client, make_report_payload(), [jpeg()]).get_json()
    url = body["photos"][0]["thumbnail_url"]
    assert fetch(client, url)[0] == 200  # the reporting device
    assert fetch(client, url, token=OTHER_TOKEN)[0] == 404
    assert fetch(client, url, token=None)[0] == 404
    nearby_url = "/api/v1/sites/nearby?lat=55.7189&lon=12.4437&category=step"
    own = client.get(nearby_url, headers={"X-Device-Token": TOKEN}).get_json()
    assert [site["thumbnail_url"] for site in own["sites"]] == [None]
    assert client.get(nearby_url).get_json()["sites"] == []
    review_all(db, make_user)
    assert fetch(client, url, token=None)[0] == 200  # public once reviewed


def test_a_retry_without_created_at_replays_the_stored_report(
    client, db, herlev, make_report_payload
):
    """created_at is optional; the server's fallback time must not make a retry a conflict."""
    payload = make_report_payload()
    del payload["created_at"]
    first = post_report(client, payload)
    assert first.status_code == 201, first.get_json()
    again = post_report(client, payload)
    assert again.status_code == 200, again.get_json()
    assert again.get_json() == first.get_json()
    changed = post_report(client, {**payload, "severity": "low"})
    assert changed.status_code == 409
    assert count(db, BarrierReport) == 1


def test_a_confirmation_retried_without_created_at_is_a_replay(
    client, db, herlev, make_report_payload, make_user
):
    site_id = post_report(client, make_report_payload()).get_json()["site_id"]
    review_all(db, make_user)  # only a public site can be confirmed by anyone
    url = f"/api/v1/sites/{site_id}/confirmations"
    body = {"uuid": str(uuid.uuid4()), "kind": "still_there"}
    first = client.post(url, json=body)
    assert first.status_code == 201, first.get_json()
    again = client.post(url, json=body)
    assert again.status_code == 200, again.get_json()
    assert again.get_json()["uuid"] == first.get_json()["uuid"]
    assert client.post(url, json={**body, "kind": "fixed_now"}).status_code == 409
