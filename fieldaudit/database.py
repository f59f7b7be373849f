"""Database engines: the embedded SpatiaLite default and PostGIS, set up the same way."""

from __future__ import annotations

import sqlite3
from types import ModuleType
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url

# EPSG codes every FieldAudit database must know: WGS84, ETRS89 / UTM 32N, web mercator.
SPATIALITE_SRIDS = (4326, 25832, 3857)


def is_sqlite(url: str) -> bool:
    """Tell whether a database URL selects the embedded SQLite/SpatiaLite backend."""
    return make_url(url).get_backend_name() == "sqlite"


def sqlite_module() -> ModuleType:
    """Return a DB-API sqlite module that can load extensions.

    Some Python builds (pyenv's default here) have no ``enable_load_extension``;
    ``pysqlite3`` (from ``pysqlite3-binary``) can, so fall back to it.
    """
    if hasattr(sqlite3.Connection, "enable_load_extension"):
        return sqlite3
    import pysqlite3.dbapi2 as pysqlite3

    return pysqlite3


def engine_options(url: str) -> dict[str, Any]:
    """Return ``create_engine`` options for the given database URL."""
    if is_sqlite(url):
        return {"module": sqlite_module(), "connect_args": {"timeout": 30}}
    return {"pool_pre_ping": True}


def init_spatialite_connection(dbapi_conn: Any, library: str) -> None:
    """Load SpatiaLite into a new connection and create its metadata on a new file.

    ``InitSpatialMetaData(1, 'EMPTY')`` runs in one transaction (well under a second instead of
    about 14 s) and loads no SRIDs; the few FieldAudit uses are inserted explicitly.
    """
    dbapi_conn.enable_load_extension(True)
    dbapi_conn.load_extension(library)
    dbapi_conn.enable_load_extension(False)
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute("PRAGMA busy_timeout = 30000")
    if cursor.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
        cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA synchronous = NORMAL")
    if cursor.execute("SELECT CheckSpatialMetaData()").fetchone()[0] < 1:
        cursor.execute("SELECT InitSpatialMetaData(1, 'EMPTY')")
        for srid in SPATIALITE_SRIDS:
            cursor.execute("SELECT InsertEpsgSrid(?)", (srid,))
        dbapi_conn.commit()
    cursor.close()


def attach_spatialite(engine: Engine, library: str) -> None:
    """Make every new connection of ``engine`` a SpatiaLite connection."""

    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn: Any, _record: Any) -> None:
        init_spatialite_connection(dbapi_conn, library)
