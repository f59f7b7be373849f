"""OGC API - Features: landing page, conformance, collections, items with bbox/limit/offset/datetime,
errors, public content only, and GDAL's own OAPIF client against a live server."""

from __future__ import annotations

import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from shapely.geometry import MultiPolygon, box
from sqlalchemy import event, func, select

from fieldaudit.areas import AreaFeature, load_service_area, upsert_area
from fieldaudit.config import HERLEV_BBOX_WGS84
from fieldaudit.crs import bbox_to_metric, to_metric
from fieldaudit.models import Area
from fieldaudit.ogc import features
from fieldaudit.reports import check_report, store_report
from fieldaudit.sites import refresh_site

BASE = "/ogc"
CORE = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core"
GEOJSON_CONF = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson"
OAS30 = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30"
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
STATION = (55.71890, 12.44370)
LIBRARY = (55.72550, 12.43560)
TORV = (55.72360, 12.43930)
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def sites(herlev, make_report_payload):
    """Three sites: a verified one (public), an unreviewed one and a verified one whose only
    report is hidden."""
    service_area = load_service_area(herlev.session, bbox_to_metric(HERLEV_BBOX_WGS84), 150.0)

    def report(where, status, hidden=False, days=0, **extra):
        payload = make_report_payload(
            lat=where[0],
            lon=where[1],
            created_at=(T0 + timedelta(days=days)).isoformat(),
            reporter_name="Karen Hansen",
            show_name=True,
            **extra,
        )
        stored, _ = store_report(herlev.session, check_report(payload, service_area))
        stored.status = status
        stored.hidden = hidden
        refresh_site(herlev.session, stored.site)  # the site counts its reviewed reports
        herlev.session.commit()
        return stored

    public = report(STATION, "verified", description="Hemmelig tekst fra borgeren")
    public.site.status = "verified"
    # same site, 2 m away, also reviewed (an unreviewed report would not count on a public site)
    report((STATION[0] + 0.00002, STATION[1]), "verified", days=10)
    unreviewed = report(TORV, "new")
    hidden = report(LIBRARY, "verified", hidden=True)
    hidden.site.status = "verified"
    herlev.session.commit()
    return {"public": public.site, "unreviewed": unreviewed.site, "hidden": hidden.site}


def links(document, rel):
    return [link for link in document["links"] if link["rel"] == rel]


def get_json(client, url, status=200, media_type="application/json"):
    response = client.get(url)
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.content_type == media_type
    return response.get_json()


def test_landing_page(client):
    body = get_json(client, f"{BASE}/")
    assert body["title"] and body["description"]
    assert links(body, "self")[0]["href"] == "http://localhost/ogc/"
    (desc,) = links(body, "service-desc")
    assert desc["type"] == "application/vnd.oai.openapi+json;version=3.0"
    assert desc["href"] == "http://localhost/ogc/api"
    assert links(body, "conformance")[0]["href"] == "http://localhost/ogc/conformance"
    assert links(body, "data")[0]["href"] == "http://localhost/ogc/collections"
    assert all({"href", "rel", "type", "title"} <= set(link) for link in body["links"])
    assert client.get(BASE).status_code == 200  # no trailing slash, no redirect
    english = get_json(client, f"{BASE}/?lang=en")
    assert english["title"].startswith("FieldAudit Herlev: barriers")


def test_conformance_and_api_definition(client):
    body = get_json(client, f"{BASE}/conformance")
    assert {CORE, GEOJSON_CONF, OAS30} <= set(body["conformsTo"])
    api = get_json(client, f"{BASE}/api", media_type="application/vnd.oai.openapi+json;version=3.0")
    assert api["openapi"].startswith("3.0")
    assert {
        "/",
        "/conformance",
        "/collections",
        "/collections/{collectionId}",
        "/collections/{collectionId}/items",
        "/collections/{collectionId}/items/{featureId}",
    } <= set(api["paths"])
    limit = api["components"]["parameters"]["limit"]["schema"]
    assert (limit["minimum"], limit["maximum"], limit["default"]) == (1, 1000, 100)
    assert api["components"]["parameters"]["collectionId"]["schema"]["enum"] == [
        "barrier_sites",
        "areas",
    ]


def test_collections(client, sites):
    body = get_json(client, f"{BASE}/collections")
    assert links(body, "self")
    by_id = {c["id"]: c for c in body["collections"]}
    assert list(by_id) == ["barrier_sites", "areas"]
    for collection in by_id.values():
        (items,) = [x for x in links(collection, "items") if x["type"] != "text/html"]
        assert items["type"] == "application/geo+json"
        assert items["href"].endswith(f"/ogc/collections/{collection['id']}/items")
        assert collection["itemType"] == "feature" and collection["crs"] == [CRS84]
        spatial = collection["extent"]["spatial"]
        assert spatial["crs"] == CRS84
        (bbox,) = spatial["bbox"]
        west, south, east, north = bbox
        assert 12.3 < west <= east < 12.5 and 55.6 < south <= north < 55.8
    # Only the public site: its bbox is a point at the station, its time its observations.
    west, south, east, north = by_id["barrier_sites"]["extent"]["spatial"]["bbox"][0]
    assert west == pytest.approx(STATION[1], abs=1e-4)
    assert south == pytest.approx(STATION[0], abs=1e-4)
    temporal = by_id["barrier_sites"]["extent"]["temporal"]
    assert temporal["interval"] == [["2026-03-01T12:00:00Z", "2026-03-11T12:00:00Z"]]
    assert "temporal" not in by_id["areas"]["extent"]

    single = get_json(client, f"{BASE}/collections/areas")
    assert single["id"] == "areas" and links(single, "self")
    error = get_json(client, f"{BASE}/collections/roads", 404)
    assert error["code"] == "NotFound" and error["description"]


def test_the_areas_extent_is_kept_until_the_areas_change(db, herlev):
    statements: list[str] = []

    def seen(conn, cursor, statement, *args):
        statements.append(statement)

    areas = features.COLLECTIONS["areas"]
    first = features.spatial_extent(db.session, areas)
    db.session.remove()
    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        assert features.spatial_extent(db.session, areas) == first
        assert not [s for s in statements if "geom" in s.lower()]  # no polygon read again
        db.session.remove()
        east = first[2]
        x, y = to_metric(east + 0.01, first[1] + 0.01)
        upsert_area(
            db.session,
            AreaFeature("Ny sti", "path", MultiPolygon([box(x, y, x + 50, y + 50)])),
        )
        db.session.commit()
        db.session.remove()
        assert features.spatial_extent(db.session, areas)[2] > east
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)


def test_the_api_and_ogc_serve_the_same_area_features(client, herlev):
    # One area_feature (fieldaudit/geojson.py) for /api/v1/areas and the OGC collection.
    api = {f["id"]: f for f in client.get("/api/v1/areas").get_json()["features"]}
    ogc = get_json(client, f"{BASE}/collections/areas/items", media_type="application/geo+json")
    assert api and len(ogc["features"]) == len(api)
    for feature in ogc["features"]:
        assert {k: feature[k] for k in ("type", "geometry", "properties")} == {
            k: api[feature["id"]][k] for k in ("type", "geometry", "properties")
        }


def test_area_items_and_paging(client, herlev):
    total = herlev.session.scalar(select(func.count()).select_from(Area))
    body = get_json(client, f"{BASE}/collections/areas/items", media_type="application/geo+json")
    assert body["type"] == "FeatureCollection"
    assert body["numberMatched"] == body["numberReturned"] == len(body["features"]) == total
    assert body["timeStamp"].endswith("Z")
    assert links(body, "self") and not links(body, "next") and not links(body, "prev")
    feature = body["features"][0]
    assert feature["type"] == "Feature" and isinstance(feature["id"], int)
    lon, lat = feature["geometry"]["coordinates"][0][0][0]
    assert 12.3 < lon < 12.5 and 55.6 < lat < 55.8  # CRS84: longitude first
    assert {"name", "kind", "kind_name", "approximate"} <= set(feature["properties"])

    seen = []
    url = f"{BASE}/collections/areas/items?limit=5"
    pages = 0
    while url:
        page = get_json(client, url, media_type="application/geo+json")
        assert page["numberMatched"] == total and page["numberReturned"] <= 5
        seen += [f["id"] for f in page["features"]]
        if pages:
            assert links(page, "prev")
        following = links(page, "next")
        url = following[0]["href"].removeprefix("http://localhost") if following else None
        pages += 1
    assert sorted(seen) == sorted(f["id"] for f in body["features"])
    assert pages == -(-total // 5)
    query = parse_qs(urlsplit(links(page, "prev")[0]["href"]).query)
    assert query["limit"] == ["5"]

    header = client.get(f"{BASE}/collections/areas/items?limit=5&offset=5").headers["Link"]
    assert 'offset=10>; rel="next"; type="application/geo+json"' in header
    assert 'rel="prev"' in header and 'rel="self"' in header

    beyond = get_json(
        client, f"{BASE}/collections/areas/items?offset=1000", media_type="application/geo+json"
    )
    assert beyond["features"] == [] and beyond["numberMatched"] == total
    assert beyond["numberReturned"] == 0 and links(beyond, "prev")


def test_site_items_show_only_public_content(client, sites):
    response = client.get(f"{BASE}/collections/barrier_sites/items")
    assert response.content_type == "application/geo+json"
    body = response.get_json()
    assert [f["id"] for f in body["features"]] == [sites["public"].id]
    (feature,) = body["features"]
    properties = feature["properties"]
    assert properties["category"] == "step" and properties["status"] == "verified"
    assert properties["report_count"] == 2 and properties["severity"] == "high"
    assert properties["first_seen"] == "2026-03-01T12:00:00Z"
    assert properties["area_name"]
    lon, lat = feature["geometry"]["coordinates"]
    assert (lat, lon) == pytest.approx((STATION[0] + 0.00001, STATION[1]), abs=2e-6)
    text = response.get_data(as_text=True)
    assert "Karen" not in text and "Hemmelig" not in text

    one = get_json(
        client,
        f"{BASE}/collections/barrier_sites/items/{sites['public'].id}",
        media_type="application/geo+json",
    )
    assert one["type"] == "Feature" and one["id"] == sites["public"].id
    assert links(one, "self") and links(one, "collection")
    for hidden in ("unreviewed", "hidden"):
        get_json(client, f"{BASE}/collections/barrier_sites/items/{sites[hidden].id}", 404)
    get_json(client, f"{BASE}/collections/barrier_sites/items/abc", 404)
    get_json(client, f"{BASE}/collections/areas/items/999999", 404)


def test_a_reviewed_site_becomes_public(client, herlev, sites):
    site = sites["unreviewed"]
    site.status = "verified"
    herlev.session.commit()
    ids = [
        f["id"]
        for f in client.get(f"{BASE}/collections/barrier_sites/items").get_json()["features"]
    ]
    assert ids == sorted([sites["public"].id, site.id])
    site.status = "rejected"
    herlev.session.commit()
    ids = [
        f["id"]
        for f in client.get(f"{BASE}/collections/barrier_sites/items").get_json()["features"]
    ]
    assert ids == [sites["public"].id]


def box_around(lat, lon, d=0.0005):
    return f"{lon - d},{lat - d},{lon + d},{lat + d}"


def ids(client, collection, query):
    response = client.get(f"{BASE}/collections/{collection}/items?{query}")
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert body["numberMatched"] == len(body["features"])
    return [f["id"] for f in body["features"]]


def test_bbox(client, herlev, sites):
    public = sites["public"].id
    assert ids(client, "barrier_sites", f"bbox={box_around(*STATION)}") == [public]
    assert ids(client, "barrier_sites", f"bbox={box_around(*LIBRARY)}") == []
    west, south, east, north = box_around(*STATION).split(",")
    assert ids(client, "barrier_sites", f"bbox={west},{south},0,{east},{north},100") == [public]
    assert ids(client, "barrier_sites", "bbox=170,-50,-170,-40") == []  # across the antimeridian
    assert ids(client, "barrier_sites", "bbox=-180,-90,180,90") == [public]
    # A box just north of the site, whose EPSG:25832 rectangle would still reach it.
    assert ids(client, "barrier_sites", f"bbox={west},{STATION[0] + 0.00003},{east},{north}") == []

    names = dict(herlev.session.execute(select(Area.id, Area.name)).all())
    around_station = {names[i] for i in ids(client, "areas", f"bbox={box_around(*STATION)}")}
    assert any("Station" in name for name in around_station), around_station
    assert ids(client, "areas", "bbox=12.0,55.0,12.1,55.1") == []


def test_datetime(client, sites):
    public = sites["public"].id
    for query, expected in [
        ("2026-03-05T00:00:00Z", [public]),  # within first_seen .. last_seen
        ("2026-02-01T00:00:00Z", []),
        ("2026-03-01T12:00:00Z", [public]),  # the first observation itself
        ("2026-03-11T12:00:00%2B00:00", [public]),
        ("2026-03-11T13:00:01%2B01:00", []),  # one second after the latest, in +01:00
        ("2026-02-01T00:00:00Z/2026-03-02T00:00:00Z", [public]),
        ("2026-01-01T00:00:00Z/2026-02-01T00:00:00Z", []),
        ("../2026-03-02T00:00:00Z", [public]),
        ("/2026-02-02T00:00:00Z", []),
        ("2026-03-10T00:00:00Z/..", [public]),
        ("2026-03-12T00:00:00Z/", []),
    ]:
        assert ids(client, "barrier_sites", f"datetime={query}") == expected, query
    # Areas have no time: every datetime matches them.
    everything = ids(client, "areas", "")
    assert ids(client, "areas", "datetime=1990-01-01T00:00:00Z") == everything


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("limit=0", "limit"),
        ("limit=1001", "limit"),
        ("limit=ten", "limit"),
        ("limit=-5", "limit"),
        ("offset=-1", "offset"),
        ("offset=1.5", "offset"),
        ("bbox=1,2,3", "bbox"),
        ("bbox=a,b,c,d", "bbox"),
        ("bbox=12.4,55.8,12.5,55.7", "bbox"),  # south above north
        ("bbox=12.4,95,12.5,96", "bbox"),
        ("bbox=12.4,nan,12.5,55.7", "bbox"),
        ("datetime=yesterday", "datetime"),
        ("datetime=2026-03-01", "datetime"),
        ("datetime=2026-03-01T00:00:00", "datetime"),  # no time zone
        ("datetime=../..", "datetime"),
        ("datetime=2026-03-02T00:00:00Z/2026-03-01T00:00:00Z", "datetime"),
        ("f=xml", "f"),
        ("lang=fr", "lang"),
        ("colour=red", "colour"),
        ("bbox-crs=http://www.opengis.net/def/crs/EPSG/0/25832", "bbox-crs"),
    ],
)
def test_bad_parameters_are_400_with_a_json_body(client, query, field):
    body = get_json(client, f"{BASE}/collections/barrier_sites/items?{query}", 400)
    assert body["code"] == "InvalidParameterValue"
    assert body["field"] == field and body["description"] and body["message"]


def test_unknown_parameters_on_other_resources(client):
    for url in ("/", "/conformance", "/collections", "/collections/areas", "/api"):
        assert client.get(f"{BASE}{url}?foo=1").status_code == 400


def test_content_negotiation(client):
    xml_only = client.get(f"{BASE}/collections", headers={"Accept": "application/xml"})
    assert xml_only.status_code == 406 and xml_only.get_json()["code"] == "NotAcceptable"
    browser = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
    page = client.get(f"{BASE}/collections", headers=browser)
    assert page.status_code == 200 and page.content_type == "text/html; charset=utf-8"
    for accept in ("*/*", "application/json", "application/geo+json, application/json"):
        assert client.get(f"{BASE}/collections", headers={"Accept": accept}).is_json
    items = client.get(f"{BASE}/collections/areas/items?f=json", headers=browser)
    assert items.status_code == 200 and items.content_type == "application/geo+json"
    geo = client.get(f"{BASE}/collections/areas/items", headers={"Accept": "application/geo+json"})
    assert geo.status_code == 200 and geo.content_type == "application/geo+json"


def test_json_documents_link_their_html_twins(client, sites):
    for url in (
        "/",
        "/conformance",
        "/collections",
        "/collections/areas",
        "/collections/barrier_sites/items",
        f"/collections/barrier_sites/items/{sites['public'].id}",
    ):
        body = client.get(f"{BASE}{url}?f=json").get_json()
        (alternate,) = [link for link in body.get("links", []) if link["rel"] == "alternate"] or [
            None
        ]
        if url == "/conformance":
            continue  # the JSON conformance declaration has no links member
        assert alternate["type"] == "text/html" and "f=html" in alternate["href"], url
        assert client.get(alternate["href"]).content_type == "text/html; charset=utf-8"


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/api",
        "/conformance",
        "/collections",
        "/collections/barrier_sites",
        "/collections/barrier_sites/items",
        "/collections/areas/items?limit=3",
    ],
)
def test_html_pages(client, sites, url):
    separator = "&" if "?" in url else "?"
    response = client.get(f"{BASE}{url}{separator}f=html")
    assert response.status_code == 200
    assert response.content_type == "text/html; charset=utf-8"
    html = response.get_data(as_text=True)
    assert html.startswith("<!doctype html>") and '<html lang="da">' in html
    assert "<h1>" in html and 'rel="alternate"' in html
    assert "Karen" not in html and "Hemmelig" not in html


def test_html_items_and_feature(client, sites):
    site_id = sites["public"].id
    html = client.get(f"{BASE}/collections/barrier_sites/items?f=html").get_data(as_text=True)
    assert "<table" in html and "<caption>Barrierer</caption>" in html
    assert f"feature_id={site_id}" not in html  # a path, not a query
    assert f"/ogc/collections/barrier_sites/items/{site_id}?f=html" in html
    assert "Viser 1 af 1 objekter" in html and "Trin eller dørtrin" in html
    assert "55.718910, 12.443700" in html
    paging = client.get(f"{BASE}/collections/areas/items?f=html&limit=5").get_data(as_text=True)
    assert 'rel="next" type="text/html"' in paging


def test_html_feature_in_english(client, sites):
    # Its own test: the app context the fixtures hold keeps the first request's language.
    page = client.get(f"{BASE}/collections/barrier_sites/items/{sites['public'].id}?f=html&lang=en")
    text = page.get_data(as_text=True)
    assert '<html lang="en">' in text and "<h1>Barrier sites #" in text
    assert "Step or threshold" in text and "Position (latitude, longitude)" in text


def live_server_area_count(server):
    import json
    from urllib.request import urlopen

    with urlopen(f"{server.url}/ogc/collections/areas/items?limit=1", timeout=30) as answer:
        return json.load(answer)["numberMatched"]


@pytest.mark.skipif(shutil.which("ogrinfo") is None, reason="needs Debian's gdal-bin")
def test_gdal_reads_the_live_collections(live_server, sites):
    total_areas = sites["public"].id and live_server_area_count(live_server)
    source = f"OAPIF:{live_server.url}/ogc"

    def ogrinfo(*args):
        done = subprocess.run(
            ["ogrinfo", "-ro", *args],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    listing = ogrinfo("-so", source)
    assert "barrier_sites" in listing and "areas" in listing

    summary = ogrinfo("-so", source, "areas")
    assert f"Feature Count: {total_areas}" in summary
    assert "Extent: (12.3" in summary and "Multi Polygon" in summary

    areas = ogrinfo("-q", source, "areas")  # three pages of 10, through the next links
    assert areas.count("OGRFeature(areas)") == total_areas
    assert "name (String) = Byparken" in areas

    sites_out = ogrinfo("-q", source, "barrier_sites")
    assert sites_out.count("OGRFeature(barrier_sites)") == 1
    assert "category (String) = step" in sites_out
    assert "POINT (12.4437" in sites_out
    assert "Karen" not in sites_out


def test_the_api_definition_is_valid_and_describes_the_responses(client, sites):
    from openapi_schema_validator import OAS30Validator
    from openapi_spec_validator import validate

    document = client.get(f"{BASE}/api").get_json()
    validate(document)

    def check(schema_name, url):
        body = client.get(url).get_json()
        schema = {
            "$ref": f"#/components/schemas/{schema_name}",
            "components": document["components"],
        }
        OAS30Validator(schema).validate(body)

    check("landingPage", f"{BASE}/")
    check("confClasses", f"{BASE}/conformance")
    check("collections", f"{BASE}/collections")
    check("collection", f"{BASE}/collections/barrier_sites")
    check("featureCollectionGeoJSON", f"{BASE}/collections/barrier_sites/items")
    check("featureGeoJSON", f"{BASE}/collections/barrier_sites/items/{sites['public'].id}")
    check("exception", f"{BASE}/collections/barrier_sites/items?limit=0")
