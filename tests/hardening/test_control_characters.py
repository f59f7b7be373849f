"""Control characters (issue 12, hole 9): refused or stripped at every input, and every XML
output stays well-formed.

One report with ``\\x01`` or ``\\x0b`` in its text made Open311's ``requests.xml`` unreadable once
it was public, and Open311 POST stored a NUL (a 500 on PostGIS). For every control character
U+0000-U+001F and U+007F-U+009F this submits through each boundary (the JSON API and Open311
POST refuse, naming the field; the web forms and the area and OpenStreetMap importers strip),
makes the reports public through the lifecycle the review uses, and parses EVERY XML output of
the app with a real XML parser. Records that already hold control characters (written straight
into the database) must still give well-formed XML.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from sqlalchemy import select, text

from fieldaudit import report_review
from fieldaudit.apikeys import create_api_key
from fieldaudit.area_import import import_areas, read_area_file
from fieldaudit.models import Area, BarrierReport, BarrierSite, HistoryEntry
from fieldaudit.osm import parse_overpass
from fieldaudit.taxonomy import CATEGORIES

from ..conftest import TEST_DB

CONTROLS = [chr(c) for c in (*range(0x00, 0x20), *range(0x7F, 0xA0))]
# Programs may send these three in text (a TSV paste, a line break, CR LF).
ALLOWED = {"\t", "\n", "\r"}
# Stripping turns these into a line feed (CR LF, CR, VT, FF and NEL are line breaks).
LINE_BREAKS = {"\n", "\r", "\x0b", "\x0c", "\x85"}
OPEN311 = "/open311/v2"
HERLEV_STATION = (55.71890, 12.44370)


def stripped(before: str, character: str, after: str) -> str:
    """What a stripping boundary keeps of ``before + character + after``."""
    if character == "\t":
        return f"{before}\t{after}"
    if character in LINE_BREAKS:
        return f"{before}\n{after}"
    return before + after


def name(character: str) -> str:
    return f"U+{ord(character):04X}"


# --- every XML output, parsed --------------------------------------------------------------


def xml_endpoints(app: Any) -> set[str]:
    """Every route that can answer XML (Open311's .xml forms and the Atom feeds)."""
    return {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if "xml" in rule.rule or rule.rule.endswith(".atom")
    }


def xml_urls(db: Any) -> tuple[list[str], list[str]]:
    """Every XML page there is for the stored data; and Open311 errors that echo the input."""
    reports = db.session.scalars(select(BarrierReport)).all()
    sites = db.session.scalars(select(BarrierSite)).all()
    areas = db.session.scalars(select(Area)).all()
    ids = ",".join(str(r.id) for r in reports)
    urls = [
        f"{OPEN311}/discovery.xml",
        f"{OPEN311}/services.xml",
        f"{OPEN311}/services.xml?lang=en",
        *(f"{OPEN311}/services/{c.code}.xml" for c in CATEGORIES),
        f"{OPEN311}/requests.xml",
        f"{OPEN311}/requests.xml?lang=en",
        f"{OPEN311}/requests.xml?service_request_id={ids}",
        *(f"{OPEN311}/requests/{r.id}.xml" for r in reports),
        *(f"{OPEN311}/tokens/{r.uuid}.xml" for r in reports),
        *(f"/barrierer/{s.id}/feed.atom" for s in sites),
        *(f"/omraader/{a.id}/feed.atom" for a in areas),
    ]
    # Errors repeat what was asked for: every control character in a path and a query. (A path
    # with a line break matches no route at all: the app's HTML 404 page, not XML.)
    echoes = []
    for character in CONTROLS:
        encoded = quote(character)
        echoes += [
            f"{OPEN311}/services/x{encoded}.xml",
            f"{OPEN311}/requests/1{encoded}.xml",
            f"{OPEN311}/tokens/x{encoded}.xml",
            f"{OPEN311}/x{encoded}.xml",
            f"{OPEN311}/requests.xml?jurisdiction_id=x{encoded}",
            f"{OPEN311}/requests.xml?service_code=x{encoded}",
        ]
    return urls, echoes


def assert_every_xml_well_formed(app: Any, client: Any, db: Any) -> list[ET.Element]:
    """Fetch every XML output and parse it; every XML route must have been visited."""
    adapter = app.url_map.bind("localhost")
    visited, broken, roots = set(), [], []
    urls, echoes = xml_urls(db)
    for url in urls + echoes:
        response = client.get(url)
        assert response.status_code < 500, url
        is_xml = "xml" in response.content_type
        assert is_xml or (url in echoes and response.content_type.startswith("text/html")), url
        if not is_xml:
            continue
        visited.add(adapter.match(url.split("?")[0], method="GET")[0])
        try:
            roots.append(ET.fromstring(response.data))
        except ET.ParseError as error:
            broken.append(f"{url}: {error}")
    assert broken == []
    post = {"open311.create_request"}  # POST answers are parsed where they are sent
    assert xml_endpoints(app) - post <= visited
    return roots


def texts(roots: list[ET.Element]) -> str:
    return "\n".join(t for root in roots for t in root.itertext())


# --- the boundaries -------------------------------------------------------------------------


def test_api_refuses_control_characters_naming_the_field(app, client, herlev, make_report_payload):
    wrong = []
    for character in CONTROLS:
        payload = make_report_payload(description=f"Trin{character}ved indgangen")
        response = client.post("/api/v1/reports", json=payload)
        body = response.get_json()
        if character in ALLOWED:
            if response.status_code != 201:
                wrong.append(f"{name(character)}: {response.status_code} {body}")
        elif (response.status_code, body.get("error"), body.get("field")) != (
            422,
            "invalid_text",
            "description",
        ) or name(character) not in body["message"]:
            wrong.append(f"{name(character)}: {response.status_code} {body}")
    payload = make_report_payload(reporter_name="Karen\x0bHansen", show_name=True)
    response = client.post("/api/v1/reports", json=payload)
    assert (response.status_code, response.get_json()["field"]) == (422, "reporter_name")
    assert wrong == []
    publish_everything(herlev)
    assert_every_xml_well_formed(app, client, herlev)


@pytest.fixture
def api_key(db):
    _row, key = create_api_key(db.session, "Borgerservice")
    db.session.commit()
    return key


def open311_form(key: str, description: str) -> dict[str, str]:
    return {
        "api_key": key,
        "service_code": "step",
        "lat": str(HERLEV_STATION[0]),
        "long": str(HERLEV_STATION[1]),
        "attribute[severity]": "high",
        "description": description,
    }


def test_open311_post_refuses_control_characters(app, client, herlev, api_key):
    wrong = []
    for character in CONTROLS:
        for fmt in ("json", "xml"):
            form = open311_form(api_key, f"Trin{character}ved perronen")
            response = client.post(f"{OPEN311}/requests.{fmt}", data=form)
            if fmt == "xml":
                ET.fromstring(response.data)  # the answer itself is well-formed
                continue
            body = response.get_json()
            expected = 201 if character in ALLOWED else 400
            described = body[0].get("description", "")
            if response.status_code != expected or (
                expected == 400
                and not (described.startswith("description:") and name(character) in described)
            ):
                wrong.append(f"{name(character)}: {response.status_code} {body}")
    form = {**open311_form(api_key, "Trin"), "device_id": "abc\x00"}
    assert client.post(f"{OPEN311}/requests.json", data=form).status_code == 400
    assert wrong == []
    publish_everything(herlev)
    assert_every_xml_well_formed(app, client, herlev)


def publish_everything(db: Any, reviewer: Any = None) -> None:
    """Make every new report public the way the review does (verify it through the lifecycle)."""
    from fieldaudit.models import User

    reviewer = reviewer or db.session.scalar(select(User).where(User.role == "admin"))
    if reviewer is None:
        reviewer = User(email="admin@herlev.dk", role="admin", display_name="A", active=True)
        db.session.add(reviewer)
        db.session.flush()
    for report in db.session.scalars(select(BarrierReport).where(BarrierReport.status == "new")):
        report_review.verify_report(db.session, report, reviewer, "Set af Handicaprådet")
    db.session.commit()


def test_forms_strip_control_characters(app, client, db, herlev, login, csrf, make_report):
    reviewer = login("admin")
    wrong = []
    for index, character in enumerate(CONTROLS):
        report = make_report(dx=60 * (index % 8), dy=60 * (index // 8))
        data = {"csrf_token": csrf(), "verify-note": f"Set{character}igen"}
        response = client.post(f"/gennemgang/rapporter/{report.id}/verify", data=data)
        db.session.expire_all()
        entry = db.session.scalars(
            select(HistoryEntry)
            .where(HistoryEntry.report_id == report.id)
            .order_by(HistoryEntry.id.desc())
        ).first()
        if character == "\x00":  # no browser sends NUL: refused before any view (issue 8)
            if response.status_code != 400 or report.status != "new":
                wrong.append(f"{name(character)}: {response.status_code} {report.status}")
        elif response.status_code != 302 or entry.reason != stripped("Set", character, "igen"):
            wrong.append(f"{name(character)}: {response.status_code} {entry.reason!r}")
    # The planners' forms (a site fixed with a note) strip the same way.
    site = db.session.scalars(select(BarrierSite).where(BarrierSite.status == "verified")).first()
    login("planner")
    note = "Udbedret" + "".join(c for c in CONTROLS if c != "\x00") + "i dag"
    response = client.post(
        f"/planlaegning/steder/{site.id}/udbedret", data={"csrf_token": csrf(), "note": note}
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(BarrierSite, site.id).status == "fixed"
    reasons = db.session.scalars(select(HistoryEntry.reason).where(HistoryEntry.site_id == site.id))
    assert "Udbedret\t\n\n\n\n\ni dag" in list(reasons)
    assert wrong == []
    publish_everything(db, reviewer)
    assert_every_xml_well_formed(app, client, db)


def test_every_form_strips_control_characters():
    """Every form of the app is an AppForm, which strips control characters from text fields."""
    from flask_wtf import FlaskForm

    import fieldaudit.accounts.forms
    import fieldaudit.accounts.privacy_views
    import fieldaudit.review.forms  # noqa: F401
    from fieldaudit.web.forms import AppForm

    def subclasses(cls: type) -> set[type]:
        found = set(cls.__subclasses__())
        return found.union(*(subclasses(c) for c in found)) if found else found

    ours = {c for c in subclasses(FlaskForm) if c.__module__.startswith("fieldaudit.")}
    assert ours and {c for c in ours if not issubclass(c, AppForm)} == set()


def area_file(tmp_path: Path) -> Path:
    """One park per control character, named with it; together they cover Herlev Station."""
    features = []
    for index, character in enumerate(CONTROLS):
        west = 12.4400 + 0.0001 * index
        ring = [[west, 55.7170], [west + 0.0001, 55.7170], [west + 0.0001, 55.7210]]
        ring += [[west, 55.7210], [west, 55.7170]]
        features.append(
            {
                "type": "Feature",
                "properties": {"name": f"Park{character}{index}", "kind": "park"},
                "geometry": {"type": "Polygon", "coordinates": [ring]},
            }
        )
    path = tmp_path / "parks.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), "utf-8")
    return path


def overpass_answer() -> dict[str, Any]:
    elements = []
    for index, character in enumerate(CONTROLS):
        south = 55.7100 + 0.0002 * index
        ring = [(south, 12.4300), (south, 12.4310), (south + 0.0001, 12.4310)]
        ring += [(south + 0.0001, 12.4300), (south, 12.4300)]
        elements.append(
            {
                "type": "way",
                "id": 1000 + index,
                "tags": {"leisure": "playground", "name": f"Legeplads{character}{index}"},
                "geometry": [{"lat": lat, "lon": lon} for lat, lon in ring],
            }
        )
    return {"elements": elements}


def test_importers_strip_control_characters(app, client, db, runner, tmp_path, make_report):
    result = runner.invoke(args=["areas", "import", str(area_file(tmp_path))])
    assert result.exit_code == 0, result.output
    answer = tmp_path / "overpass.json"
    answer.write_text(json.dumps(overpass_answer()), "utf-8")
    result = runner.invoke(args=["areas", "fetch-osm", "--from-file", str(answer)])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    names = set(db.session.scalars(select(Area.name)))
    expected = set()
    for index, character in enumerate(CONTROLS):
        kept = " " if character in ALLOWED | LINE_BREAKS else ""
        expected |= {f"Park{kept}{index}", f"Legeplads{kept}{index}"}
    expected = (expected - {"Park0"}) | {"Park"}  # GDAL's strings end at a NUL
    assert names == expected
    (features, _skipped) = parse_overpass(overpass_answer())
    assert all(f.name.isprintable() for f in features)
    report = make_report()
    assert report.area is not None
    publish_everything(db)
    assert_every_xml_well_formed(app, client, db)


# --- defence in depth: what is already stored -----------------------------------------------


def test_xml_is_well_formed_with_control_characters_already_stored(
    app, client, db, make_report, make_user, tmp_path
):
    import_areas(db.session, read_area_file(area_file(tmp_path)))
    report = make_report()
    report_review.verify_report(db.session, report, make_user("reviewer"), "Set")
    db.session.commit()
    # PostgreSQL cannot store NUL at all; SQLite can.
    every = "".join(c for c in CONTROLS if TEST_DB != "postgis" or c != "\x00")
    dirty = f"Trin{every}ved indgangen"
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE barrier_reports SET description = :d"), {"d": dirty})
        conn.execute(text("UPDATE areas SET name = :n || id"), {"n": f"Park{every}"})
        conn.execute(text("UPDATE history SET reason = :r"), {"r": f"Set{every}igen"})
    db.session.expire_all()
    roots = assert_every_xml_well_formed(app, client, db)
    shown = texts(roots)
    assert "Trin\t\n\n\n\n\nved indgangen" in shown  # the text is kept, only the controls go
    assert "Set\t\n\n\n\n\nigen" in shown
    assert f"Park\t\n\n\n\n\n{report.area_id}" in shown


def test_nul_in_open311_post_is_a_400_not_a_500(client, herlev, api_key):
    for fmt in ("json", "xml"):
        response = client.post(
            f"{OPEN311}/requests.{fmt}", data=open311_form(api_key, "Trin\x00ved perronen")
        )
        assert response.status_code == 400
        if fmt == "xml":
            ET.fromstring(response.data)
    assert client.get(f"{OPEN311}/requests.xml?service_request_id=1").status_code == 200
