"""Load test: simulated volunteers against a production server (gunicorn) on loopback.

Each volunteer loops: open the map (sites in a bounding box), run the duplicate check (nearby),
browse a public page, and file a report (JSON, every third one with a small photo), with a
short think time. The run is bounded (--seconds). At the end the reports in the database are
counted: every accepted report (201) must be stored, and nothing else.

    .venv/bin/python scripts/load/run_load.py                     # SpatiaLite, 50 x 60 s
    .venv/bin/python scripts/load/run_load.py --db postgis        # PostGIS
    .venv/bin/python scripts/load/run_load.py --users 10 --seconds 10   # smoke

All traffic is 127.0.0.1 (one client address), so the run raises the per-address rate limits
of the server under test; everything else is the production configuration. Exits 1 on any
error or any lost report.
"""

from __future__ import annotations

import argparse
import http.client
import io
import json
import os
import random
import statistics
import sys
import tempfile
import threading
import time
import uuid
from abc import ABC, abstractmethod
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from scripts.servers import Gunicorn, server_environment  # noqa: E402

POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432"
# Named places in Herlev (DOMAIN.md): station, hospital, town centre, library, Hjortespringkilen.
PLACES = (
    (55.7189, 12.4437),
    (55.7312, 12.4427),
    (55.7236, 12.4393),
    (55.7255, 12.4356),
    (55.7500, 12.4200),
)
CATEGORIES = ("step", "kerb", "narrow_passage", "surface", "obstacle", "benches")


def prepare_database(db: str, folder: Path) -> tuple[str, str | None]:
    """A fresh, migrated database with Herlev's areas; return its URL and a PostGIS db name."""
    from flask_migrate import upgrade
    from sqlalchemy import create_engine, text

    from fieldaudit import create_app
    from fieldaudit.area_import import herlev_files, import_areas, read_area_file
    from fieldaudit.extensions import db as sqla

    name = None
    if db == "postgis":
        name = f"fieldaudit_load_{os.getpid()}"
        server = create_engine(f"{POSTGRES}/postgres", isolation_level="AUTOCOMMIT")
        with server.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        server.dispose()
        url = f"{POSTGRES}/{name}"
    else:
        url = f"sqlite:///{folder / 'load.sqlite'}"
    app = create_app({"DATABASE_URL": url, "MEDIA_DIR": str(folder / "media"), "TESTING": True})
    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory)
        for path in herlev_files(app.config["DATA_DIR"]):
            import_areas(sqla.session, read_area_file(path))
        sqla.session.commit()
        sqla.engine.dispose()
    return url, name


def count_reports(url: str) -> int:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        count = conn.execute(text("SELECT count(*) FROM barrier_reports")).scalar_one()
    engine.dispose()
    return int(count)


def drop_database(name: str) -> None:
    from sqlalchemy import create_engine, text

    server = create_engine(f"{POSTGRES}/postgres", isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    server.dispose()


def production_server(url: str, folder: Path, workers: int) -> Gunicorn:
    """The production app under gunicorn, the per-address limits lifted for this run."""
    env = server_environment(
        {"DATABASE_URL": url, "MEDIA_DIR": str(folder / "media")},
        FIELDAUDIT_ENV_NAME="production",
        FIELDAUDIT_SECRET_KEY=uuid.uuid4().hex * 2,
        # One client address for 50 volunteers: lift the per-address limits for this run.
        FIELDAUDIT_RATELIMIT_REPORTS="1000000/minute",
        FIELDAUDIT_RATELIMIT_CONFIRMATIONS="1000000/minute",
    )
    return Gunicorn(env, folder / "gunicorn.log", workers)


def small_photo(rng: random.Random) -> bytes:
    from PIL import Image

    image = Image.new("RGB", (800, 600), tuple(rng.randrange(256) for _ in range(3)))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=80)
    return buffer.getvalue()


class Stats:
    """Latencies and outcomes of every request, by kind, shared by the volunteer threads."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.errors: list[str] = []
        self.accepted: set[str] = set()

    def record(
        self, kind: str, seconds: float, status: int, expected: tuple[int, ...], body: bytes
    ) -> None:
        with self.lock:
            self.latency[kind].append(seconds)
            if status not in expected:
                self.errors.append(f"{kind}: {status} {body[:160]!r}")

    def by_kind(self) -> dict[str, dict[str, float]]:
        """Requests, median and 95th percentile latency (ms) of each kind of request."""
        return {
            kind: {
                "requests": len(values),
                "p50_ms": round(statistics.median(values) * 1000, 1),
                "p95_ms": round(percentile(values, 0.95) * 1000, 1),
            }
            for kind, values in sorted(self.latency.items())
        }


def multipart(payload: dict, photo: bytes) -> tuple[bytes, str]:
    """A report with one photo as multipart/form-data: (body, content type)."""
    boundary = uuid.uuid4().hex
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="report"\r\n\r\n'
            f"{json.dumps(payload)}\r\n--{boundary}\r\nContent-Disposition: form-data; "
            f'name="photos"; filename="p.jpg"\r\nContent-Type: image/jpeg\r\n\r\n'
        ).encode()
        + photo
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return body, f"multipart/form-data; boundary={boundary}"


class Client(threading.Thread, ABC):
    """A simulated volunteer with a keep-alive connection (``connect`` opens it); every request
    is timed into ``stats``. This load test and scripts/scale_out.py share it."""

    def __init__(self, stop_at: float, stats: Stats, rng: random.Random, token: str) -> None:
        super().__init__(daemon=True)
        self.stop_at = stop_at
        self.stats = stats
        self.rng = rng
        self.token = token
        self.conn: http.client.HTTPConnection | None = None

    @abstractmethod
    def connect(self) -> http.client.HTTPConnection:
        """A new connection to the server under test."""

    def call(self, kind: str, method: str, path: str, body=None, headers=None, ok=(200,)):
        """One timed request on the kept connection: (status, body)."""
        started = time.perf_counter()
        status, data = 0, b""
        try:
            if self.conn is None:
                self.conn = self.connect()
            self.conn.request(method, path, body=body, headers=headers or {})
            answer = self.conn.getresponse()
            data, status = answer.read(), answer.status
        except (OSError, http.client.HTTPException) as error:
            self.conn = None
            data = str(error).encode()
        self.stats.record(kind, time.perf_counter() - started, status, ok, data)
        return status, data

    def point(self) -> tuple[float, float]:
        lat, lon = self.rng.choice(PLACES)
        return (lat + self.rng.uniform(-0.002, 0.002), lon + self.rng.uniform(-0.003, 0.003))

    def report_request(self, description: str) -> tuple[dict, str, bytes, dict[str, str]]:
        """A new report (a third with a photo): (payload, kind, body, headers)."""
        lat, lon = self.point()
        payload = {
            "uuid": str(uuid.uuid4()),
            "lat": lat,
            "lon": lon,
            "accuracy_m": 8,
            "category": self.rng.choice(CATEGORIES),
            "severity": self.rng.choice(("low", "medium", "high")),
            "description": description,
            "created_at": "2026-11-20T10:00:00+01:00",
        }
        if self.rng.random() < 1 / 3:
            body, content_type = multipart(payload, small_photo(self.rng))
            kind = "submit report + photo"
        else:
            body, content_type = json.dumps(payload).encode(), "application/json"
            kind = "submit report"
        headers = {"X-Device-Token": self.token, "Content-Type": content_type}
        return payload, kind, body, headers

    @abstractmethod
    def report(self) -> None:
        """Send one report."""

    def visit(self, pages: tuple[str, ...]) -> None:
        """One round of a person's use: the map, the duplicate check, a page, a report, and
        their own reports."""
        lat, lon = self.point()
        d = 0.004
        bbox = f"{lon - d:.6f},{lat - d:.6f},{lon + d:.6f},{lat + d:.6f}"
        self.call("map bbox", "GET", f"/api/v1/sites?bbox={bbox}")
        self.call("nearby", "GET", f"/api/v1/sites/nearby?lat={lat}&lon={lon}&category=step")
        self.call("page", "GET", self.rng.choice(pages))
        self.report()
        self.call("my reports", "GET", "/api/v1/my/reports", headers={"X-Device-Token": self.token})


class Volunteer(Client):
    """One simulated volunteer straight at the gunicorn port."""

    def __init__(self, number: int, port: int, stop_at: float, stats: Stats, seed: int) -> None:
        token = f"load-volunteer-{number:03d}-" + "x" * 24
        super().__init__(stop_at, stats, random.Random(seed * 1000 + number), token)
        self.port = port

    def connect(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)

    def report(self) -> None:
        payload, kind, body, headers = self.report_request("Belastningstest")
        status, _ = self.call(kind, "POST", "/api/v1/reports", body, headers, ok=(201,))
        if status == 201:
            with self.stats.lock:
                self.stats.accepted.add(payload["uuid"])

    def run(self) -> None:
        while time.monotonic() < self.stop_at:
            self.visit(("/", "/barrierer", "/indberet", "/mine-rapporter"))
            time.sleep(self.rng.uniform(0.5, 1.5))  # a person reads and types


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("spatialite", "postgis"), default="spatialite")
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=8)
    parser.add_argument("--json", type=Path, help="Also write the figures to this file.")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="fieldaudit-load-"))
    url, pg_name = prepare_database(args.db, folder)
    server = production_server(url, folder, args.workers).start()
    port = server.port
    stats = Stats()
    try:
        started = time.monotonic()
        stop_at = started + args.seconds
        volunteers = [Volunteer(n, port, stop_at, stats, args.seed) for n in range(args.users)]
        for volunteer in volunteers:
            volunteer.start()
        for volunteer in volunteers:
            volunteer.join(timeout=args.seconds + 120)
        elapsed = time.monotonic() - started
    finally:
        server.stop()
    stored = count_reports(url)
    if pg_name:
        drop_database(pg_name)

    all_latencies = [x for values in stats.latency.values() for x in values]
    figures = {
        "database": args.db,
        "volunteers": args.users,
        "seconds": round(elapsed, 1),
        "gunicorn_workers": args.workers,
        "requests": len(all_latencies),
        "requests_per_s": round(len(all_latencies) / elapsed, 1),
        "errors": len(stats.errors),
        "reports_accepted": len(stats.accepted),
        "reports_stored": stored,
        "p50_ms": round(statistics.median(all_latencies) * 1000, 1),
        "p95_ms": round(percentile(all_latencies, 0.95) * 1000, 1),
        "by_kind": stats.by_kind(),
    }
    print(json.dumps(figures, indent=2))
    if stats.errors:
        print("errors (first 10):", stats.errors[:10])
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))
    lost = figures["reports_accepted"] != figures["reports_stored"]
    return 1 if stats.errors or lost else 0


if __name__ == "__main__":
    sys.exit(main())
