"""Bulk loading generated reports and their sites into PostGIS (COPY) or SpatiaLite.

Both loaders write into empty ``barrier_reports`` / ``barrier_sites`` tables of a migrated
database, in one transaction, and leave every index and constraint of the schema in place,
then ANALYZE. The sites are computed in memory first (``fieldaudit.bench.clustering``, the
same rule as ``fieldaudit.sites``), so no ``sites rebuild`` is needed after a load.

Index strategies: ``keep`` inserts with the indexes present (the database maintains them row
by row); ``rebuild`` drops the secondary indexes and constraints (and SpatiaLite's R*Tree),
inserts, and creates them again, which is what bulk loaders usually do. Measured in
``docs/benchmarks.md``; ``DEFAULT_STRATEGY`` is the faster one on each database at 1,000,000.

PostGIS rows go to ``COPY`` as text written in chunks of 1 MB of pre-formatted lines (one
f-string per row, each distinct tag or group list encoded once) instead of ``write_row`` per
row. SpatiaLite loads with ``synchronous = OFF``, the rollback journal in memory instead of the
WAL (which writes every page twice) and a 512 MB cache, restored afterwards.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from geoalchemy2.shape import to_shape
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from fieldaudit.bench.generate import AreaShape, SyntheticReport
from fieldaudit.bulk_write import (
    SITE_COLUMNS,
    NewSite,
    copy_lines,
    copy_text,
    ewkb_point,
    json_text,
    site_copy_line,
    site_sqlite_row,
    sqlite_insert,
    sqlite_time,
)
from fieldaudit.crs import METRIC
from fieldaudit.models import Area, BarrierReport, BarrierSite

TABLES = ("barrier_sites", "barrier_reports")
# Measured (docs/benchmarks.md, "strategy keep" rows): SpatiaLite loads about 3x faster with
# its indexes and triggers rebuilt afterwards. PostGIS was faster keeping them at 100,000
# (11.5 s against 14.1 s) but not at 1,000,000 (138 s rebuilding them, 211 s keeping
# them, load average about 7), the size the goal is set for.
DEFAULT_STRATEGY = {"postgresql": "rebuild", "sqlite": "rebuild"}

REPORT_COLUMNS = (
    "id",
    "uuid",
    "content_hash",
    "geom",
    "accuracy_m",
    "category",
    "tags",
    "severity",
    "groups",
    "measurements",
    "description",
    "created_at",
    "received_at",
    "device_token_hash",
    "reporter_name",
    "show_name",
    "status",
    "status_reason",
    "hidden",
    "site_id",
    "area_id",
)


def areas_from_database(session: Session) -> list[AreaShape]:
    """The stored areas (with their ids) as the generator and the area locator use them."""
    return [
        AreaShape(a.id, a.name, a.kind, to_shape(a.geom), a.importance)
        for a in session.scalars(select(Area).order_by(Area.id))
    ]


def _report_lines(reports: Sequence[SyntheticReport]) -> Iterator[str]:
    """Report rows as COPY text lines (the columns of REPORT_COLUMNS), one f-string each."""
    text = value = copy_text
    return (
        f"{r.id}\t{r.uuid}\t{r.content_hash}\t{ewkb_point(r.x, r.y)}\t{value(r.accuracy_m)}\t"
        f"{r.category}\t{text(json_text(r.tags))}\t{r.severity}\t{text(json_text(r.groups))}\t"
        f"{text(json_text(r.measurements))}\t{text(r.description)}\t"
        f"{r.created_at.isoformat()}\t{r.received_at.isoformat()}\t"
        f"{value(r.device_token_hash)}\t\tf\t{r.status}\t\tf\t{value(r.site_id)}\t"
        f"{value(r.area_id)}\n"
        for r in reports
    )


def check_empty(session: Session) -> None:
    """Refuse to load into tables that already hold reports or sites."""
    for model in (BarrierReport, BarrierSite):
        if session.scalar(select(func.count()).select_from(model)):
            raise RuntimeError(f"{model.__tablename__} is not empty; load into a new database.")


def load(
    engine: Engine,
    reports: Sequence[SyntheticReport],
    sites: Sequence[NewSite],
    strategy: str | None = None,
) -> dict[str, float]:
    """Load reports and sites with the database's bulk path; return timings in seconds.

    Commit or close every session on the database first (their locks would block the load).
    """
    dialect = engine.dialect.name
    strategy = strategy or DEFAULT_STRATEGY[dialect]
    if strategy not in ("keep", "rebuild"):
        raise ValueError(f"unknown strategy {strategy!r}")
    if dialect == "postgresql":
        return load_postgis(engine, reports, sites, strategy)
    if dialect == "sqlite":
        return load_spatialite(engine, reports, sites, strategy)
    raise ValueError(f"no bulk loader for {dialect}")


# --- PostGIS --------------------------------------------------------------------------------


def _pg_secondary(cursor: Any, table: str) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """A table's secondary indexes and its unique/foreign-key constraints, with definitions."""
    cursor.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = %s::regclass AND contype IN ('u', 'f') ORDER BY conname",
        (table,),
    )
    constraints = list(cursor.fetchall())
    cursor.execute(
        "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename = %s "
        "AND i.indexname NOT IN (SELECT conname FROM pg_constraint "
        "WHERE conrelid = %s::regclass) ORDER BY i.indexname",
        (table, table),
    )
    return list(cursor.fetchall()), constraints


def load_postgis(
    engine: Engine,
    reports: Sequence[SyntheticReport],
    sites: Sequence[NewSite],
    strategy: str,
) -> dict[str, float]:
    """COPY sites then reports (hex EWKB geometry), rebuild or keep indexes, ANALYZE."""
    timings: dict[str, float] = {}
    raw = engine.raw_connection()
    try:
        conn = raw.driver_connection
        started = time.perf_counter()
        with conn.cursor() as cur:
            cur.execute("SET LOCAL maintenance_work_mem = '256MB'")
            # Other open transactions on these tables (a session still reading areas) would
            # make the loader wait for ever: fail instead.
            cur.execute("SET LOCAL lock_timeout = '30s'")
            saved: dict[str, tuple[list[tuple[str, str]], list[tuple[str, str]]]] = {}
            if strategy == "rebuild":
                for table in reversed(TABLES):
                    saved[table] = _pg_secondary(cur, table)
                for table in reversed(TABLES):
                    indexes, constraints = saved[table]
                    for name, _definition in constraints:
                        cur.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
                    for name, _definition in indexes:
                        cur.execute(f'DROP INDEX "{name}"')
            step = time.perf_counter()
            copy_lines(
                cur,
                f"COPY barrier_sites ({', '.join(SITE_COLUMNS)}) FROM STDIN",
                (site_copy_line(site) for site in sites),
            )
            timings["sites copy"] = time.perf_counter() - step
            step = time.perf_counter()
            copy_lines(
                cur,
                f"COPY barrier_reports ({', '.join(REPORT_COLUMNS)}) FROM STDIN",
                _report_lines(reports),
            )
            timings["reports copy"] = time.perf_counter() - step
            step = time.perf_counter()
            if strategy == "rebuild":
                for table in TABLES:
                    indexes, constraints = saved[table]
                    for _name, definition in indexes:
                        cur.execute(definition)
                    for name, definition in constraints:
                        cur.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
            timings["indexes"] = time.perf_counter() - step
            for table in TABLES:
                cur.execute(
                    "SELECT setval(pg_get_serial_sequence(%s, 'id'), "
                    f"(SELECT coalesce(max(id), 0) + 1 FROM {table}), false)",
                    (table,),
                )
            conn.commit()
            step = time.perf_counter()
            for table in TABLES:
                cur.execute(f"ANALYZE {table}")
            conn.commit()
            timings["analyze"] = time.perf_counter() - step
        timings["total"] = time.perf_counter() - started
    finally:
        raw.close()
    return timings


# --- SpatiaLite -----------------------------------------------------------------------------


def _sqlite_indexes(cursor: Any, table: str) -> list[tuple[str, str]]:
    cursor.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? "
        "AND sql IS NOT NULL ORDER BY name",
        (table,),
    )
    return list(cursor.fetchall())


def load_spatialite(
    engine: Engine,
    reports: Sequence[SyntheticReport],
    sites: Sequence[NewSite],
    strategy: str,
) -> dict[str, float]:
    """executemany in one transaction (MakePoint geometry), R*Tree kept or rebuilt, ANALYZE."""
    timings: dict[str, float] = {}
    raw = engine.raw_connection()
    try:
        conn = raw.driver_connection
        started = time.perf_counter()
        cur = conn.cursor()
        restore = _sqlite_load_pragmas(cur)
        cur.execute("BEGIN")
        saved: dict[str, list[tuple[str, str]]] = {}
        triggers: dict[str, list[tuple[str, str]]] = {}
        if strategy == "rebuild":
            for table in TABLES:
                saved[table] = _sqlite_indexes(cur, table)
                for name, _sql in saved[table]:
                    cur.execute(f'DROP INDEX "{name}"')
                cur.execute("SELECT DisableSpatialIndex(?, 'geom')", (table,))
                cur.execute(f'DROP TABLE IF EXISTS "idx_{table}_geom"')
                # The per-row geometry check and timestamp triggers; checked once below.
                cur.execute(
                    "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
                    "AND tbl_name = ? AND (name LIKE 'ggi\\_%' ESCAPE '\\' "
                    "OR name LIKE 'tmi\\_%' ESCAPE '\\')",
                    (table,),
                )
                triggers[table] = list(cur.fetchall())
                for name, _sql in triggers[table]:
                    cur.execute(f'DROP TRIGGER "{name}"')
        step = time.perf_counter()
        site_sql = sqlite_insert("barrier_sites", SITE_COLUMNS)
        cur.executemany(site_sql, (site_sqlite_row(site) for site in sites))
        timings["sites insert"] = time.perf_counter() - step
        step = time.perf_counter()
        report_sql = sqlite_insert("barrier_reports", REPORT_COLUMNS)
        cur.executemany(report_sql, _sqlite_report_rows(reports))
        timings["reports insert"] = time.perf_counter() - step
        step = time.perf_counter()
        if strategy == "rebuild":
            for table in TABLES:
                cur.execute(
                    f"SELECT count(*) FROM {table} WHERE GeometryConstraints(geom, "
                    "(SELECT geometry_type FROM geometry_columns WHERE f_table_name = ?), ?) "
                    "IS NOT 1",
                    (table, METRIC),
                )
                (bad,) = cur.fetchone()
                if bad:
                    conn.rollback()
                    raise ValueError(f"{bad} rows of {table} violate the geometry constraint")
                for _name, sql in triggers[table]:
                    cur.execute(sql)
                for _name, sql in saved[table]:
                    cur.execute(sql)
                cur.execute("SELECT CreateSpatialIndex(?, 'geom')", (table,))
        timings["indexes"] = time.perf_counter() - step
        conn.commit()
        step = time.perf_counter()
        cur.execute("PRAGMA analysis_limit = 1000")
        cur.execute("ANALYZE")
        conn.commit()
        timings["analyze"] = time.perf_counter() - step
        restore()
        cur.close()
        timings["total"] = time.perf_counter() - started
    finally:
        raw.close()
    return timings


def _sqlite_load_pragmas(cursor: Any) -> Callable[[], None]:
    """Settings for one big load: no fsync, the rollback journal in memory instead of the
    WAL (which writes every page twice), a big page cache, sorts in memory. Returns a
    function that restores the connection's settings (it goes back to the pool)."""
    before = {
        name: cursor.execute(f"PRAGMA {name}").fetchone()[0]
        for name in ("journal_mode", "synchronous", "cache_size", "temp_store")
    }
    cursor.execute("PRAGMA synchronous = OFF")
    # Leaving WAL needs the only connection to the file; otherwise it stays in WAL.
    cursor.execute("PRAGMA journal_mode = MEMORY")
    cursor.execute("PRAGMA cache_size = -524288")  # 512 MB
    cursor.execute("PRAGMA temp_store = MEMORY")

    def restore() -> None:
        for name, value in before.items():
            cursor.execute(f"PRAGMA {name} = {value}")

    return restore


def _sqlite_report_rows(reports: Sequence[SyntheticReport]) -> Iterator[tuple[Any, ...]]:
    """Report rows as executemany parameters (REPORT_COLUMNS, geometry as x, y)."""
    moment = sqlite_time
    for r in reports:
        yield (
            r.id,
            r.uuid,
            r.content_hash,
            r.x,
            r.y,
            r.accuracy_m,
            r.category,
            json_text(r.tags),
            r.severity,
            json_text(r.groups),
            json_text(r.measurements),
            r.description,
            moment(r.created_at),
            moment(r.received_at),
            r.device_token_hash,
            "",
            0,
            r.status,
            "",
            0,
            r.site_id,
            r.area_id,
        )


def load_plain(engine: Engine, reports: Sequence[SyntheticReport]) -> float:
    """The raw baseline of a bulk load: the same report rows, the same bulk path, into a
    temporary table with no index, constraint or trigger; return seconds (the table is dropped)."""
    raw = engine.raw_connection()
    try:
        conn = raw.driver_connection
        cur = conn.cursor()
        if engine.dialect.name == "postgresql":
            cur.execute("CREATE TEMP TABLE bench_plain (LIKE barrier_reports)")
            started = time.perf_counter()
            copy_lines(
                cur,
                f"COPY bench_plain ({', '.join(REPORT_COLUMNS)}) FROM STDIN",
                _report_lines(reports),
            )
            conn.commit()
        else:
            cur.execute("CREATE TEMP TABLE bench_plain AS SELECT * FROM barrier_reports WHERE 0")
            started = time.perf_counter()
            cur.execute("BEGIN")
            cur.executemany(
                sqlite_insert("bench_plain", REPORT_COLUMNS), _sqlite_report_rows(reports)
            )
            conn.commit()
        elapsed = time.perf_counter() - started
        cur.execute("DROP TABLE bench_plain")
        conn.commit()
        cur.close()
    finally:
        raw.close()
    return elapsed
