"""Step-free routes on a small grid with known distances (issue 16), on SpatiaLite and PostGIS.

    W(0,100) ---- X(100,100) ---- Y(200,100)        the detour: 400 m from A to B
       |                             |
    A(0,0) ---- M(100,0) ---------- B(200,0) ---- C(300,0) ==steps== D(400,0) ---- E(500,0)

Coordinates are metres from Herlev Station (EPSG:25832). A barrier is put 50 m from A.
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text

from fieldaudit.crs import to_metric, to_wgs84
from fieldaudit.network.lines import read_line_file
from fieldaudit.network.store import replace_network

X0, Y0 = to_metric(12.4437, 55.7189)
LINES = [
    ([(0, 0), (100, 0), (200, 0)], {"highway": "footway", "name": "Direkte sti"}),
    ([(0, 0), (0, 100), (100, 100)], {"highway": "footway"}),
    ([(100, 100), (200, 100), (200, 0)], {"highway": "footway"}),
    ([(200, 0), (300, 0)], {"highway": "footway"}),
    ([(300, 0), (400, 0)], {"highway": "steps"}),
    ([(400, 0), (500, 0)], {"highway": "footway", "surface": "asphalt", "width": "2"}),
]


def grid_file(tmp_path):
    """The grid as a GeoJSON file in EPSG:25832."""
    features = [
        {
            "type": "Feature",
            "properties": props,
            "geometry": {
                "type": "LineString",
                "coordinates": [[X0 + x, Y0 + y] for x, y in coords],
            },
        }
        for coords, props in LINES
    ]
    path = tmp_path / "grid.geojson"
    path.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::25832"}},
                "features": features,
            }
        )
    )
    return path


@pytest.fixture
def grid(db, tmp_path):
    lines, skipped, srid = read_line_file(grid_file(tmp_path))
    assert (len(lines), skipped, srid) == (6, [], 25832)
    noded = replace_network(db.session, lines, tolerance=1.0)
    db.session.commit()
    return noded


def lonlat(x, y):
    lon, lat = to_wgs84(X0 + x, Y0 + y)
    return f"{lon:.7f},{lat:.7f}"


def route(client, profile, start=(0, 0), end=(200, 0)):
    return client.get(f"/api/v1/route?from={lonlat(*start)}&to={lonlat(*end)}&profile={profile}")


def test_grid_is_noded_at_its_junctions_only(grid):
    assert len(grid.nodes) == 6  # A, X, B, C, D, E (nothing meets at M, W or Y)
    lengths = sorted(round(e.geometry.length) for e in grid.edges)
    assert lengths == [100, 100, 100, 200, 200, 200]


def test_import_twice_and_append_give_the_same_graph(db, grid, tmp_path):
    lines, _, _ = read_line_file(grid_file(tmp_path))
    again = replace_network(db.session, lines, append=True)
    assert len(again.edges) == len(grid.edges) and len(again.nodes) == len(grid.nodes)
    count = db.session.execute(text("SELECT count(*) FROM network_edges")).scalar()
    assert count == len(grid.edges)


def test_without_barriers_every_group_goes_straight(client, grid):
    for profile in ("WHEEL", "MOB", "VIS"):
        answer = route(client, profile)
        assert answer.status_code == 200
        props = answer.get_json()["properties"]
        assert props["length_m"] == pytest.approx(200, abs=0.5)
        assert props["barriers_avoided"] == [] and props["barriers_on_route"] == []
        assert answer.get_json()["geometry"]["type"] == "LineString"


def test_a_blocking_step_forces_the_detour_for_wheelchairs_only(client, grid, make_public_report):
    site = make_public_report(dx=50, dy=2).site  # a 12 cm step: blocks WHEEL, 60 m for MOB
    wheel = route(client, "WHEEL").get_json()["properties"]
    assert wheel["length_m"] == pytest.approx(400, abs=0.5)
    assert wheel["barriers_avoided"] == [site.id]
    assert wheel["barriers_on_route"] == []
    mob = route(client, "MOB").get_json()["properties"]
    assert mob["length_m"] == pytest.approx(200, abs=0.5)  # 60 m penalty < 200 m detour
    assert mob["barriers_on_route"] == [
        {"id": site.id, "category": "step", "severity": "high", "penalty_m": 60.0}
    ]
    vis = route(client, "VIS").get_json()["properties"]
    assert vis["length_m"] == pytest.approx(200, abs=0.5)
    assert vis["barriers_avoided"] == [] and vis["barriers_on_route"] == []


@pytest.mark.parametrize(("width_cm", "expected_m"), [(100, 200), (80, 400)])
def test_a_measured_width_blocks_only_below_the_profiles_limit(
    client, grid, make_public_report, width_cm, expected_m
):
    """A passage of 100 cm breaks BR18 (130 cm) but lets a wheelchair by: 100 m penalty."""
    make_public_report(
        dx=50,
        category="narrow_passage",
        measurements={"clear_width": {"value": width_cm, "unit": "cm"}},
    )
    wheel = route(client, "WHEEL").get_json()["properties"]
    assert wheel["length_m"] == pytest.approx(expected_m, abs=0.5)
    penalties = [b["penalty_m"] for b in wheel["barriers_on_route"]]
    assert penalties == ([100.0] if expected_m == 200 else [])


@pytest.mark.parametrize(
    ("severity", "expected_m"),
    [("medium", 200), ("high", 400)],  # 150 m < 200 m detour: stay; 300 m > 200 m: go round
)
def test_a_penalty_changes_the_route_only_when_the_detour_is_shorter(
    client, grid, make_public_report, severity, expected_m
):
    site = make_public_report(dx=50, category="surface", severity=severity, measurements={}).site
    wheel = route(client, "WHEEL").get_json()["properties"]
    assert wheel["length_m"] == pytest.approx(expected_m, abs=0.5)
    assert wheel["barriers_avoided"] == ([site.id] if expected_m == 400 else [])


def test_a_fixed_barrier_no_longer_counts(client, db, grid, make_public_report):
    site = make_public_report(dx=50).site
    assert route(client, "WHEEL").get_json()["properties"]["length_m"] == pytest.approx(400, 0.01)
    site.status = "fixed"
    db.session.commit()
    assert route(client, "WHEEL").get_json()["properties"]["length_m"] == pytest.approx(200, 0.01)


def test_no_route_is_404_and_only_for_the_blocked_group(client, grid):
    wheel = route(client, "WHEEL", end=(500, 0))
    assert wheel.status_code == 404
    assert wheel.get_json()["error"] == "no_route"
    mob = route(client, "MOB", end=(500, 0))  # steps cost MOB 10 m per metre, but no block
    assert mob.status_code == 200
    assert mob.get_json()["properties"]["length_m"] == pytest.approx(500, abs=0.5)


def test_a_route_from_the_middle_of_an_edge(client, grid):
    props = route(client, "VIS", start=(30, 3), end=(170, -2)).get_json()["properties"]
    assert props["length_m"] == pytest.approx(140, abs=0.5)


@pytest.mark.parametrize(
    "query",
    [
        "from=1,2&to=12.44,55.72&profile=WHEEL",
        "from=12.44,55.72&to=x&profile=WHEEL",
        "from=12.44,55.72&to=12.44,55.72&profile=NOBODY",
        "to=12.44,55.72&profile=WHEEL",
    ],
)
def test_bad_parameters_are_400(client, grid, query):
    answer = client.get(f"/api/v1/route?{query}")
    assert answer.status_code == 400


def test_no_network_is_no_route(client, db):
    answer = client.get(f"/api/v1/route?from={lonlat(0, 0)}&to={lonlat(10, 0)}&profile=VIS")
    assert answer.status_code == 404 and answer.get_json()["error"] == "no_route"


def test_profiles_are_published(client):
    body = client.get("/api/v1/network/profiles").get_json()
    groups = [p["group"] for p in body["profiles"]]
    assert groups == ["WHEEL", "MOB", "VIS", "HEAR", "ALLERGY", "COG", "READ"]
    wheel = body["profiles"][0]
    assert {
        "category": "step",
        "effect": "block",
        "measurement": "threshold_height",
        "above": 2.5,
        "penalty_m": 0.0,
    } in wheel["site_rules"]
    assert wheel["edge_rules"][0]["fact"] == "steps"


def _at_node(graph, node):
    edge = graph.edge_at(node)
    return edge, 0.0 if int(graph.u[edge]) == node else 1.0


def test_pgrouting_gives_the_same_route_lengths(db, grid, make_public_report):
    """pgRouting (the field's engine on PostGIS) gets the same network and costs per group and
    finds routes of the same cost and length between every pair of nodes."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("pgRouting runs on PostGIS")
    import math

    from fieldaudit.network.profiles import PROFILES
    from fieldaudit.network.routing import load_router

    make_public_report(dx=50, dy=2)  # a 12 cm step on A-B: blocks WHEEL, 60 m for MOB
    make_public_report(dx=450, category="surface", severity="high", measurements={})
    router = load_router(db.session)
    graph = router.graph
    compared = 0
    for code in ("WHEEL", "MOB", "VIS"):
        prepared = router.costs_for(PROFILES[code]).prepared
        rows = ", ".join(
            f"({i + 1}, {int(graph.u[i]) + 1}, {int(graph.v[i]) + 1}, "
            f"{cost if math.isfinite(cost) else -1.0})"
            for i, cost in enumerate(prepared.costs.tolist())
        )
        db.session.execute(text("DROP TABLE IF EXISTS pgr_edges"))
        db.session.execute(
            text(
                f"CREATE TEMP TABLE pgr_edges AS SELECT * FROM (VALUES {rows}) "
                "AS e(id, source, target, cost)"
            )
        )
        for a in range(graph.n):
            for b in range(graph.n):
                if a == b:
                    continue
                ours = graph.shortest(prepared, _at_node(graph, a), _at_node(graph, b))
                found = db.session.execute(
                    text(
                        "SELECT edge, agg_cost FROM pgr_dijkstra('SELECT id, source, target, "
                        "cost, cost AS reverse_cost FROM pgr_edges', :a, :b, directed => false) "
                        "ORDER BY seq"
                    ),
                    {"a": a + 1, "b": b + 1},
                ).all()
                if ours is None:
                    assert found == []
                    continue
                theirs_cost = found[-1][1]
                theirs_length = sum(graph.length[e - 1] for e, _ in found if e > 0)
                ours_length = sum(abs(s.end - s.start) * graph.length[s.edge] for s in ours.steps)
                assert ours.cost == pytest.approx(theirs_cost, abs=1e-3)
                assert ours_length == pytest.approx(theirs_length, abs=1e-3)
                compared += 1
    db.session.rollback()
    assert compared > 40  # WHEEL cannot pass the steps: fewer pairs than 3 x 30


def test_profiles_are_explained_in_danish_and_english_beside_the_weights(client):
    danish = client.get("/planlaegning/saadan-prioriterer-vi").get_data(as_text=True)
    assert "Barrierer på vejen: hvad de betyder for hver målgruppe" in danish
    assert "Trin eller dørtrin, højde på trin over 2,5 cm: spærrer vejen" in danish
    assert "hældning over 5 %: hver meter tæller 2 m ekstra" in danish
    english = client.get("/planlaegning/saadan-prioriterer-vi?lang=en").get_data(as_text=True)
    assert "Barriers on the way: what they mean for each group" in english
    assert "Step or threshold, step height above 2.5 cm: blocks the way" in english
