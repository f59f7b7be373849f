"""Open311 GeoReport v2, checked against the specification's own examples (JSON and XML).

The examples below are the documented responses of http://wiki.open311.org/GeoReport_v2 and
http://wiki.open311.org/Service_Discovery (values whose leading zeros make them invalid JSON,
such as ``"service_code":006``, are written as strings).
"""

from __future__ import annotations

import hashlib
import re
import uuid
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import shapely
from geoalchemy2.shape import to_shape
from PIL import Image
from sqlalchemy import select

from fieldaudit import report_review, site_decisions
from fieldaudit.apikeys import create_api_key, hash_key
from fieldaudit.areas import load_service_area
from fieldaudit.config import HERLEV_BBOX_WGS84
from fieldaudit.crs import bbox_to_metric, to_wgs84
from fieldaudit.history import add_note
from fieldaudit.models import ApiKey, Area, BarrierReport, HistoryEntry, Photo
from fieldaudit.reports import check_report, store_report
from fieldaudit.taxonomy import CATEGORIES

BASE = "/open311/v2"

SPEC_DISCOVERY = {
    "changeset": "2011-02-03 14:18",
    "contact": "You can email or call for assistance api@mycity.org +1 (555) 555-5555",
    "key_service": "You can request a key here: http://api.mycity.gov/api_key/request",
    "endpoints": [
        {
            "specification": "http://wiki.open311.org/GeoReport_v2",
            "url": "http://open311.mycity.gov/v2",
            "changeset": "2010-11-23 09:01",
            "type": "production",
            "formats": ["text/xml"],
        }
    ],
}
SPEC_SERVICE = {
    "service_code": "001",
    "service_name": "Cans left out 24x7",
    "description": "Garbage or recycling cans that have been left out for more than 24 hours "
    "after collection. Violators will be cited.",
    "metadata": True,
    "type": "realtime",
    "keywords": "lorem, ipsum, dolor",
    "group": "sanitation",
}
SPEC_DEFINITION = {
    "service_code": "DMV66",
    "attributes": [
        {
            "variable": True,
            "code": "WHISHETN",
            "datatype": "singlevaluelist",
            "required": True,
            "datatype_description": None,
            "order": 1,
            "description": "What is the ticket/tag/DL number?",
            "values": [{"key": 123, "name": "Ford"}, {"key": 124, "name": "Chrysler"}],
        }
    ],
}
SPEC_POST_RESPONSE = [
    {
        "service_request_id": 293944,
        "service_notice": "The City will inspect and require the responsible party to correct "
        "within 24 hours and/or issue a Correction Notice or Notice of Violation of the Public "
        "Works Code",
        "account_id": None,
    }
]
SPEC_TOKEN_RESPONSE = [{"service_request_id": 638344, "token": 12345}]
SPEC_REQUEST = {
    "service_request_id": 638344,
    "status": "closed",
    "status_notes": "Duplicate request.",
    "service_name": "Sidewalk and Curb Issues",
    "service_code": "006",
    "description": None,
    "agency_responsible": None,
    "service_notice": None,
    "requested_datetime": "2010-04-14T06:37:38-08:00",
    "updated_datetime": "2010-04-14T06:37:38-08:00",
    "expected_datetime": "2010-04-15T06:37:38-08:00",
    "address": "8TH AVE and JUDAH ST",
    "address_id": 545483,
    "zipcode": 94122,
    "lat": 37.762221815,
    "long": -122.4651145,
    "media_url": "http://city.gov.s3.amazonaws.com/requests/media/638344.jpg",
}
SPEC_ERROR = [
    {"code": 403, "description": "Invalid api_key received -- can't proceed with create_request."}
]
# Fields whose example value is null or missing here: a string or null is fine.
NULLABLE = {
    "description",
    "agency_responsible",
    "service_notice",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
    "status_notes",
    "account_id",
    "datatype_description",
}
# Opaque codes: the examples show digits ("001", "DMV66", 123); FieldAudit's are words.
CODES = {"service_code", "key", "token"}
W3C = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)$")
HERLEV_STATION = (55.71890, 12.44370)


def assert_like(ours: Any, example: Any, name: str = "") -> None:
    """Same field names in the same order and the same JSON types as the spec's example."""
    if isinstance(example, dict):
        assert isinstance(ours, dict), name
        assert list(ours) == list(example), name
        for key in example:
            assert_like(ours[key], example[key], key)
    elif isinstance(example, list):
        assert isinstance(ours, list), name
        for item in ours:
            assert_like(item, example[0], name)
    elif name in CODES:
        assert isinstance(ours, str | int) and not isinstance(ours, bool), name
    elif name in NULLABLE and ours is None:
        pass
    elif example is None:
        assert ours is None or isinstance(ours, str), name
    elif isinstance(example, bool):
        assert isinstance(ours, bool), name
    elif isinstance(example, int | float):
        assert isinstance(ours, int | float) and not isinstance(ours, bool), name
    else:
        assert isinstance(ours, type(example)), name
    if name.endswith("_datetime") and ours is not None:
        assert W3C.match(ours), ours


def xml_root(response) -> ET.Element:
    assert response.content_type == "text/xml; charset=utf-8"
    assert response.data.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    return ET.fromstring(response.data)


def xml_record(element: ET.Element) -> dict[str, str | None]:
    return {child.tag: child.text for child in element}


@pytest.fixture
def service_area(herlev):
    return load_service_area(herlev.session, bbox_to_metric(HERLEV_BBOX_WGS84), 150.0)


@pytest.fixture
def stored_report(db, service_area, make_report_payload):
    """Store a report (at Herlev Station by default) and give it a status."""

    def make(status="verified", hidden=False, days_ago=1, **overrides):
        created = datetime.now(UTC) - timedelta(days=days_ago)
        payload = make_report_payload(created_at=created.isoformat(), **overrides)
        report, _ = store_report(db.session, check_report(payload, service_area))
        report.status = status
        report.hidden = hidden
        db.session.commit()
        return report

    return make


@pytest.fixture
def api_key(db):
    _row, key = create_api_key(db.session, "Herlev borgerservice")
    db.session.commit()
    return key


# -- discovery and services ---------------------------------------------------------------


def test_discovery_json_and_xml(client):
    response = client.get(f"{BASE}/discovery.json")
    assert response.status_code == 200
    assert response.content_type == "application/json; charset=utf-8"
    body = response.get_json()
    assert_like(body, SPEC_DISCOVERY)
    (endpoint,) = body["endpoints"]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"] == "http://localhost/open311/v2"
    assert endpoint["type"] in ("production", "test")
    assert set(endpoint["formats"]) == {"text/xml", "application/json"}

    root = xml_root(client.get(f"{BASE}/discovery.xml"))
    assert root.tag == "discovery"
    assert [c.tag for c in root] == ["changeset", "contact", "key_service", "endpoints"]
    endpoint_xml = root.find("endpoints/endpoint")
    assert [c.tag for c in endpoint_xml] == list(SPEC_DISCOVERY["endpoints"][0])
    assert [f.text for f in endpoint_xml.findall("formats/format")] == endpoint["formats"]


def test_service_list_json_and_xml(client):
    body = client.get(f"{BASE}/services.json").get_json()
    assert_like(body, [SPEC_SERVICE])
    assert [s["service_code"] for s in body] == [c.code for c in CATEGORIES]
    step = body[0]
    assert step["service_name"] == "Trin eller dørtrin"
    assert step["metadata"] is True and step["type"] == "realtime"
    assert "kørestolsbrugere" in step["keywords"]

    root = xml_root(client.get(f"{BASE}/services.xml"))
    assert root.tag == "services"
    services = root.findall("service")
    assert len(services) == len(CATEGORIES)
    first = xml_record(services[0])
    assert list(first) == list(SPEC_SERVICE)
    assert first["metadata"] == "true" and first["type"] == "realtime"
    assert first["service_code"] == "step"


@pytest.mark.parametrize("query", ["lang=en", "locale=en", "locale=en-GB", "lang=en_US"])
def test_services_in_english(client, query):
    body = client.get(f"{BASE}/services.json?{query}").get_json()
    assert body[0]["service_name"] == "Step or threshold"


def test_service_definition_json_and_xml(client):
    body = client.get(f"{BASE}/services/step.json").get_json()
    assert_like(body, SPEC_DEFINITION)
    attributes = {a["code"]: a for a in body["attributes"]}
    assert list(attributes) == ["severity", "groups", "tags", "threshold_height"]
    severity = attributes["severity"]
    assert severity["datatype"] == "singlevaluelist" and severity["required"] is True
    assert [v["key"] for v in severity["values"]] == ["low", "medium", "high"]
    assert [v["name"] for v in severity["values"]] == ["Lav", "Middel", "Høj"]
    assert attributes["groups"]["datatype"] == "multivaluelist"
    assert {v["key"] for v in attributes["groups"]["values"]} >= {"WHEEL", "VIS", "READ"}
    height = attributes["threshold_height"]
    assert height["datatype"] == "number" and height["required"] is False
    assert height["description"] == "Højde på trin (cm)"
    assert (
        "2,5 cm" in height["datatype_description"] and "BR18 §51" in height["datatype_description"]
    )
    orders = [a["order"] for a in body["attributes"]]
    assert orders == sorted(set(orders)) and orders[0] == 1
    allowed = {"string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"}
    assert {a["datatype"] for a in body["attributes"]} <= allowed

    english = client.get(f"{BASE}/services/step.json?lang=en").get_json()
    assert english["attributes"][0]["values"][2]["name"] == "High"

    root = xml_root(client.get(f"{BASE}/services/step.xml"))
    assert root.tag == "service_definition"
    assert [c.tag for c in root] == ["service_code", "attributes"]
    first = root.find("attributes/attribute")
    assert [c.tag for c in first] == list(SPEC_DEFINITION["attributes"][0])
    assert first.findtext("variable") == "true" and first.findtext("required") == "true"
    values = first.findall("values/value")
    assert (values[0].findtext("key"), values[0].findtext("name")) == ("low", "Lav")


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_unknown_service_is_404_in_the_error_format(client, fmt):
    response = client.get(f"{BASE}/services/teleport.{fmt}")
    assert response.status_code == 404
    if fmt == "json":
        body = response.get_json()
        assert_like(body, SPEC_ERROR)
        assert body[0]["code"] == 404 and "teleport" in body[0]["description"]
    else:
        root = xml_root(response)
        assert root.tag == "errors"
        (error,) = root.findall("error")
        assert [c.tag for c in error] == ["code", "description"]
        assert error.findtext("code") == "404"


def test_jurisdiction_id(client):
    assert client.get(f"{BASE}/services.json?jurisdiction_id=herlev.dk").status_code == 200
    assert client.get(f"{BASE}/services.json?jurisdiction_id=").status_code == 200
    response = client.get(f"{BASE}/services.xml?jurisdiction_id=sfgov.org")
    assert response.status_code == 404
    assert "sfgov.org" in xml_root(response).findtext("error/description")


def test_unknown_resource_and_format(client):
    assert client.get(f"{BASE}/services.csv").status_code == 404
    wrong_method = client.delete(f"{BASE}/requests.json")
    assert wrong_method.status_code == 400
    assert "GET or POST" in client.put(f"{BASE}/requests.json?lang=en").get_json()[0]["description"]
    assert client.post(f"{BASE}/services.json").status_code == 400
    response = client.get(f"{BASE}/nothing.json")
    assert response.status_code == 404
    assert response.get_json()[0]["code"] == 404


# -- POST Service Request -------------------------------------------------------------------


def post_form(api_key=None, **overrides):
    form = {
        "service_code": "step",
        "lat": str(HERLEV_STATION[0]),
        "long": str(HERLEV_STATION[1]),
        "attribute[severity]": "high",
        "attribute[threshold_height]": "12,5",
        "description": "Højt trin ved indgangen til perronen.",
        "email": "karen@example.org",
        "first_name": "Karen",
        "last_name": "Hansen",
        "phone": "12345678",
        "device_id": "tt222111",
    }
    if api_key is not None:
        form["api_key"] = api_key
    form.update(overrides)
    return {k: v for k, v in form.items() if v is not None}


@pytest.mark.parametrize("key", [None, "", "not-a-key"])
@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_post_without_a_valid_api_key_is_403(client, herlev, key, fmt):
    response = client.post(f"{BASE}/requests.{fmt}", data=post_form(key))
    assert response.status_code == 403
    if fmt == "json":
        body = response.get_json()
        assert_like(body, SPEC_ERROR)
        assert body[0]["code"] == 403 and "api_key" in body[0]["description"]
    else:
        assert xml_root(response).findtext("error/code") == "403"
    assert herlev.session.scalar(select(BarrierReport)) is None


def test_post_creates_a_report(client, herlev, api_key):
    data = post_form(api_key)
    data["attribute[groups][]"] = ["WHEEL", "VIS"]
    data["attribute[tags][]"] = ["no_alternative_route"]
    response = client.post(f"{BASE}/requests.json", data=data)
    assert response.status_code == 201, response.get_data(as_text=True)
    body = response.get_json()
    assert_like(body, SPEC_POST_RESPONSE)
    (created,) = body
    assert created["account_id"] is None and "token" not in created
    report = herlev.session.get(BarrierReport, created["service_request_id"])
    assert response.headers["Location"].endswith(f"/open311/v2/requests/{report.id}.json")
    assert report.category == "step" and report.severity == "high"
    assert report.groups == ["VIS", "WHEEL"]
    assert report.tags == ["no_alternative_route"]
    assert report.measurements == {"threshold_height": {"value": 12.5, "unit": "cm"}}
    assert report.description == "Højt trin ved indgangen til perronen."
    assert report.status == "new" and report.reporter_id is None and report.reporter_name == ""
    key_row = herlev.session.scalar(select(ApiKey))
    device = hashlib.sha256(f"open311:{key_row.id}:tt222111".encode()).hexdigest()
    assert report.device_token_hash == device
    entry = herlev.session.scalar(select(HistoryEntry).where(HistoryEntry.report_id == report.id))
    assert entry.public is False and entry.after["api_key"] == "Herlev borgerservice"

    # Unreviewed: not listed, but its status can be followed by id and by token.
    assert client.get(f"{BASE}/requests.json").get_json() == []
    (record,) = client.get(f"{BASE}/requests/{report.id}.json").get_json()
    assert_like(record, SPEC_REQUEST)
    assert record["status"] == "open"
    assert record["status_notes"].startswith("Modtaget")
    assert record["lat"] is None and record["description"] is None and record["media_url"] is None
    tokens = client.get(f"{BASE}/tokens/{report.uuid}.json").get_json()
    assert_like(tokens, SPEC_TOKEN_RESPONSE)
    assert tokens == [{"service_request_id": report.id, "token": report.uuid}]
    root = xml_root(client.get(f"{BASE}/tokens/{report.uuid}.xml"))
    assert root.tag == "service_requests"
    assert xml_record(root.find("request")) == {
        "service_request_id": str(report.id),
        "token": report.uuid,
    }
    for text in ("Karen", "Hansen", "karen@example.org", "12345678", "tt222111"):
        assert text not in client.get(f"{BASE}/requests/{report.id}.xml").get_data(as_text=True)


def test_post_xml_response(client, api_key):
    response = client.post(f"{BASE}/requests.xml", data=post_form(api_key))
    assert response.status_code == 201
    root = xml_root(response)
    assert root.tag == "service_requests"
    request_xml = root.find("request")
    assert [c.tag for c in request_xml] == ["service_request_id", "service_notice", "account_id"]
    assert request_xml.findtext("service_request_id").isdigit()
    assert request_xml.find("account_id").text is None  # <account_id/>


@pytest.mark.parametrize(
    ("overrides", "status", "words"),
    [
        ({"service_code": None}, 400, "service_code"),
        ({"service_code": "teleport"}, 404, "teleport"),
        ({"lat": None, "long": None}, 400, "lat"),
        ({"lat": None, "long": None, "address_string": "Herlev Bygade 70"}, 400, "lat"),
        ({"lat": "nord"}, 400, "lat"),
        ({"lat": "55.676", "long": "12.568"}, 400, "Herlev"),  # Copenhagen
        ({"attribute[severity]": "critical"}, 400, "attribute[severity]"),
        ({"attribute[severity]": None}, 400, "attribute[severity]"),
        ({"attribute[threshold_height]": "høj"}, 400, "attribute[threshold_height]"),
        ({"attribute[threshold_height]": "900"}, 400, "attribute[threshold_height]"),
        ({"attribute[colour]": "red"}, 400, "attribute[colour]"),
        ({"attribute[groups][]": "ALIENS"}, 400, "attribute[groups]"),
        (
            {"service_code": "other", "description": "", "attribute[threshold_height]": None},
            400,
            "description",
        ),
    ],
)
def test_post_errors(client, herlev, api_key, overrides, status, words):
    response = client.post(f"{BASE}/requests.json", data=post_form(api_key, **overrides))
    assert response.status_code == status
    body = response.get_json()
    assert_like(body, SPEC_ERROR)
    assert all(e["code"] == status for e in body)
    assert any(words in e["description"] for e in body), body
    assert herlev.session.scalar(select(BarrierReport)) is None


def test_post_in_english(client, api_key):
    response = client.post(
        f"{BASE}/requests.json", data=post_form(api_key, **{"attribute[severity]": "x"}, lang="en")
    )
    assert "Severity must be low, medium or high." in response.get_json()[0]["description"]


# -- GET Service Requests -------------------------------------------------------------------


def add_photo(app, db, report, hidden=False, position=0):
    name = f"photos/{position:02d}/{uuid.uuid4().hex}.jpg"
    path = Path(app.config["MEDIA_DIR"]) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (8, 8), "red").save(path, "JPEG")
    photo = Photo(
        report=report,
        position=position,
        sha256="0" * 64,
        width=8,
        height=8,
        display_name=name,
        thumb_name=name,
        hidden=hidden,
    )
    db.session.add(photo)
    db.session.commit()
    return photo


def test_requests_show_public_fields_only(app, client, db, stored_report):
    report = stored_report(
        "verified",
        description="Trin på 12 cm ved indgangen.",
        show_name=True,
        reporter_name="Karen Hansen",
    )
    hidden_photo = add_photo(app, db, report, hidden=True, position=0)
    photo = add_photo(app, db, report, position=1)
    db.session.add_all(
        [
            HistoryEntry(
                report_id=report.id,
                action="verify",
                after={"status": "verified"},
                reason="Målt på stedet.",
            ),
            HistoryEntry(report_id=report.id, action="note", reason="Kun internt", public=False),
        ]
    )
    db.session.commit()

    response = client.get(f"{BASE}/requests.json")
    assert response.status_code == 200
    (record,) = response.get_json()
    assert_like(record, SPEC_REQUEST)
    assert record["service_request_id"] == report.id
    assert record["status"] == "open"
    assert record["status_notes"] == "Bekræftet: Målt på stedet."
    assert record["service_code"] == "step" and record["service_name"] == "Trin eller dørtrin"
    assert record["description"] == "Trin på 12 cm ved indgangen."
    assert record["agency_responsible"] == "Herlev Kommune"
    assert record["requested_datetime"].endswith(("+01:00", "+02:00"))
    assert record["lat"] == pytest.approx(HERLEV_STATION[0], abs=1e-6)
    assert record["long"] == pytest.approx(HERLEV_STATION[1], abs=1e-6)
    assert record["zipcode"] == 2730
    assert record["address"].endswith("Herlev Kommune")
    assert record["media_url"] == f"http://localhost/api/v1/photos/{photo.id}/display"
    body = response.get_data(as_text=True)
    assert "Karen" not in body and "Kun internt" not in body

    image = client.get(record["media_url"])
    assert image.status_code == 200 and image.content_type == "image/jpeg"
    image.close()
    assert client.get(f"/api/v1/photos/{hidden_photo.id}/display").status_code == 404

    root = xml_root(client.get(f"{BASE}/requests.xml"))
    assert root.tag == "service_requests"
    (request_xml,) = root.findall("request")
    assert [c.tag for c in request_xml] == list(SPEC_REQUEST)
    fields = xml_record(request_xml)
    assert fields["service_request_id"] == str(report.id)
    assert fields["status"] == "open" and fields["zipcode"] == "2730"
    assert fields["address_id"] is None  # <address_id/>
    assert W3C.match(fields["requested_datetime"])

    single = client.get(f"{BASE}/requests/{report.id}.xml")
    assert [c.tag for c in xml_root(single).find("request")] == list(SPEC_REQUEST)


def test_zipcode_only_inside_the_municipal_boundary(client, db, stored_report):
    """2730 covers all of Herlev Kommune; a report in the tolerance outside it gets none."""
    boundary = to_shape(db.session.scalar(select(Area.geom).where(Area.kind == "municipality")))
    x, y = min(map(tuple, shapely.get_coordinates(boundary)))
    lon, lat = to_wgs84(x - 60, y)  # 60 m west of the westernmost corner: outside, in tolerance
    outside = stored_report(lat=lat, lon=lon)
    inside = stored_report()
    records = {r["service_request_id"]: r for r in client.get(f"{BASE}/requests.json").get_json()}
    assert records[inside.id]["zipcode"] == 2730
    assert records[outside.id]["zipcode"] is None
    fields = xml_record(xml_root(client.get(f"{BASE}/requests/{outside.id}.xml")).find("request"))
    assert fields["zipcode"] is None


def test_hidden_new_and_rejected_reports(app, client, db, stored_report):
    hidden = stored_report("verified", hidden=True)
    new = stored_report("new", lat=55.7236, lon=12.4393)
    rejected = stored_report("rejected", lat=55.7255, lon=12.4356, description="Spam og navne")
    add_photo(app, db, rejected)

    listed = client.get(f"{BASE}/requests.json").get_json()
    assert [r["service_request_id"] for r in listed] == [rejected.id]
    (record,) = listed
    assert record["status"] == "closed" and record["status_notes"].startswith("Afvist")
    assert record["description"] is None and record["media_url"] is None

    assert client.get(f"{BASE}/requests/{hidden.id}.json").status_code == 404
    assert client.get(f"{BASE}/tokens/{hidden.uuid}.json").status_code == 404
    assert client.get(f"{BASE}/requests/{new.id}.json").status_code == 200
    by_ids = client.get(f"{BASE}/requests.json?service_request_id={hidden.id},{new.id}")
    assert [r["service_request_id"] for r in by_ids.get_json()] == [new.id]


def test_status_follows_a_planned_site(client, db, stored_report):
    report = stored_report("verified")
    report.site.status = "planned"
    report.site.planned_year = 2027
    db.session.commit()
    (record,) = client.get(f"{BASE}/requests.json").get_json()
    assert record["status"] == "open"
    assert record["status_notes"] == "Planlagt (2027)"
    assert record["expected_datetime"] == "2027-12-31T23:59:59+01:00"
    report.site.status = "fixed"
    db.session.add(
        HistoryEntry(
            report_id=report.id,
            site_id=report.site_id,
            action="site_status",
            after={"status": "fixed"},
            reason="Rampe bygget i maj.",
        )
    )
    db.session.commit()
    (record,) = client.get(f"{BASE}/requests.json?status=closed").get_json()
    assert record["status"] == "closed"
    assert record["status_notes"] == "Udbedret: Rampe bygget i maj."
    assert record["updated_datetime"] > record["requested_datetime"]
    assert client.get(f"{BASE}/requests.json?status=open").get_json() == []


def test_request_filters(client, stored_report):
    step = stored_report("verified", days_ago=2)
    kerb = stored_report(
        "fixed",
        days_ago=10,
        category="kerb",
        measurements={"kerb_upstand": {"value": 6, "unit": "cm"}},
    )
    old = stored_report("verified", days_ago=200)

    def ids(query):
        response = client.get(f"{BASE}/requests.json?{query}")
        assert response.status_code == 200, response.get_data(as_text=True)
        return [r["service_request_id"] for r in response.get_json()]

    assert ids("") == [step.id, kerb.id]  # the last 90 days, newest first
    assert ids("service_code=kerb") == [kerb.id]
    assert ids("service_code=kerb,step") == [step.id, kerb.id]
    assert ids("status=open") == [step.id]
    assert ids("status=closed") == [kerb.id]
    assert ids("status=open,closed") == [step.id, kerb.id]
    now = datetime.now(UTC)
    start = (now - timedelta(days=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert ids(f"start_date={start}") == [step.id]
    end = (now - timedelta(days=5)).astimezone().strftime("%Y-%m-%dT%H:%M:%S+00:00")
    assert ids(f"end_date={end.replace('+', '%2B')}") == [kerb.id]
    assert ids(f"end_date={end}") == [kerb.id]  # an unencoded '+' arrives as a space
    window = (now - timedelta(days=250)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert ids(f"start_date={window}") == [old.id]
    assert ids(f"service_request_id={old.id},{step.id}") == [step.id, old.id]
    assert ids(f"service_request_id={old.id}&status=closed") == [old.id]  # overrides the rest


@pytest.mark.parametrize(
    "query",
    [
        "start_date=2026-01-01",
        "start_date=2026-01-01T00:00:00",  # no time zone
        "start_date=yesterday",
        "start_date=2026-01-01T00:00:00Z&end_date=2026-06-01T00:00:00Z",  # > 90 days
        "start_date=2026-06-01T00:00:00Z&end_date=2026-01-01T00:00:00Z",
        "status=pending",
        "service_code=teleport",
        "service_request_id=abc",
    ],
)
def test_request_filter_errors(client, query):
    response = client.get(f"{BASE}/requests.json?{query}")
    assert response.status_code == 400
    assert_like(response.get_json(), SPEC_ERROR)
    assert xml_root(client.get(f"{BASE}/requests.xml?{query}")).findtext("error/code") == "400"


def test_unknown_request_and_token(client):
    for url in (
        "requests/999.json",
        "requests/abc.json",
        "tokens/nope.json",
        "tokens/" + str(uuid.uuid4()) + ".json",
    ):
        response = client.get(f"{BASE}/{url}")
        assert response.status_code == 404
        assert response.get_json()[0]["code"] == 404


# -- API keys -------------------------------------------------------------------------------


def test_apikeys_cli(runner, client, db, herlev):
    result = runner.invoke(args=["apikeys", "create", "Borgerservice"])
    assert result.exit_code == 0, result.output
    key = result.output.strip().splitlines()[1]
    row = db.session.scalar(select(ApiKey))
    assert row.name == "Borgerservice" and row.key_hash == hash_key(key)
    assert key not in row.key_hash and len(key) >= 40

    assert client.post(f"{BASE}/requests.json", data=post_form(key)).status_code == 201
    listed = runner.invoke(args=["apikeys", "list"])
    assert "Borgerservice" in listed.output and key not in listed.output
    assert runner.invoke(args=["apikeys", "revoke", str(row.id)]).exit_code == 0
    assert client.post(f"{BASE}/requests.json", data=post_form(key)).status_code == 403
    assert runner.invoke(args=["apikeys", "revoke", "999"]).exit_code != 0
    assert runner.invoke(args=["apikeys", "create", " "]).exit_code != 0


def test_the_review_lifecycle_reaches_open311_and_ogc(client, db, api_key, make_user):
    reviewer, planner = make_user("reviewer"), make_user("planner")
    posted = client.post(f"{BASE}/requests.json", data=post_form(api_key))
    report = db.session.get(BarrierReport, posted.get_json()[0]["service_request_id"])
    assert client.get(f"{BASE}/requests.json").get_json() == []

    add_note(db.session, reviewer, "Intern: ringede til Karen.", False, report=report)
    report_review.verify_report(db.session, report, reviewer, note="Set på stedet.")
    db.session.commit()
    response = client.get(f"{BASE}/requests.json")
    (record,) = response.get_json()
    assert record["status"] == "open" and record["status_notes"] == "Bekræftet: Set på stedet."
    assert record["description"] == "Højt trin ved indgangen til perronen."
    assert record["lat"] == pytest.approx(HERLEV_STATION[0], abs=1e-6)
    assert "Intern" not in response.get_data(as_text=True)
    sites = client.get("/ogc/collections/barrier_sites/items").get_json()["features"]
    assert [f["id"] for f in sites] == [report.site_id]

    site_decisions.plan_site(db.session, report.site, planner, 2027, note="Med i budget 2027.")
    db.session.commit()
    (record,) = client.get(f"{BASE}/requests/{report.id}.json").get_json()
    assert record["status"] == "open"
    assert record["status_notes"] == "Planlagt (2027): Med i budget 2027."
    assert record["expected_datetime"] == "2027-12-31T23:59:59+01:00"

    site_decisions.fix_site(db.session, report.site, planner)
    db.session.commit()
    (record,) = client.get(f"{BASE}/requests.json?status=closed&lang=en").get_json()
    assert record["status"] == "closed" and record["status_notes"].startswith("Fixed")


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_api_key_in_the_query_string_is_refused(client, herlev, api_key, fmt):
    """The specification puts api_key in the POST body; in the URL it lands in access logs."""
    response = client.post(f"{BASE}/requests.{fmt}?api_key={api_key}", data=post_form())
    assert response.status_code == 400
    if fmt == "json":
        body = response.get_json()
        assert_like(body, SPEC_ERROR)
        assert body[0]["code"] == 400 and "api_key" in body[0]["description"]
    else:
        assert xml_root(response).findtext("error/code") == "400"
    # Also when the body has the key too: the one in the URL is already exposed.
    both = client.post(f"{BASE}/requests.json?api_key={api_key}", data=post_form(api_key))
    assert both.status_code == 400
    assert herlev.session.scalar(select(BarrierReport)) is None


def test_api_key_in_the_query_string_does_not_authenticate(client, herlev, api_key):
    """Only the body's api_key counts: a valid key in the URL with an invalid one in the body
    is refused like any invalid key, never stored as a report."""
    response = client.post(f"{BASE}/requests.json?api_key={api_key}", data=post_form("not-a-key"))
    assert response.status_code in (400, 403)
    assert herlev.session.scalar(select(BarrierReport)) is None
    english = client.post(f"{BASE}/requests.json?api_key={api_key}&lang=en", data=post_form())
    assert "api_key" in english.get_json()[0]["description"]
    assert "body" in english.get_json()[0]["description"]
