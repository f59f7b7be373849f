"""The bulk rebuild of sites (fieldaudit/site_rebuild.py): succession, merged duplicates,
confirmations, history, scores equal to the incremental refresh, and a stable result."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from fieldaudit import report_review, site_rebuild
from fieldaudit.models import BarrierReport, BarrierSite, HistoryEntry, SiteConfirmation
from fieldaudit.site_cells import differences
from fieldaudit.sites import add_confirmation, refresh_site

LATER = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)


@pytest.fixture
def reviewer(make_user):
    return make_user("reviewer")


def rebuild(db) -> int:
    count = site_rebuild.rebuild(db.session)
    db.session.commit()
    db.session.expire_all()
    return count


def site_of(db, report) -> BarrierSite | None:
    db.session.refresh(report)
    return db.session.get(BarrierSite, report.site_id) if report.site_id else None


def described(db) -> dict[frozenset[int], tuple]:
    """Every site by its reports, with everything but its id."""
    members: dict[int, set[int]] = {}
    for report_id, site_id in db.session.execute(select(BarrierReport.id, BarrierReport.site_id)):
        members.setdefault(site_id, set()).add(report_id)
    sites = {}
    for site in db.session.scalars(select(BarrierSite)):
        x, y = db.session.execute(select(site.geom.ST_X(), site.geom.ST_Y())).one()
        factors = dict(site.priority_factors)
        factors.pop("age")  # holds 'now' only through 'stale'; compared below
        sites[frozenset(members.get(site.id, ()))] = (
            site.category,
            site.status,
            site.status_reason,
            site.planned_year,
            site.planned_cost_dkk,
            site.severity,
            tuple(site.groups),
            tuple(sorted(site.tag_counts.items())),
            site.report_count,
            site.confirmation_count,
            site.fixed_claim_count,
            site.first_seen.replace(tzinfo=None),
            site.last_seen.replace(tzinfo=None),
            site.area_id,
            round(x, 6),
            round(y, 6),
            site.priority_score,
            repr(sorted(factors.items())),
        )
    return sites


def assert_refresh_agrees(db) -> None:
    """Refreshing every rebuilt site the incremental way changes nothing."""
    before = described(db)
    for site in db.session.scalars(select(BarrierSite)).all():
        refresh_site(db.session, site)
    db.session.flush()
    db.session.expire_all()
    assert described(db) == before
    db.session.rollback()


def test_merged_duplicate_stays_with_its_targets_successor(db, make_report, reviewer):
    target_report = make_report()
    near = make_report(dx=2)
    far = make_report(dx=40)  # too far to merge by distance
    target = target_report.site
    assert near.site_id == target.id and far.site_id != target.id
    report_review.mark_duplicate(db.session, far, reviewer, target, "Samme trin.")
    db.session.commit()

    assert rebuild(db) == 1  # the far report's old site is gone (it held nothing else)
    successor = site_of(db, target_report)
    assert successor.id == target.id
    assert site_of(db, far).id == successor.id == site_of(db, near).id
    db.session.refresh(far)
    assert far.status == "duplicate" and far.duplicate_of_site_id == successor.id
    assert successor.report_count == 3
    assert_refresh_agrees(db)
    assert differences(db.session) == []  # the maps' cell counts follow
    # A second rebuild keeps it there.
    assert rebuild(db) == 1
    assert site_of(db, far).id == site_of(db, target_report).id


def test_merged_duplicate_whose_target_has_no_successor_is_clustered(db, make_report, reviewer):
    target_report = make_report()
    far = make_report(dx=40)
    near_far = make_report(dx=42)
    assert near_far.site_id == far.site_id
    target = target_report.site
    report_review.mark_duplicate(db.session, far, reviewer, target, "Samme trin.")
    report_review.reject_report(db.session, target_report, reviewer, "Findes ikke.")
    db.session.commit()
    # The target now holds a rejected report and the merged one: nothing votes for it.
    assert rebuild(db) == 1
    site = site_of(db, far)
    assert site.id == site_of(db, near_far).id  # clustered by distance with its neighbour
    assert site_of(db, target_report) is None  # rejected reports hold no site
    db.session.refresh(far)
    assert far.duplicate_of_site_id is None  # the target has no successor


def test_successor_takes_over_review_state_confirmations_and_history(db, make_report, reviewer):
    first = make_report()
    make_report(dx=3)
    report_review.verify_report(db.session, first, reviewer, "Set på stedet.")
    site = first.site
    site.status, site.status_reason = "planned", "Udbedres med fortovet."
    site.planned_year, site.planned_cost_dkk = 2027, 45_000
    db.session.commit()
    first_uuid, second_uuid = (f"00000000-0000-4000-8000-00000000000{n}" for n in (1, 3))
    add_confirmation(db.session, site, first_uuid, "still_there", LATER, device_token_hash="a" * 64)
    add_confirmation(
        db.session, site, "00000000-0000-4000-8000-000000000002", "fixed_now", LATER + timedelta(1)
    )
    # Two devices count twice (one device, or no device from one address, would count once).
    add_confirmation(
        db.session, site, second_uuid, "still_there", LATER, device_token_hash="b" * 64
    )
    db.session.commit()
    old_id = site.id
    history = db.session.scalar(
        select(func.count()).select_from(HistoryEntry).where(HistoryEntry.site_id == old_id)
    )
    assert history > 0

    assert rebuild(db) == 1
    new = site_of(db, first)
    assert new.id == old_id  # the successor keeps the id (and links to it)
    assert (new.status, new.status_reason, new.planned_year, new.planned_cost_dkk) == (
        "planned",
        "Udbedres med fortovet.",
        2027,
        45_000,
    )
    assert (new.confirmation_count, new.fixed_claim_count) == (2, 1)
    assert new.anonymous_confirmation_count == 2
    assert new.last_seen.replace(tzinfo=UTC) == LATER + timedelta(1)
    assert new.report_count == 1  # the second report is not reviewed: a public site counts it later
    assert new.priority_factors["status"]["value"] == "planned"
    assert new.priority_factors["evidence"]["confirmations"] == 2
    assert new.priority_factors["evidence"]["verified"] is True
    kinds = db.session.execute(select(SiteConfirmation.site_id, SiteConfirmation.kind)).all()
    assert sorted(kinds) == [
        (new.id, "fixed_now"),
        (new.id, "still_there"),
        (new.id, "still_there"),
    ]
    assert (
        db.session.scalar(
            select(func.count()).select_from(HistoryEntry).where(HistoryEntry.site_id == new.id)
        )
        == history
    )
    assert_refresh_agrees(db)


def test_a_split_site_is_succeeded_by_its_first_part_only(db, make_report):
    first = make_report()
    moved = [make_report(dx=50), make_report(dx=51)]
    old = first.site
    old.status, old.status_reason = "verified", "Bemærkning"
    for report in moved:  # an old site holding reports that no longer cluster together
        report.site_id = old.id
    db.session.commit()
    assert rebuild(db) == 2
    successor, other = site_of(db, first), site_of(db, moved[0])
    assert site_of(db, moved[1]).id == other.id != successor.id
    # The first new site (in arrival order) that mostly came from the old site succeeds it.
    assert (successor.status, successor.status_reason) == ("verified", "Bemærkning")
    assert (other.status, other.status_reason) == ("new", "")
    assert_refresh_agrees(db)


def test_rebuilding_twice_gives_the_same_sites(db, make_report, reviewer):
    reports = [
        make_report(
            dx=dx,
            dy=dy,
            category=category,
            severity=severity,
            tags=tags,
            **({"measurements": {}} if category == "kerb" else {}),
        )
        for dx, dy, category, severity, tags in [
            (0, 0, "step", "high", []),
            (3, 1, "step", "low", ["no_alternative_route"]),
            (6, 0, "step", "medium", []),
            (0, 0, "kerb", "high", []),
            (5, 5, "kerb", "low", []),
            (9, 0, "kerb", "medium", ["no_alternative_route"]),
            (200, 0, "step", "high", []),
            (203, 0, "step", "high", []),
        ]
    ]
    report_review.verify_report(db.session, reports[0], reviewer)
    report_review.mark_duplicate(db.session, reports[6], reviewer, reports[3].site, "Samme sted.")
    report_review.reject_report(db.session, reports[4], reviewer, "Findes ikke.")
    db.session.commit()
    add_confirmation(
        db.session, reports[7].site, "00000000-0000-4000-8000-000000000009", "still_there", LATER
    )
    db.session.commit()
    first_count = rebuild(db)
    first = described(db)
    first_max = db.session.scalar(select(func.max(BarrierSite.id)))
    ids = set(db.session.scalars(select(BarrierSite.id)))
    assert rebuild(db) == first_count == len(first) - (1 if frozenset() in first else 0)
    assert described(db) == first
    assert set(db.session.scalars(select(BarrierSite.id))) == ids
    assert_refresh_agrees(db)
    # New reports after a rebuild get new sites with fresh ids (the id sequence follows).
    late = [make_report(dx=500), make_report(dx=600)]
    assert late[0].site_id > first_max and late[1].site_id > late[0].site_id


def test_rebuild_of_nothing(db):
    assert rebuild(db) == 0


def test_a_stale_site_is_rewritten_in_place(db, make_report):
    from geoalchemy2.shape import from_shape
    from shapely.geometry import Point

    first = make_report()
    make_report(dx=4)
    site = first.site
    fresh = described(db)
    site.geom = from_shape(Point(700_000, 6_170_000), srid=25832)
    site.severity, site.report_count, site.priority_score = "low", 7, 0.0
    db.session.commit()
    assert described(db) != fresh
    assert rebuild(db) == 1
    assert site_of(db, first).id == site.id
    assert described(db) == fresh
    assert differences(db.session) == []


def test_two_processes_build_the_same_sites_as_one(db, make_report, reviewer, monkeypatch):
    # The aggregation and scoring run in a forked second process above PARALLEL_MIN_SITES;
    # forced here with a few sites, the outcome must equal the one-process rebuild.
    for n in range(12):
        for dx, severity in ((0, "high"), (2, "low")):
            make_report(
                dx=40 * n + dx,
                category=("step", "kerb", "signage")[n % 3],
                severity=severity,
                measurements={},
            )
    report_review.verify_report(
        db.session, db.session.scalars(select(BarrierReport)).first(), reviewer
    )
    db.session.commit()
    rebuild(db)
    alone = described(db)
    monkeypatch.setattr(site_rebuild, "PARALLEL_MIN_SITES", 2)
    calls = []
    real = site_rebuild.in_two_processes
    monkeypatch.setattr(
        site_rebuild,
        "in_two_processes",
        lambda work, count, **options: calls.append(count) or real(work, count, **options),
    )
    rebuild(db)
    assert calls == [12] and described(db) == alone
    assert differences(db.session) == []


def test_in_two_processes_splits_and_joins_in_order():
    from fieldaudit.site_rebuild import in_two_processes

    def work(numbers):
        return [(n, n * n) for n in numbers]

    everything = work(range(101))
    assert in_two_processes(work, 101, minimum=2) == everything
    assert in_two_processes(work, 101, minimum=2, pack=list, unpack=tuple) == everything
    assert in_two_processes(work, 1, minimum=2) == work(range(1))
    assert in_two_processes(work, 0, minimum=2) == []


def test_a_failing_second_process_is_an_error_not_a_short_result():
    from fieldaudit.site_rebuild import in_two_processes

    def work(numbers):
        if numbers.start == 1:
            raise ValueError("the second process's part breaks")
        return list(numbers)

    with pytest.raises((RuntimeError, EOFError)):
        in_two_processes(work, 10, minimum=2)
