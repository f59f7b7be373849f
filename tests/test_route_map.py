"""The step-free route's map without tiles (issue 16), on the routes' grid (SpatiaLite, PostGIS).

W(0,100) ---- X(100,100) ---- Y(200,100)
   |                             |
A(0,0) ---- M(100,0) ---------- B(200,0) ---- C ==steps== D ---- E
"""

from __future__ import annotations

import re

import pytest
from geoalchemy2.shape import from_shape
from shapely.geometry import LineString, Point

from fieldaudit.models import Destination
from fieldaudit.network.lines import read_line_file
from fieldaudit.network.route_map import route_map
from fieldaudit.network.store import replace_network
from tests.test_network_routes import X0, Y0, grid_file


def _path_points(path):
    return [(float(x), float(y)) for x, y in re.findall(r"[ML](-?[\d.]+) (-?[\d.]+)", path)]


def test_the_route_and_its_barriers_are_drawn_in_metres_north_up():
    line = LineString([(X0, Y0), (X0, Y0 + 100), (X0 + 200, Y0 + 100), (X0 + 200, Y0)])
    drawn = route_map([], line, [(7, X0 + 100, Y0 + 102)])
    points = _path_points(drawn.path)
    assert len(points) == 4
    sx, sy = drawn.start
    assert points[0] == pytest.approx((sx, sy), abs=0.1)
    assert points[1] == pytest.approx((sx, sy - 100), abs=0.1)  # north is up: y falls
    assert points[3] == pytest.approx(drawn.end, abs=0.1)
    assert drawn.end == pytest.approx((sx + 200, sy), abs=0.1)
    ((site_id, bx, by),) = drawn.barriers
    assert (site_id, bx, by) == (
        7,
        pytest.approx(sx + 100, abs=0.1),
        pytest.approx(sy - 102, abs=0.1),
    )
    assert drawn.base.markers == []  # the frame carries no stray markers of its own
    assert 0 < sx < bx < drawn.end[0] < drawn.base.width  # everything inside the frame
    assert 0 < by < sy < drawn.base.height
    assert drawn.base.width >= 400  # at least 200 m each side of the middle


@pytest.fixture
def places(db, tmp_path):
    lines, _, _ = read_line_file(grid_file(tmp_path))
    replace_network(db.session, lines, tolerance=1.0)
    found = {}
    for name, x in {"Stationen": 0, "Biblioteket": 200}.items():
        found[name] = Destination(
            name=name, kind="station", geom=from_shape(Point(X0 + x, Y0), srid=25832)
        )
        db.session.add(found[name])
    db.session.commit()
    return {name: d.id for name, d in found.items()}


def _page(client, places, group):
    url = f"/trinfri-vej?fra={places['Stationen']}&til={places['Biblioteket']}&gruppe={group}"
    return client.get(url).get_data(as_text=True)


def test_the_route_page_draws_the_route_and_numbers_the_barriers_on_it(
    client, db, places, make_public_report
):
    site = make_public_report(dx=50, dy=2).site  # a 12 cm step: 60 m for MOB, blocks WHEEL
    mob = _page(client, places, "MOB")
    assert 'class="route-line"' in mob
    assert mob.count('class="place-marker"') == 1
    assert re.search(r'<text class="place-number"[^>]*>1</text>', mob)
    listed = mob.split('<ol class="route-barriers">')[1].split("</ol>")[0]
    assert f"/barrierer/{site.id}" in listed
    assert "Kort over vejen fra Stationen til Biblioteket." in mob
    assert "Den nummererede røde prik er barrieren i listen ovenfor." in mob
    assert 'role="img" aria-labelledby="route-map-caption"' in mob
    line = _path_points(re.search(r'class="route-line" d="([^"]+)"', mob).group(1))
    assert len(line) == 3 and {y for _, y in line} == {line[0][1]}  # A-M-B, straight east

    wheel = _page(client, places, "WHEEL")  # round by W-X-Y: the detour's corners are drawn
    line = _path_points(re.search(r'class="route-line" d="([^"]+)"', wheel).group(1))
    assert len(line) == 5 and line[1][1] == pytest.approx(line[0][1] - 100, abs=0.2)  # A-W-X-Y-B
    assert 'class="place-marker"' not in wheel
    assert "Den nummererede røde prik" not in wheel
    assert "Kort over vejen fra Stationen til Biblioteket." in wheel


def test_no_route_no_map(client, db, places):
    empty = client.get("/trinfri-vej").get_data(as_text=True)
    assert "route-map" not in empty
    far = Destination(name="Enden", kind="square", geom=from_shape(Point(X0 + 500, Y0), srid=25832))
    db.session.add(far)
    db.session.commit()
    page = client.get(f"/trinfri-vej?fra={places['Stationen']}&til={far.id}&gruppe=WHEEL")
    text = page.get_data(as_text=True)
    assert "Vi kender ingen vej" in text and "route-map" not in text
