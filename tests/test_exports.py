"""Exports: GeoJSON (RFC 7946), CSV for Excel, GeoPackage read by GDAL, printable maps."""

import csv
import io
import json
import shutil
import subprocess
import uuid
from datetime import UTC, date, datetime

import pytest
from PIL import Image

from fieldaudit.areas import load_service_area
from fieldaudit.crs import to_metric
from fieldaudit.exports import csv as csv_export
from fieldaudit.exports.geojson import sites_feature_collection
from fieldaudit.exports.gpkg import write_geopackage
from fieldaudit.exports.printmap import A4_PORTRAIT, map_png, render_map
from fieldaudit.exports.rows import SiteRow, area_rows, boundary, report_rows, site_rows
from fieldaudit.planning.domain import OPEN, SiteFilter, ranked_sites
from fieldaudit.reports import check_report, store_report

SECRET_NAME = "Hemmelig Reporter"


@pytest.fixture
def exported(herlev, make_report_payload, make_user):
    """Rows of three sites (one with a hidden report and a named reporter), reports, areas."""
    db = herlev
    service = load_service_area(db.session, (0, 0, 1, 1), 150)
    reporter = make_user("volunteer", display_name=SECRET_NAME, email="secret@example.org")
    payloads = [
        make_report_payload(show_name=True, reporter_name=SECRET_NAME),
        make_report_payload(created_at="2026-11-21T10:00:00+01:00", description="@SUM(A1)"),
        make_report_payload(
            category="kerb",
            lat=55.7192,
            lon=12.4441,
            measurements={"kerb_upstand": {"value": 6, "unit": "cm"}},
            description="=1+2",
        ),
        make_report_payload(category="signage", lat=55.748, lon=12.42, measurements={}),
    ]
    reports = []
    for payload in payloads:
        report, _ = store_report(
            db.session,
            check_report(payload, service),
            reporter=reporter,
            device_token_hash=uuid.uuid4().hex,
        )
        reports.append(report)
    reports[1].hidden = True
    db.session.commit()
    sites, _ = ranked_sites(db.session, SiteFilter(status=OPEN))
    rows = site_rows(db.session, sites)
    return {
        "db": db,
        "sites": rows,
        "reports": report_rows(db.session, [r.site_id for r in rows]),
        "areas": area_rows(db.session),
        "boundary": boundary(db.session),
    }


def test_geojson_is_rfc7946(exported):
    collection = json.loads(json.dumps(sites_feature_collection(exported["sites"], {"a": 1})))
    assert collection["type"] == "FeatureCollection"
    assert "crs" not in collection
    assert len(collection["features"]) == 3
    west, south, east, north = collection["bbox"]
    assert 12.39 < west <= east < 12.46 and 55.70 < south <= north < 55.76
    for feature in collection["features"]:
        assert feature["type"] == "Feature"
        assert feature["geometry"]["type"] == "Point"
        lon, lat = feature["geometry"]["coordinates"]
        assert 12.39 < lon < 12.46 and 55.70 < lat < 55.76  # lon first, WGS84
        assert len(str(lon).split(".")[1]) <= 7
        x, y = to_metric(lon, lat)
        assert x == pytest.approx(feature["properties"]["easting_25832"], abs=0.05)
        assert y == pytest.approx(feature["properties"]["northing_25832"], abs=0.05)
    first = collection["features"][0]["properties"]
    assert first["rank"] == 1 and first["category"] == "step"
    assert first["explanation"].startswith("høj alvor")
    assert SECRET_NAME not in json.dumps(collection)


def test_csv_for_excel(exported):
    data = csv_export.sites_csv_bytes(exported["sites"])
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert len(rows) == 3
    assert {"lat", "lon", "easting_25832", "northing_25832", "priority_score"} <= set(rows[0])
    first = exported["sites"][0]
    assert float(rows[0]["lat"]) == first.lat and float(rows[0]["easting_25832"]) == first.easting
    assert 712_000 < float(rows[0]["easting_25832"]) < 718_000
    assert 6_178_000 < float(rows[0]["northing_25832"]) < 6_185_000
    danish = csv_export.sites_csv(exported["sites"], danish=True)
    danish_rows = list(csv.DictReader(io.StringIO(danish.lstrip("\ufeff")), delimiter=";"))
    assert {"rang", "prioritet", "bredde", "længde", "øst_25832", "nord_25832"} <= set(
        danish_rows[0]
    )
    assert float(danish_rows[0]["bredde"].replace(",", ".")) == first.lat  # decimal comma
    assert "," in danish_rows[0]["bredde"] and "." not in danish_rows[0]["bredde"]
    assert SECRET_NAME not in danish


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=1+2", "'=1+2"),
        ("+45 1234", "'+45 1234"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("Byparken", "Byparken"),
        (-2, -2),
        (True, "yes"),
        (0.5, 0.5),
        (None, ""),
    ],
)
def test_csv_cells_are_formula_safe(value, cell):
    assert csv_export.safe_cell(value) == cell


def test_danish_csv_cells():
    assert csv_export.safe_cell(55.7189, danish=True) == "55,7189"
    assert csv_export.safe_cell(False, danish=True) == "nej"
    assert csv_export.safe_cell("-x", danish=True) == "'-x"


def test_csv_neutralises_text_from_reports():
    row = SiteRow(
        **{
            **{f: None for f in SiteRow.__dataclass_fields__},
            "rank": 1,
            "site_id": 1,
            "area": '=HYPERLINK("http://x")',
            "explanation": "-1",
            "groups": (),
            "first_seen": datetime(2026, 1, 1, tzinfo=UTC),
            "last_seen": datetime(2026, 1, 1, tzinfo=UTC),
        }
    )
    text = csv_export.sites_csv([row])
    assert "'=HYPERLINK" in text and ",'-1" in text


def test_reports_hold_no_identities_and_no_hidden_content(exported):
    reports = exported["reports"]
    assert len(reports) == 3  # the hidden one is left out
    assert all("@SUM" not in r.description for r in reports)
    fields = set(reports[0].__dataclass_fields__)
    assert not fields & {"reporter_id", "reporter_name", "device_token_hash", "show_name"}


@pytest.mark.skipif(shutil.which("ogrinfo") is None, reason="needs Debian's gdal-bin")
def test_geopackage_opens_in_gdal_with_three_layers_in_25832(exported, tmp_path):
    path = tmp_path / "export.gpkg"
    write_geopackage(path, exported["sites"], exported["reports"], exported["areas"])
    listing = subprocess.run(
        ["ogrinfo", "-ro", "-q", str(path)], capture_output=True, text=True, check=True
    ).stdout
    assert "sites (Point)" in listing
    assert "reports (Point)" in listing
    assert "areas (Multi Polygon)" in listing
    for layer, count in (("sites", 3), ("reports", 3), ("areas", len(exported["areas"]))):
        summary = subprocess.run(
            ["ogrinfo", "-ro", "-so", str(path), layer], capture_output=True, text=True, check=True
        ).stdout
        assert f"Feature Count: {count}" in summary
        assert 'ID["EPSG",25832]' in summary
        assert "ETRS89 / UTM zone 32N" in summary
    sites = subprocess.run(
        ["ogrinfo", "-ro", "-al", "-q", str(path), "sites"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "category (String) = step" in sites
    assert "planned_year (Integer64) = (null)" in sites
    everything = path.read_bytes()
    assert SECRET_NAME.encode() not in everything
    assert b"secret@example.org" not in everything


def test_geopackage_with_no_sites(exported, tmp_path):
    path = tmp_path / "empty.gpkg"
    write_geopackage(path, [], [], exported["areas"])
    if shutil.which("ogrinfo"):
        listing = subprocess.run(
            ["ogrinfo", "-ro", "-q", str(path)], capture_output=True, text=True, check=True
        ).stdout
        assert "sites (Point)" in listing and "reports (Point)" in listing


def test_printable_map_png_and_pdf(exported):
    page = render_map(
        exported["sites"],
        exported["areas"],
        exported["boundary"],
        "Status: åbne steder · Vægtning: Ligelig",
        date(2026, 11, 20),
    )
    assert page.size == A4_PORTRAIT
    png = map_png(page)
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.size == (1240, 1754)
    assert round(image.info["dpi"][0]) == 150
    # The top-ranked site is drawn in its band's colour somewhere on the map.
    assert len(image.convert("RGB").getcolors(maxcolors=1_000_000)) > 20


def test_printable_map_without_sites_and_in_english(exported):
    page = render_map([], exported["areas"], exported["boundary"], "", date(2026, 1, 2), "en")
    assert page.size == A4_PORTRAIT
