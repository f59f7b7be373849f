"""Benchmarks at a small size (so they cannot rot): the generator, the in-memory clustering
against site_rebuild.rebuild, the bulk loader, every benchmark function and the report.

No timing is asserted: only that each runs and gives sane answers.
"""

import importlib.util
import json
import os
from collections import Counter
from itertools import pairwise
from pathlib import Path

import pytest
from shapely.geometry import Point
from sqlalchemy import func, select

from fieldaudit.bench.clustering import build_sites
from fieldaudit.bench.generate import AreaLocator, AreaShape, generate, locate_areas
from fieldaudit.bench.load import areas_from_database, load
from fieldaudit.map_aggregation import (
    cell_size_for,
    grid_counts,
    map_features,
    map_features_json,
    sites_in_bbox,
)
from fieldaudit.models import BarrierReport, BarrierSite
from fieldaudit.site_rebuild import rebuild
from fieldaudit.status import PUBLIC_SITE_STATUSES
from fieldaudit.taxonomy import CATEGORIES, MUNICIPALITY
from scripts.bench import suites
from scripts.bench.report import merge, render, table

from .conftest import TEST_DB

ROOT = Path(__file__).resolve().parent.parent
N = 2000


@pytest.fixture(scope="module")
def herlev_shapes(herlev_plans):
    shapes = []
    for plan in herlev_plans:
        for feature in plan.features:
            shapes.append(
                AreaShape(
                    len(shapes) + 1,
                    feature.name,
                    feature.kind,
                    feature.geometry,
                    feature.importance,
                )
            )
    return shapes


def test_generator_is_deterministic_and_realistic(herlev_shapes):
    first = generate(N, herlev_shapes, seed=5)
    again = generate(N, herlev_shapes, seed=5)
    other = generate(N, herlev_shapes, seed=6)
    assert [(r.uuid, r.x, r.y, r.category) for r in first.reports] == [
        (r.uuid, r.x, r.y, r.category) for r in again.reports
    ]
    assert first.reports[0].uuid != other.reports[0].uuid
    reports = first.reports
    assert len(reports) == N
    assert [r.id for r in reports] == list(range(1, N + 1))
    assert all(a.received_at <= b.received_at for a, b in pairwise(reports))
    assert {r.category for r in reports} == {c.code for c in CATEGORIES}
    assert len({r.uuid for r in reports}) == N
    boundary = next(a.geometry for a in herlev_shapes if a.kind == MUNICIPALITY).buffer(20)
    assert all(boundary.contains(Point(r.x, r.y)) for r in reports)
    assert all(r.created_at <= r.received_at for r in reports)
    by_barrier = Counter(r.barrier for r in reports)
    assert max(by_barrier.values()) > 3  # duplicates cluster
    assert first.same_device_pairs > 0
    assert any(r.measurements for r in reports) and any(r.tags for r in reports)
    assert {r.severity for r in reports} == {"low", "medium", "high"}
    assert all(r.description for r in reports if r.category == "other")
    locate_areas(reports, AreaLocator(herlev_shapes))
    assert 0.3 < sum(r.area_id is not None for r in reports) / N < 0.95


def test_bulk_load_gives_the_sites_rebuild_gives(db, herlev):
    """In-memory clustering + bulk load = site_rebuild.rebuild over the loaded reports."""
    areas = areas_from_database(db.session)
    station = next(a for a in areas if a.name == "Herlev Station")
    # Everything around the station, so that reports crowd and merge.
    crowd = [AreaShape(None, "crowd", MUNICIPALITY, station.geometry), station]
    dataset = generate(400, crowd, seed=3)
    locator = AreaLocator(areas)
    locate_areas(dataset.reports, locator)
    sites = build_sites(dataset.reports, locator)
    assert len(sites) < 300  # merging happened
    db.session.commit()
    db.session.remove()
    timings = load(db.engine, dataset.reports, sites, strategy="keep")
    assert timings["total"] > 0

    def snapshot():
        partition = {}
        for report_id, site_id in db.session.execute(
            select(BarrierReport.id, BarrierReport.site_id)
        ):
            partition.setdefault(site_id, set()).add(report_id)
        described = {}
        for site in db.session.scalars(select(BarrierSite)):
            key = frozenset(partition[site.id])
            x, y = db.session.execute(select(site.geom.ST_X(), site.geom.ST_Y())).one()
            described[key] = (
                site.category,
                site.severity,
                site.groups,
                site.tag_counts,
                site.report_count,
                site.area_id,
                round(x, 6),
                round(y, 6),
            )
        rejected = partition.pop(None, set())
        return sorted(sorted(p) for p in partition.values()), described, rejected

    loaded_partition, loaded_sites, rejected = snapshot()
    assert all(r.site_id is None for r in dataset.reports if r.id in rejected)
    assert db.session.scalar(select(func.count()).select_from(BarrierReport)) == 400
    assert rebuild(db.session) == len(sites)
    db.session.commit()
    rebuilt_partition, rebuilt_sites, _ = snapshot()
    assert rebuilt_partition == loaded_partition
    assert rebuilt_sites == loaded_sites


def test_map_aggregation(db, herlev):
    areas = areas_from_database(db.session)
    dataset = generate(N, areas, seed=9)
    locator = AreaLocator(areas)
    locate_areas(dataset.reports, locator)
    sites = build_sites(dataset.reports, locator)
    db.session.commit()
    db.session.remove()
    load(db.engine, dataset.reports, sites, strategy="rebuild")  # "keep" is tested above
    whole = (712_000.0, 6_178_000.0, 718_000.0, 6_185_000.0)
    everything = sites_in_bbox(db.session, whole)
    assert len(everything) == sum(1 for s in sites if s.status in PUBLIC_SITE_STATUSES) > 100
    cells = grid_counts(db.session, whole, 500.0)
    assert sum(c.count for c in cells) == len(everything)
    assert all(c.count >= c.high for c in cells)
    answer = map_features(db.session, whole, max_features=100)
    assert answer["clustered"] and 0 < len(answer["features"]) <= 100
    assert sum(f["properties"]["count"] for f in answer["features"]) == len(everything)
    lon, lat = answer["features"][0]["geometry"]["coordinates"]
    assert 12.3 < lon < 12.5 and 55.7 < lat < 55.8
    small = map_features(db.session, whole, max_features=N)
    assert not small["clustered"] and len(small["features"]) == len(everything)
    assert json.loads(map_features_json(db.session, whole, max_features=N)) == small
    assert json.loads(map_features_json(db.session, whole, max_features=100)) == answer
    assert cell_size_for(whole, 2000) in (100.0, 200.0, 500.0)


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    result = suites.prepare(
        TEST_DB,
        N,
        seed=7,
        name=f"fieldaudit_bench_test_{os.getpid()}",
        folder=tmp_path_factory.mktemp("bench"),
    )
    yield result
    suites.dispose(result)


def test_every_benchmark_runs(loaded, tmp_path):
    assert loaded.site_count > 0
    assert suites.count_areas(loaded.app) > 20
    figures = suites.run_suite(loaded, runs=3, rebuild=False, progress=lambda _s: None)
    names = {f.benchmark for f in figures}
    assert {
        "1 map viewport 500 m",
        "2 zoomed-out map (municipality)",
        "3 duplicate check (30 m)",
        "6 site join per new report",
        "7 bulk load with indexes",
    } <= names
    for figure in figures:
        assert figure.samples and all(s > 0 for s in figure.samples)
        assert figure.baseline and figure.ratio is not None and figure.ratio > 0
        assert figure.p95_ms >= figure.median_ms > 0
    duplicate = next(f for f in figures if f.benchmark.startswith("3"))
    assert "0 answers differ" in duplicate.note
    zoomed = next(f for f in figures if f.name.startswith("map_features, grid"))
    assert int(zoomed.note.split()[0]) <= 2000
    assert {"GET /api/v1/map (test client)", "GET /api/v1/map (test client): the map's answer"} <= {
        f.name for f in figures
    }
    text = table(figures)
    assert "duplicate check" in text
    store = tmp_path / "b.json"
    run = {
        "date": "now",
        "cores": 2,
        "ram_gb": 1,
        "cpu": "x",
        "python": "3",
        "databases": TEST_DB,
        "sizes": str(N),
        "load": "0",
    }
    data = merge(store, figures, run)
    data = merge(store, figures[:1], run)  # a second run replaces its own rows only
    assert len(data["figures"]) == len(figures)
    document = render(json.loads(store.read_text()), "# Benchmarks", "end")
    assert f"N = {N:,}" in document and "| ratio |" in document


def test_profile_and_rebuild_run(loaded):
    text = suites.profile_join(loaded, runs=2)
    assert "join_site" in text
    (figure,) = suites.bench_rebuild(loaded)
    assert figure.note.startswith(f"{loaded.site_count} sites (in memory: {loaded.site_count})")
    assert "aggregate and score" in figure.note and figure.samples[0] > 0


def test_join_profile_runs(loaded, capsys):
    from scripts.bench import join_profile

    assert join_profile.main([loaded.database.url, "--runs", "4", "--profile", "5"]) == 0
    printed = capsys.readouterr().out
    assert "4 joins; median ms" in printed and "SELECT candidates + members" in printed
    assert "whole join" in printed and "function calls" in printed


def test_first_start_benchmark_runs():
    spec = importlib.util.spec_from_file_location(
        "run_all", ROOT / "scripts" / "bench" / "run_all.py"
    )
    run_all = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(run_all)
    (figure,) = run_all.bench_first_start(1)
    assert figure.samples[0] > 0 and figure.baseline[0] > 0


def test_cli_generate_and_load(runner, db, herlev, tmp_path):
    output = tmp_path / "reports.jsonl"
    result = runner.invoke(args=["bench", "generate", "50", "--output", str(output)])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in output.read_text().splitlines()]
    assert len(lines) == 50 and {"lat", "lon", "easting", "category"} <= set(lines[0])
    db.session.remove()
    result = runner.invoke(args=["bench", "load", "300"])
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(func.count()).select_from(BarrierReport)) == 300
    again = runner.invoke(args=["bench", "load", "10"])
    assert again.exit_code != 0 and "not empty" in again.output
