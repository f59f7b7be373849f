"""A corpus of hostile and broken inputs against the real endpoints.

Every input must get a clear 4xx in the endpoint's documented error format (never a 5xx) and
leave nothing behind: the row count of every table and the files under MEDIA_DIR are compared
before and after. A few inputs are valid data that must be made safe rather than refused
(a 16-bit PNG, a CMYK JPEG, a JPEG with a ZIP appended, SQL and HTML in free text): for those
the stored result is checked instead.
"""

from __future__ import annotations

import io
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import select
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from fieldaudit.apikeys import create_api_key
from fieldaudit.models import BarrierReport, HistoryEntry, Photo
from fieldaudit.report_review import verify_report
from tests.hardening.conftest import image_bytes, metadata_in_jpeg, png_with_header_size

API = "/api/v1/reports"
TOKEN = "hardening-device-" + "x" * 32
MB = 1024 * 1024


@dataclass
class Ctx:
    """What a case may use: the client, a valid payload, ids of stored things, helpers."""

    client: Any
    payload: Callable[..., dict[str, Any]]
    world: dict[str, Any]
    csrf: Callable[[], str]
    login: Callable[..., Any]


@dataclass(frozen=True)
class Case:
    """One hostile input: how to send it, the statuses allowed and the error format."""

    name: str
    send: Callable[[Ctx], Any]
    fmt: str  # api | open311 | ogc | html
    statuses: tuple[int, ...] = (400, 422)
    code: str | None = None  # the API's "error" code, when one is documented
    group: str = ""


def section(group: str, cases: list[Case]) -> list[Case]:
    """Name the group of some cases (each group runs in one test, on one fresh database)."""
    return [replace(case, group=group) for case in cases]


def post_json(ctx: Ctx, body: Any, **headers: str) -> Any:
    return ctx.client.post(API, data=json.dumps(body), content_type="application/json", **headers)


def post_raw(ctx: Ctx, raw: bytes | str, content_type: str = "application/json") -> Any:
    return ctx.client.post(API, data=raw, content_type=content_type)


def post_multipart(
    ctx: Ctx, photos: list[tuple[bytes, str, str]], report: Any = None, raw_report: Any = None
) -> Any:
    data: dict[str, Any] = {}
    if raw_report is not None:
        data["report"] = raw_report
    else:
        data["report"] = json.dumps(report if report is not None else ctx.payload())
    data["photos"] = [
        FileStorage(io.BytesIO(b), name, content_type=mime) for b, name, mime in photos
    ]
    # Encoded in memory: the test client would otherwise spool a large body to a temporary
    # file it never closes.
    boundary, body = encode_multipart(MultiDict(data))
    return ctx.client.post(API, data=body, content_type=f"multipart/form-data; boundary={boundary}")


def with_photo(data: bytes, name: str = "foto.jpg", mime: str = "image/jpeg") -> Callable:
    return lambda ctx: post_multipart(ctx, [(data, name, mime)])


def payload_with(**overrides: Any) -> Callable[[Ctx], Any]:
    return lambda ctx: post_json(ctx, ctx.payload(**overrides))


def payload_without(name: str) -> Callable[[Ctx], Any]:
    def send(ctx: Ctx) -> Any:
        body = ctx.payload()
        body.pop(name)
        return post_json(ctx, body)

    return send


def get(url: str) -> Callable[[Ctx], Any]:
    return lambda ctx: ctx.client.get(url.format(**ctx.world))


def open311_post(**form: str) -> Callable[[Ctx], Any]:
    def send(ctx: Ctx) -> Any:
        base = {
            "api_key": ctx.world["api_key"],
            "service_code": "step",
            "lat": "55.7189",
            "long": "12.4437",
            "description": "Trin ved indgangen",
        }
        data = {k: v for k, v in {**base, **form}.items() if v is not None}
        return ctx.client.post("/open311/v2/requests.json", data=data)

    return send


def review_post(action: str, **form: str) -> Callable[[Ctx], Any]:
    def send(ctx: Ctx) -> Any:
        ctx.login("reviewer", user=ctx.world["reviewer"])
        data = {"csrf_token": ctx.csrf(), **form}
        return ctx.client.post(
            f"/gennemgang/rapporter/{ctx.world['report_id']}/{action}", data=data
        )

    return send


def login_post(**form: str) -> Callable[[Ctx], Any]:
    def send(ctx: Ctx) -> Any:
        data = {"csrf_token": ctx.csrf(), **form}
        return ctx.client.post("/konto/log-ind", data=data)

    return send


SQL = "'; DROP TABLE barrier_reports; --"
HTML = '<script>alert("x")</script><img src=x onerror=alert(1)>'
JPEG = image_bytes()
TRUNCATED_JPEG = JPEG[: len(JPEG) // 2]
SVG = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
    b"<script>alert(document.cookie)</script></svg>"
)
# A GIF whose header is also valid JavaScript (the classic GIF/JS polyglot).
GIF_JS = (
    b"GIF89a/*\x01\x00\x01\x00\x00\x00\x00*/=alert(document.domain)//;"
    + image_bytes("P", (1, 1), 0, "GIF")[6:]
)
HTML_AS_JPEG = b"<html><body><script>alert(1)</script></body></html>"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
TIFF = image_bytes(fmt="TIFF")
BMP = image_bytes(fmt="BMP")


def thirty_mb_photo(ctx: Ctx) -> Any:
    big = JPEG + b"\x00" * (30 * MB - len(JPEG))
    return post_multipart(ctx, [(big, "stor.jpg", "image/jpeg")])


def real_pixel_bomb() -> bytes:
    # 144 megapixels of one bit each: about 20 kB as PNG, more than 140 MB once decoded.
    return image_bytes("1", (12_000, 12_000), 0, "PNG")


def nested_json(depth: int) -> str:
    return '{"uuid": ' + "[" * depth + "]" * depth + "}"


REPORT_JSON = [
    Case("malformed JSON", lambda c: post_raw(c, '{"uuid": '), "api", (400,), "invalid_json"),
    Case("empty body", lambda c: post_raw(c, ""), "api", (400,), "invalid_json"),
    Case("JSON NaN literal", lambda c: post_raw(c, '{"lat": NaN}'), "api", (400,), "invalid_json"),
    Case(
        "JSON Infinity literal",
        lambda c: post_raw(c, json.dumps(c.payload()).replace('"lat": 55.7189', '"lat": Infinity')),
        "api",
        (400,),
        "invalid_json",
    ),
    Case("JSON nested 100000 deep", lambda c: post_raw(c, nested_json(100_000)), "api", (400,)),
    Case("JSON array, not object", lambda c: post_json(c, [c.payload()]), "api", (422,)),
    Case("JSON string body", lambda c: post_json(c, "report"), "api", (422,)),
    Case("text/plain body", lambda c: post_raw(c, "uuid=1", "text/plain"), "api", (415,)),
    Case(
        "form-urlencoded body",
        lambda c: post_raw(c, "uuid=1", "application/x-www-form-urlencoded"),
        "api",
        (415,),
    ),
    Case("invalid UTF-8 in JSON", lambda c: post_raw(c, b'{"uuid": "\xff\xfe"}'), "api", (400,)),
    Case(
        "lone surrogate in description",
        lambda c: post_raw(c, json.dumps(c.payload()).replace("Trin", "\\ud800Trin")),
        "api",
        (422,),
        "invalid_text",
    ),
    Case("NUL in description", payload_with(description="Trin\x00"), "api", (422,), "invalid_text"),
    Case(
        "NUL in reporter name", payload_with(reporter_name="A\x00", show_name=True), "api", (422,)
    ),
    # wrong types and values
    Case("uuid missing", payload_without("uuid"), "api", (422,), "invalid_uuid"),
    Case("uuid as number", payload_with(uuid=12345), "api", (422,), "invalid_uuid"),
    Case("uuid with SQL", payload_with(uuid=SQL), "api", (422,), "invalid_uuid"),
    Case("lat as string", payload_with(lat="55.7189"), "api", (422,), "invalid_position"),
    Case("lat as boolean", payload_with(lat=True), "api", (422,), "invalid_position"),
    Case("lat 91 (out of range)", payload_with(lat=91.0), "api", (422,), "invalid_position"),
    Case("lon -181 (out of range)", payload_with(lon=-181.0), "api", (422,), "invalid_position"),
    Case("lat 1e308", payload_with(lat=1e308), "api", (422,), "invalid_position"),
    Case("position in Copenhagen", payload_with(lat=55.6761, lon=12.5683), "api", (422,)),
    Case("position at 0,0", payload_with(lat=0.0, lon=0.0), "api", (422,), "outside_area"),
    Case("position missing", payload_without("lat"), "api", (422,), "invalid_position"),
    Case("accuracy negative", payload_with(accuracy_m=-5), "api", (422,), "invalid_accuracy"),
    Case("unknown category", payload_with(category="teleport"), "api", (422,), "unknown_category"),
    Case("category with SQL", payload_with(category=SQL), "api", (422,), "unknown_category"),
    Case("category as list", payload_with(category=["step"]), "api", (422,), "unknown_category"),
    Case("severity with HTML", payload_with(severity=HTML), "api", (422,), "invalid_severity"),
    Case("groups as string", payload_with(groups="WHEEL"), "api", (422,), "unknown_group"),
    Case("group with SQL", payload_with(groups=[SQL]), "api", (422,), "unknown_group"),
    Case("tag with HTML", payload_with(tags=[HTML]), "api", (422,), "unknown_tag"),
    Case(
        "measurement negative",
        payload_with(measurements={"threshold_height": {"value": -3, "unit": "cm"}}),
        "api",
        (422,),
        "invalid_measurement",
    ),
    Case(
        "measurement wrong unit",
        payload_with(measurements={"threshold_height": {"value": 3, "unit": "ft"}}),
        "api",
        (422,),
        "invalid_measurement",
    ),
    Case(
        "measurement unknown key with SQL",
        payload_with(measurements={SQL: {"value": 3, "unit": "cm"}}),
        "api",
        (422,),
        "unknown_measurement",
    ),
    Case("measurements as list", payload_with(measurements=[1, 2]), "api", (422,)),
    Case(
        "description of 1 MB",
        payload_with(description="x" * MB),
        "api",
        (422,),
        "invalid_description",
    ),
    Case("description as object", payload_with(description={"a": 1}), "api", (422,)),
    Case(
        "reporter name of 10 000 chars",
        payload_with(reporter_name="N" * 10_000, show_name=True),
        "api",
        (422,),
        "invalid_name",
    ),
    Case("created_at garbage", payload_with(created_at="yesterday"), "api", (422,), "invalid_time"),
    Case(
        "created_at year 9999",
        payload_with(created_at="9999-12-31T23:59:59+00:00"),
        "api",
        (422,),
        "invalid_time",
    ),
    Case(
        "created_at without time zone",
        payload_with(created_at="2026-11-20T10:00:00"),
        "api",
        (422,),
        "invalid_time",
    ),
    Case(
        "device token with SQL",
        lambda c: post_json(c, c.payload(), headers={"X-Device-Token": SQL * 3}),
        "api",
        (400,),
        "invalid_device_token",
    ),
]
PHOTOS = [
    Case(
        "decompression bomb PNG (header claims 30000 x 30000)",
        with_photo(png_with_header_size(30_000, 30_000), "bomb.png", "image/png"),
        "api",
        (422,),
        "photo_too_many_pixels",
    ),
    Case(
        "decompression bomb PNG (144 MP of real pixels)",
        with_photo(real_pixel_bomb(), "bomb2.png", "image/png"),
        "api",
        (422,),
        "photo_too_many_pixels",
    ),
    Case("truncated JPEG", with_photo(TRUNCATED_JPEG), "api", (422,), "photo_not_an_image"),
    Case("text file named .jpg", with_photo(b"hello, world\n" * 50), "api", (422,)),
    Case("HTML named .jpg", with_photo(HTML_AS_JPEG), "api", (422,), "photo_not_an_image"),
    Case("SVG with script", with_photo(SVG, "x.svg", "image/svg+xml"), "api", (422,)),
    Case("GIF/JavaScript polyglot", with_photo(GIF_JS, "x.gif", "image/gif"), "api", (422,)),
    Case("PDF named .jpg", with_photo(PDF), "api", (422,), "photo_not_an_image"),
    Case("TIFF (not accepted)", with_photo(TIFF, "x.tif"), "api", (422,), "photo_format"),
    Case("BMP (not accepted)", with_photo(BMP, "x.bmp"), "api", (422,), "photo_format"),
    Case("empty photo", with_photo(b""), "api", (422,), "photo_empty"),
    Case("30 MB photo", thirty_mb_photo, "api", (413,), "photo_too_large"),
    Case(
        "4 photos",
        lambda c: post_multipart(c, [(JPEG, f"{i}.jpg", "image/jpeg") for i in range(4)]),
        "api",
        (422,),
        "too_many_photos",
    ),
    Case(
        "good photo then a broken one",
        lambda c: post_multipart(
            c, [(JPEG, "a.jpg", "image/jpeg"), (TRUNCATED_JPEG, "b.jpg", "image/jpeg")]
        ),
        "api",
        (422,),
    ),
    Case(
        "good photo but a bad report",
        lambda c: post_multipart(c, [(JPEG, "a.jpg", "image/jpeg")], c.payload(lat=91)),
        "api",
        (422,),
        "invalid_position",
    ),
    Case(
        "multipart without the report part",
        lambda c: c.client.post(
            API,
            data={"photos": [(io.BytesIO(JPEG), "a.jpg", "image/jpeg")]},
            content_type="multipart/form-data",
        ),
        "api",
        (400,),
        "missing_report",
    ),
    Case(
        "multipart report part with NaN",
        lambda c: post_multipart(c, [], raw_report='{"lat": NaN}'),
        "api",
        (400,),
        "invalid_json",
    ),
    Case(
        "multipart with a broken boundary",
        lambda c: post_raw(c, b"--zz\r\nnot a part", "multipart/form-data; boundary=yy"),
        "api",
        (400,),
    ),
    Case(
        "body over the request limit (50 MB)",
        lambda c: post_raw(c, b"0" * (50 * MB), "multipart/form-data; boundary=x"),
        "api",
        (413,),
        "too_large",
    ),
]
FIELD_API = [
    Case("sites bbox with SQL", get("/api/v1/sites?bbox=1;DROP TABLE x"), "api", (400,)),
    Case("sites bbox NaN", get("/api/v1/sites?bbox=nan,nan,nan,nan"), "api", (400,)),
    Case("sites bbox five numbers", get("/api/v1/sites?bbox=12.4,55.7,12.5,55.8,1"), "api", (400,)),
    Case("nearby lat Infinity", get("/api/v1/sites/nearby?lat=inf&lon=12.44"), "api", (400,)),
    Case(
        "nearby unknown category",
        get("/api/v1/sites/nearby?lat=55.7&lon=12.4&category=x'"),
        "api",
        (400,),
    ),
    Case("report id not a UUID", get("/api/v1/reports/' OR 1=1 --"), "api", (404,)),
    Case("photo id beyond integer range", get("/api/v1/photos/99999999999/display"), "api", (404,)),
    Case("photo variant path traversal", get("/api/v1/photos/1/..%2f..%2fetc"), "api", (404,)),
    Case(
        "confirmation with a broken body",
        lambda c: c.client.post(
            f"/api/v1/sites/{c.world['site_id']}/confirmations",
            data="{oops",
            content_type="application/json",
        ),
        "api",
        (400,),
    ),
    Case(
        "my reports with a bad device token",
        lambda c: c.client.get("/api/v1/my/reports", headers={"X-Device-Token": "<x>"}),
        "api",
        (400,),
        "invalid_device_token",
    ),
]
OPEN311 = [
    Case("Open311 POST without api_key", open311_post(api_key=None), "open311", (403,)),
    Case("Open311 POST with SQL api_key", open311_post(api_key=SQL), "open311", (403,)),
    Case(
        "Open311 POST unknown service_code", open311_post(service_code=SQL), "open311", (400, 404)
    ),
    Case("Open311 POST lat NaN", open311_post(lat="NaN"), "open311", (400,)),
    Case("Open311 POST lat 1e999", open311_post(lat="1e999"), "open311", (400,)),
    Case(
        "Open311 POST outside Herlev",
        open311_post(lat="55.6761", long="12.5683"),
        "open311",
        (400,),
    ),
    Case("Open311 POST NUL in description", open311_post(description="a\x00b"), "open311", (400,)),
    Case("Open311 POST description of 1 MB", open311_post(description="x" * MB), "open311", (400,)),
    Case(
        "Open311 POST unknown attribute",
        open311_post(**{"attribute[<script>]": "1"}),
        "open311",
        (400,),
    ),
    Case(
        "Open311 GET bad start_date",
        get("/open311/v2/requests.json?start_date=never"),
        "open311",
        (400,),
    ),
    Case(
        "Open311 GET ids with SQL",
        get("/open311/v2/requests.json?service_request_id=1;--"),
        "open311",
        (400,),
    ),
    Case(
        "Open311 GET unknown status", get("/open311/v2/requests.json?status=<b>"), "open311", (400,)
    ),
    Case("Open311 GET request id text", get("/open311/v2/requests/abc.json"), "open311", (404,)),
    Case(
        "Open311 GET unknown service", get("/open311/v2/services/%27%3B--.json"), "open311", (404,)
    ),
]
OGC = [
    Case("OGC limit negative", get("/ogc/collections/barrier_sites/items?limit=-1"), "ogc", (400,)),
    Case("OGC limit text", get("/ogc/collections/barrier_sites/items?limit=all"), "ogc", (400,)),
    Case("OGC offset huge", get("/ogc/collections/barrier_sites/items?offset=1e99"), "ogc", (400,)),
    Case(
        "OGC bbox three numbers",
        get("/ogc/collections/barrier_sites/items?bbox=1,2,3"),
        "ogc",
        (400,),
    ),
    Case("OGC bbox NaN", get("/ogc/collections/barrier_sites/items?bbox=nan,0,1,1"), "ogc", (400,)),
    Case(
        "OGC datetime garbage",
        get("/ogc/collections/barrier_sites/items?datetime=tomorrow"),
        "ogc",
        (400,),
    ),
    Case(
        "OGC unknown parameter",
        get("/ogc/collections/barrier_sites/items?where=1=1"),
        "ogc",
        (400,),
    ),
    Case("OGC unknown collection", get("/ogc/collections/users/items"), "ogc", (404,)),
    Case(
        "OGC feature id with SQL",
        get("/ogc/collections/barrier_sites/items/1%20OR%201=1"),
        "ogc",
        (404,),
    ),
    Case(
        "OGC unknown format", get("/ogc/collections/barrier_sites/items?f=exe"), "ogc", (400, 406)
    ),
]
LOGIN_FORM = [
    Case(
        "login without CSRF token",
        lambda c: c.client.post("/konto/log-ind", data={"email": "a@b.dk", "password": "x"}),
        "html",
        (400,),
    ),
    Case(
        "login with SQL in the e-mail",
        login_post(email="' OR 1=1 --@example.org", password="x' OR '1'='1"),
        "html",
        (401, 403, 422),
    ),
    Case(
        "login with a 1 MB password",
        login_post(email="a@b.dk", password="x" * MB),
        "html",
        (413, 422),
    ),
    Case(
        "login with NUL in the e-mail",
        login_post(email="a\x00@example.org", password="x"),
        "html",
        (400, 401, 422),
    ),
]
REVIEW_FORMS = [
    Case(
        "review note of 100 000 chars",
        review_post("note", **{"note-text": "x" * 100_000, "note-visibility": "internal"}),
        "html",
        (422,),
    ),
    Case(
        "review note with NUL",
        review_post("note", **{"note-text": "a\x00b", "note-visibility": "internal"}),
        "html",
        (400,),
    ),
    Case(
        "review note with unknown visibility",
        review_post("note", **{"note-text": "x", "note-visibility": "' OR 1=1"}),
        "html",
        (422,),
    ),
    Case("review unknown action", review_post("drop-table"), "html", (404,)),
    Case(
        "review reject without reason",
        review_post("reject", **{"reject-reason": ""}),
        "html",
        (422,),
    ),
]
CASES = [
    *section("report JSON", REPORT_JSON),
    *section("photos", PHOTOS),
    *section("field API", FIELD_API),
    *section("Open311", OPEN311),
    *section("OGC API", OGC),
    *section("login form", LOGIN_FORM),
    *section("review forms", REVIEW_FORMS),
]
GROUPS = list(dict.fromkeys(c.group for c in CASES))


@pytest.fixture
def world(app, db, herlev, make_user, make_report):
    """A verified report (with its site) for the endpoints that need one, and an API key."""
    reviewer = make_user("reviewer")
    report = make_report()
    verify_report(db.session, report, reviewer)
    _key, secret = create_api_key(db.session, "Test")
    db.session.commit()
    return {
        "report_id": report.id,
        "site_id": report.site_id,
        "api_key": secret,
        "reviewer": reviewer,
    }


def check_format(response: Any, case: Case) -> None:
    if case.fmt == "api":
        body = response.get_json()
        assert isinstance(body, dict), response.data[:200]
        assert isinstance(body.get("error"), str) and body["error"]
        assert isinstance(body.get("message"), str) and body["message"]
        # Routing errors (no such URL under /api/) come from the app-wide handler, without field.
        assert "field" in body or response.status_code in (404, 405), body
        if case.code:
            assert body["error"] == case.code, body
    elif case.fmt == "open311":
        body = response.get_json()
        assert isinstance(body, list) and body, response.data[:200]
        assert all(set(e) == {"code", "description"} for e in body)
        assert all(e["code"] == response.status_code and e["description"] for e in body)
    elif case.fmt == "ogc":
        body = response.get_json()
        assert body["code"] and body["description"], body
    else:
        assert response.mimetype == "text/html"
        assert b"<html" in response.data[:500].lower()


def try_case(case: Case, ctx: Ctx, snapshot: Callable[[], Any]) -> tuple[str, str | None]:
    """Send one input; return its outcome ('422 unknown_category') and a failure or None."""
    before = snapshot()
    response = case.send(ctx)
    after = snapshot()
    body = response.get_json(silent=True)
    code = body.get("error") if isinstance(body, dict) else None
    outcome = f"{response.status_code} {code or ''}".strip()
    if response.status_code >= 500 or response.status_code not in case.statuses:
        return outcome, f"status {response.status_code}: {response.data[:300]!r}"
    try:
        check_format(response, case)
    except AssertionError as error:
        return outcome, f"error format: {error}"
    # A failed sign-in is counted on purpose (throttling); nothing else may change.
    changes = [c for c in before.changes(after) if not c.startswith("login_attempts")]
    if changes:
        return outcome, f"left behind: {changes}"
    return outcome, None


@pytest.mark.parametrize("group", GROUPS)
def test_hostile_inputs_are_refused_cleanly(
    group, app, client, world, snapshot, csrf, login, make_report_payload
):
    ctx = Ctx(client, make_report_payload, world, csrf, login)
    failures = []
    outcomes = []
    for case in [c for c in CASES if c.group == group]:
        outcome, failure = try_case(case, ctx, snapshot)
        outcomes.append(f"| {group} | {case.name} | {outcome} |")
        if failure:
            failures.append(f"{case.name}: {failure}")
    if os.environ.get("FIELDAUDIT_CORPUS_TABLE"):
        # For docs/reliability.md: the outcome of every input, as Markdown table rows.
        with open(os.environ["FIELDAUDIT_CORPUS_TABLE"], "a", encoding="utf-8") as table:
            table.write("\n".join(outcomes) + "\n")
    assert not failures, "\n".join(failures)


def test_the_corpus_is_large_enough():
    assert len(CASES) >= 40


# --- inputs that are valid data, made safe rather than refused ------------------------------


def stored_photo(app, db, report_uuid: str) -> tuple[bytes, bytes]:
    report = db.session.scalar(select(BarrierReport).where(BarrierReport.uuid == report_uuid))
    (photo,) = report.photos
    media = app.config["MEDIA_DIR"]
    return (
        Path(media, photo.display_name).read_bytes(),
        Path(media, photo.thumb_name).read_bytes(),
    )


def assert_clean_rgb_jpeg(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    assert image.format == "JPEG" and image.mode == "RGB"
    assert not metadata_in_jpeg(data)
    assert b"PK\x03\x04" not in data
    return image


@pytest.mark.parametrize(
    "name, upload, colour",
    [
        ("16-bit PNG", image_bytes("I;16", (200, 100), 40_000, "PNG"), (156, 156, 156)),
        ("CMYK JPEG", image_bytes("CMYK", (200, 100), (0, 255, 255, 0)), (255, 0, 0)),
        ("JPEG with a ZIP appended", JPEG + b"PK\x03\x04" + b"\x00" * 200, (200, 30, 30)),
        (
            "PNG with alpha and a text chunk",
            image_bytes("RGBA", (200, 100), (0, 0, 255, 255), "PNG"),
            (0, 0, 255),
        ),
    ],
)
def test_unusual_images_are_stored_as_clean_rgb_jpegs(
    name, upload, colour, app, client, db, herlev, make_report_payload
):
    payload = make_report_payload()
    response = client.post(
        API,
        data={
            "report": json.dumps(payload),
            "photos": [(io.BytesIO(upload), "p.img", "image/png")],
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 201, response.get_json()
    display, thumb = stored_photo(app, db, payload["uuid"])
    for data in (display, thumb):
        image = assert_clean_rgb_jpeg(data)
        pixel = image.getpixel((image.width // 2, image.height // 2))
        assert all(abs(a - b) <= 40 for a, b in zip(pixel, colour, strict=True)), (name, pixel)


def test_sql_and_html_in_every_text_field_are_stored_verbatim_and_escaped(
    app, client, db, herlev, make_report_payload, make_user, login, csrf
):
    description = f"{SQL} {HTML} Trin"
    name = f"{HTML}{SQL}"
    payload = make_report_payload(description=description, reporter_name=name, show_name=True)
    response = client.post(API, json=payload, headers={"X-Device-Token": TOKEN})
    assert response.status_code == 201
    assert response.get_json()["description"] == description
    report = db.session.scalar(select(BarrierReport).where(BarrierReport.uuid == payload["uuid"]))
    assert report.description == description and report.reporter_name == name
    mine = client.get("/api/v1/my/reports", headers={"X-Device-Token": TOKEN}).get_json()
    assert mine["reports"][0]["description"] == description

    reviewer = login("reviewer")
    note = f"{HTML} {SQL}"
    answer = client.post(
        f"/gennemgang/rapporter/{report.id}/verify",
        data={"csrf_token": csrf(), "verify-note": note},
    )
    assert answer.status_code in (302, 303)
    answer = client.post(
        f"/gennemgang/rapporter/{report.id}/note",
        data={"csrf_token": csrf(), "note-text": note, "note-visibility": "public"},
    )
    assert answer.status_code in (302, 303)
    assert db.session.scalar(
        select(HistoryEntry.id).where(HistoryEntry.report_id == report.id).limit(1)
    )
    pages = [
        client.get(f"/gennemgang/rapporter/{report.id}").data.decode(),
        app.test_client().get(f"/rapporter/{report.id}").data.decode(),
        app.test_client().get(f"/barrierer/{report.site_id}").data.decode(),
    ]
    for page in pages:
        assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert" in pages[0] and "&lt;script&gt;alert" in pages[1]
    assert reviewer is not None
    # The tables are all still there and hold what they should.
    assert db.session.scalar(select(Photo.id).limit(1)) is None
    assert db.session.scalar(select(BarrierReport.id).where(BarrierReport.id == report.id))
