"""Where the time of one site join goes: each SQL statement's time in the driver, and the rest.

Runs ``sites.join_site`` on a database the benchmarks kept (``run_all.py --keep``), as
``suites.bench_join`` does (a new report next to a stored one, flushed, joined, rolled back),
and times every statement the join sends with SQLAlchemy's cursor events. Prints, per kind of
statement, how often it ran and its median time, and the median of the whole join and of what
is not a statement (Python: ORM rows, the rule, the aggregates, the score).

    PYTHONPATH=$PWD .venv/bin/python scripts/bench/join_profile.py \
        postgresql://127.0.0.1/fieldaudit_bench_1000000 --runs 300
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import random
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from sqlalchemy import event, func, select

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from fieldaudit import site_candidates, sites  # noqa: E402
from fieldaudit.extensions import db  # noqa: E402
from fieldaudit.models import BarrierReport  # noqa: E402
from scripts.bench.environment import bench_app  # noqa: E402
from scripts.bench.suites import _joining_report  # noqa: E402


def _kind(statement: str) -> str:
    words = statement.split()
    head = " ".join(words[:3])
    if "barrier_sites" in statement and "barrier_reports" in statement and "SELECT" in head:
        return "SELECT candidates + members"
    for table in ("barrier_reports", "barrier_sites", "site_cells", "site_network_impacts"):
        if table in " ".join(words[:8]):
            return f"{words[0]} {table}"
    return " ".join(words[:4])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url", help="the kept benchmark database")
    parser.add_argument("--runs", type=int, default=300)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--profile", type=int, default=0, help="print cProfile's N costliest")
    parser.add_argument(
        "--sort", default="cumulative", help="cProfile's order (cumulative, tottime)"
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="join_profile_") as folder:
        app = bench_app(args.url, Path(folder))
        times: dict[str, list[float]] = defaultdict(list)
        totals: list[float] = []
        in_statements: list[float] = []
        started_at: dict[int, float] = {}
        spent = [0.0]
        recording = [False]

        def before(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
            started_at[id(cursor)] = time.perf_counter()

        def after(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
            elapsed = time.perf_counter() - started_at.pop(id(cursor))
            if not recording[0]:
                return
            times[_kind(statement)].append(elapsed)
            spent[0] += elapsed

        # The candidate read on SpatiaLite runs on the driver's cursor (``driver_rows``), which
        # fires no cursor events: time the call itself.
        driver_read = site_candidates.driver_rows

        def timed_driver_read(connection: Any, statement: Any, params: dict[str, Any]) -> Any:
            started = time.perf_counter()
            try:
                return driver_read(connection, statement, params)
            finally:
                if recording[0]:
                    elapsed = time.perf_counter() - started
                    times["SELECT candidates + members"].append(elapsed)
                    spent[0] += elapsed

        site_candidates.driver_rows = timed_driver_read
        try:
            profiler = cProfile.Profile() if args.profile else None
            with app.app_context():
                session = db.session
                highest = session.scalar(select(func.max(BarrierReport.id)))
                rng = random.Random(args.seed)
                event.listen(db.engine, "before_cursor_execute", before)
                event.listen(db.engine, "after_cursor_execute", after)
                for number in range(args.runs):
                    sample = None
                    while sample is None:
                        sample = session.get(BarrierReport, rng.randint(1, highest))
                    x, y = session.execute(
                        select(func.ST_X(sample.geom), func.ST_Y(sample.geom))
                    ).one()
                    x, y = float(x) + 1.0, float(y) + 1.0
                    report = _joining_report(sample, x, y, f"8000-{number:012d}", f"join-{number}")
                    session.add(report)
                    session.flush()
                    spent[0] = 0.0
                    recording[0] = True
                    if profiler is not None:
                        profiler.enable()
                    started = time.perf_counter()
                    sites.join_site(session, report, x, y)
                    totals.append(time.perf_counter() - started)
                    if profiler is not None:
                        profiler.disable()
                    recording[0] = False
                    in_statements.append(spent[0])
                    session.rollback()
                    session.expunge_all()
                session.remove()
                db.engine.dispose()
        finally:
            site_candidates.driver_rows = driver_read
    print(f"{args.runs} joins; median ms")
    print(f"  whole join                     {statistics.median(totals) * 1000:7.2f}")
    print(f"  in statements (driver)         {statistics.median(in_statements) * 1000:7.2f}")
    rest = [t - s for t, s in zip(totals, in_statements, strict=True)]
    print(f"  the rest (Python)              {statistics.median(rest) * 1000:7.2f}")
    for key, values in sorted(times.items(), key=lambda kv: -sum(kv[1])):
        print(f"  {key[:32]:32s} {len(values):5d}x {statistics.median(values) * 1000:7.3f}")
    if profiler is not None:
        pstats.Stats(profiler).sort_stats(args.sort).print_stats(args.profile)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
