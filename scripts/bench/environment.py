"""Benchmark databases: a new migrated PostGIS database or SpatiaLite file with Herlev's areas,
and the facts about the machine that go into ``docs/benchmarks.md``."""

from __future__ import annotations

import os
import platform
import re
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import create_engine, text

from fieldaudit import create_app
from fieldaudit.area_import import herlev_files, import_areas, read_area_file
from fieldaudit.extensions import db

DEFAULT_POSTGRES_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def postgres_server() -> str:
    """The PostgreSQL server benchmark databases are made on (a URL to its postgres database)."""
    return os.environ.get(
        "FIELDAUDIT_BENCH_POSTGRES",
        os.environ.get("FIELDAUDIT_TEST_POSTGRES", DEFAULT_POSTGRES_SERVER),
    )


DATABASES = ("spatialite", "postgis")


@dataclass
class BenchDatabase:
    """A database made for one benchmark run; ``drop()`` removes it."""

    kind: str
    url: str
    name: str
    folder: Path

    def drop(self) -> None:
        """Remove the database (PostGIS) or the file (SpatiaLite)."""
        if self.kind == "postgis":
            server = create_engine(postgres_server(), isolation_level="AUTOCOMMIT")
            with server.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
            server.dispose()
        for suffix in ("", "-wal", "-shm"):
            path = self.folder / f"{self.name}.sqlite{suffix}"
            path.unlink(missing_ok=True)


def new_database(kind: str, name: str, folder: Path | None = None) -> BenchDatabase:
    """Create an empty database (dropping an old one of the same name)."""
    folder = folder or Path(tempfile.gettempdir()) / "fieldaudit_bench"
    folder.mkdir(parents=True, exist_ok=True)
    if kind == "postgis":
        server = create_engine(postgres_server(), isolation_level="AUTOCOMMIT")
        with server.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        server.dispose()
        url = postgres_server().rsplit("/", 1)[0] + f"/{name}"
    elif kind == "spatialite":
        database = BenchDatabase(kind, "", name, folder)
        database.drop()
        url = f"sqlite:///{folder / f'{name}.sqlite'}"
    else:
        raise ValueError(f"unknown database {kind!r}; use one of {DATABASES}")
    return BenchDatabase(kind, url, name, folder)


def bench_app(url: str, folder: Path) -> Flask:
    """A FieldAudit app on ``url`` (testing mode, no tiles, media under ``folder``)."""
    return create_app(
        {
            "DATABASE_URL": url,
            "TESTING": True,
            "SECRET_KEY": "benchmark",
            "MEDIA_DIR": str(folder / "media"),
            "TILE_URL": "",
        }
    )


def prepare_schema(app: Flask) -> None:
    """Run the migrations and load the shipped Herlev areas."""
    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory)
        for path in herlev_files(app.config["DATA_DIR"]):
            import_areas(db.session, read_area_file(path))
        db.session.commit()


def machine() -> dict[str, Any]:
    """Cores, RAM, CPU model, Python and the moment, for the benchmark report."""
    cpu = platform.processor() or "unknown"
    try:
        info = Path("/proc/cpuinfo").read_text()
        found = re.search(r"^model name\s*:\s*(.+)$", info, re.MULTILINE)
        if found:
            cpu = found.group(1).strip()
    except OSError:
        pass
    ram_gb = 0.0
    try:
        meminfo = Path("/proc/meminfo").read_text()
        found = re.search(r"^MemTotal:\s*(\d+) kB", meminfo, re.MULTILINE)
        if found:
            ram_gb = int(found.group(1)) / 1024 / 1024
    except OSError:
        pass
    try:
        load = Path("/proc/loadavg").read_text().split()[:3]
    except OSError:
        load = []
    return {
        "cores": os.cpu_count(),
        "ram_gb": round(ram_gb, 1),
        "cpu": cpu,
        "python": platform.python_version(),
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "load": " ".join(load),
    }


def database_versions(app: Flask) -> str:
    """The database server and spatial extension versions."""
    with app.app_context(), db.engine.connect() as conn:
        if db.engine.dialect.name == "postgresql":
            server = conn.execute(text("SHOW server_version")).scalar()
            postgis = conn.execute(text("SELECT postgis_lib_version()")).scalar()
            return f"PostgreSQL {server}, PostGIS {postgis}"
        sqlite = conn.execute(text("SELECT sqlite_version()")).scalar()
        spatialite = conn.execute(text("SELECT spatialite_version()")).scalar()
        return f"SQLite {sqlite}, SpatiaLite {spatialite}"
