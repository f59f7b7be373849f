"""Merging reports into barrier sites: thresholds, complete linkage, same reporter, rebuild."""

import random
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from geoalchemy2.shape import from_shape
from shapely.geometry import Point, box
from sqlalchemy import JSON, select

from fieldaudit.areas import ServiceArea
from fieldaudit.crs import METRIC, to_wgs84
from fieldaudit.models import BarrierReport, BarrierSite
from fieldaudit.reports import check_report, store_report
from fieldaudit.site_candidates import COUNTING_REPORTS, SITE_COLUMNS, Member, candidate_sites
from fieldaudit.site_rebuild import rebuild
from fieldaudit.site_rule import median_severity
from fieldaudit.site_writes import SITE_AGGREGATES
from fieldaudit.sites import join_site

X0, Y0 = 715_000.0, 6_181_000.0
EVERYWHERE = ServiceArea(box(700_000, 6_170_000, 730_000, 6_200_000), 0)
T0 = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def add(db, dx, dy, category="step", severity="medium", device=None, minutes=0, **extra):
    lon, lat = to_wgs84(X0 + dx, Y0 + dy)
    payload = {
        "uuid": str(uuid.uuid4()),
        "lat": lat,
        "lon": lon,
        "category": category,
        "severity": severity,
        "created_at": (T0 + timedelta(minutes=minutes)).isoformat(),
        **extra,
    }
    report, _ = store_report(
        db.session, check_report(payload, EVERYWHERE), device_token_hash=device or uuid.uuid4().hex
    )
    db.session.commit()
    return report


@pytest.mark.parametrize(
    ("category", "distance", "merged"),
    [("kerb", 7.4, True), ("kerb", 7.6, False), ("step", 9.9, True), ("step", 10.1, False)],
)
def test_merge_thresholds(db, category, distance, merged):
    first = add(db, 0, 0, category)
    second = add(db, distance, 0, category)
    assert (first.site_id == second.site_id) is merged


def test_other_category_never_merges(db):
    assert add(db, 0, 0, "step").site_id != add(db, 1, 0, "surface").site_id


def test_complete_linkage(db):
    a = add(db, 0, 0)
    b = add(db, 8, 0)  # within 10 m of a
    c = add(db, 16, 0)  # within 10 m of b but 16 m from a: a new site
    assert a.site_id == b.site_id != c.site_id


def test_same_reporter_within_ten_minutes_is_not_merged(db):
    a = add(db, 0, 0, device="d1")
    b = add(db, 1, 0, device="d1", minutes=5)
    c = add(db, 1, 1, device="d1", minutes=30)
    assert a.site_id != b.site_id
    assert c.site_id in (a.site_id, b.site_id)


def test_site_aggregates(db):
    add(db, 0, 0, severity="low", tags=["no_alternative_route"], groups=["WHEEL"])
    add(db, 2, 0, severity="high", tags=["no_alternative_route"], groups=["VIS"])
    add(db, 4, 0, severity="high")
    site = db.session.scalar(select(BarrierSite))
    assert site.report_count == 3
    assert site.severity == "high"
    assert site.groups == ["MOB", "VIS", "WHEEL"]
    assert site.tag_counts == {"no_alternative_route": 2}
    x = db.session.scalar(select(BarrierSite.geom.ST_X()))
    assert x == pytest.approx(X0 + 2, abs=0.01)


def test_median_severity():
    assert median_severity(["low", "high", "high"]) == "high"
    assert median_severity(["low", "medium"]) == "medium"
    assert median_severity(["low", "low", "high"]) == "low"


def _partition(db):
    groups = {}
    for report_id, site_id in db.session.execute(
        select(BarrierReport.id, BarrierReport.site_id)
    ).all():
        groups.setdefault(site_id, set()).add(report_id)
    return sorted(sorted(g) for g in groups.values())


def test_rebuild_gives_the_same_sites_as_the_incremental_path(db):
    rng = random.Random(3)
    for i in range(300):
        cx, cy = rng.choice([(0, 0), (30, 0), (0, 40), (60, 60), (100, 0)])
        add(
            db,
            cx + rng.gauss(0, 4),
            cy + rng.gauss(0, 4),
            rng.choice(["step", "kerb", "surface"]),
            rng.choice(["low", "medium", "high"]),
            device=f"d{rng.randrange(40)}",
            minutes=i,
        )
    before = _partition(db)
    site_count = len(before)
    assert rebuild(db.session) == site_count
    db.session.commit()
    assert _partition(db) == before


def test_candidate_members_are_the_stored_reports_exactly(db):
    """The candidate query's reports (one JSON array per site on PostGIS, a row each on
    SpatiaLite) are the counting reports as stored: the same coordinates to the last bit, the
    same moments, lists and measurements."""
    add(db, 0.123456789, 0.987654321, groups=["WHEEL"], tags=["no_alternative_route"])
    add(
        db,
        2.5,
        -1.25,
        severity="high",
        measurements={"threshold_height": {"value": 12.5, "unit": "cm"}},
        minutes=3,
    )
    (found,) = candidate_sites(db.session, "step", X0, Y0, 10.0)
    stored = db.session.execute(COUNTING_REPORTS, {"site_id": found.site.id}).all()
    assert len(found.members) == 2
    assert sorted(tuple(m) for m in found.members) == sorted(tuple(r) for r in stored)
    assert all(m.created_at.utcoffset() == timedelta(0) for m in found.members)
    assert Member._fields == tuple(c.name for c in COUNTING_REPORTS.selected_columns)
    # A join writes what it does not read: the site's JSON aggregates among them.
    unread = {c.name for c in BarrierSite.__table__.columns} - {c.key for c in SITE_COLUMNS}
    rewritten = {c.name for c in BarrierSite.__table__.columns if isinstance(c.type, JSON)}
    assert rewritten <= unread and rewritten <= set(SITE_AGGREGATES)


def test_a_stored_report_joins_a_site_written_with_it(db):
    """A stored report without a site (as after a correction) is written into the site it
    joins together with the site's aggregates; the site's loaded reports are read again."""
    first = add(db, 0, 0, severity="high")
    site = db.session.get(BarrierSite, first.site_id)
    assert len(site.reports) == 1
    x, y = X0 + 1.0, Y0 + 2.0
    report = BarrierReport(
        uuid=str(uuid.uuid4()),
        content_hash="0" * 64,
        geom=from_shape(Point(x, y), srid=METRIC),
        category="step",
        severity="low",
        groups=["VIS"],
        tags=[],
        measurements={},
        description="",
        created_at=T0,
        device_token_hash="another",
    )
    db.session.add(report)
    db.session.flush()
    joined = join_site(db.session, report, x, y)
    assert joined is site and report.site is site and report.site_id == site.id
    assert sorted(r.id for r in site.reports) == sorted([first.id, report.id])
    db.session.commit()
    db.session.expire_all()
    stored = db.session.get(BarrierSite, first.site_id)
    assert db.session.get(BarrierReport, report.id).site_id == stored.id
    assert stored.report_count == 2 and stored.groups == ["MOB", "VIS", "WHEEL"]
    assert stored.severity == "high"  # the higher middle of low and high
    assert db.session.scalar(select(BarrierSite.geom.ST_X())) == pytest.approx(X0 + 0.5)


def _stored_without_site(db, x, y, severity="low"):
    report = BarrierReport(
        uuid=str(uuid.uuid4()),
        content_hash="0" * 64,
        geom=from_shape(Point(x, y), srid=METRIC),
        category="step",
        severity=severity,
        groups=[],
        tags=[],
        measurements={},
        description="",
        created_at=T0,
        device_token_hash=uuid.uuid4().hex,
    )
    db.session.add(report)
    db.session.flush()
    return report


def test_a_site_started_again_after_a_rollback(db):
    """A join that starts a site and is rolled back leaves no stale site in the session: the
    next join that starts one (SQLite hands out the same id again) holds the new values."""
    add(db, 0, 0)
    first = join_site(db.session, _stored_without_site(db, X0 + 500, Y0), X0 + 500, Y0)
    first_id = first.id
    db.session.rollback()
    again = join_site(db.session, _stored_without_site(db, X0 + 900, Y0, "high"), X0 + 900, Y0)
    db.session.commit()
    assert again.report_count == 1 and again.severity == "high"
    db.session.expire_all()
    stored = db.session.get(BarrierSite, again.id)
    assert stored.severity == "high"
    assert db.session.scalar(select(BarrierSite.geom.ST_X()).where(BarrierSite.id == again.id)) == (
        pytest.approx(X0 + 900)
    )
    assert first_id == again.id or db.session.get(BarrierSite, first_id) is None
