"""``fieldaudit network ...``: the file, OpenStreetMap and destination imports (issue 16)."""

from __future__ import annotations

import json
import re

from sqlalchemy import func, select

from fieldaudit.models import Destination, NetworkEdge, NetworkNode

DATA = "data/geo/"


def _counts(db):
    return (
        db.session.scalar(select(func.count(NetworkEdge.id))),
        db.session.scalar(select(func.count(NetworkNode.id))),
    )


def test_shipped_network_imports_and_again_changes_nothing(runner, db):
    first = runner.invoke(args=["network", "import", DATA + "herlev_network.geojson"])
    assert first.exit_code == 0, first.output
    counts = _counts(db)
    assert counts[0] >= 18 and counts[1] >= 15
    again = runner.invoke(args=["network", "import", DATA + "herlev_network.geojson"])
    assert again.exit_code == 0 and _counts(db) == counts
    appended = runner.invoke(
        args=["network", "import", "--append", DATA + "herlev_network.geojson"]
    )
    assert appended.exit_code == 0 and _counts(db) == counts
    assert set(db.session.scalars(select(NetworkEdge.approximate))) == {True}


def test_shipped_destinations_import_idempotently(runner, db):
    args = ["network", "destinations", "import", DATA + "herlev_destinations.geojson"]
    assert "16 created, 0 updated" in runner.invoke(args=args).output
    assert "0 created, 16 updated" in runner.invoke(args=args).output
    assert db.session.scalar(select(func.count(Destination.id))) == 16


def test_the_shipped_network_routes_from_the_station_to_the_library(runner, db, client):
    runner.invoke(args=["network", "import", DATA + "herlev_network.geojson"])
    answer = client.get("/api/v1/route?from=12.4437,55.7189&to=12.4356,55.7255&profile=WHEEL")
    assert answer.status_code == 200
    assert 800 < answer.get_json()["properties"]["length_m"] < 1500


def test_fetch_osm_prints_its_query(runner):
    result = runner.invoke(args=["network", "fetch-osm", "--print-query"])
    assert result.exit_code == 0 and 'way["highway"~' in result.output


def test_fetch_osm_from_a_saved_answer(runner, db, tmp_path):
    def way(number, coords, **tags):
        return {
            "type": "way",
            "id": number,
            "tags": tags,
            "geometry": [{"lon": lon, "lat": lat} for lon, lat in coords],
        }

    answer = {
        "elements": [
            way(1, [(12.4437, 55.7189), (12.4425, 55.7210)], highway="footway", width="1.2"),
            way(2, [(12.4425, 55.7210), (12.4413, 55.7233)], highway="steps", incline="up"),
            way(3, [(12.4425, 55.7210), (12.4400, 55.7210)], highway="path", surface="gravel"),
            way(4, [(1.0, 1.0), (1.1, 1.1)], highway="footway"),  # far away: skipped
            {"type": "way", "id": 5, "tags": {"name": "no highway"}, "geometry": []},
        ]
    }
    path = tmp_path / "answer.json"
    path.write_text(json.dumps(answer))
    result = runner.invoke(args=["network", "fetch-osm", "--from-file", str(path)])
    assert result.exit_code == 0, result.output
    assert "3 lines -> 3 edges, 4 nodes" in result.output
    steps = db.session.scalar(select(NetworkEdge).where(NetworkEdge.highway == "steps"))
    assert steps.ref == "osm way/2" and steps.incline_pct is None
    footway = db.session.scalar(select(NetworkEdge).where(NetworkEdge.highway == "footway"))
    assert footway.width_m == 1.2


def test_a_file_without_lines_changes_nothing(runner, db, tmp_path):
    runner.invoke(args=["network", "import", DATA + "herlev_network.geojson"])
    counts = _counts(db)
    path = tmp_path / "points.geojson"
    path.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {},
                        "geometry": {"type": "Point", "coordinates": [12.44, 55.72]},
                    }
                ],
            }
        )
    )
    result = runner.invoke(args=["network", "import", str(path)])
    assert result.exit_code != 0 and "no usable lines" in result.output
    assert _counts(db) == counts


def test_impact_on_the_shipped_network(runner, db, make_public_report):
    assert runner.invoke(args=["init"]).exit_code == 0
    site = make_public_report().site  # a 12 cm step at Herlev Station: on the network
    result = runner.invoke(args=["network", "impact", "--group", "WHEEL", "--what-if", "1"])
    assert result.exit_code == 0, result.output
    assert f"site {site.id:6d}:" in result.output
    assert "What-if, fix " + str(site.id) in result.output
    vis = runner.invoke(args=["network", "impact", "--group", "VIS"])
    assert "0 sites matter" in vis.output


def test_the_step_free_route_page_answers_in_words(runner, db, client, make_public_report):
    from fieldaudit.models import Destination

    assert runner.invoke(args=["init"]).exit_code == 0
    ids = {d.name: d.id for d in db.session.scalars(select(Destination))}
    station, library = ids["Herlev Station"], ids["Herlev Bibliotek"]
    empty = client.get("/trinfri-vej").get_data(as_text=True)
    assert "Find en trinfri vej" in empty and "Herlev Bibliotek</option>" in empty
    page = client.get(f"/trinfri-vej?fra={station}&til={library}&gruppe=WHEEL")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Vejen fra Herlev Station til Herlev Bibliotek" in text
    assert "meter ad Herlev Bygade." in text and "Fra Herlev" not in text
    assert "Vi kender ingen barrierer på denne vej" in text
    bad = client.get("/trinfri-vej?fra=999999&til=x&gruppe=NOBODY")
    assert bad.status_code == 200 and "Vejen fra" not in bad.get_data(as_text=True)


def test_the_step_free_route_page_in_english(runner, client):
    """Without the ``db`` fixture's app context, so each request picks its own language."""
    import re

    assert runner.invoke(args=["init"]).exit_code == 0
    form = client.get("/trinfri-vej?lang=en").get_data(as_text=True)
    ids = dict(
        (name, number) for number, name in re.findall(r'<option value="(\d+)" >([^<]+)<', form)
    )
    page = client.get(
        f"/trinfri-vej?fra={ids['Herlev Station']}&til={ids['Herlev Bibliotek']}&gruppe=MOB"
    ).get_data(as_text=True)
    assert "Find a step-free route" in page
    assert "The route from Herlev Station to Herlev Bibliotek" in page
    assert "metres along Herlev Bygade." in page
    point = client.get(f"/trinfri-vej?fra=12.4437,55.7189&til={ids['Herlev Bibliotek']}")
    assert "Point on the map (55.71890 N, 12.44370 E)" in point.get_data(as_text=True)


def test_the_shipped_routes_directions_read_well(runner, db, client):
    """Station to library on the shipped network: the unnamed approximate lines are paths."""
    from fieldaudit.models import Destination

    assert runner.invoke(args=["init"]).exit_code == 0
    ids = {d.name: d.id for d in db.session.scalars(select(Destination))}
    page = client.get(
        f"/trinfri-vej?fra={ids['Herlev Station']}&til={ids['Herlev Bibliotek']}&gruppe=WHEEL"
    ).get_data(as_text=True)
    steps = re.findall(r"<li>((?:Gå|Drej|Fortsæt)[^<]*)</li>", page)
    assert steps == [
        "Gå 513 meter ad stien.",
        "Drej til venstre og gå 115 meter ad gågaden.",
        "Drej til højre og gå 331 meter ad Herlev Bygade.",
    ]


def test_the_step_free_route_page_takes_points_on_the_map(runner, db, client):
    """The map's choices are LON,LAT in the same form: answered without any script."""
    assert runner.invoke(args=["init"]).exit_code == 0
    library = db.session.scalar(
        select(Destination.id).where(Destination.name == "Herlev Bibliotek")
    )
    page = client.get(f"/trinfri-vej?fra=12.4437,55.7189&til={library}&gruppe=WHEEL")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Vejen fra et punkt på kortet til Herlev Bibliotek" in text
    assert (
        '<option value="12.443700,55.718900" data-map-point selected>'
        "Punkt på kortet (55,71890 N, 12,44370 Ø)</option>"
    ) in text
    assert "meter ad Herlev Bygade." in text and 'class="route-line"' in text
    picker = json.loads(re.search(r'id="route-picker-data">(.*?)</script>', text, re.S).group(1))
    assert picker["fra"] == [12.4437, 55.7189] and picker["route"]["type"] == "LineString"
    assert picker["texts"]["point"] == "Punkt på kortet (%(lat)s N, %(lon)s Ø)"


def test_a_point_outside_herlev_is_refused_in_words(runner, db, client):
    assert runner.invoke(args=["init"]).exit_code == 0
    for query in ("fra=1.0,50.0&til=12.4356,55.7255", "fra=12.44,55.72&til=nonsense"):
        text = client.get(f"/trinfri-vej?{query}").get_data(as_text=True)
        assert "Vælg igen: vi kender ikke det valgte sted" in text and "Vejen fra" not in text
