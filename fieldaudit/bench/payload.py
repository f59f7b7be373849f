"""Benchmark 8b of issue 7: the field app's first load (the PWA payload), gzipped.

The bytes are counted by ``scripts/measure_field_payload.py`` (its ``measure``: the capture page
/indberet and every stylesheet, script, ES module, icon and manifest it loads, each gzipped at
level 6). A size is not a time: the ``Figure`` holds kilobytes where other figures hold
milliseconds, and says so in its name; 1 KB = 1,024 bytes, as the script counts them. The baseline is the vendor part alone
(Leaflet and its marker-cluster plugin, which FieldAudit cannot shrink), so the ratio shows the
weight of FieldAudit's own code beside it.
"""

from __future__ import annotations

import importlib.util
import tempfile
from pathlib import Path
from types import ModuleType

from flask_migrate import upgrade

from fieldaudit import create_app
from fieldaudit.area_import import herlev_files, import_areas, read_area_file
from fieldaudit.bench.suites import Figure
from fieldaudit.extensions import db

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "measure_field_payload.py"
GOAL_KB = 150
KB = 1024


def measure_script() -> ModuleType:
    """scripts/measure_field_payload.py as a module."""
    spec = importlib.util.spec_from_file_location("measure_field_payload", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def measure_rows() -> tuple[list[tuple[str, int, int]], list[tuple[str, int, int]]]:
    """(shell, data) rows of (url, raw bytes, gzipped bytes), from a throw-away SpatiaLite app."""
    script = measure_script()
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(
            {
                "DATABASE_URL": f"sqlite:///{tmp}/measure.sqlite",
                "MEDIA_DIR": f"{tmp}/media",
                "TILE_URL": "",
            }
        )
        with app.app_context():
            upgrade(directory=app.extensions["migrate"].directory)
            for path in herlev_files(app.config["DATA_DIR"]):
                import_areas(db.session, read_area_file(path))
            db.session.commit()
            shell, data = script.measure(app.test_client())
            db.session.remove()
            db.engine.dispose()
    return shell, data


def bench_payload() -> list[Figure]:
    """8b. Gzipped bytes of /indberet's first load, in KB, beside the vendor files alone."""
    shell, data = measure_rows()
    total = sum(packed for _, _, packed in shell)
    raw_total = sum(raw for _, raw, _ in shell)
    vendor = sum(packed for url, _, packed in shell if "/vendor/" in url or "leaflet" in url)
    largest = sorted(shell, key=lambda row: -row[2])[:3]
    note = (
        f"{total / KB:.1f} KB gzipped ({total:,} bytes; {raw_total / KB:.0f} KB uncompressed) "
        f"in {len(shell)} files; largest: "
        + ", ".join(
            f"{url.rsplit('/', 1)[-1].split('?')[0]} {packed / KB:.1f} KB"
            for url, _, packed in largest
        )
        + "; fetched after the first load: "
        + ", ".join(f"{url} {packed / KB:.1f} KB" for url, _, packed in data)
    )
    return [
        Figure(
            "8 PWA payload (first load, gzipped)",
            "/indberet + everything it loads: KB gzipped (the ms columns hold KB here)",
            "any",
            0,
            [total / KB / 1000],  # kilobytes in the column that shows samples x 1000
            "Leaflet + markercluster alone (KB gzipped)",
            [vendor / KB / 1000] if vendor else [],
            f"<= {GOAL_KB} KB",
            note,
        )
    ]
