"""scripts/scale_out.py, small: two instances behind nginx on PostGIS and Redis pass every
check (0 errors, reports once, limits across both, a photo across, jobs once)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from scripts.servers import ROOT
from tests.conftest import TEST_DB
from tests.deploy.test_nginx import pytestmark as needs_nginx

pytestmark = [
    needs_nginx,
    pytest.mark.skipif(TEST_DB != "postgis", reason="scale-out runs on PostGIS (its own database)"),
]


def test_two_instances_pass_every_check(tmp_path):
    figures = tmp_path / "figures.json"
    result = subprocess.run(
        [
            sys.executable,
            "scripts/scale_out.py",
            "--users",
            "4",
            "--seconds",
            "6",
            "--json",
            str(figures),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    found = json.loads(figures.read_text())
    assert found["errors"] == 0 and found["reports_accepted"] == found["reports_stored"] > 0
    assert set(found["requests_by_instance"]) == {"a", "b"}
    assert found["rate_limit_across_instances"]["ok"]
    assert found["photo_through_a_served_by_b"]["ok"]
    assert found["jobs_run_once_for_both"]["ok"]
