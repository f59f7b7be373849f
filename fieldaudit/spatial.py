"""The one seam between SpatiaLite and PostGIS.

Every spatial SQL that differs between the two databases lives here: bounding-box filters
that use the spatial index, distance-within, nearest-k and point construction. Geometry is
stored in EPSG:25832, so distances are planar metres on both databases.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    Table,
    cast,
    func,
    select,
    text,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql import column as sql_column
from sqlalchemy.sql import table as sql_table

from fieldaudit.crs import METRIC, BBox
from fieldaudit.database import writer_turn


def _value(v: Any) -> Any:
    """A Python number as a float; an SQL expression (e.g. a bindparam) as it is."""
    return float(v) if isinstance(v, int | float) else v


class SpatialBackend:
    """What both databases share; subclasses override what differs."""

    name = "generic"

    def point(self, x: float, y: float, srid: int = METRIC) -> ColumnElement[Any]:
        """Return an SQL point expression."""
        return func.ST_GeomFromText(f"POINT({float(x)!r} {float(y)!r})", srid)

    def bbox_filter(self, geom: Any, bbox: BBox) -> ColumnElement[bool]:
        """Rows whose geometry's bounding box meets ``bbox`` (through the spatial index)."""
        raise NotImplementedError

    def within_distance(self, geom: Any, x: float, y: float, metres: float) -> ColumnElement[bool]:
        """Rows whose geometry lies within ``metres`` of the point (through the spatial index)."""
        raise NotImplementedError

    def distance(self, geom: Any, x: float, y: float) -> ColumnElement[float]:
        """The planar distance in metres from the geometry to the point."""
        return func.ST_Distance(geom, self.point(x, y))

    def nearest(
        self, stmt: Select[Any], geom: Any, x: float, y: float, metres: float, k: int
    ) -> Select[Any]:
        """Restrict ``stmt`` to the ``k`` rows nearest the point, within ``metres``."""
        return (
            stmt.where(self.within_distance(geom, x, y, metres))
            .order_by(self.distance(geom, x, y))
            .limit(k)
        )

    def contains_point(self, geom: Any, x: float, y: float) -> ColumnElement[bool]:
        """Rows whose (polygon) geometry contains the point (through the spatial index)."""
        return self.bbox_filter(geom, (x, y, x, y)) & func.ST_Contains(geom, self.point(x, y))

    def cell_index(self, value: Any, size: float) -> ColumnElement[int]:
        """``floor(value / size)`` as an integer: a grid cell of a (positive) coordinate.

        SQLite may lack ``floor``; its CAST truncates, the same for the positive EPSG:25832
        coordinates of Denmark (and the same as Python's ``int(value / size)``).
        """
        return cast(value / float(size), Integer)

    def insert(self, table: Table) -> Any:
        """The database's own INSERT of a table, with ``ON CONFLICT`` (``on_conflict_do_nothing``,
        ``on_conflict_do_update``: the same in both dialects)."""
        raise NotImplementedError

    def rows_as_json(self, columns: list[Any], order_by: Any) -> ColumnElement[Any] | None:
        """An aggregate: the group's rows as one JSON array of arrays of ``columns`` (fewer,
        wider rows for a client that pays per row), or None where the database cannot give
        it exactly (SQLite writes a double into JSON with 15 digits)."""
        return None

    def hold_join_locks(self, connection: Any, keys: list[int]) -> None:
        """Wait for, and hold until the transaction ends, the locks that keep two joins of
        nearby reports apart (``site_rule.join_lock_keys``), so that the second reads the
        sites as the first left them."""
        raise NotImplementedError

    def decides_before_join_locks(self, connection: Any) -> bool:
        """Whether a join should read and decide before it takes its locks (and read again
        under them): where the locks stop every writer and are not held yet."""
        return False

    def together(self, *writes: Any) -> list[Any]:
        """Writes of different rows that take the same parameters, as few statements as the
        database allows (each statement's parameters are all of them): one by one."""
        return list(writes)

    def if_inserted(self, insert: Any, write: Any) -> Any | None:
        """One statement that runs ``write`` (an UPDATE) only if ``insert`` (an INSERT ...
        RETURNING id that may insert nothing, e.g. ``ON CONFLICT DO NOTHING``) inserted, and
        returns the inserted id (no row if nothing was); None where the database cannot do it
        in one (then the caller runs them one after the other)."""
        return None

    def with_new_parent(self, parent: Any, child: Any, key: str) -> Any | None:
        """One statement that runs ``parent`` (an INSERT ... RETURNING id) and then ``child``
        (an INSERT ... RETURNING id that may insert nothing) with its column ``key`` set to the
        parent's new id, and returns (parent id, child id or NULL); None where the database
        cannot do it in one (then the caller runs them one after the other)."""
        return None


class PostGIS(SpatialBackend):
    """PostGIS: GiST indexes, ``&&``, ``ST_DWithin`` and the ``<->`` KNN operator."""

    name = "postgis"

    def insert(self, table: Table) -> Any:
        return postgresql.insert(table)

    def point(self, x: float, y: float, srid: int = METRIC) -> ColumnElement[Any]:
        return func.ST_SetSRID(func.ST_MakePoint(_value(x), _value(y)), srid)

    def bbox_filter(self, geom: Any, bbox: BBox) -> ColumnElement[bool]:
        return geom.op("&&")(func.ST_MakeEnvelope(*(_value(v) for v in bbox), METRIC))

    def within_distance(self, geom: Any, x: float, y: float, metres: float) -> ColumnElement[bool]:
        return func.ST_DWithin(geom, self.point(x, y), _value(metres))

    def nearest(
        self, stmt: Select[Any], geom: Any, x: float, y: float, metres: float, k: int
    ) -> Select[Any]:
        return (
            stmt.where(self.within_distance(geom, x, y, metres))
            .order_by(geom.op("<->")(self.point(x, y)))
            .limit(k)
        )

    def cell_index(self, value: Any, size: float) -> ColumnElement[int]:
        # PostgreSQL's CAST of a float to an integer rounds: floor first.
        return cast(func.floor(value / float(size)), Integer)

    def hold_join_locks(self, connection: Any, keys: list[int]) -> None:
        # Transaction-level advisory locks, taken in the keys' (sorted) order: no deadlock.
        connection.execute(JOIN_LOCKS, {"keys": keys})

    def rows_as_json(self, columns: list[Any], order_by: Any) -> ColumnElement[Any] | None:
        # float8 goes into JSON with the shortest digits that read back the same number.
        return func.json_agg(
            postgresql.aggregate_order_by(func.json_build_array(*columns), order_by)
        )

    def together(self, *writes: Any) -> list[Any]:
        # One round trip: the first writes as data-modifying CTEs of the last.
        *first, last = writes
        for number, write in enumerate(first):
            last = last.add_cte(write.cte(f"write_{number}"))
        return [last]

    def if_inserted(self, insert: Any, write: Any) -> Any:
        # Data-modifying CTEs: the write sees the insert's RETURNING rows, not its table.
        inserted = insert.cte("inserted")
        written = write.where(select(inserted.c.id).exists()).cte("written")
        return select(inserted.c.id).add_cte(written)

    def with_new_parent(self, parent: Any, child: Any, key: str) -> Any:
        made = parent.cte("parent")
        inserted = child.values({key: select(made.c.id).scalar_subquery()}).cte("inserted")
        return select(made.c.id, select(inserted.c.id).scalar_subquery())


class SpatiaLite(SpatialBackend):
    """SpatiaLite: the R*Tree of a spatial index is read as the table it is."""

    name = "spatialite"

    def insert(self, table: Table) -> Any:
        return sqlite.insert(table)

    def point(self, x: float, y: float, srid: int = METRIC) -> ColumnElement[Any]:
        return func.MakePoint(_value(x), _value(y), srid)

    def bbox_filter(self, geom: Any, bbox: BBox) -> ColumnElement[bool]:
        # The R*Tree that ``CreateSpatialIndex`` keeps (``idx_<table>_<column>``), read
        # directly: through the ``SpatialIndex`` virtual table, every query prepares the same
        # R*Tree query again (about twice the cost for a small search). The R*Tree's boxes
        # are rounded outwards, so this finds at least what intersects the box.
        table = geom.table
        index = sql_table(
            f"idx_{table.name}_{geom.name}",
            *(sql_column(name) for name in ("pkid", "xmin", "xmax", "ymin", "ymax")),
        )
        minx, miny, maxx, maxy = (_value(v) for v in bbox)
        rowids = select(index.c.pkid).where(
            index.c.xmin <= maxx, index.c.xmax >= minx, index.c.ymin <= maxy, index.c.ymax >= miny
        )
        return _rowid(table).in_(rowids)

    def hold_join_locks(self, connection: Any, keys: list[int]) -> None:
        # SQLite has one writer at a time: take the write lock before the read (the sqlite3
        # module would begin only at the first write, after the read), after waiting in the
        # queue of writers (``database.WriterTurn``); within a transaction that has written
        # already, the lock is held.
        if not _writing(connection):
            turn = writer_turn(connection)
            if turn is not None:
                turn.wait()
            connection.exec_driver_sql("BEGIN IMMEDIATE")

    def decides_before_join_locks(self, connection: Any) -> bool:
        # The write lock stops every writer: hold it only for the check and the writes.
        return not _writing(connection)

    def within_distance(self, geom: Any, x: float, y: float, metres: float) -> ColumnElement[bool]:
        box = (x - metres, y - metres, x + metres, y + metres)
        return self.bbox_filter(geom, box) & (self.distance(geom, x, y) <= _value(metres))


JOIN_LOCKS = text("SELECT pg_advisory_xact_lock(k) FROM unnest(CAST(:keys AS bigint[])) AS k")


def _writing(connection: Any) -> bool:
    """Whether an SQLite connection is in a transaction (its first write has begun one)."""
    return connection.connection.dbapi_connection.in_transaction


def _rowid(table: Any) -> Any:
    """The table's integer primary key, which is SQLite's ROWID."""
    (pk,) = table.primary_key.columns
    return pk


def backend_for(dialect_name: str) -> SpatialBackend:
    """Return the spatial backend for an SQLAlchemy dialect name."""
    if dialect_name == "postgresql":
        return PostGIS()
    if dialect_name == "sqlite":
        return SpatiaLite()
    raise ValueError(f"FieldAudit needs PostGIS or SpatiaLite, not {dialect_name!r}")


def backend(session: Any) -> SpatialBackend:
    """Return the spatial backend of a session's database."""
    return backend_for(session.get_bind().dialect.name)
