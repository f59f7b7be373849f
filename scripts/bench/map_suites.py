"""Benchmarks 1 and 2, the map: the viewport of 500 m and the whole municipality zoomed out,
each beside the bare SQL of the same run."""

from __future__ import annotations

import json
import math
import statistics

import numpy as np
from flask import Flask

from fieldaudit.bench.load import areas_from_database
from fieldaudit.crs import METRIC, to_wgs84
from fieldaudit.extensions import db
from fieldaudit.map_aggregation import (
    MAX_FEATURES,
    map_features,
    map_features_json,
    site_features,
    sites_in_bbox,
)
from fieldaudit.site_cells import COUNTED_STATUSES
from fieldaudit.taxonomy import MUNICIPALITY
from scripts.bench.figures import VIEWPORT_M, Figure, Loaded, raw_connection, sample_points, timed


def _raw_bbox_sql(kind: str) -> str:
    counted = ", ".join(f"'{s}'" for s in COUNTED_STATUSES)
    columns = "id, ST_X(geom), ST_Y(geom), category, severity, status, report_count"
    if kind == "postgis":
        return (
            f"SELECT {columns} FROM barrier_sites WHERE geom && "
            f"ST_MakeEnvelope(%s, %s, %s, %s, {METRIC}) AND status IN ({counted})"
        )
    return (
        # The R*Tree read directly, as the app does (``SpatiaLite.bbox_filter``): ?1..?4 are
        # minx, miny, maxx, maxy.
        f"SELECT {columns} FROM barrier_sites WHERE ROWID IN (SELECT pkid FROM "
        "idx_barrier_sites_geom WHERE xmin <= ?3 AND xmax >= ?1 AND ymin <= ?4 AND ymax >= ?2) "
        f"AND status IN ({counted})"
    )


def _api_url(app: Flask, path: str) -> str | None:
    for rule in app.url_map.iter_rules():
        if rule.rule.rstrip("/") == path:
            return rule.rule
    return None


def _wgs84_bbox(bbox: tuple[float, float, float, float]) -> str:
    lon0, lat0 = to_wgs84(bbox[0], bbox[1])
    lon1, lat1 = to_wgs84(bbox[2], bbox[3])
    return f"{lon0:.6f},{lat0:.6f},{lon1:.6f},{lat1:.6f}"


def bench_viewport(loaded: Loaded, runs: int = 30, seed: int = 1) -> list[Figure]:
    """1. A 500 m viewport: bare indexed SQL vs the seam + GeoJSON (vs the API when it exists)."""
    app, kind = loaded.app, loaded.kind
    sql = _raw_bbox_sql(kind)
    half = VIEWPORT_M / 2
    raw_times: list[float] = []
    app_times: list[float] = []
    map_times: list[float] = []
    text_times: list[float] = []
    api_times: list[float] = []
    map_api_times: list[float] = []
    clustered: list[bool] = []
    counts: list[int] = []
    with app.app_context():
        raw = raw_connection(app)
        cursor = raw.cursor()
        api_url = _api_url(app, "/api/v1/sites")
        map_url = _api_url(app, "/api/v1/map")
        client = app.test_client()
        for report in sample_points(loaded, runs, seed):
            bbox = (report.x - half, report.y - half, report.x + half, report.y + half)
            elapsed, rows = timed(lambda b=bbox: (cursor.execute(sql, b), cursor.fetchall())[1])
            raw_times.append(elapsed)
            counts.append(len(rows))
            db.session.connection()  # in a transaction, as in a request (the raw has its own)
            elapsed, _body = timed(
                lambda b=bbox: json.dumps(
                    {
                        "type": "FeatureCollection",
                        "features": site_features(sites_in_bbox(db.session, b)),
                    }
                )
            )
            app_times.append(elapsed)
            db.session.rollback()
            db.session.connection()
            elapsed, answer = timed(lambda b=bbox: map_features(db.session, b))
            json.dumps(answer)
            map_times.append(elapsed)
            clustered.append(bool(answer["clustered"]))
            db.session.rollback()
            db.session.connection()
            elapsed, _ = timed(lambda b=bbox: map_features_json(db.session, b))
            text_times.append(elapsed)
            db.session.rollback()
            if map_url:
                elapsed, response = timed(
                    lambda b=bbox: client.get(f"{map_url}?bbox={_wgs84_bbox(b)}")
                )
                if response.status_code == 200:
                    map_api_times.append(elapsed)
            if api_url:
                elapsed, response = timed(
                    lambda b=bbox: client.get(f"{api_url}?bbox={_wgs84_bbox(b)}")
                )
                if response.status_code == 200:
                    api_times.append(elapsed)
        cursor.close()
        raw.close()
    note = f"sites per box: median {statistics.median(counts):.0f}, max {max(counts)}"
    base = "bare SQL (&& GiST)" if kind == "postgis" else "bare SQL (R*Tree)"
    figures = [
        Figure(
            "1 map viewport 500 m",
            "seam + GeoJSON (all sites)",
            kind,
            loaded.n,
            app_times,
            base,
            raw_times,
            "<= 3x raw; < 10 ms at 1M (PostGIS)",
            note,
        ),
        Figure(
            "1 map viewport 500 m",
            f"map_features (<= {MAX_FEATURES} features)",
            kind,
            loaded.n,
            map_times,
            base,
            raw_times,
            "<= 3x raw; < 10 ms at 1M (PostGIS)",
            f"grid cells from site_cells in {sum(clustered)} of {len(clustered)} boxes "
            "(more than 2,000 sites touching the box)",
        ),
        Figure(
            "1 map viewport 500 m",
            "map_features_json (GeoJSON text)",
            kind,
            loaded.n,
            text_times,
            base,
            raw_times,
            "<= 3x raw; < 10 ms at 1M (PostGIS)",
            "the same document, written as text",
        ),
    ]
    if map_api_times:
        figures.append(
            Figure(
                "1 map viewport 500 m",
                "GET /api/v1/map (test client): the map's answer",
                kind,
                loaded.n,
                map_api_times,
                base,
                raw_times,
                "<= 3x raw; < 10 ms at 1M (PostGIS)",
                "map_features_json behind Flask: request parsing, WGS84 box, response",
            )
        )
    if api_times:
        figures.append(
            Figure(
                "1 map viewport 500 m",
                "GET /api/v1/sites?bbox (test client): top 1,000 by priority",
                kind,
                loaded.n,
                api_times,
                base,
                raw_times,
                "<= 3x raw; < 10 ms at 1M (PostGIS)",
            )
        )
    return figures


def municipality_bbox(app: Flask) -> tuple[float, float, float, float]:
    """The municipal boundary's envelope (EPSG:25832), from the stored areas."""
    with app.app_context():
        areas = [a for a in areas_from_database(db.session) if a.kind == MUNICIPALITY]
        db.session.remove()
    bounds = np.array([a.geometry.bounds for a in areas])
    return (
        float(bounds[:, 0].min()),
        float(bounds[:, 1].min()),
        float(bounds[:, 2].max()),
        float(bounds[:, 3].max()),
    )


def bench_zoomed_out(loaded: Loaded, runs: int = 15) -> list[Figure]:
    """2. The whole municipality: grid counts in SQL (<= 2,000 features) vs the same bare SQL."""
    app, kind = loaded.app, loaded.kind
    bbox = municipality_bbox(app)
    app_times: list[float] = []
    raw_times: list[float] = []
    features: list[int] = []
    with app.app_context():
        from fieldaudit.map_aggregation import cell_size_for

        cell = cell_size_for(bbox)
        x0 = math.floor(bbox[0] / cell) * cell - cell
        y0 = math.floor(bbox[1] / cell) * cell - cell
        counted = ", ".join(f"'{s}'" for s in COUNTED_STATUSES)
        raw_sql = (
            f"SELECT avg(x), avg(y), count(*), sum(high), sum(reports) FROM ("
            f"SELECT CAST((ST_X(geom) - {x0}) / {cell} AS INTEGER) AS gx, "
            f"CAST((ST_Y(geom) - {y0}) / {cell} AS INTEGER) AS gy, ST_X(geom) AS x, "
            "ST_Y(geom) AS y, CASE WHEN severity = 'high' THEN 1 ELSE 0 END AS high, "
            "report_count AS reports FROM barrier_sites "
            f"WHERE status IN ({counted})) AS s GROUP BY gx, gy"
        )
        raw = raw_connection(app)
        cursor = raw.cursor()
        client = app.test_client()
        map_url = _api_url(app, "/api/v1/map")
        api_times: list[float] = []
        for _ in range(runs):
            elapsed, rows = timed(lambda: (cursor.execute(raw_sql), cursor.fetchall())[1])
            raw_times.append(elapsed)
            db.session.connection()
            elapsed, answer = timed(lambda: map_features(db.session, bbox))
            body = json.dumps(answer)
            app_times.append(elapsed)
            features.append(len(answer["features"]))
            db.session.rollback()
            if map_url:
                elapsed, response = timed(lambda: client.get(f"{map_url}?bbox={_wgs84_bbox(bbox)}"))
                if response.status_code == 200:
                    api_times.append(elapsed)
        cursor.close()
        raw.close()
    extra = []
    if api_times:
        extra.append(
            Figure(
                "2 zoomed-out map (municipality)",
                "GET /api/v1/map (test client)",
                kind,
                loaded.n,
                api_times,
                "bare SQL GROUP BY (no spatial filter)",
                raw_times,
                "< 2,000 features and < 50 ms at 1M",
                "the municipality's box in WGS84 (a little larger than in EPSG:25832)",
            )
        )
    return [
        *extra,
        Figure(
            "2 zoomed-out map (municipality)",
            f"map_features, grid {cell:g} m",
            kind,
            loaded.n,
            app_times,
            "bare SQL GROUP BY (no spatial filter)",
            raw_times,
            "< 2,000 features and < 50 ms at 1M",
            f"{max(features)} features ({len(rows)} raw cells), {len(body) // 1024} KiB JSON",
        ),
    ]
