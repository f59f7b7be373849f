"""The benchmarks: one function each, every figure beside its raw baseline from the same run.

Each function takes a ``Loaded`` database (an app whose database holds N generated reports
and their sites) and returns ``Figure``s with the samples in seconds. The raw baselines talk
to the database driver directly with the bare indexed SQL (the physical limit); the app
figures go through FieldAudit's own code (the spatial seam, the ORM, GeoJSON building).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from flask import Flask
from geoalchemy2.shape import from_shape
from shapely.geometry import Point
from sqlalchemy import select

from fieldaudit.bench.clustering import ClusterPoint, build_sites, cluster_points
from fieldaudit.bench.generate import AreaLocator, Dataset, generate, locate_areas
from fieldaudit.bench.load import areas_from_database, load, load_plain
from fieldaudit.crs import METRIC
from fieldaudit.extensions import db
from fieldaudit.models import Area, BarrierReport
from fieldaudit.site_candidates import nearby_open_sites
from fieldaudit.site_cells import rebuild_site_cells
from fieldaudit.site_rule import CANDIDATE_SITES, radius_for
from fieldaudit.sites import join_site
from fieldaudit.status import OPEN_STATUSES, Status
from scripts.bench.environment import bench_app, new_database, prepare_schema
from scripts.bench.figures import (
    DUPLICATE_RADIUS_M,
    Figure,
    Loaded,
    raw_connection,
    sample_points,
    timed,
)
from scripts.bench.map_suites import bench_viewport, bench_zoomed_out


def prepare(
    kind: str,
    n: int,
    seed: int = 7,
    strategy: str | None = None,
    dataset: Dataset | None = None,
    name: str | None = None,
    folder: Path | None = None,
) -> Loaded:
    """Create a database, generate (or reuse) N reports, cluster them and bulk load them."""
    database = new_database(kind, name or f"fieldaudit_bench_{n}", folder)
    app = bench_app(database.url, database.folder)
    prepare_schema(app)
    timings: dict[str, float] = {}
    with app.app_context():
        areas = areas_from_database(db.session)
        db.session.remove()
        locator = AreaLocator(areas)
        if dataset is None:
            started = time.perf_counter()
            dataset = generate(n, areas, seed)
            timings["generate"] = time.perf_counter() - started
        signature = [(a.id, a.name, a.kind) for a in areas]
        if dataset.notes.get("areas") == signature:
            sites = dataset.notes["sites"]  # the same areas: reuse the sites of the last load
        else:
            started = time.perf_counter()
            locate_areas(dataset.reports, locator)
            timings["areas"] = time.perf_counter() - started
            started = time.perf_counter()
            sites = build_sites(dataset.reports, locator)
            timings["clustering"] = time.perf_counter() - started
            dataset.notes["areas"] = signature
        load_timings = load(db.engine, dataset.reports, sites, strategy)
        dataset.notes["sites"] = sites
        # The bulk load bypasses the ORM: count the map's site cells once afterwards.
        started = time.perf_counter()
        rebuild_site_cells(db.session)
        db.session.commit()
        db.session.remove()
        load_timings["site cells"] = time.perf_counter() - started
    return Loaded(kind, n, app, database, dataset, len(sites), load_timings, timings)


def _raw_nearby_sql(kind: str) -> str:
    open_list = ", ".join(f"'{s.value}'" for s in OPEN_STATUSES)
    if kind == "postgis":
        point = f"ST_SetSRID(ST_MakePoint(%(x)s, %(y)s), {METRIC})"
        return (
            f"SELECT id, ST_Distance(geom, {point}) FROM barrier_sites "
            f"WHERE category = %(category)s AND status IN ({open_list}) "
            f"AND ST_DWithin(geom, {point}, %(r)s) ORDER BY geom <-> {point} LIMIT %(k)s"
        )
    point = f"MakePoint(:x, :y, {METRIC})"
    return (
        f"SELECT id, ST_Distance(geom, {point}) AS d FROM barrier_sites "
        "WHERE ROWID IN (SELECT pkid FROM idx_barrier_sites_geom WHERE xmin <= :x + :r "
        "AND xmax >= :x - :r AND ymin <= :y + :r AND ymax >= :y - :r) "
        f"AND category = :category AND status IN ({open_list}) AND d <= :r ORDER BY d LIMIT :k"
    )


def bench_duplicate_check(loaded: Loaded, runs: int = 50, seed: int = 2) -> list[Figure]:
    """3. Open same-category sites within 30 m: site_candidates.nearby_open_sites vs bare SQL."""
    app, kind = loaded.app, loaded.kind
    sql = _raw_nearby_sql(kind)
    app_times: list[float] = []
    raw_times: list[float] = []
    found: list[int] = []
    differ = 0
    with app.app_context():
        raw = raw_connection(app)
        cursor = raw.cursor()
        for report in sample_points(loaded, runs, seed):
            x, y = report.x + 3.0, report.y - 2.0
            params = {"x": x, "y": y, "r": DUPLICATE_RADIUS_M, "k": 5, "category": report.category}
            elapsed, rows = timed(lambda p=params: (cursor.execute(sql, p), cursor.fetchall())[1])
            raw_times.append(elapsed)
            db.session.connection()  # in a transaction, as in a request (the raw has its own)
            elapsed, sites = timed(
                lambda r=report, px=x, py=y: nearby_open_sites(
                    db.session, r.category, px, py, DUPLICATE_RADIUS_M, 5
                )
            )
            app_times.append(elapsed)
            found.append(len(sites))
            differ += sorted(r[0] for r in rows) != sorted(site.id for site, _ in sites)
            db.session.rollback()
            db.session.expunge_all()
        cursor.close()
        raw.close()
    return [
        Figure(
            "3 duplicate check (30 m)",
            "sites.nearby_open_sites (ORM)",
            kind,
            loaded.n,
            app_times,
            "bare KNN SQL",
            raw_times,
            "< 2 ms at 1M",
            f"sites found: median {statistics.median(found):.0f}, max {max(found)}; "
            f"{differ} answers differ from the bare SQL",
        )
    ]


def _joining_report(sample: Any, x: float, y: float, uuid_tail: str, device: str) -> BarrierReport:
    """A new report at (x, y) like ``sample``, about to be joined to a site."""
    return BarrierReport(
        uuid=f"00000000-0000-4000-{uuid_tail}",
        content_hash="0" * 64,
        geom=from_shape(Point(x, y), srid=METRIC),
        category=sample.category,
        severity=sample.severity,
        groups=sample.groups,
        tags=sample.tags,
        measurements={},
        description="",
        created_at=sample.created_at,
        device_token_hash=f"bench-{device}",
    )


def bench_join(
    loaded: Loaded,
    runs: int = 40,
    seed: int = 3,
    variants: dict[str, Any] | None = None,
) -> list[Figure]:
    """6a. Incremental site join of one new report: sites.join_site vs its candidate query.

    Each new report lands next to an existing report (so it usually joins a site) and is
    rolled back after each join, so every sample starts from the loaded database. ``variants``
    (name -> a module with ``join_site``, e.g. an earlier version of fieldaudit.sites) are
    measured on the same reports, interleaved, each going first in turn.
    """
    from fieldaudit import sites as current

    app, kind = loaded.app, loaded.kind
    sql = _raw_nearby_sql(kind)
    modules = {"sites.join_site": current, **(variants or {})}
    times: dict[str, list[float]] = {name: [] for name in modules}
    raw_times: list[float] = []
    joined = 0
    with app.app_context():
        raw = raw_connection(app)
        cursor = raw.cursor()
        for number, sample in enumerate(sample_points(loaded, runs, seed)):
            x, y = sample.x + 1.0, sample.y + 1.0
            radius = radius_for(sample.category)
            params = {"x": x, "y": y, "r": radius, "k": CANDIDATE_SITES}
            params["category"] = sample.category
            elapsed, _rows = timed(lambda p=params: (cursor.execute(sql, p), cursor.fetchall())[1])
            raw_times.append(elapsed)
            # Each in turn goes first (the first reads the sites' pages into the cache).
            order = list(modules.items())
            shift = number % len(order)
            for name, module in order[shift:] + order[:shift]:
                report = _joining_report(sample, x, y, f"8000-{number:012d}", f"join-{number}")
                db.session.add(report)
                db.session.flush()
                elapsed, site = timed(
                    lambda r=report, px=x, py=y, m=module: m.join_site(db.session, r, px, py)
                )
                times[name].append(elapsed)
                if module is current:
                    joined += site.report_count > 1
                db.session.rollback()
                # Each sample from a clean session too: an earlier version's join kept a site
                # it had inserted after a rollback (SQLite reuses the id: the next one clashed).
                db.session.expunge_all()
        cursor.close()
        raw.close()
    return [
        Figure(
            "6 site join per new report",
            name,
            kind,
            loaded.n,
            samples,
            "bare candidate KNN SQL",
            raw_times,
            "< 5 ms at 1M",
            f"{joined} of {runs} joined an existing site" if name == "sites.join_site" else "",
        )
        for name, samples in times.items()
    ]


def bench_rebuild(loaded: Loaded, variants: dict[str, Any] | None = None) -> list[Figure]:
    """6b. Full rebuild of every site (site_rebuild.rebuild, rolled back) vs reading every
    report in arrival order and clustering them in memory with the same rule; ``variants``
    as for ``bench_join``."""
    from fieldaudit import site_rebuild

    # The current rebuild through the bulk module (what `fieldaudit sites rebuild` calls), with its
    # timings per step for the note.
    steps: dict[str, float] = {}
    current = SimpleNamespace(
        rebuild_sites=lambda session: site_rebuild.rebuild(session, timings=steps)
    )
    modules = {"site_rebuild.rebuild": current, **(variants or {})}
    results: dict[str, tuple[float, int, str]] = {}
    app, kind = loaded.app, loaded.kind
    with app.app_context():
        started = time.perf_counter()
        rows = db.session.execute(
            select(
                BarrierReport.category,
                BarrierReport.geom.ST_X(),
                BarrierReport.geom.ST_Y(),
                BarrierReport.created_at,
                BarrierReport.device_token_hash,
            )
            .where(BarrierReport.status != Status.REJECTED.value)
            .order_by(BarrierReport.received_at, BarrierReport.id)
        ).all()
        clusters = cluster_points(
            [r[0] for r in rows],
            [ClusterPoint(float(r[1]), float(r[2]), r[3], f"device:{r[4]}") for r in rows],
        )
        baseline = time.perf_counter() - started
        db.session.rollback()
        for name, module in modules.items():
            started = time.perf_counter()
            steps.clear()
            count = module.rebuild_sites(db.session)
            elapsed = time.perf_counter() - started
            detail = ", ".join(f"{k} {v:.2f} s" for k, v in steps.items())
            results[name] = (elapsed, count, f"; {detail}" if detail else "")
            db.session.rollback()
            db.session.expunge_all()
    return [
        Figure(
            "6 full rebuild of sites",
            name,
            kind,
            loaded.n,
            [elapsed],
            "read all + cluster in memory",
            [baseline],
            "< 60 s at 1M (PostGIS)",
            f"{count} sites (in memory: {len(clusters)}){detail}",
        )
        for name, (elapsed, count, detail) in results.items()
    ]


def bench_bulk_load(loaded: Loaded) -> list[Figure]:
    """7. The bulk load's figures from ``prepare`` vs the same rows into a plain table."""
    app = loaded.app
    with app.app_context():
        plain = load_plain(db.engine, loaded.dataset.reports)
    timings = loaded.load_timings
    detail = ", ".join(f"{k} {v:.1f} s" for k, v in timings.items() if k != "total")
    return [
        Figure(
            "7 bulk load with indexes",
            f"reports + sites, {loaded.site_count} sites",
            loaded.kind,
            loaded.n,
            [timings["total"]],
            "reports into a plain table",
            [plain],
            "< 60 s at 1M",
            detail,
        )
    ]


def count_areas(app: Flask) -> int:
    """How many areas the database holds (a sanity check for tests)."""
    with app.app_context():
        return len(db.session.scalars(select(Area.id)).all())


def run_suite(
    loaded: Loaded,
    runs: int = 30,
    rebuild: bool = True,
    progress: Callable[[str], None] = print,
    variants: dict[str, Any] | None = None,
    only: set[str] | None = None,
) -> list[Figure]:
    """Every database-level benchmark on one loaded database (or those named in ``only``)."""
    figures: list[Figure] = []
    steps: list[tuple[str, Callable[[], list[Figure]]]] = [
        ("bulk load", lambda: bench_bulk_load(loaded)),
        ("viewport", lambda: bench_viewport(loaded, runs)),
        ("zoomed out", lambda: bench_zoomed_out(loaded, max(5, runs // 2))),
        ("duplicate check", lambda: bench_duplicate_check(loaded, runs * 2)),
        ("site join", lambda: bench_join(loaded, runs, variants=variants)),
    ]
    if rebuild:
        steps.append(("rebuild", lambda: bench_rebuild(loaded, variants)))
    for label, step in steps:
        if only is not None and label not in only:
            continue
        progress(f"  {loaded.kind} N={loaded.n}: {label} ...")
        figures.extend(step())
    return figures


def dispose(loaded: Loaded, drop: bool = True) -> None:
    """Close the app's connections and drop the database."""
    with loaded.app.app_context():
        db.session.remove()
        db.engine.dispose()
    if drop:
        loaded.database.drop()


__all__ = [
    "Figure",
    "Loaded",
    "bench_bulk_load",
    "bench_duplicate_check",
    "bench_join",
    "bench_rebuild",
    "bench_viewport",
    "bench_zoomed_out",
    "dispose",
    "prepare",
    "run_suite",
]


def profile_join(loaded: Loaded, runs: int = 20, seed: int = 4, top: int = 14) -> str:
    """Where sites.join_site spends its time: cProfile over ``runs`` joins (rolled back),
    FieldAudit's own functions and the database calls, by cumulative time per join."""
    import cProfile
    import pstats

    profiler = cProfile.Profile()
    with loaded.app.app_context():
        for number, sample in enumerate(sample_points(loaded, runs, seed)):
            x, y = sample.x + 1.0, sample.y + 1.0
            report = _joining_report(sample, x, y, f"9000-{number:012d}", f"profile-{number}")
            db.session.add(report)
            db.session.flush()
            profiler.enable()
            join_site(db.session, report, x, y)
            profiler.disable()
        db.session.rollback()
    stats = pstats.Stats(profiler)
    total = stats.total_tt  # type: ignore[attr-defined]
    rows = []
    for (filename, line, name), entry in stats.stats.items():  # type: ignore[attr-defined]
        calls, cumulative = entry[1], entry[3]
        own = "fieldaudit/" in filename and "/bench/" not in filename
        driver = "execute" in name and ("psycopg" in filename or "sqlite" in name)
        if own:
            rows.append((cumulative, calls, f"{filename.split('fieldaudit/')[-1]}:{line}({name})"))
        elif driver:
            rows.append((cumulative, calls, f"driver {name} ({filename.rsplit('/', 1)[-1]})"))
    rows.sort(reverse=True)
    lines = [
        f"cProfile of {runs} calls of sites.join_site ({loaded.kind}, N = {loaded.n:,}); "
        f"total {total / runs * 1000:.1f} ms per join (profiler overhead included)",
        "",
        "| cumulative ms per join | calls per join | function |",
        "| ---: | ---: | --- |",
    ]
    for cumulative, calls, label in rows[:top]:
        lines.append(f"| {cumulative / runs * 1000:.2f} | {calls / runs:.1f} | `{label}` |")
    return "\n".join(lines)
