"""Scale-out proof: two gunicorn instances (as two servers would be) on two ports, one PostGIS,
one Redis, one media folder, behind the shipped nginx site on loopback, under a load of
volunteers submitting with photos and browsing.

    .venv/bin/python scripts/scale_out.py                      # 40 volunteers, 60 s
    .venv/bin/python scripts/scale_out.py --users 10 --seconds 15 --json figures.json

Each volunteer has its own client address (127.0.1.N: all of 127/8 is loopback), so nginx and
the app's rate limits see separate people, with the production limits. Checked at the end
(exit 1 if any fails): 0 errors; every accepted report stored exactly once (a retried upload
through the other instance included); a rate limit counted across both instances (Redis); a
photo uploaded through instance A served by instance B (the app on B decides, nginx sends the
file from the shared folder); ``fieldaudit jobs run`` started on both "servers" at the same
moment runs each job once; ``fieldaudit mail send`` started on both at once sends each mail of
the shared outbox once (to aiosmtpd on loopback). Figures and the design are in docs/deploy.md.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from email import message_from_bytes, policy
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scripts.deploy_nginx import LoopbackNginx  # noqa: E402
from scripts.load.run_load import (  # noqa: E402
    Client,
    Stats,
    count_reports,
    drop_database,
    multipart,
    percentile,
    prepare_database,
    small_photo,
)
from scripts.servers import Gunicorn, server_environment  # noqa: E402

NEARBY_LIMIT = 30  # RATELIMIT_NEARBY's default: 30/minute per client address


def instance_environment(url: str, media: Path, redis_db: int, prefix: str) -> dict[str, str]:
    """The production settings both instances share (as /etc/fieldaudit/fieldaudit.env)."""
    return server_environment(
        {"DATABASE_URL": url, "MEDIA_DIR": str(media)},
        FIELDAUDIT_ENV_NAME="production",
        FIELDAUDIT_SECRET_KEY="scale-out-" + uuid.uuid4().hex,
        FIELDAUDIT_PROXY_HOPS="1",
        FIELDAUDIT_PROXY_HOST="1",
        FIELDAUDIT_TRUSTED_HOSTS="localhost,127.0.0.1",
        FIELDAUDIT_X_ACCEL_PHOTOS="1",
        FIELDAUDIT_LOG_JSON="1",
        FIELDAUDIT_RATELIMIT_STORAGE_URI=f"redis://127.0.0.1:6379/{redis_db}",
        FIELDAUDIT_RATELIMIT_KEY_PREFIX=prefix,
    )


class Volunteer(Client):
    """A person on a phone: map, duplicate check, pages, a report (a third with a photo)."""

    def __init__(self, number: int, proxy: LoopbackNginx, stop_at: float, stats: Stats) -> None:
        token = f"scale-volunteer-{number:03d}-" + "x" * 24
        super().__init__(stop_at, stats, random.Random(number), token)
        self.proxy = proxy
        self.address = f"127.0.1.{number + 1}"
        self.context = ssl.create_default_context(cafile=str(proxy.cert))
        self.last_report: tuple[bytes, dict[str, str]] | None = None
        self.deferred: list[str] = []  # 503 photos_busy answers, each retried

    def connect(self) -> http.client.HTTPSConnection:
        return http.client.HTTPSConnection(
            "localhost",
            self.proxy.https_port,
            context=self.context,
            timeout=60,
            source_address=(self.address, 0),
        )

    def report(self) -> None:
        payload, kind, body, headers = self.report_request("Skaleringstest")
        status, _ = self.call(kind, "POST", "/api/v1/reports", body, headers, ok=(201, 503))
        for _attempt in range(4):
            if status != 503:
                break
            # photos_busy: the server's photo slots are full; like the phone's outbox, wait for
            # Retry-After (15 s) and send the same report again.
            with self.stats.lock:
                self.deferred.append(kind)
            time.sleep(15)
            status, _ = self.call(kind, "POST", "/api/v1/reports", body, headers, ok=(201, 503))
        if status == 503:
            self.stats.record(kind, 0.0, status, (201,), b"still busy after 4 retries")
        if status == 201:
            with self.stats.lock:
                self.stats.accepted.add(payload["uuid"])
            self.last_report = (body, headers)

    def run(self) -> None:
        while time.monotonic() < self.stop_at:
            self.visit(("/", "/barrierer", "/indberet"))
            time.sleep(self.rng.uniform(2.0, 4.0))  # a person reads, looks, types
        if self.last_report is not None:
            # The phone never got the answer and sends again (maybe to the other instance).
            body, headers = self.last_report
            self.call("retry same report", "POST", "/api/v1/reports", body, headers, ok=(200,))
        if self.conn is not None:
            self.conn.close()


def request(host_port: tuple[str, int], method: str, path: str, body=None, headers=None, tls=None):
    """One request on a fresh connection: (status, headers, body)."""
    host, port = host_port
    if tls is not None:
        conn = http.client.HTTPSConnection(host, port, context=tls, timeout=60)
    else:
        conn = http.client.HTTPConnection(host, port, timeout=60)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        answer = conn.getresponse()
        return answer.status, dict(answer.getheaders()), answer.read()
    finally:
        conn.close()


def served_by(logs: dict[str, Path]) -> dict[str, str]:
    """request id -> the instance whose JSON log has it."""
    found = {}
    for name, path in logs.items():
        for line in path.read_text(errors="replace").splitlines():
            if line.startswith("{"):
                found[json.loads(line)["request_id"]] = name
    return found


def check_rate_limit_across_instances(proxy: LoopbackNginx, logs: dict[str, Path]) -> dict:
    """One client asks the duplicate check 40 times through nginx (round robin over both)."""
    tls = ssl.create_default_context(cafile=str(proxy.cert))
    statuses, ids = [], []
    for _ in range(NEARBY_LIMIT + 10):
        conn = http.client.HTTPSConnection(
            "localhost", proxy.https_port, context=tls, timeout=30, source_address=("127.0.2.1", 0)
        )
        try:
            conn.request("GET", "/api/v1/sites/nearby?lat=55.7189&lon=12.4437&category=step")
            answer = conn.getresponse()
            answer.read()
            statuses.append(answer.status)
            ids.append(answer.headers.get("X-Request-ID", ""))
        finally:
            conn.close()
    time.sleep(1)  # let the logs flush
    owners = served_by(logs)
    allowed = [owners.get(i, "?") for i, s in zip(ids, statuses, strict=True) if s == 200]
    return {
        "requests": len(statuses),
        "allowed": statuses.count(200),
        "refused_429": statuses.count(429),
        "first_refusal_at": statuses.index(429) + 1 if 429 in statuses else None,
        "allowed_by_instance": dict(Counter(allowed)),
        "ok": statuses[:NEARBY_LIMIT] == [200] * NEARBY_LIMIT
        and set(statuses[NEARBY_LIMIT:]) == {429}
        and len(Counter(allowed)) == 2,
    }


def check_photo_across_instances(url: str, a: Gunicorn, b: Gunicorn, proxy, media: Path) -> dict:
    """Upload a photo through A, verify the report, ask B for it; nginx sends the file."""
    from fieldaudit import create_app, report_review
    from fieldaudit.extensions import db
    from fieldaudit.models import BarrierReport, User

    payload = {
        "uuid": str(uuid.uuid4()),
        "lat": 55.7236,
        "lon": 12.4393,
        "accuracy_m": 5,
        "category": "step",
        "severity": "high",
        "description": "Foto via A",
        "created_at": "2026-11-20T10:00:00+01:00",
    }
    body, content_type = multipart(payload, small_photo(random.Random(7)))
    headers = {"Content-Type": content_type, "X-Device-Token": "scale-photo-" + "y" * 24}
    status, _, _ = request(("127.0.0.1", a.port), "POST", "/api/v1/reports", body, headers)
    app = create_app({"DATABASE_URL": url, "MEDIA_DIR": str(media), "TESTING": True})
    with app.app_context():
        report = db.session.scalars(
            db.select(BarrierReport).where(BarrierReport.uuid == payload["uuid"])
        ).one()
        reviewer = User(
            email="scale-reviewer@example.org", role="reviewer", display_name="R", active=True
        )
        db.session.add(reviewer)
        db.session.flush()
        report_review.verify_report(db.session, report, reviewer)
        db.session.commit()
        photo_id, name = report.photos[0].id, report.photos[0].display_name
        db.engine.dispose()
    direct = request(("127.0.0.1", b.port), "GET", f"/fotos/{photo_id}/display")
    tls = ssl.create_default_context(cafile=str(proxy.cert))
    via_nginx = request(
        ("localhost", proxy.https_port), "GET", f"/fotos/{photo_id}/display", tls=tls
    )
    on_disk = (media / name).read_bytes()
    return {
        "uploaded_through_a": status,
        "b_answers": direct[0],
        "b_x_accel_redirect": direct[1].get("X-Accel-Redirect"),
        "nginx_status": via_nginx[0],
        "ok": status == 201
        and direct[0] == 200
        and direct[1].get("X-Accel-Redirect") == f"/_media/{name}"
        and via_nginx[0] == 200
        and via_nginx[2] == on_disk,
    }


def check_jobs_once(env: dict[str, str], url: str) -> dict:
    """``fieldaudit jobs run`` on both servers at the same moment: each job runs once."""
    command = [sys.executable, "-m", "fieldaudit", "jobs", "run"]
    runs = [
        subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    outputs = [run.communicate(timeout=300)[0] for run in runs]
    results: Counter = Counter()
    for output in outputs:
        for line in output.splitlines():
            name, status = line.split()[:2]
            results[(name, status)] += 1
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        counts = dict(conn.execute(text("SELECT name, run_count FROM job_runs")).all())
    engine.dispose()
    names = {name for name, _ in results}
    return {
        "outputs": outputs,
        "run_count": counts,
        "ok": all(results[(n, "ok")] == 1 and results[(n, "skipped")] == 1 for n in names)
        and set(counts.values()) == {1},
    }


class _Inbox:
    """What the loopback SMTP server received: (Message-ID, subject) per mail."""

    def __init__(self) -> None:
        self.received: list[tuple[str, str]] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope) -> str:
        message = message_from_bytes(envelope.original_content, policy=policy.default)
        with self.lock:
            self.received.append((str(message["Message-ID"]), str(message["Subject"])))
        return "250 OK"


def check_mail_once(env: dict[str, str], url: str, count: int = 200) -> dict:
    """``fieldaudit mail send`` on both servers at the same moment, against one SMTP server
    (aiosmtpd on loopback): every mail of the shared outbox arrives exactly once."""
    from aiosmtpd.controller import Controller
    from sqlalchemy import create_engine, text
    from sqlalchemy.orm import Session

    from fieldaudit.mail import outbox

    engine = create_engine(url)
    with Session(engine) as session:
        for number in range(count):
            draft = outbox.Draft(
                f"person{number}@example.org", "da", f"Besked {number}", "Tekst", "<p>Tekst</p>", {}
            )
            outbox.queue(session, f"scale-out-{number}", draft)
        session.commit()
        # Mail the load itself caused (a digest of the jobs run, a follow) is sent as well.
        waiting = session.scalar(text("SELECT count(*) FROM mail_outbox WHERE sent_at IS NULL"))
    inbox = _Inbox()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    smtp = Controller(inbox, hostname="127.0.0.1", port=port)
    smtp.start()
    try:
        mail_env = {
            **env,
            "FIELDAUDIT_MAIL_SERVER": "127.0.0.1",
            "FIELDAUDIT_MAIL_PORT": str(port),
            "FIELDAUDIT_MAIL_BASE_URL": "https://fieldaudit.example",
        }
        command = [sys.executable, "-m", "fieldaudit", "mail", "send"]
        runs = [
            subprocess.Popen(command, env=mail_env, cwd=ROOT, stdout=subprocess.PIPE, text=True)
            for _ in range(2)
        ]
        outputs = [run.communicate(timeout=600)[0] for run in runs]
        codes = [run.returncode for run in runs]
    finally:
        smtp.stop()
    with engine.connect() as conn:
        unsent = conn.execute(text("SELECT count(*) FROM mail_outbox WHERE sent_at IS NULL"))
        unsent = unsent.scalar()
    engine.dispose()
    ids = [message_id for message_id, _subject in inbox.received]
    return {
        "outputs": outputs,
        "queued": waiting,
        "received": len(ids),
        "distinct": len(set(ids)),
        "unsent_after": unsent,
        "ok": codes == [0, 0] and len(ids) == len(set(ids)) == waiting and unsent == 0,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=40)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--workers", type=int, default=1, help="gunicorn workers per instance")
    parser.add_argument("--json", type=Path, help="Also write the figures to this file.")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="fieldaudit-scale-"))
    url, pg_name = prepare_database("postgis", folder)
    media = folder / "media"
    env = instance_environment(url, media, 0, f"fieldaudit-scale-{os.getpid()}")
    options = ("--config", str(ROOT / "deploy" / "gunicorn.conf.py"))
    a = Gunicorn(env, folder / "a.log", args.workers, options=options)
    b = Gunicorn(env, folder / "b.log", args.workers, options=options)
    logs = {"a": a.log, "b": b.log}
    stats = Stats()
    try:
        a.start()
        b.start()
        with LoopbackNginx(
            folder / "nginx", [f"127.0.0.1:{a.port}", f"127.0.0.1:{b.port}"], str(media)
        ) as proxy:
            started = time.monotonic()
            stop_at = started + args.seconds
            volunteers = [Volunteer(n, proxy, stop_at, stats) for n in range(args.users)]
            for volunteer in volunteers:
                volunteer.start()
            for volunteer in volunteers:
                volunteer.join(timeout=args.seconds + 120)
            elapsed = time.monotonic() - started
            time.sleep(1)
            owners = Counter(served_by(logs).values())
            rate_limit = check_rate_limit_across_instances(proxy, logs)
            photo = check_photo_across_instances(url, a, b, proxy, media)
        jobs = check_jobs_once(env, url)
        mail = check_mail_once(env, url)
    finally:
        a.stop()
        b.stop()
    stored = count_reports(url)
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        distinct = conn.execute(text("SELECT count(DISTINCT uuid) FROM barrier_reports")).scalar()
    engine.dispose()
    drop_database(pg_name)

    latencies = [x for values in stats.latency.values() for x in values]
    figures = {
        "instances": 2,
        "gunicorn_workers_per_instance": args.workers,
        "volunteers": args.users,
        "seconds": round(elapsed, 1),
        "requests": len(latencies),
        "requests_per_s": round(len(latencies) / elapsed, 1),
        "requests_by_instance": dict(owners),
        "errors": len(stats.errors),
        "busy_503_retried": sum(len(v.deferred) for v in volunteers),
        "reports_accepted": len(stats.accepted),
        "reports_stored": stored - 1,  # the photo check's report is not part of the load
        "reports_distinct_uuids": distinct - 1,
        "p50_ms": round(statistics.median(latencies) * 1000, 1),
        "p95_ms": round(percentile(latencies, 0.95) * 1000, 1),
        "by_kind": stats.by_kind(),
        "rate_limit_across_instances": rate_limit,
        "photo_through_a_served_by_b": photo,
        "jobs_run_once_for_both": {k: v for k, v in jobs.items() if k != "outputs"},
        "mail_sent_once_by_two_senders": {k: v for k, v in mail.items() if k != "outputs"},
    }
    print(json.dumps(figures, indent=2))
    if stats.errors:
        print("errors (first 10):", stats.errors[:10])
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))
    ok = (
        not stats.errors
        and figures["reports_accepted"] == figures["reports_stored"]
        and figures["reports_stored"] == figures["reports_distinct_uuids"]
        and rate_limit["ok"]
        and photo["ok"]
        and jobs["ok"]
        and mail["ok"]
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
