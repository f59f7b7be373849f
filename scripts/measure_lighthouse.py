"""Lighthouse on the public pages and the field app, as issue 17 asks: mobile, default
(simulated) throttling, Debian's Chromium; every category at least 95 and LCP under 2.5 s.

Builds a throw-away SpatiaLite database with Herlev's areas and some public barriers (one with a
photo), serves the app with gunicorn on loopback (one worker, as in production, with the
compression a web server in front would add: gzip at level 6, see ``GzipMiddleware``), and runs
the ``lighthouse`` command from npm on ``/``, ``/barrierer``, ``/indberet`` and a barrier's page.

Lighthouse is not needed by the tests; ``scripts/setup.sh measure`` installs it into
``.lighthouse/`` (``npm install --prefix .lighthouse lighthouse@12``). Run:

    CHROME_PATH=/usr/bin/chromium .venv/bin/python scripts/measure_lighthouse.py

``--lighthouse PATH`` names another lighthouse command; ``--runs N`` takes the median of N runs
per page (default 3); ``--json DIR`` keeps the reports; ``--page /indberet`` measures only that page (repeatable). The figures go into docs/field-flow.md.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
PAGES = ("/", "/barrierer", "/indberet", "/barrierer/{site}")
GOAL_SCORE = 95
GOAL_LCP_MS = 2500
CHROME_FLAGS = "--headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage"
PUBLIC_SITES = 40


class GzipMiddleware:
    """What nginx's ``gzip on; gzip_comp_level 6;`` does for text responses (for measuring only:
    in production the web server in front compresses)."""

    TYPES = (
        "text/",
        "application/javascript",
        "application/json",
        "application/geo+json",
        "image/svg+xml",
        "application/manifest+json",
    )

    def __init__(self, app: Any) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        if "gzip" not in environ.get("HTTP_ACCEPT_ENCODING", ""):
            return self.app(environ, start_response)
        captured: dict[str, Any] = {}

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            captured.update(status=status, headers=headers)
            return lambda data: None

        body_iter = self.app(environ, capture)
        try:
            body = b"".join(body_iter)
        finally:
            if hasattr(body_iter, "close"):
                body_iter.close()
        headers = [(k, v) for k, v in captured["headers"] if k.lower() != "content-length"]
        kind = next((v for k, v in headers if k.lower() == "content-type"), "")
        encoded = any(k.lower() == "content-encoding" for k, _ in headers)
        if body and not encoded and kind.startswith(self.TYPES):
            body = gzip.compress(body, compresslevel=6)
            headers += [("Content-Encoding", "gzip"), ("Vary", "Accept-Encoding")]
        headers.append(("Content-Length", str(len(body))))
        start_response(captured["status"], headers)
        return [body]


def measured_app() -> Any:
    """The production app behind the gzip a web server adds (gunicorn imports this)."""
    from fieldaudit import create_app

    app = create_app()
    app.wsgi_app = GzipMiddleware(app.wsgi_app)
    return app


def build_database(tmp: Path) -> tuple[dict[str, str], int]:
    """A database with Herlev's areas and public barriers; returns the config and a site id."""
    from datetime import UTC, datetime

    from flask_migrate import upgrade
    from PIL import Image
    from shapely.geometry import box

    from fieldaudit import create_app, report_review
    from fieldaudit.area_import import import_areas, read_area_file
    from fieldaudit.areas import ServiceArea
    from fieldaudit.cli import herlev_files
    from fieldaudit.crs import to_metric, to_wgs84
    from fieldaudit.extensions import db
    from fieldaudit.models import User
    from fieldaudit.photos import attach_photos, stage_photos
    from fieldaudit.reports import check_report, store_report

    config = {
        "DATABASE_URL": f"sqlite:///{tmp}/lighthouse.sqlite",
        "MEDIA_DIR": str(tmp / "media"),
        "TILE_URL": "",
        "SECRET_KEY": "measure-lighthouse",
    }
    app = create_app(config)
    everywhere = ServiceArea(box(700_000, 6_170_000, 730_000, 6_200_000), 0)
    x0, y0 = to_metric(12.4437, 55.7189)
    kinds = ("step", "kerb", "surface", "obstacle", "narrow_passage")
    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory)
        for path in herlev_files(app.config["DATA_DIR"]):
            import_areas(db.session, read_area_file(path))
        reviewer = User(email="lighthouse-reviewer@example.org", role="reviewer")
        db.session.add(reviewer)
        first = None
        for i in range(PUBLIC_SITES):
            lon, lat = to_wgs84(x0 - 60 * (i % 8) * 5, y0 + 90 * (i // 8) * 5)
            code = kinds[i % len(kinds)]
            data = {
                "uuid": f"00000000-0000-4000-8000-{i:012d}",
                "lat": lat,
                "lon": lon,
                "category": code,
                "severity": "high",
                "measurements": {"threshold_height": {"value": 12, "unit": "cm"}}
                if code == "step"
                else {},
                "description": "Trin på 12 cm ved indgangen.",
                "created_at": datetime(2026, 3, 2, 9, 0, tzinfo=UTC).isoformat(),
            }
            report, _ = store_report(
                db.session,
                check_report(data, everywhere, now=datetime(2026, 12, 1, tzinfo=UTC)),
                device_token_hash=f"lighthouse-{i}",
            )
            if first is None:
                first = report
                image = tmp / "photo.jpg"
                Image.new("RGB", (1600, 1200), (150, 60, 40)).save(image, "JPEG")
                staged = stage_photos([image.read_bytes()], config["MEDIA_DIR"])
                attach_photos(db.session, report, staged)
                db.session.flush()
                staged.publish()
            report_review.verify_report(db.session, report, reviewer)
        db.session.commit()
        site_id = first.site_id
        db.engine.dispose()
    return config, site_id


def lighthouse_command(given: str | None) -> list[str]:
    """The lighthouse command: the one given, .lighthouse/ (setup.sh measure), or on PATH."""
    for candidate in (given, str(ROOT / ".lighthouse/node_modules/.bin/lighthouse")):
        if candidate and Path(candidate).exists():
            return [candidate]
    found = shutil.which("lighthouse")
    if found:
        return [found]
    raise SystemExit(
        "lighthouse not found: run scripts/setup.sh measure (npm install --prefix .lighthouse "
        "lighthouse@12), or pass --lighthouse PATH"
    )


def run_lighthouse(command: list[str], url: str, output: Path) -> dict[str, float]:
    """One Lighthouse run (mobile, simulated throttling): the category scores and LCP in ms."""
    subprocess.run(
        [
            *command,
            url,
            "--quiet",
            "--output=json",
            f"--output-path={output}",
            f"--only-categories={','.join(CATEGORIES)}",
            f"--chrome-flags={CHROME_FLAGS}",
        ],
        check=True,
        env={**os.environ, "CHROME_PATH": os.environ.get("CHROME_PATH", "/usr/bin/chromium")},
        timeout=300,
    )
    report = json.loads(output.read_text())
    scores = {name: round(report["categories"][name]["score"] * 100) for name in CATEGORIES}
    scores["lcp_ms"] = report["audits"]["largest-contentful-paint"]["numericValue"]
    scores["tbt_ms"] = report["audits"]["total-blocking-time"]["numericValue"]
    # Lighthouse's own CPU figure: about 1000-1500 on an idle machine of this kind; a busy
    # machine gives low ones, and the simulated performance score falls with it.
    scores["cpu_index"] = report["environment"]["benchmarkIndex"]
    failing = [
        audit["id"]
        for audit in report["audits"].values()
        if audit.get("score") is not None
        and audit["score"] < 0.9
        and audit.get("scoreDisplayMode") in ("binary", "numeric", "metricSavings")
    ]
    scores["failing"] = failing  # type: ignore[assignment]
    return scores


def main() -> None:
    """Print one row per page: the median score of each category and the median LCP."""
    from scripts.servers import Gunicorn, server_environment

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lighthouse")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", type=Path)
    parser.add_argument(
        "--page", action="append", choices=PAGES, help="only this page (repeatable)"
    )
    args = parser.parse_args()
    command = lighthouse_command(args.lighthouse)
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        config, site_id = build_database(tmp)
        env = server_environment(config)
        server = Gunicorn(
            env, tmp / "gunicorn.log", app="scripts.measure_lighthouse:measured_app()"
        )
        with server:
            print("load average at start: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
            print(
                "| page | performance | accessibility | best practices | SEO | LCP | TBT "
                "| CPU index |"
            )
            print("|---|---:|---:|---:|---:|---:|---:|---:|")
            for page in args.page or PAGES:
                path = page.format(site=site_id)
                runs = []
                for run in range(args.runs):
                    output = (args.json or tmp) / f"lh{path.replace('/', '_') or '_'}-{run}.json"
                    output.parent.mkdir(parents=True, exist_ok=True)
                    runs.append(run_lighthouse(command, server.url + path, output))
                keys = (*CATEGORIES, "lcp_ms", "tbt_ms", "cpu_index")
                median = {k: statistics.median(r[k] for r in runs) for k in keys}
                failing = sorted({a for r in runs for a in r["failing"]})
                print(
                    f"| `{path}` | "
                    + " | ".join(f"{median[k]:.0f}" for k in CATEGORIES)
                    + f" | {median['lcp_ms'] / 1000:.2f} s | {median['tbt_ms']:.0f} ms"
                    + f" | {median['cpu_index']:.0f} |"
                    + (f" below 0.9: {', '.join(failing)}" if failing else "")
                )
            print("load average at end: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))


if __name__ == "__main__":
    main()
