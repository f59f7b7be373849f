"""Writing many rows at once: the one place that knows each database's bulk path.

PostgreSQL takes ``COPY ... FROM STDIN`` in text format (geometry as hex EWKB, which its
geometry input reads fastest); SQLite takes ``executemany`` (geometry built by SpatiaLite's
``MakePoint``, moments as the text SQLAlchemy stores). The rebuild of every site
(``site_rebuild``) and the loader of demo and benchmark data (``bench.load``) both write
through here, so a site row is formatted one way.
"""

from __future__ import annotations

import io
import json
import struct
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from fieldaudit.crs import METRIC
from fieldaudit.models import BarrierSite

NULL = "\\N"
COPY_CHUNK = 1 << 20  # characters per COPY write

# Every column of barrier_sites in the table's order (the order of a COPY line).
SITE_COLUMNS = tuple(column.name for column in BarrierSite.__table__.columns)


@dataclass(slots=True)
class NewSite:
    """A site row as a bulk write stores it (the columns of ``SITE_COLUMNS``, the geometry as
    an EPSG:25832 x, y)."""

    id: int
    category: str
    x: float
    y: float
    status: str
    severity: str
    groups: list[str]
    tag_counts: dict[str, int]
    report_count: int
    confirmation_count: int
    anonymous_confirmation_count: int
    fixed_claim_count: int
    first_seen: datetime
    last_seen: datetime
    area_id: int | None
    priority_score: float
    priority_factors: str  # JSON text
    planned_year: int | None
    planned_cost_dkk: int | None
    status_reason: str


_encode = json.dumps  # as SQLAlchemy's JSON type writes it, so SQLite's text compares equal
_list_cache: dict[tuple[str, ...], str] = {}


def json_text(value: Any) -> str:
    """A JSON column's text; each distinct list (tags and groups repeat) is encoded once."""
    if isinstance(value, list):
        key = tuple(value)
        cached = _list_cache.get(key)
        if cached is None:
            cached = _list_cache[key] = _encode(value)
        return cached
    return _encode(value)


def copy_text(value: Any) -> str:
    """A value in COPY's text format (NULL, escaped text, ISO moments)."""
    if value is None:
        return NULL
    if isinstance(value, str):
        if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
            return (
                value.replace("\\", "\\\\")
                .replace("\t", "\\t")
                .replace("\n", "\\n")
                .replace("\r", "\\r")
            )
        return value
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def copy_lines(cursor: Any, statement: str, lines: Iterable[str]) -> None:
    """``COPY ... FROM STDIN`` (``statement``) with the text lines written in big chunks."""
    with cursor.copy(statement) as copy:
        buffer = io.StringIO()
        size = 0
        for line in lines:
            buffer.write(line)
            size += len(line)
            if size >= COPY_CHUNK:
                copy.write(buffer.getvalue())
                buffer = io.StringIO()
                size = 0
        if size:
            copy.write(buffer.getvalue())


_EWKB_POINT = struct.Struct("<BIIdd")


def ewkb_point(x: float, y: float, srid: int = METRIC) -> str:
    """Hex EWKB of a point (what PostGIS' geometry input reads fastest)."""
    return _EWKB_POINT.pack(1, 0x20000001, srid, x, y).hex()


def sqlite_time(moment: datetime) -> str:
    """The text SQLAlchemy stores for a moment on SQLite (naive UTC)."""
    if moment.tzinfo is not UTC:
        moment = moment.astimezone(UTC)
    return moment.replace(tzinfo=None).isoformat(" ", "microseconds")


def sqlite_insert(table: str, columns: Sequence[str], srid: int = METRIC) -> str:
    """An INSERT for ``executemany`` whose ``geom`` column takes two parameters, x and y."""
    values = ", ".join(f"MakePoint(?, ?, {srid})" if c == "geom" else "?" for c in columns)
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({values})"


def _site_values(
    s: NewSite, point: Callable[[float, float], tuple[Any, ...]], moment: Callable[[datetime], Any]
) -> tuple[Any, ...]:
    """A site's values in the order of ``SITE_COLUMNS``; ``point`` gives the geometry's
    value(s) and ``moment`` each time's, as the database's bulk path takes them."""
    return (
        s.id,
        s.category,
        *point(s.x, s.y),
        s.status,
        s.severity,
        json_text(s.groups),
        json_text(s.tag_counts),
        s.report_count,
        s.confirmation_count,
        s.anonymous_confirmation_count,
        s.fixed_claim_count,
        moment(s.first_seen),
        moment(s.last_seen),
        s.area_id,
        s.priority_score,
        s.priority_factors,
        s.planned_year,
        s.planned_cost_dkk,
        s.status_reason,
    )


def _ewkb(x: float, y: float) -> tuple[str]:
    return (ewkb_point(x, y),)


def _xy(x: float, y: float) -> tuple[float, float]:
    return (x, y)


def _same(moment: datetime) -> datetime:
    return moment


def site_copy_line(s: NewSite) -> str:
    """A site as one COPY text line (the columns of ``SITE_COLUMNS``)."""
    return "\t".join(copy_text(value) for value in _site_values(s, _ewkb, _same)) + "\n"


def site_sqlite_row(s: NewSite) -> tuple[Any, ...]:
    """A site as ``executemany`` parameters (``SITE_COLUMNS``, the geometry as x, y)."""
    return _site_values(s, _xy, sqlite_time)


class StepClock:
    """Seconds per step, into a dict (or nowhere)."""

    def __init__(self, timings: dict[str, float] | None) -> None:
        self.timings = timings
        self.last = time.perf_counter()

    def lap(self, step: str) -> None:
        now = time.perf_counter()
        if self.timings is not None:
            self.timings[step] = self.timings.get(step, 0.0) + now - self.last
        self.last = now


# Where a rebuild stages its rows (temporary tables, dropped at the end or at commit).
REPORT_TABLE = "fieldaudit_rebuild_reports"
SITE_TABLE = "fieldaudit_rebuild_sites"
ReportSites = Sequence[tuple[int, int | None, int | None]]  # report id, site id, duplicate of


def replace_sites(
    session: Session,
    sites: Sequence[NewSite],
    report_sites: ReportSites,
    first_new_id: int,
    clock: StepClock,
) -> None:
    """Make ``barrier_sites`` hold exactly ``sites``, set-based, in the session's transaction:
    update the sites with an id below ``first_new_id`` where anything changed, insert the
    others, set the reports' ``site_id`` and ``duplicate_of_site_id`` given in
    ``report_sites`` and delete the old sites that are not in ``sites``."""
    connection = session.connection()
    raw = connection.connection  # the session's DB-API connection, in its transaction
    cursor = raw.cursor()
    try:
        if connection.dialect.name == "postgresql":
            _write_postgresql(cursor, sites, report_sites, first_new_id, clock)
        else:
            _write_sqlite(cursor, sites, report_sites, first_new_id, clock)
    finally:
        cursor.close()


def _apply(
    cursor: Any, first_new_id: int, clock: StepClock, value: Callable[[str], str], differs: str
) -> None:
    """The set-based statements, from the temporary tables, on either database; ``value``
    gives a site column's new value from the temporary table ``t``."""
    columns = [c for c in SITE_COLUMNS if c not in ("id", "geom")]
    assignments = ", ".join(f"{c} = {value(c)}" for c in columns)
    changed = " OR ".join(f"s.{c} {differs} {value(c)}" for c in columns)
    moved = f"s.geom {differs} {value('geom')}"
    # Sites that moved, then sites that changed in place: the second statement leaves the
    # geometry (and SpatiaLite's geometry triggers and R*Tree) alone.
    cursor.execute(
        f"UPDATE barrier_sites AS s SET geom = {value('geom')}, {assignments} "
        f"FROM {SITE_TABLE} AS t WHERE s.id = t.id AND {moved}"
    )
    cursor.execute(
        f"UPDATE barrier_sites AS s SET {assignments} FROM {SITE_TABLE} AS t "
        f"WHERE s.id = t.id AND NOT ({moved}) AND ({changed})"
    )
    clock.lap("update sites")
    values = ", ".join(value(c) for c in SITE_COLUMNS)
    cursor.execute(
        f"INSERT INTO barrier_sites ({', '.join(SITE_COLUMNS)}) SELECT {values} "
        f"FROM {SITE_TABLE} AS t WHERE t.id >= {first_new_id}"
    )
    clock.lap("insert sites")
    cursor.execute(
        f"UPDATE barrier_reports SET site_id = t.site_id, "
        f"duplicate_of_site_id = t.duplicate_of_site_id FROM {REPORT_TABLE} AS t "
        "WHERE barrier_reports.id = t.id"
    )
    clock.lap("update reports")
    cursor.execute(
        f"DELETE FROM barrier_sites WHERE id < {first_new_id} AND NOT EXISTS "
        f"(SELECT 1 FROM {SITE_TABLE} AS t WHERE t.id = barrier_sites.id)"
    )
    clock.lap("delete old sites")
    cursor.execute(f"DROP TABLE {REPORT_TABLE}")
    cursor.execute(f"DROP TABLE {SITE_TABLE}")


def _write_postgresql(
    cursor: Any,
    sites: Sequence[NewSite],
    report_sites: ReportSites,
    first_new_id: int,
    clock: StepClock,
) -> None:
    cursor.execute("SET LOCAL work_mem = '256MB'")
    cursor.execute(f"DROP TABLE IF EXISTS {SITE_TABLE}")
    cursor.execute(
        f"CREATE TEMP TABLE {SITE_TABLE} ON COMMIT DROP AS "
        f"SELECT {', '.join(SITE_COLUMNS)} FROM barrier_sites WITH NO DATA"
    )
    copy_lines(
        cursor,
        f"COPY {SITE_TABLE} ({', '.join(SITE_COLUMNS)}) FROM STDIN",
        (site_copy_line(site) for site in sites),
    )
    cursor.execute(f"ALTER TABLE {SITE_TABLE} ADD PRIMARY KEY (id)")
    cursor.execute(f"DROP TABLE IF EXISTS {REPORT_TABLE}")
    cursor.execute(
        f"CREATE TEMP TABLE {REPORT_TABLE} (id integer PRIMARY KEY, site_id integer, "
        "duplicate_of_site_id integer) ON COMMIT DROP"
    )
    copy_lines(
        cursor,
        f"COPY {REPORT_TABLE} (id, site_id, duplicate_of_site_id) FROM STDIN",
        (
            f"{report_id}\t{copy_text(site_id)}\t{copy_text(duplicate_of)}\n"
            for report_id, site_id, duplicate_of in report_sites
        ),
    )
    cursor.execute(f"ANALYZE {SITE_TABLE}")
    cursor.execute(f"ANALYZE {REPORT_TABLE}")
    clock.lap("temporary tables")
    _apply(cursor, first_new_id, clock, "t.{}".format, "IS DISTINCT FROM")
    cursor.execute(
        "SELECT setval(pg_get_serial_sequence('barrier_sites', 'id'), "
        "(SELECT coalesce(max(id), 0) + 1 FROM barrier_sites), false)"
    )


def _write_sqlite(
    cursor: Any,
    sites: Sequence[NewSite],
    report_sites: ReportSites,
    first_new_id: int,
    clock: StepClock,
) -> None:
    # The site columns with the geometry as x, y (``MakePoint`` builds it in the statements).
    names = [name for c in SITE_COLUMNS for name in (("x", "y") if c == "geom" else (c,))]
    declared = ["id INTEGER PRIMARY KEY" if name == "id" else name for name in names]
    cursor.execute(f"DROP TABLE IF EXISTS temp.{SITE_TABLE}")
    cursor.execute(f"CREATE TEMP TABLE {SITE_TABLE} ({', '.join(declared)})")
    cursor.executemany(
        f"INSERT INTO {SITE_TABLE} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})",
        (site_sqlite_row(site) for site in sites),
    )
    cursor.execute(f"DROP TABLE IF EXISTS temp.{REPORT_TABLE}")
    cursor.execute(
        f"CREATE TEMP TABLE {REPORT_TABLE} (id INTEGER PRIMARY KEY, site_id INTEGER, "
        "duplicate_of_site_id INTEGER)"
    )
    cursor.executemany(f"INSERT INTO {REPORT_TABLE} VALUES (?, ?, ?)", report_sites)
    clock.lap("temporary tables")
    point = f"MakePoint(t.x, t.y, {METRIC})"
    _apply(cursor, first_new_id, clock, lambda c: point if c == "geom" else f"t.{c}", "IS NOT")
