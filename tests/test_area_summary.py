"""Per area, for citizens: the known barriers per group and a way from the station (issue 16).

The grid of ``test_network_routes`` (station at A, steps between C and D):

    W ---- X ---- Y
    |             |
    A ---- M ---- B ---- C ==steps== D ---- E
                  [ "Midten" ]       [ "Enden" ]
"""

from __future__ import annotations

import pytest
from flask_babel import refresh
from geoalchemy2.shape import from_shape
from shapely.geometry import MultiPolygon, Point, box

from fieldaudit.models import Area, Destination
from fieldaudit.network.area_summary import GroupSummary, area_summary
from fieldaudit.network.lines import read_line_file
from fieldaudit.network.store import replace_network
from tests.test_network_routes import X0, Y0, grid_file

STATION = (X0, Y0)


@pytest.fixture
def places(db, tmp_path):
    lines, _, _ = read_line_file(grid_file(tmp_path))
    replace_network(db.session, lines, tolerance=1.0)
    db.session.add(
        Destination(
            name="Herlev Station", kind="station", geom=from_shape(Point(*STATION), srid=25832)
        )
    )
    areas = {}
    for name, (x1, x2) in {"Midten": (150, 350), "Enden": (350, 550)}.items():
        shape = MultiPolygon([box(X0 + x1, Y0 - 50, X0 + x2, Y0 + 50)])
        areas[name] = Area(name=name, kind="square", geom=from_shape(shape, srid=25832))
        db.session.add(areas[name])
    db.session.commit()
    return areas


def _in(db, report, area):
    report.site.area_id = area.id
    db.session.commit()
    return report.site


def summary(db, area, start=STATION):
    from geoalchemy2.shape import to_shape

    found = area_summary(db.session, area.id, to_shape(area.geom), start)
    return {s.group: (s.barriers, s.reachable) for s in found}


def test_barriers_count_per_group_and_steps_cut_wheelchairs_off(db, places, make_public_report):
    end = places["Enden"]
    _in(db, make_public_report(dx=450), end)  # a 12 cm step: WHEEL blocks, MOB 60 m, VIS none
    found = summary(db, end)
    assert found["WHEEL"] == (1, False)  # the steps C-D are the only way to D and E
    assert found["MOB"] == (1, True)
    assert found["VIS"] == (0, True)
    assert "ALLERGY" not in found  # a group without rules says nothing


def test_only_public_open_sites_count(db, places, make_report, make_public_report):
    middle = places["Midten"]
    _in(db, make_report(dx=250), middle)  # not reviewed: not public
    fixed = _in(db, make_public_report(dx=260, dy=3), middle)
    fixed.status = "fixed"
    db.session.commit()
    assert summary(db, middle)["WHEEL"] == (0, True)
    _in(db, make_public_report(dx=240, dy=-3), middle)
    assert summary(db, middle)["WHEEL"] == (1, True)


def test_a_blocking_barrier_on_the_direct_way_leaves_the_detour(db, places, make_public_report):
    make_public_report(dx=50, dy=2)  # a step between A and M, in no area
    assert summary(db, places["Midten"])["WHEEL"] == (0, True)  # round by W-X-Y
    make_public_report(dx=150, dy=102)  # and one on the detour X-Y
    assert summary(db, places["Midten"])["WHEEL"] == (0, False)
    assert summary(db, places["Midten"])["MOB"] == (0, True)


def test_without_a_start_or_a_network_the_way_is_unknown(db, places):
    assert summary(db, places["Enden"], start=None)["WHEEL"] == (0, None)
    empty = Area(
        name="Uden net",
        kind="square",
        geom=from_shape(MultiPolygon([box(X0, Y0 + 300, X0 + 100, Y0 + 400)]), srid=25832),
    )
    db.session.add(empty)
    db.session.commit()
    assert summary(db, empty)["WHEEL"] == (0, None)
    assert GroupSummary("WHEEL", 0, None) in area_summary(
        db.session, empty.id, box(X0, Y0 + 300, X0 + 100, Y0 + 400), STATION
    )


def test_the_public_area_page_shows_the_summary_in_danish_and_english(
    client, db, places, make_public_report
):
    end = places["Enden"]
    _in(db, make_public_report(dx=450), end)
    page = client.get(f"/barrierer?area={end.id}").get_data(as_text=True)
    assert "Hvad de kendte barrierer betyder i Enden" in page
    assert "Kørestolsbrugere:</strong>" in page
    assert "1 kendt barriere" in page and "0 kendte barrierer" in page
    assert "vej uden spærrende barrierer fra Herlev Station:" in page
    wheel = page.split("Kørestolsbrugere:</strong>")[1].split("</li>")[0]
    assert wheel.split()[-1] == "nej"
    mob = page.split("Gangbesværede, arm- og håndhandicap:</strong>")[1].split("</li>")[0]
    assert mob.split()[-1] == "ja"
    refresh()  # the test's app context keeps the first request's catalogue otherwise
    english = client.get(f"/barrierer?area={end.id}&lang=en").get_data(as_text=True)
    assert "What the known barriers mean in Enden" in english
    assert "1 known barrier" in english and "a way without blocking barriers from" in english
    wheel = english.split("Wheelchair users:</strong>")[1].split("</li>")[0]
    assert wheel.split()[-1] == "no"
    plain = client.get("/barrierer").get_data(as_text=True)
    assert "Hvad de kendte barrierer betyder" not in plain


def test_the_area_around_the_station_is_reached(db, places, make_public_report):
    around = Area(
        name="Stationen",
        kind="station_surroundings",
        geom=from_shape(MultiPolygon([box(X0 - 50, Y0 - 50, X0 + 40, Y0 + 50)]), srid=25832),
    )
    db.session.add(around)
    db.session.commit()
    site = make_public_report(dx=10, dy=2).site  # a step inside it, beside the station
    assert site.area_id == around.id  # placed in the area when it was reported
    assert summary(db, around)["WHEEL"] == (1, True)  # the start is in the area
