"""The what-if page, its exports, the cost estimate and the population grid import (issue 16)."""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess

import pytest
from sqlalchemy import select

from fieldaudit.models import BarrierSite, HistoryEntry, PopulationCell

PAGE = "/planlaegning/hvad-hvis"
ASK = PAGE + "?gruppe=WHEEL&budgettype=antal&budget=3"


@pytest.fixture
def herlev(runner, db, make_public_report):
    """The shipped network, a step at Herlev Station (on it) and one 300 m east (off it)."""
    assert runner.invoke(args=["init"]).exit_code == 0
    on = make_public_report().site
    return on


def _step_on_the_way_to(db, make_public_report, name):
    """A step halfway along the network's edge that ends nearest the named destination."""
    from geoalchemy2.shape import to_shape

    from fieldaudit.crs import to_metric
    from fieldaudit.models import Destination, NetworkEdge

    place = to_shape(
        db.session.scalars(select(Destination).where(Destination.name == name)).one().geom
    )
    edges = [to_shape(e.geom) for e in db.session.scalars(select(NetworkEdge))]
    edge = min(edges, key=lambda line: line.distance(place))
    middle = edge.interpolate(0.5, normalized=True)
    x0, y0 = to_metric(12.4437, 55.7189)
    return make_public_report(dx=middle.x - x0, dy=middle.y - y0).site


def test_the_page_is_for_planners(client, login, herlev):
    assert client.get(ASK).status_code in (302, 401)  # the public is sent to sign in
    login("volunteer")
    assert client.get(ASK).status_code == 403
    login("reviewer")
    assert client.get(ASK).status_code == 403
    login("planner")
    page = client.get(ASK)
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Destinationer der kan nås trinfrit i kørestol fra gitteret:" in text
    assert "100 % → 100 %" in text  # the shipped network has a detour round the station
    assert f'href="/planlaegning/steder/{herlev.id}"' in text
    assert 'class="place-number"' in text and "uden prisoverslag" in text
    assert client.get(PAGE).status_code == 200  # the form alone


def test_bad_budgets_are_refused_in_danish_and_english(client, login, herlev):
    login("planner")
    page = client.get(PAGE + "?gruppe=WHEEL&budgettype=antal&budget=0")
    assert page.status_code == 400
    assert "Skriv et antal steder fra 1 til 100." in page.get_data(as_text=True)
    assert 'aria-invalid="true"' in page.get_data(as_text=True)
    english = client.get(PAGE + "?gruppe=NOPE&budgettype=kroner&budget=mange&lang=en")
    text = english.get_data(as_text=True)
    assert english.status_code == 400
    assert "Enter an amount in whole kroner from 1" in text and "Choose a group." in text
    assert client.get(PAGE + "/eksport.csv?gruppe=WHEEL&budgettype=x&budget=1").status_code == 400
    assert (
        client.get(PAGE + "/eksport.gpkg?gruppe=WHEEL&budgettype=antal&budget=1").status_code == 404
    )


def test_a_dkk_budget_uses_the_estimates_and_lists_the_sites_without(
    client, login, db, herlev, make_public_report, csrf
):
    beside = _step_on_the_way_to(db, make_public_report, "Herlev Bibliotek")
    login("planner")
    response = client.post(
        f"/planlaegning/steder/{herlev.id}/prisoverslag",
        data={"cost": "45.000", "form": "estimate", "csrf_token": csrf()},
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(BarrierSite, herlev.id).planned_cost_dkk == 45_000
    assert db.session.get(BarrierSite, herlev.id).status == "verified"
    entry = db.session.scalars(
        select(HistoryEntry).where(HistoryEntry.action == "estimate_cost")
    ).one()
    assert entry.public is False and entry.after == {"planned_cost_dkk": 45_000}
    text = client.get(PAGE + "?gruppe=WHEEL&budgettype=kroner&budget=50.000").get_data(as_text=True)
    assert "Af budgettet på 50.000 kr. bruger udbedringerne 45.000 kr. i alt." in text
    assert "Uden prisoverslag" in text
    assert f'href="/planlaegning/steder/{beside.id}"' in text


def test_a_bad_estimate_is_refused_in_both_languages(client, login, db, herlev, csrf):
    login("planner")
    url = f"/planlaegning/steder/{herlev.id}/prisoverslag"
    page = client.post(url, data={"cost": "femten", "form": "estimate", "csrf_token": csrf()})
    assert page.status_code == 422
    text = page.get_data(as_text=True)
    assert "Prisoverslaget skal være et helt antal kroner fra 0." in text
    assert 'id="estimate-error"' in text and 'id="cost-error"' not in text
    english = client.post(
        url + "?lang=en", data={"cost": "-5", "form": "estimate", "csrf_token": csrf()}
    )
    assert "The cost estimate must be a whole number of kroner from 0." in english.get_data(
        as_text=True
    )
    assert db.session.get(BarrierSite, herlev.id).planned_cost_dkk is None
    assert (
        client.post(url, data={"cost": "", "csrf_token": csrf()}).status_code == 302
    )  # empty clears


def test_the_exports_parse(client, login, herlev):
    login("planner")
    response = client.get(PAGE + "/eksport.csv?gruppe=WHEEL&budgettype=antal&budget=3")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0]["rang"] == "1" and rows[0]["sted_id"] == str(herlev.id)
    assert rows[0]["kategori"] == "Trin eller dørtrin" and rows[0]["andel_efter"] == "1,0"
    geo = client.get(PAGE + "/eksport.geojson?gruppe=WHEEL&budgettype=antal&budget=3")
    data = json.loads(geo.data)
    assert data["type"] == "FeatureCollection" and data["metadata"]["group"] == "WHEEL"
    feature = data["features"][0]
    assert feature["properties"]["site_id"] == herlev.id
    lon, lat = feature["geometry"]["coordinates"]
    assert 12.3 < lon < 12.5 and 55.6 < lat < 55.8


@pytest.mark.parametrize("name", ["population_grid.geojson", "population_grid.csv"])
def test_the_population_import_is_idempotent(runner, db, name):
    from fieldaudit.network.population import origin_weights, stored_population

    path = f"tests/data/{name}"
    for _ in range(2):
        result = runner.invoke(args=["network", "population", "import", path])
        assert result.exit_code == 0, result.output
        assert "4 cells, 198 people" in result.output
    assert db.session.query(PopulationCell).count() == 4
    cells = sorted(stored_population(db.session), key=lambda c: (c.x, c.y))
    assert (cells[0].x, cells[0].y, cells[0].population) == pytest.approx((716250, 6180150, 120))
    # 250 m origin cells (DDKN-aligned): 120 + 45 people in the first, 33 in the second.
    weights = origin_weights(cells, [(716375.0, 6180125.0), (716625.0, 6180375.0)], 250.0)
    assert weights == [165.0, 33.0]


def test_a_file_without_population_is_refused(runner, db, tmp_path):
    path = tmp_path / "tom.csv"
    path.write_text("x;y;navn\n716250;6180150;Station\n", encoding="utf-8")
    result = runner.invoke(args=["network", "population", "import", str(path)])
    assert result.exit_code != 0 and "no usable population cells" in result.output
    assert db.session.query(PopulationCell).count() == 0


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils")
def test_the_pdf_holds_the_figure_the_list_and_the_map(client, login, herlev, tmp_path):
    login("planner")
    response = client.get(PAGE + "/eksport.pdf?gruppe=WHEEL&budgettype=antal&budget=3")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    path = tmp_path / "hvad-hvis.pdf"
    path.write_bytes(response.data)
    text = subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    text = " ".join(text.split())  # table cells wrap
    (tmp_path.parent / "whatif-test.pdf").write_bytes(response.data)
    assert "Hvad hvis vi udbedrer" in text and "trinfrit i kørestol fra gitteret" in text
    assert "Trin eller dørtrin" in text and "Kort over den valgte udbedring" in text


def test_with_a_population_grid_the_page_counts_residents(runner, client, login, herlev):
    result = runner.invoke(
        args=["network", "population", "import", "tests/data/population_grid.csv"]
    )
    assert result.exit_code == 0, result.output
    login("planner")
    text = client.get(ASK).get_data(as_text=True)
    assert "Andel af borgerne, der kan nå destinationerne trinfrit i kørestol:" in text
    assert "Hvert gitterpunkt vejer med antallet af borgere" in text
    geo = client.get(PAGE + "/eksport.geojson?gruppe=WHEEL&budgettype=antal&budget=3")
    assert json.loads(geo.data)["metadata"]["weighted_by_population"] is True
