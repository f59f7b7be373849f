"""OpenStreetMap kerb nodes on the walking network (issue 16): read from a file's points and
from an Overpass answer, put on the line that crosses each, and what each group makes of them.

The grid (metres from Herlev Station, EPSG:25832): a direct way of 200 m through a crossing
P-Q, and a detour of 260 m::

    (0,30) ------------------------------ (200,30)
      |                                       |
    A(0,0) ---- P(90,0) ==crossing== Q(110,0) ---- B(200,0)
"""

from __future__ import annotations

import json

import pytest
from shapely.geometry import LineString, Point
from sqlalchemy import select

from fieldaudit.crs import to_wgs84
from fieldaudit.models import NetworkEdge
from fieldaudit.network import routing
from fieldaudit.network.kerbs import KerbNode, apply_kerbs, kerb_from_tags, with_kerb
from fieldaudit.network.lines import EdgeFacts, NetworkLine
from fieldaudit.network.osm import network_query, parse_network_answer

from .test_network_routes import X0, Y0, lonlat


@pytest.fixture(autouse=True)
def fresh_process():
    """Each test starts without a kept router, as a new process would: the PostGIS test
    database keeps its address between tests while its edges are numbered from 1 again, so the
    same grid with other kerbs could match the previous test's router. Within a database, a new
    import gets new edge numbers (tested below)."""
    routing._CACHE.clear()


DIRECT = [
    ([(0, 0), (90, 0)], {"highway": "footway"}),
    ([(90, 0), (110, 0)], {"highway": "footway", "footway": "crossing"}),
    ([(110, 0), (200, 0)], {"highway": "footway"}),
]
DETOUR = [([(0, 0), (0, 30), (200, 30), (200, 0)], {"highway": "footway"})]


def network_file(tmp_path, kerbs, lines=(*DIRECT, *DETOUR)):
    """The grid's lines and kerb points (x, y, tags) as one GeoJSON file in EPSG:25832."""
    features = [
        {
            "type": "Feature",
            "properties": props,
            "geometry": {"type": "LineString", "coordinates": [[X0 + x, Y0 + y] for x, y in c]},
        }
        for c, props in lines
    ] + [
        {
            "type": "Feature",
            "properties": tags,
            "geometry": {"type": "Point", "coordinates": [X0 + x, Y0 + y]},
        }
        for x, y, tags in kerbs
    ]
    path = tmp_path / "kerbs.geojson"
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


def route(client, profile):
    answer = client.get(f"/api/v1/route?from={lonlat(0, 0)}&to={lonlat(200, 0)}&profile={profile}")
    assert answer.status_code == 200, answer.get_json()
    found = answer.get_json()["properties"]
    return round(found["length_m"]), round(found["cost_m"])


def imported(runner, tmp_path, kerbs, lines=(*DIRECT, *DETOUR)):
    result = runner.invoke(args=["network", "import", str(network_file(tmp_path, kerbs, lines))])
    assert result.exit_code == 0, result.output
    return result.output


# -- the rules, without a database --------------------------------------------------------


def line(coords, **tags):
    return NetworkLine(LineString(coords), EdgeFacts(highway=tags.get("highway", "footway")))


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        ({"kerb": "raised"}, ("raised", "")),
        ({"kerb": "lowered", "tactile_paving": "no"}, ("lowered", "no")),
        ({"kerb": "flush", "tactile_paving": "yes"}, ("flush", "yes")),
        ({"barrier": "kerb"}, ("yes", "")),  # a kerb of unknown height
        ({"barrier": "kerb", "kerb": "weird"}, ("yes", "")),
        ({"kerb": "no"}, None),
        ({"kerb": float("nan")}, None),  # an empty numeric field from a file
        ({"highway": "crossing"}, None),
    ],
)
def test_kerb_tags(tags, expected):
    assert kerb_from_tags(tags) == expected


def test_the_highest_kerb_counts_and_no_tactile_paving_sticks():
    facts = with_kerb(EdgeFacts(), "lowered", "no")
    facts = with_kerb(facts, "flush", "yes")
    assert (facts.kerb, facts.tactile_paving) == ("lowered", "no")
    assert with_kerb(facts, "raised", "").kerb == "raised"


def test_a_kerb_goes_to_the_crossing_beside_it():
    lines = [line([(0, 0), (90, 0)]), line([(90, 0), (110, 0)], highway="crossing")]
    found, unplaced = apply_kerbs(lines, [KerbNode(Point(90, 0), "raised")])
    assert unplaced == [] and [x.facts.kerb for x in found] == ["", "raised"]


def test_a_kerb_inside_a_line_cuts_it_and_the_shorter_piece_carries_it():
    found, _ = apply_kerbs([line([(0, 0), (200, 0)])], [KerbNode(Point(150, 0.4), "raised")])
    assert [(round(x.geometry.length), x.facts.kerb) for x in found] == [(150, ""), (50, "raised")]
    assert found[0].geometry.coords[-1] == found[1].geometry.coords[0]  # noded together


def test_a_kerb_where_a_connector_meets_a_pavement_goes_to_the_connector():
    pavement = line([(0, -50), (0, 50)])  # passes the point: does not cross the kerb
    connector = line([(0, 0), (15, 0)])
    found, _ = apply_kerbs([pavement, connector], [KerbNode(Point(0, 0), "raised")])
    assert [(round(x.geometry.length), x.facts.kerb) for x in found] == [(100, ""), (15, "raised")]


def test_a_kerb_where_lines_end_goes_to_the_shortest_and_a_far_kerb_to_none():
    lines = [line([(0, 0), (90, 0)]), line([(90, 0), (95, 0)]), line([(90, 0), (90, 50)])]
    far = KerbNode(Point(50, 20), "raised")
    found, unplaced = apply_kerbs(lines, [KerbNode(Point(90, 0), "rolled"), far])
    assert [x.facts.kerb for x in found] == ["", "rolled", ""] and unplaced == [far]


# -- imported files and what the groups do ------------------------------------------------


def test_a_raised_kerb_sends_wheelchairs_round_and_costs_mob_its_penalty(
    runner, client, db, tmp_path
):
    imported(runner, tmp_path, [(90, 0, {"kerb": "raised", "barrier": "kerb"})])
    crossing = db.session.scalar(select(NetworkEdge).where(NetworkEdge.highway == "crossing"))
    assert crossing.kerb == "raised" and round(crossing.length_m) == 20
    assert route(client, "WHEEL") == (260, 260)  # blocked: the detour
    assert route(client, "MOB") == (200, 250)  # 50 m penalty, cheaper than 60 m round
    assert route(client, "VIS") == (200, 200)  # not blocked by a kerb


def test_without_kerbs_everyone_goes_straight_until_a_kerb_is_imported(runner, client, tmp_path):
    imported(runner, tmp_path, [])
    assert [route(client, g) for g in ("WHEEL", "MOB", "VIS")] == [(200, 200)] * 3
    # The same lines again with a kerb: the kept router is not used for the new facts.
    imported(runner, tmp_path, [(110, 0, {"kerb": "raised"})])
    assert route(client, "WHEEL") == (260, 260)


@pytest.mark.parametrize(("tactile", "vis"), [("no", (260, 260)), ("yes", (200, 200))])
def test_a_lowered_kerb_without_tactile_paving_costs_blind_people(
    runner, client, db, tmp_path, tactile, vis
):
    kerbs = [(110, 0, {"kerb": "lowered", "tactile_paving": tactile})]
    imported(runner, tmp_path, kerbs)
    crossing = db.session.scalar(select(NetworkEdge).where(NetworkEdge.highway == "crossing"))
    assert crossing.kerb == f"lowered;tactile={tactile}"
    assert route(client, "VIS") == vis  # 100 m penalty > 60 m detour: round it
    assert route(client, "WHEEL") == (200, 200)


def test_a_kerb_inside_a_line_and_a_kerb_off_the_lines(runner, client, db, tmp_path):
    lines = [([(0, 0), (200, 0)], {"highway": "footway"}), *DETOUR]
    kerbs = [(150, 0, {"kerb": "raised"}), (100, 15, {"kerb": "raised"})]
    output = imported(runner, tmp_path, kerbs, lines)
    assert "a kerb more than 1 m from every line" in output
    pieces = db.session.execute(
        select(NetworkEdge.length_m, NetworkEdge.kerb).where(NetworkEdge.highway == "footway")
    ).all()
    assert sorted((round(m), k) for m, k in pieces) == [(50, "raised"), (150, ""), (260, "")]
    assert route(client, "WHEEL") == (260, 260)
    again = imported(runner, tmp_path, kerbs, lines)  # idempotent, with --append too
    appended = runner.invoke(
        args=["network", "import", "--append", str(network_file(tmp_path, kerbs, lines))]
    )
    assert appended.exit_code == 0 and again
    assert len(db.session.scalars(select(NetworkEdge)).all()) == 3


# -- OpenStreetMap --------------------------------------------------------------------------


def test_the_overpass_query_asks_for_the_kerb_nodes_on_the_ways(runner):
    query = network_query()
    assert "->.ways;" in query and 'node(w.ways)["kerb"];' in query
    assert 'node(w.ways)["barrier"="kerb"];' in query
    printed = runner.invoke(args=["network", "fetch-osm", "--print-query"]).output
    assert 'node(w.ways)["kerb"]' in printed


def osm_answer(kerb_tags):
    def at(x, y):
        lon, lat = to_wgs84(X0 + x, Y0 + y)
        return {"lon": lon, "lat": lat}

    def way(number, coords, **tags):
        return {"type": "way", "id": number, "tags": tags, "geometry": [at(*c) for c in coords]}

    ways = [way(i + 1, c, **t) for i, (c, t) in enumerate((*DIRECT, *DETOUR))]
    node = {"type": "node", "id": 77, **at(90, 0), "tags": kerb_tags}
    stray = {"type": "node", "id": 78, **at(100, 15), "tags": {"barrier": "kerb"}}
    return {"elements": [*ways, node, stray, {"type": "node", "id": 79, "lat": 55.7}]}


def test_kerb_nodes_from_an_overpass_answer(runner, client, db, tmp_path):
    lines, skipped = parse_network_answer(osm_answer({"kerb": "raised"}))
    assert [x.facts.kerb for x in lines] == ["", "raised", "", ""]
    assert skipped == ["node/78: a kerb on none of the ways"]
    path = tmp_path / "answer.json"
    path.write_text(json.dumps(osm_answer({"barrier": "kerb", "kerb": "raised"})))
    result = runner.invoke(args=["network", "fetch-osm", "--from-file", str(path)])
    assert result.exit_code == 0, result.output
    assert route(client, "WHEEL") == (260, 260) and route(client, "MOB") == (200, 250)


def test_kerb_rules_are_published(client):
    profiles = {
        p["group"]: p for p in client.get("/api/v1/network/profiles").get_json()["profiles"]
    }
    vis = profiles["VIS"]["edge_rules"]
    assert vis == [
        {
            "fact": "kerb_low_no_tactile",
            "effect": "penalty",
            "penalty_m": 100.0,
            "label": {
                "da": "sænket kantsten uden varselsfelt (tactile_paving=no)",
                "en": "lowered kerb without tactile paving (tactile_paving=no)",
            },
        }
    ]
    assert {r["fact"] for r in profiles["WHEEL"]["edge_rules"]} >= {"kerb_raised", "kerb_rolled"}


def test_kerb_rules_are_explained_in_plain_words(client):
    page = client.get("/planlaegning/saadan-prioriterer-vi").get_data(as_text=True)
    assert "sænket kantsten uden varselsfelt (tactile_paving=no): straf på 100 m omvej" in page
    assert "afrundet kantsten (kerb=rolled): straf på 50 m omvej" in page
    english = client.get("/planlaegning/saadan-prioriterer-vi?lang=en").get_data(as_text=True)
    assert "kerb of unknown height (barrier=kerb): 100 m detour penalty" in english
