"""Database engines: the embedded SpatiaLite default and PostGIS, set up the same way."""

from __future__ import annotations

import fcntl
import os
import sqlite3
from types import ModuleType
from typing import Any

from sqlalchemy import event, exc
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


# Where a connection of a file database keeps its ``WriterTurn`` (the pool record's info).
WRITER_TURN = "fieldaudit.writer_turn"


class WriterTurn:
    """One connection's place in the queue of writers of an SQLite file: an exclusive
    ``flock`` on a file beside it, taken before ``BEGIN IMMEDIATE`` and given up when the
    transaction ends or the connection goes back to the pool.

    SQLite itself lets one writer in at a time, but a connection that finds the write lock
    taken sleeps and tries again (1, 2, 5, 10 ... 100 ms), so under load the cores idle while
    writers sleep; the kernel wakes the next waiter of a ``flock`` the moment it is free.
    SQLite's own lock still decides who writes: the turn only orders the waiting."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.fd: int | None = None
        self.held = False

    def wait(self) -> None:
        """Block (without the GIL) until this connection's turn to write."""
        if self.held:
            return
        if self.fd is None:
            self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        fcntl.flock(self.fd, fcntl.LOCK_EX)
        self.held = True

    def end(self) -> None:
        """Give the turn to the next writer (nothing if not held)."""
        if self.held:
            self.held = False
            assert self.fd is not None
            fcntl.flock(self.fd, fcntl.LOCK_UN)

    def close(self) -> None:
        self.end()
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


def writer_turn(connection: Any) -> WriterTurn | None:
    """The writer turn of an SQLAlchemy connection to an SQLite file (None: no queue, e.g. an
    in-memory database or an engine not made by ``attach_spatialite``)."""
    return connection.connection.info.get(WRITER_TURN)


def _end_turn(info: dict[str, Any]) -> None:
    turn = info.get(WRITER_TURN)
    if turn is not None:
        turn.end()


def _record_info(connection: Any) -> dict[str, Any]:
    """The pool record's ``info`` of a connection; empty for a raw or unpooled one."""
    try:
        return connection.info
    except (AttributeError, NotImplementedError):
        return {}


def _then_end_turn(action: Any) -> Any:
    """A dialect's ``do_commit`` or ``do_rollback`` that ends the connection's writer turn
    after it (the connection as the engine and the pool pass it, with the pool record's
    ``info``; the pool's reset on return rolls back this way too)."""

    def run(connection: Any) -> None:
        try:
            action(connection)
        finally:
            _end_turn(_record_info(connection))

    return run


def attach_spatialite(engine: Engine, library: str) -> None:
    """Make every new connection of ``engine`` a SpatiaLite connection, with its writer turn
    (given up after every commit and rollback and at the return to the pool)."""
    database = engine.url.database
    queued = bool(database) and database != ":memory:" and not database.startswith("file:")

    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn: Any, record: Any) -> None:
        init_spatialite_connection(dbapi_conn, library)
        if queued:
            record.info[WRITER_TURN] = WriterTurn(f"{database}-writers")

    # The turn ends once the DBAPI commit or rollback has returned, that is once SQLite has
    # given up its write lock (the engine's "commit" and "rollback" events come before it: a
    # writer woken there would find the lock still taken and sleep in SQLite's busy handler).
    dialect = engine.dialect
    dialect.do_commit = _then_end_turn(dialect.do_commit)  # type: ignore[method-assign]
    dialect.do_rollback = _then_end_turn(dialect.do_rollback)  # type: ignore[method-assign]

    @event.listens_for(engine, "checkin")
    def _checkin(_dbapi_conn: Any, record: Any) -> None:
        _end_turn(record.info)

    @event.listens_for(engine, "close")
    def _close(_dbapi_conn: Any, record: Any) -> None:
        turn = record.info.pop(WRITER_TURN, None)
        if turn is not None:
            turn.close()


_for_driver: dict[tuple[str, int], Any] = {}


def driver_rows(connection: Any, statement: Any, params: dict[str, Any]) -> list[tuple[Any, ...]]:
    """The rows of a SELECT (a statement built once and kept) as the DB-API driver returns
    them: compiled once per database, run on the driver's cursor, without SQLAlchemy's
    parameter and result processing (about as costly as running a small query). For hot
    reads whose parameters need no conversion (numbers, text) and whose rows the caller
    compares or decodes itself. No cursor events fire (their listeners expect an execution
    context: profilers time the call instead); a driver error is raised as SQLAlchemy's
    (``OperationalError`` and the others), as from any statement."""
    dialect = connection.dialect
    key = (dialect.name, id(statement))
    compiled = _for_driver.get(key)
    if compiled is None:
        compiled = statement.compile(dialect=dialect)
        if "POSTCOMPILE" in compiled.string:
            raise ValueError("driver_rows runs no statement with a list (expanding) parameter")
        _for_driver[key] = compiled
    values = compiled.construct_params(params)
    if compiled.positional:
        values = tuple(values[name] for name in compiled.positiontup)
    cursor = connection.connection.dbapi_connection.cursor()
    try:
        cursor.execute(compiled.string, values)
        return cursor.fetchall()
    except dialect.loaded_dbapi.Error as error:
        raise exc.DBAPIError.instance(
            compiled.string, values, error, dialect.loaded_dbapi.Error, dialect=dialect
        ) from error
    finally:
        cursor.close()
