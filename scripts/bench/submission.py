"""Benchmark 4 of issue 7: report submission throughput under a production server.

A fresh database (PostGIS or SpatiaLite) with Herlev's areas is served by gunicorn on
loopback through ``scripts.bench.wsgi`` (the real app plus one trivial path answered before
the app). ``wrk`` (Debian's package) runs a Lua script that POSTs JSON reports to
``/api/v1/reports``, each with its own UUID and a position inside the municipality, for a
fixed time; the baseline is the same script, the same bodies and the same server answering the
trivial path. Runs alternate (trivial, app, trivial, app, ...) so both see the same machine
load. After each app run the reports stored in the database are counted.

Rate limits: every submission comes from 127.0.0.1, so the per-address limit on anonymous
submissions (``FIELDAUDIT_RATELIMIT_REPORTS``, 60/minute by default) is lifted for the bench
server by configuration (a limit it cannot reach); the limiter itself still runs, as in
production.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from flask import Flask
from sqlalchemy import create_engine, text

from fieldaudit.bench.load import areas_from_database
from fieldaudit.crs import many_to_wgs84
from fieldaudit.extensions import db
from fieldaudit.taxonomy import CATEGORIES, MUNICIPALITY
from scripts.bench.environment import bench_app, new_database, prepare_schema
from scripts.bench.figures import Figure
from scripts.bench.wsgi import TRIVIAL_PATH
from scripts.servers import Gunicorn, running_in_group, server_environment

REPORTS_PATH = "/api/v1/reports"
GOAL = ">= 300 reports/s, 0 errors"
LIFTED_LIMIT = "1000000000/second"
WSGI_APP = "scripts.bench.wsgi"
# Every category in turn (each request carries a description, which "other" needs).
CATEGORY_CODES = tuple(c.code for c in CATEGORIES)
SEVERITIES = ("low", "medium", "high")


def wrk_available() -> bool:
    """Whether the ``wrk`` load generator is installed (Debian package ``wrk``)."""
    return shutil.which("wrk") is not None


def bench_server(database_url: str, folder: Path, workers: int, threads: int) -> Gunicorn:
    """The production app under gunicorn as it is benchmarked: production settings, the
    trivial path in front (``scripts.bench.wsgi``), ``threads`` > 1 for gthread workers."""
    options = ("--backlog", "2048")
    if threads > 1:
        options += ("--worker-class", "gthread", "--threads", str(threads))
    env = server_environment(
        {"DATABASE_URL": database_url, "MEDIA_DIR": str(folder / "media")},
        FIELDAUDIT_ENV_NAME="production",
        FIELDAUDIT_SECRET_KEY=os.urandom(32).hex(),
        # One client address sends everything: lift the per-address limit (the limiter
        # still runs). Documented in docs/benchmarks.md.
        FIELDAUDIT_RATELIMIT_REPORTS=LIFTED_LIMIT,
    )
    return Gunicorn(
        env, folder / "gunicorn.log", workers, options=options, app=f"{WSGI_APP}:make_application()"
    )


def server_description(workers: int, threads: int) -> str:
    """How the benchmarked server runs, for the report."""
    if threads > 1:
        return f"gunicorn {workers} gthread workers x {threads} threads"
    return f"gunicorn {workers} sync workers"


def herlev_points(municipality: Any, count: int, seed: int = 11) -> list[tuple[float, float]]:
    """``count`` (lat, lon) positions spread over the municipality (30 m inside its border)."""
    inside = municipality.buffer(-30)
    shapely.prepare(inside)
    minx, miny, maxx, maxy = municipality.bounds
    rng = np.random.default_rng(seed)
    xs: list[float] = []
    ys: list[float] = []
    while len(xs) < count:
        candidates = rng.uniform((minx, miny), (maxx, maxy), (count, 2))
        for x, y in candidates[shapely.contains_xy(inside, candidates[:, 0], candidates[:, 1])]:
            if len(xs) < count:
                xs.append(float(x))
                ys.append(float(y))
    lons, lats = many_to_wgs84(xs, ys)
    return list(zip(lats, lons, strict=True))


def lua_script(points: list[tuple[float, float]]) -> str:
    """The wrk script: unique UUIDs (run, thread, counter), positions and categories in turn.

    ``wrk ... -s script.lua -- RUN PATH`` posts to PATH; a UUID is
    ``RRRRRRRR-TTTT-4000-8000-CCCCCCCCCCCC`` (run, thread, request counter), so no two requests
    of a database's runs share one. ``done`` prints one line ``WRK_JSON {...}``.
    """
    table = ",".join(f"{{{lat:.6f},{lon:.6f}}}" for lat, lon in points)
    categories = ",".join(f'"{c}"' for c in CATEGORY_CODES)
    severities = ",".join(f'"{s}"' for s in SEVERITIES)
    return f"""-- FieldAudit submission benchmark (fieldaudit/bench/submission.py); generated.
local points = {{{table}}}
local categories = {{{categories}}}
local severities = {{{severities}}}
local threads = {{}}
local counter = 0
local run_id = 0
local path = "{REPORTS_PATH}"
local headers = {{}}
created = 0
other = 0

function setup(thread)
  table.insert(threads, thread)
  thread:set("tid", #threads)
end

function init(args)
  run_id = tonumber(args[1]) or 0
  path = args[2] or path
  headers["Content-Type"] = "application/json"
  headers["X-Device-Token"] = string.format("fieldaudit-bench-device-%08x-%04x", run_id, tid)
end

function request()
  counter = counter + 1
  local p = points[(counter * 7 + tid * 101) % #points + 1]
  local body = string.format(
    '{{"uuid":"%08x-%04x-4000-8000-%012x","lat":%.6f,"lon":%.6f,"accuracy_m":6,' ..
    '"category":"%s","severity":"%s","groups":[],"tags":[],' ..
    '"description":"Benchmark","created_at":"2026-11-20T10:00:00+01:00"}}',
    run_id, tid, counter, p[1], p[2],
    categories[counter % #categories + 1], severities[counter % #severities + 1])
  return wrk.format("POST", path, headers, body)
end

function response(status, headers, body)
  if status == 201 then created = created + 1 else other = other + 1 end
end

function done(summary, latency, requests)
  local ok, bad = 0, 0
  for _, thread in ipairs(threads) do
    ok = ok + thread:get("created")
    bad = bad + thread:get("other")
  end
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {{"requests":%d,"duration_us":%d,"created":%d,"other_status":%d,' ..
    '"connect":%d,"read":%d,"write":%d,"timeout":%d,"p50_us":%d,"p95_us":%d,' ..
    '"p99_us":%d,"max_us":%d}}\\n',
    summary.requests, summary.duration, ok, bad, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max))
end
"""


@dataclass
class WrkRun:
    """What one wrk run measured."""

    path: str
    requests: int
    seconds: float
    created: int
    errors: int
    p50_ms: float
    p95_ms: float
    stored: int = 0
    server_cpu_s: float = 0.0  # CPU time of gunicorn's processes during the run
    database_cpu_s: float = 0.0  # CPU time of the PostgreSQL backends serving them

    @property
    def rate(self) -> float:
        """Answers with status 201 per second."""
        return self.created / self.seconds if self.seconds else 0.0


def run_wrk(
    url: str,
    script: Path,
    run_id: int,
    path: str,
    seconds: float,
    connections: int,
    threads: int = 1,
) -> WrkRun:
    """Run wrk for ``seconds`` against ``url`` + ``path``; parse the script's summary line."""
    command = [
        "wrk",
        f"--threads={threads}",
        f"--connections={connections}",
        f"--duration={max(1, round(seconds))}s",
        "--timeout=30s",
        f"--script={script}",
        url,
        "--",
        str(run_id),
        path,
    ]
    finished = subprocess.run(command, capture_output=True, text=True, check=True, timeout=600)
    line = next((row for row in finished.stdout.splitlines() if row.startswith("WRK_JSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no summary: {finished.stdout}\n{finished.stderr}")
    data = json.loads(line.removeprefix("WRK_JSON "))
    socket_errors = data["connect"] + data["read"] + data["write"] + data["timeout"]
    return WrkRun(
        path=path,
        requests=data["requests"],
        seconds=data["duration_us"] / 1e6,
        created=data["created"],
        errors=data["other_status"] + socket_errors,
        p50_ms=data["p50_us"] / 1000,
        p95_ms=data["p95_us"] / 1000,
    )


_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of these processes (those gone count 0)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / _TICKS


def database_pids(database_url: str) -> list[int]:
    """The PostgreSQL backends connected to this database (empty for SpatiaLite)."""
    if not database_url.startswith("postgresql"):
        return []
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            return [
                int(pid)
                for pid in conn.execute(
                    text(
                        "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                        "AND pid <> pg_backend_pid()"
                    )
                ).scalars()
            ]
    finally:
        engine.dispose()


def count_reports(database_url: str) -> int:
    """How many reports the database holds (a connection of its own)."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text("SELECT count(*) FROM barrier_reports")).scalar_one())
    finally:
        engine.dispose()


def _summary(runs: list[WrkRun]) -> tuple[float, float, float]:
    """Median rate, median p50 and median p95 over runs."""
    return (
        statistics.median(r.rate for r in runs),
        statistics.median(r.p50_ms for r in runs),
        statistics.median(r.p95_ms for r in runs),
    )


@dataclass
class SubmissionResult:
    """The runs of one submission benchmark (app and trivial path, interleaved)."""

    kind: str
    server: str
    connections: int
    seconds: float
    app_runs: list[WrkRun]
    trivial_runs: list[WrkRun]

    @property
    def errors(self) -> int:
        """Non-201 answers and socket errors of the app runs."""
        return sum(r.errors for r in self.app_runs)

    @property
    def created(self) -> int:
        """Answers 201 seen by wrk in the app runs."""
        return sum(r.created for r in self.app_runs)

    @property
    def stored(self) -> int:
        """Reports the database gained during the app runs."""
        return sum(r.stored for r in self.app_runs)


def app_and_municipality(url: str, folder: Path, fresh: bool) -> tuple[Flask, Any]:
    """An app on the database at ``url`` (migrated with Herlev's areas first when ``fresh``) and
    the municipality's shape, where the submitted reports are placed."""
    app = bench_app(url, folder)
    if fresh:
        prepare_schema(app)
    with app.app_context():
        shapes = areas_from_database(db.session)
        db.session.remove()
        db.engine.dispose()
    return app, next(s.geometry for s in shapes if s.kind == MUNICIPALITY)


def measure_submission(
    kind: str,
    runs: int = 5,
    seconds: float = 10.0,
    workers: int = 2,
    threads: int = 4,
    connections: int = 16,
    warmup: float = 2.0,
    folder: Path | None = None,
    keep: bool = False,
    progress: Any = print,
    database_url: str | None = None,
) -> SubmissionResult:
    """Run wrk against the app and the trivial path, ``runs`` times each, interleaved.

    The database is made fresh (migrated, with Herlev's areas) and dropped afterwards, unless
    ``database_url`` names one that is ready (the tests pass their own).
    """
    if not wrk_available():
        raise RuntimeError("wrk is not installed (apt-get install wrk; scripts/setup.sh test)")
    folder = Path(folder or tempfile.mkdtemp(prefix="fieldaudit-submission-"))
    folder.mkdir(parents=True, exist_ok=True)
    database = None if database_url else new_database(kind, "fieldaudit_bench_submission", folder)
    url = database_url or database.url  # type: ignore[union-attr]
    app_runs: list[WrkRun] = []
    trivial_runs: list[WrkRun] = []
    server = bench_server(url, folder, workers, threads)
    try:
        _app, municipality = app_and_municipality(url, folder, fresh=database is not None)
        script = folder / "submit.lua"
        script.write_text(lua_script(herlev_points(municipality, 2000)), encoding="utf-8")
        with server:
            # Warm both paths (imports, connection pools, page cache); these are not counted.
            run_wrk(server.url, script, 1, TRIVIAL_PATH, warmup, connections)
            run_wrk(server.url, script, 2, REPORTS_PATH, warmup, connections)
            for number in range(runs):
                trivial_runs.append(
                    run_wrk(
                        server.url, script, 100 + 2 * number, TRIVIAL_PATH, seconds, connections
                    )
                )
                before = count_reports(url)
                assert server.process is not None
                server_pids, backend_pids = running_in_group(server.process.pid), database_pids(url)
                cpu_before = cpu_seconds(server_pids), cpu_seconds(backend_pids)
                run = run_wrk(
                    server.url, script, 101 + 2 * number, REPORTS_PATH, seconds, connections
                )
                run.server_cpu_s = cpu_seconds(server_pids) - cpu_before[0]
                run.database_cpu_s = cpu_seconds(backend_pids) - cpu_before[1]
                # Requests in flight when wrk stops are finished by the server: wait for them.
                time.sleep(1.0)
                run.stored = count_reports(url) - before
                app_runs.append(run)
                progress(
                    f"    run {number + 1}: {run.rate:.0f} reports/s ({run.errors} errors, "
                    f"{run.stored} stored, p95 {run.p95_ms:.0f} ms); trivial "
                    f"{trivial_runs[-1].rate:.0f}/s"
                )
    finally:
        if database is not None and not keep:
            database.drop()
            shutil.rmtree(folder, ignore_errors=True)
    return SubmissionResult(
        kind, server_description(workers, threads), connections, seconds, app_runs, trivial_runs
    )


def submission_figure(result: SubmissionResult) -> Figure:
    """The throughput as a Figure: samples are seconds per report (1 / throughput) per run."""
    rate, p50, p95 = _summary(result.app_runs)
    base_rate, base_p50, base_p95 = _summary(result.trivial_runs)
    trivial_errors = sum(r.errors for r in result.trivial_runs)
    cpu_ms = statistics.median(r.server_cpu_s / max(r.created, 1) * 1000 for r in result.app_runs)
    db_cpu_ms = statistics.median(
        r.database_cpu_s / max(r.created, 1) * 1000 for r in result.app_runs
    )
    cpu = f"CPU per report: gunicorn {cpu_ms:.1f} ms"
    if db_cpu_ms:
        cpu += f" + PostgreSQL {db_cpu_ms:.1f} ms"
    cpu += f", so at most {2000 / (cpu_ms + db_cpu_ms):,.0f} reports/s on 2 idle cores"
    note = (
        f"**{rate:,.0f} reports/s** (median of {len(result.app_runs)} runs of "
        f"{result.seconds:g} s: "
        + ", ".join(f"{r.rate:,.0f}" for r in result.app_runs)
        + f"); errors {result.errors} (trivial path: {trivial_errors}); "
        f"{result.created:,} answered 201, {result.stored:,} stored (more: requests in flight "
        f"when wrk stopped); latency p50 {p50:.0f} ms, p95 {p95:.0f} ms; trivial path "
        f"{base_rate:,.0f} requests/s, p50 {base_p50:.1f} ms, p95 {base_p95:.1f} ms; {cpu}; "
        f"{result.server}, wrk 1 thread, {result.connections} connections"
    )
    return Figure(
        "4 report submission (throughput)",
        "POST /api/v1/reports under gunicorn: ms per report = 1 / throughput",
        result.kind,
        0,
        [r.seconds / max(r.created, 1) for r in result.app_runs],
        "trivial path, same server and wrk script",
        [r.seconds / max(r.created, 1) for r in result.trivial_runs],
        GOAL + " (<= 3.33 ms per report)",
        note,
    )


def bench_submission(kind: str, **options: Any) -> list[Figure]:
    """4. Throughput of POST /api/v1/reports vs the trivial path, on a fresh database."""
    return [submission_figure(measure_submission(kind, **options))]


# Where a submission's time goes: (label, file suffix, function name) of the steps of
# api/reports.create_report, in the order they run. Missing functions (renamed) are skipped.
PROFILE_STEPS = (
    ("whole request in Flask (wsgi_app)", "flask/app.py", "wsgi_app"),
    ("the view: api.reports.create_report", "api/reports.py", "create_report"),
    ("  read + parse JSON body", "api/parsing.py", "report_request"),
    ("  check text fields", "api/parsing.py", "check_fields_text"),
    ("  device token hash", "api/parsing.py", "device_token_hash"),
    ("  service area (boundary)", "fieldaudit/areas.py", "load_service_area"),
    ("  areas' state (once per request)", "fieldaudit/areas.py", "_fingerprint"),
    ("  validate report (check_report)", "fieldaudit/reports.py", "check_report"),
    ("  photos (none sent)", "fieldaudit/photos.py", "stage_photos"),
    ("  store_report", "fieldaudit/reports.py", "store_report"),
    ("    find_report (a resend only)", "fieldaudit/reports.py", "find_report"),
    ("    area_for_point", "fieldaudit/areas.py", "area_for_point"),
    ("    sites.join_site", "fieldaudit/sites.py", "join_site"),
    ("    sites.join_new_report", "fieldaudit/sites.py", "join_new_report"),
    (
        "      candidate sites with their reports",
        "fieldaudit/site_candidates.py",
        "candidate_sites",
    ),
    ("      site aggregates and score", "fieldaudit/sites.py", "_refresh"),
    ("      report insert (ON CONFLICT)", "fieldaudit/reports.py", "insert"),
    ("      site write (Core) and cells", "fieldaudit/sites.py", "_write_site"),
    ("  commit", "sqlalchemy/orm/scoping.py", "commit"),
    ("  report as JSON + public notes", "api/reports.py", "_report_body"),
    ("  response (JSON text, Location)", "api/reports.py", "_report_response"),
    ("database driver: execute", "psycopg/cursor.py", "execute"),
    ("database driver: execute", "", "<method 'execute' of 'pysqlite3.dbapi2.Cursor' objects>"),
    ("database driver: execute", "", "<method 'execute' of 'sqlite3.Cursor' objects>"),
    ("database driver: commit", "", "<method 'commit' of 'pysqlite3.dbapi2.Connection' objects>"),
    ("database driver: commit", "", "<method 'commit' of 'sqlite3.Connection' objects>"),
    ("database driver: commit", "psycopg/connection.py", "commit"),
)


def profile_submission(
    kind: str,
    runs: int = 200,
    warmup: int = 50,
    folder: Path | None = None,
    database_url: str | None = None,
) -> str:
    """cProfile of ``runs`` POST /api/v1/reports through the app (test client) on a fresh
    database with Herlev's areas (or ``database_url``, ready): the time of each step of the
    view, per submission."""
    import cProfile
    import pstats

    folder = Path(folder or tempfile.mkdtemp(prefix="fieldaudit-submission-profile-"))
    database = (
        None if database_url else new_database(kind, "fieldaudit_bench_submission_profile", folder)
    )
    url = database_url or database.url  # type: ignore[union-attr]
    try:
        app, municipality = app_and_municipality(url, folder, fresh=database is not None)
        points = herlev_points(municipality, warmup + runs, seed=13)
        client = app.test_client()
        headers = {"X-Device-Token": "fieldaudit-bench-profile-device-0001"}

        def payload(number: int) -> dict[str, Any]:
            lat, lon = points[number]
            return {
                "uuid": f"00000000-0000-4000-8000-{number:012d}",
                "lat": lat,
                "lon": lon,
                "accuracy_m": 6,
                "category": CATEGORY_CODES[number % len(CATEGORY_CODES)],
                "severity": SEVERITIES[number % len(SEVERITIES)],
                "description": "Benchmark",
                "created_at": "2026-11-20T10:00:00+01:00",
            }

        for number in range(warmup):
            assert (
                client.post(REPORTS_PATH, json=payload(number), headers=headers).status_code == 201
            )
        plain: list[float] = []
        for number in range(warmup, warmup + runs // 2):
            started = time.perf_counter()
            answer = client.post(REPORTS_PATH, json=payload(number), headers=headers)
            plain.append(time.perf_counter() - started)
            assert answer.status_code == 201, answer.get_data(as_text=True)
        profiler = cProfile.Profile()
        profiled = 0
        for number in range(warmup + runs // 2, warmup + runs):
            profiler.enable()
            answer = client.post(REPORTS_PATH, json=payload(number), headers=headers)
            profiler.disable()
            profiled += 1
            assert answer.status_code == 201, answer.get_data(as_text=True)
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    finally:
        if database is not None:
            database.drop()
        shutil.rmtree(folder, ignore_errors=True)
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    lines = [
        f"cProfile of {profiled} POST /api/v1/reports ({kind}, fresh database with Herlev's "
        f"areas, after {warmup + runs // 2} reports; Flask test client, rate limiter off); "
        f"{statistics.median(plain) * 1000:.1f} ms per submission without the profiler "
        f"(median of {len(plain)}), so at most {1 / statistics.median(plain):.0f} submissions/s "
        "per core",
        "",
        "| step | cumulative ms per submission (profiled) | calls per submission | function |",
        "| --- | ---: | ---: | --- |",
    ]
    for label, suffix, name in PROFILE_STEPS:
        for (filename, line, function), entry in stats.items():
            if function == name and filename.endswith(suffix):
                calls, cumulative = entry[1], entry[3]
                where = "/".join(filename.split("/")[-2:]) + f":{line}" if suffix else "built-in"
                lines.append(
                    f"| {label} | {cumulative / profiled * 1000:.2f} | {calls / profiled:.1f} | "
                    f"`{where}({function})` |"
                )
    return "\n".join(lines)
