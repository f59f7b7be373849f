"""Incremental clustering equals the rebuild on 5,000 synthetic reports (issue 5).

About 3 minutes of CPU on SpatiaLite (nearly all of it the incremental path; the bulk rebuild,
fieldaudit/site_rebuild.py, takes about a second); ``FIELDAUDIT_SCALE_REPORTS=500`` runs a
quicker one.
"""

import os
import random
import time
import uuid
from datetime import UTC, datetime, timedelta

from shapely.geometry import box
from sqlalchemy import select

from fieldaudit.areas import ServiceArea
from fieldaudit.crs import to_wgs84
from fieldaudit.models import BarrierReport, BarrierSite
from fieldaudit.reports import check_report, store_report
from fieldaudit.site_rebuild import rebuild

EVERYWHERE = ServiceArea(box(700_000, 6_170_000, 730_000, 6_200_000), 0)
T0 = datetime(2026, 1, 1, 8, 0, tzinfo=UTC)
REPORTS = int(os.environ.get("FIELDAUDIT_SCALE_REPORTS", "5000"))


def _drafts(count: int, seed: int = 11) -> list[tuple[object, str]]:
    """Reports around 600 barriers in Herlev: GPS scatter of 4 m, 400 devices, some in bursts."""
    rng = random.Random(seed)
    centres = [
        (713_500 + rng.random() * 3_000, 6_179_500 + rng.random() * 4_500) for _ in range(600)
    ]
    drafts = []
    for i in range(count):
        cx, cy = rng.choice(centres)
        lon, lat = to_wgs84(cx + rng.gauss(0, 4), cy + rng.gauss(0, 4))
        payload = {
            "uuid": str(uuid.UUID(int=rng.getrandbits(128))),
            "lat": lat,
            "lon": lon,
            "category": rng.choice(["step", "kerb", "surface", "obstacle"]),
            "severity": rng.choice(["low", "medium", "high"]),
            "tags": ["no_alternative_route"] if rng.random() < 0.3 else [],
            "created_at": (T0 + timedelta(minutes=3 * i)).isoformat(),
        }
        drafts.append((check_report(payload, EVERYWHERE), f"device-{rng.randrange(400)}"))
    return drafts


def _site_ids(db) -> dict[frozenset[int], int]:
    members: dict[int, set[int]] = {}
    for report_id, site_id in db.session.execute(select(BarrierReport.id, BarrierReport.site_id)):
        members.setdefault(site_id, set()).add(report_id)
    return {frozenset(reports): site_id for site_id, reports in members.items()}


def _snapshot(db) -> tuple[list[list[int]], dict[frozenset[int], tuple]]:
    members: dict[int, set[int]] = {}
    for report_id, site_id in db.session.execute(select(BarrierReport.id, BarrierReport.site_id)):
        members.setdefault(site_id, set()).add(report_id)
    sites = {}
    for site in db.session.scalars(select(BarrierSite)):
        key = frozenset(members[site.id])
        sites[key] = (
            site.category,
            site.severity,
            tuple(site.groups),
            tuple(sorted(site.tag_counts.items())),
            site.report_count,
            round(site.priority_score, 6),
        )
    return sorted(sorted(m) for m in members.values()), sites


def test_incremental_clustering_equals_rebuild_on_5000_reports(db):
    drafts = _drafts(REPORTS)
    started = time.perf_counter()
    for number, (draft, device) in enumerate(drafts, 1):
        store_report(db.session, draft, device_token_hash=device)
        if number % 250 == 0:
            db.session.commit()
    db.session.commit()
    incremental_s = time.perf_counter() - started
    partition, sites = _snapshot(db)
    ids = _site_ids(db)
    assert len(partition) > min(600, REPORTS // 2)  # bursts and complete linkage split some
    assert sum(len(p) for p in partition) == REPORTS

    started = time.perf_counter()
    assert rebuild(db.session) == len(partition)
    db.session.commit()
    rebuild_s = time.perf_counter() - started
    db.session.expire_all()
    rebuilt_partition, rebuilt_sites = _snapshot(db)
    assert rebuilt_partition == partition
    assert rebuilt_sites == sites
    assert _site_ids(db) == ids  # every site succeeds itself and keeps its id
    print(
        f"\n{REPORTS} reports: incremental {incremental_s / REPORTS * 1000:.1f} ms/report, "
        f"rebuild {rebuild_s / REPORTS * 1000:.1f} ms/report"
    )
