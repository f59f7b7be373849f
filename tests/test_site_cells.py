"""site_cells: the per-cell counts the maps read stay equal to a fresh count after every kind
of change to the sites, and answer a box through the key."""

from __future__ import annotations

import random
from datetime import UTC, datetime

from sqlalchemy import delete, func, select, update

from fieldaudit import report_review, site_decisions
from fieldaudit.models import BarrierReport, BarrierSite, site_cells
from fieldaudit.site_cells import (
    LEVELS,
    cell_of,
    cells_in_box,
    differences,
    rebuild_site_cells,
)

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)


def _cells(db):
    return db.session.execute(select(func.count()).select_from(site_cells)).scalar_one()


def test_public_sites_are_counted_at_every_level(herlev, make_report, make_public_report):
    report = make_public_report(dx=0, dy=0)
    make_report(dx=0.5, dy=0.5, category="kerb", measurements={})  # under review: not counted
    assert differences(herlev.session) == []
    site = herlev.session.get(BarrierSite, report.site_id)
    x, y = herlev.session.execute(
        select(func.ST_X(BarrierSite.geom), func.ST_Y(BarrierSite.geom)).where(
            BarrierSite.id == site.id
        )
    ).one()
    for level in LEVELS:
        (cell,) = cells_in_box(herlev.session, level, (x - 1, y - 1, x + 1, y + 1))
        assert (cell.gx, cell.gy) == cell_of(x, y, level)
        assert (cell.sites, cell.high, cell.reports) == (1, 1, 1)
        assert abs(cell.x - x) < 1e-6 and abs(cell.y - y) < 1e-6


def test_cells_follow_joins_moves_reviews_corrections_and_deletions(herlev, make_report, make_user):
    """A seeded mix of everything that changes sites; after each step the stored cells equal
    a fresh count."""
    rng = random.Random(5)
    reviewer = make_user("reviewer")
    planner = make_user("planner")
    reports = []
    for _ in range(40):
        reports.append(
            make_report(
                dx=rng.choice([0, 3, 40, 400, 1200]) + rng.uniform(-4, 4),
                dy=rng.choice([0, 5, 60, 700]) + rng.uniform(-4, 4),
                category=rng.choice(["step", "kerb", "surface"]),
                measurements={},
                severity=rng.choice(["low", "medium", "high"]),
            )
        )
        assert differences(herlev.session) == []
    session = herlev.session
    steps = [
        lambda r: report_review.verify_report(session, r, reviewer, now=NOW),
        lambda r: report_review.reject_report(session, r, reviewer, "Ikke en barriere", now=NOW),
        lambda r: report_review.correct_report(
            session, r, reviewer, severity=rng.choice(["low", "high"]), now=NOW
        ),
        lambda r: report_review.correct_report(session, r, reviewer, category_code="step", now=NOW),
    ]
    for report in rng.sample(reports, 24):
        session.refresh(report)
        if report.status not in ("new", "verified"):
            continue
        try:
            rng.choice(steps)(report)
        except Exception as problem:  # a decision the lifecycle refuses changes nothing
            session.rollback()
            assert "Error" in type(problem).__name__
            continue
        session.commit()
        assert differences(session) == [], report.id
    open_sites = session.scalars(
        select(BarrierSite).where(BarrierSite.status.in_(["new", "verified"]))
    ).all()
    target, *others = open_sites
    moved = session.scalars(
        select(BarrierReport).where(
            BarrierReport.site_id == others[0].id, BarrierReport.status == "new"
        )
    ).first()
    if moved is not None:
        report_review.mark_duplicate(session, moved, reviewer, target, now=NOW)
        session.commit()
        assert differences(session) == []
    verified = session.scalars(select(BarrierSite).where(BarrierSite.status == "verified")).first()
    if verified is not None:
        site_decisions.plan_site(session, verified, planner, NOW.year + 1, now=NOW)
        session.commit()
        assert differences(session) == []
    session.execute(update(BarrierReport).values(site_id=None))
    session.delete(others[-1])
    session.commit()
    assert differences(session) == []


def test_a_rolled_back_change_leaves_the_cells_as_they_were(herlev, make_public_report):
    report = make_public_report()
    site = herlev.session.get(BarrierSite, report.site_id)
    site.status = "rejected"
    herlev.session.flush()
    herlev.session.rollback()
    assert differences(herlev.session) == []
    assert sum(c.sites for c in cells_in_box(herlev.session, 10, (0, 0, 1e7, 1e7))) == 1


def test_rebuild_after_bulk_writes_and_differences_are_found(herlev, make_public_report):
    for step in range(6):
        make_public_report(dx=step * 30.0)
    session = herlev.session
    session.execute(update(BarrierSite).values(severity="low"))  # bypasses the ORM
    problems = differences(session)
    assert problems and all("site_cells" in p for p in problems)
    cells = rebuild_site_cells(session)
    assert cells == _cells(herlev) > 0
    assert differences(session) == []
    session.execute(delete(site_cells))
    assert len(differences(session)) == cells


def test_the_default_map_reads_stored_cells_and_agrees_with_counting_live(
    herlev, make_public_report, monkeypatch
):
    import json

    from fieldaudit.map_aggregation import (
        SitePoint,
        grid_counts,
        map_features,
        map_features_json,
        sites_in_bbox,
        viewport_content,
    )

    rng = random.Random(3)
    for _ in range(30):
        make_public_report(dx=rng.uniform(-600, 600), dy=rng.uniform(-600, 600), measurements={})
    session = herlev.session
    x, y = session.execute(
        select(func.avg(func.ST_X(BarrierSite.geom)), func.avg(func.ST_Y(BarrierSite.geom)))
    ).one()
    box = (x - 1500, y - 1500, x + 1500, y + 1500)
    sites = sites_in_bbox(session, box)
    assert sites and all(site._fields == SitePoint._fields for site in sites)
    _sites, stored = viewport_content(session, box, max_features=5)
    assert stored is not None
    cell, cells = stored
    live = grid_counts(session, box, cell)
    assert sorted((round(c.x, 6), round(c.y, 6), c.count, c.high, c.reports) for c in cells) == (
        sorted((round(c.x, 6), round(c.y, 6), c.count, c.high, c.reports) for c in live)
    )
    # The stored cells come back only when they hold more sites than asked (summed in SQL).
    assert cells_in_box(session, int(cell), box, more_than=len(sites)) == []
    assert sum(
        c.sites for c in cells_in_box(session, int(cell), box, more_than=len(sites) - 1)
    ) == (len(sites))
    answer = map_features(session, box, max_features=5)
    assert answer["clustered"] and answer["cell_m"] == cell
    assert sum(f["properties"]["count"] for f in answer["features"]) == len(sites)
    assert json.loads(map_features_json(session, box, max_features=5)) == answer
    # Enough room for every site: the sites themselves; a filter counts live.
    assert not map_features(session, box, max_features=len(sites))["clustered"]
    assert map_features(session, box, categories=["step"], max_features=5)["clustered"]
    # Few enough sites in the stored cells: the sites are read at once, without a count first.
    from fieldaudit import map_aggregation

    def no_count(*_args, **_kwargs):
        raise AssertionError("the default map counted live")

    monkeypatch.setattr(map_aggregation, "count_in_bbox", no_count)
    answer = map_features(session, box, max_features=len(sites))
    assert sorted(f["id"] for f in answer["features"]) == sorted(s.id for s in sites)


def test_stale_stored_cells_never_give_more_features_than_allowed(herlev, make_public_report):
    from fieldaudit.map_aggregation import map_features

    for n in range(8):
        make_public_report(dx=30 * n, measurements={})
    session = herlev.session
    x, y = session.execute(
        select(func.avg(func.ST_X(BarrierSite.geom)), func.avg(func.ST_Y(BarrierSite.geom)))
    ).one()
    box = (x - 1500, y - 1500, x + 1500, y + 1500)
    session.execute(delete(site_cells))  # stale: the cells say there is nothing here
    answer = map_features(session, box, max_features=5)
    assert answer["clustered"] and sum(f["properties"]["count"] for f in answer["features"]) == 8


def test_new_reports_joining_public_sites_keep_the_cells(herlev, make_report, make_public_report):
    """A new report is written with Core statements (``sites.join_new_report``), its site and
    the site's cells with it: the cells still equal a fresh count."""
    first = make_public_report(severity="high")
    second = make_public_report(dx=200.0, severity="low")
    joined = [make_report(dx=1.0, severity="low"), make_report(dx=201.0, device="c" * 64)]
    herlev.session.commit()
    assert [r.site_id for r in joined] == [first.site_id, second.site_id]
    assert differences(herlev.session) == []
