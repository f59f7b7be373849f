"""Benchmark: the first start of a new SpatiaLite database (goal: well under 1 s).

Measures, in one process, over repeated runs on fresh files:
- ``spatialite init``: the first connection (load mod_spatialite, InitSpatialMetaData, SRIDs);
- ``schema``: every migration on top of that;
- ``first start``: both, the time a new installation waits before the app can serve.
The raw baseline is ``InitSpatialMetaData(1)`` alone on a bare sqlite3 connection.

Usage: .venv/bin/python scripts/bench/first_start.py [--runs 10]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from flask_migrate import upgrade
from sqlalchemy import text

from fieldaudit import create_app
from fieldaudit.database import sqlite_module
from fieldaudit.extensions import db


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def one_run(folder: Path) -> tuple[float, float, float]:
    app = create_app(
        {"DATABASE_URL": f"sqlite:///{folder / 'db.sqlite'}", "MEDIA_DIR": str(folder / "m")}
    )
    with app.app_context():
        started = time.perf_counter()
        with db.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        connected = time.perf_counter()
        upgrade(directory=app.extensions["migrate"].directory)
        done = time.perf_counter()
        db.engine.dispose()
    return connected - started, done - connected, done - started


def raw_baseline(folder: Path) -> float:
    module = sqlite_module()
    conn = module.connect(str(folder / "raw.sqlite"))
    started = time.perf_counter()
    conn.enable_load_extension(True)
    conn.load_extension("mod_spatialite")
    conn.execute("SELECT InitSpatialMetaData(1, 'EMPTY')")
    elapsed = time.perf_counter() - started
    conn.close()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    rows: dict[str, list[float]] = {
        "spatialite init": [],
        "schema": [],
        "first start": [],
        "raw": [],
    }
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory() as tmp:
            init, schema, total = one_run(Path(tmp))
            rows["spatialite init"].append(init)
            rows["schema"].append(schema)
            rows["first start"].append(total)
            rows["raw"].append(raw_baseline(Path(tmp)))
    print(f"First start of a new SpatiaLite database, {args.runs} runs")
    print(f"{'step':<26}{'median ms':>12}{'p95 ms':>10}")
    for name, values in rows.items():
        label = "raw InitSpatialMetaData" if name == "raw" else name
        print(
            f"{label:<18}{statistics.median(values) * 1000:>12.1f}{percentile(values, 95) * 1000:>10.1f}"
        )


if __name__ == "__main__":
    main()
