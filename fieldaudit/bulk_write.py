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
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fieldaudit.crs import METRIC

NULL = "\\N"
COPY_CHUNK = 1 << 20  # characters per COPY write

SITE_COLUMNS = (
    "id",
    "category",
    "geom",
    "status",
    "severity",
    "groups",
    "tag_counts",
    "report_count",
    "confirmation_count",
    "anonymous_confirmation_count",
    "fixed_claim_count",
    "first_seen",
    "last_seen",
    "area_id",
    "priority_score",
    "priority_factors",
    "planned_year",
    "planned_cost_dkk",
    "status_reason",
)


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


def site_copy_line(s: NewSite) -> str:
    """A site as one COPY text line (the columns of ``SITE_COLUMNS``)."""
    return (
        "\t".join(
            copy_text(value)
            for value in (
                s.id,
                s.category,
                ewkb_point(s.x, s.y),
                s.status,
                s.severity,
                json_text(s.groups),
                json_text(s.tag_counts),
                s.report_count,
                s.confirmation_count,
                s.anonymous_confirmation_count,
                s.fixed_claim_count,
                s.first_seen,
                s.last_seen,
                s.area_id,
                s.priority_score,
                s.priority_factors,
                s.planned_year,
                s.planned_cost_dkk,
                s.status_reason,
            )
        )
        + "\n"
    )


def site_sqlite_row(s: NewSite) -> tuple[Any, ...]:
    """A site as ``executemany`` parameters (``SITE_COLUMNS``, the geometry as x, y)."""
    return (
        s.id,
        s.category,
        s.x,
        s.y,
        s.status,
        s.severity,
        json_text(s.groups),
        json_text(s.tag_counts),
        s.report_count,
        s.confirmation_count,
        s.anonymous_confirmation_count,
        s.fixed_claim_count,
        sqlite_time(s.first_seen),
        sqlite_time(s.last_seen),
        s.area_id,
        s.priority_score,
        s.priority_factors,
        s.planned_year,
        s.planned_cost_dkk,
        s.status_reason,
    )
