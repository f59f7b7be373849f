"""GET /api/v1/map: the sites of a viewport, or grid cells with counts when there are many."""

from __future__ import annotations

import random

HERLEV = "12.39,55.70,12.46,55.76"


def test_few_sites_come_as_sites_with_their_ids(client, herlev, make_public_report):
    first = make_public_report()
    make_public_report(dx=300, category="kerb", severity="low", measurements={})
    response = client.get(f"/api/v1/map?bbox={HERLEV}")
    assert response.status_code == 200
    assert response.mimetype == "application/geo+json"
    answer = response.get_json()
    assert answer["clustered"] is False
    assert {f["id"] for f in answer["features"]} >= {first.site_id}
    feature = next(f for f in answer["features"] if f["id"] == first.site_id)
    assert feature["properties"] == {
        "category": "step",
        "severity": "high",
        "status": "verified",
        "report_count": 1,
    }
    lon, lat = feature["geometry"]["coordinates"]
    assert abs(lon - 12.4437) < 1e-4 and abs(lat - 55.7189) < 1e-4


def test_many_sites_come_as_cells_that_add_up(app, client, herlev, make_public_report):
    rng = random.Random(8)
    for _ in range(12):
        make_public_report(dx=rng.uniform(-900, 900), dy=rng.uniform(-900, 900), measurements={})
    everything = client.get(f"/api/v1/map?bbox={HERLEV}").get_json()
    assert not everything["clustered"] and len(everything["features"]) == 12
    app.config["MAP_MAX_FEATURES"] = 5  # so that 12 sites are "many"
    answer = client.get(f"/api/v1/map?bbox={HERLEV}").get_json()
    assert answer["clustered"] is True and answer["cell_m"] >= 10
    assert 0 < len(answer["features"]) <= 5
    assert sum(f["properties"]["count"] for f in answer["features"]) == 12
    assert all(f["properties"]["cluster"] is True for f in answer["features"])


def test_a_box_far_from_herlev_is_empty_and_a_bad_box_is_refused(client, herlev, make_report):
    make_report()
    far = client.get("/api/v1/map?bbox=10.0,56.0,10.1,56.1")
    assert far.status_code == 200 and far.get_json()["features"] == []
    bad = client.get("/api/v1/map?bbox=12.39,55.70,12.46")
    assert bad.status_code == 400
    assert bad.get_json()["field"] == "bbox"
