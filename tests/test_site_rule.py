"""The merge rule on its own (fieldaudit/site_rule.py): no database, the same rule that
sites.join_site and the in-memory clustering apply (tests/test_sites.py, test_sites_at_scale.py)."""

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from fieldaudit.site_rule import (
    CANDIDATE_SITES,
    SAME_REPORTER_WINDOW,
    ClusterPoint,
    can_join,
    counted_reports,
    nearest_first,
    radius_for,
    reporter_key,
    site_to_join,
)

T0 = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)


def point(x: float, minutes: float = 0, reporter: str | None = None) -> ClusterPoint:
    return ClusterPoint(720_000.0 + x, 6_180_000.0, T0 + timedelta(minutes=minutes), reporter)


def test_radius_per_category():
    assert radius_for("kerb") == 7.5
    assert radius_for("step") == 10.0
    assert radius_for("no-such-category") == 10.0


def test_complete_linkage_every_member_within_the_radius():
    assert can_join([point(0), point(4)], point(7.5), 7.5)
    assert not can_join([point(0), point(4)], point(7.6), 7.5)
    assert can_join([], point(0), 7.5)


def test_never_the_same_reporter_within_the_window():
    window = SAME_REPORTER_WINDOW.total_seconds() / 60
    assert not can_join([point(0, 0, "device:a")], point(1, window, "device:a"), 10)
    assert can_join([point(0, 0, "device:a")], point(1, window + 0.01, "device:a"), 10)
    assert can_join([point(0, 0, "device:a")], point(1, 1, "device:b"), 10)
    assert can_join([point(0, 0, None)], point(1, 1, None), 10)  # unknown reporters may merge


def test_candidates_nearest_first_ties_by_number_at_most_eight():
    found = [(3.0, 7), (1.0, 9), (1.0, 2), *((5.0, n) for n in range(10, 20))]
    chosen = nearest_first(found)
    assert chosen[:3] == [2, 9, 7]
    assert len(chosen) == CANDIDATE_SITES


def test_the_first_fitting_candidate_of_at_most_eight():
    members = {n: [point(50)] for n in range(CANDIDATE_SITES)}  # too far for the report
    members[CANDIDATE_SITES] = [point(1)]  # would fit, but is the ninth
    assert site_to_join(range(CANDIDATE_SITES + 1), members.__getitem__, point(0), 10) is None
    members[5] = [point(2)]
    members[6] = [point(1)]
    assert site_to_join(range(CANDIDATE_SITES + 1), members.__getitem__, point(0), 10) == 5


def test_reporter_key_account_else_device_else_unknown():
    assert reporter_key(SimpleNamespace(reporter_id=4, device_token_hash="d")) == "user:4"
    assert reporter_key(SimpleNamespace(reporter_id=None, device_token_hash="d")) == "device:d"
    assert reporter_key(SimpleNamespace(reporter_id=None, device_token_hash="")) is None


def test_counted_reports_and_their_mean_position():
    positions = [(0.0, 0.0), (10.0, 20.0), (20.0, 40.0)]
    at = positions.__getitem__
    # Under review (no verified report): every report counts, the given centre is kept.
    new = counted_reports(["new", "new", "new"], at, (7.0, 8.0))
    assert (new.shown, new.x, new.y) == ([0, 1, 2], 7.0, 8.0)
    # Without a centre the mean is computed.
    assert (counted_reports(["new"] * 3, at).x, counted_reports(["new"] * 3, at).y) == (10.0, 20.0)
    # Once one is verified, only the accepted ones count, and the mean is theirs.
    reviewed = counted_reports(["verified", "new", "fixed"], at, (7.0, 8.0))
    assert (reviewed.shown, reviewed.x, reviewed.y) == ([0, 2], 10.0, 20.0)


def test_join_locks_are_shared_by_reports_that_could_meet():
    from fieldaudit.site_rule import JOIN_LOCK_CELL_M, join_lock_keys

    r = 10.0
    for dx, dy in [(0, 0), (19.9, 0), (0, -19.9), (14, 14), (49.9, 0.1)]:
        for x0 in (1000.0, 1040.0, 1049.95):  # inside a cell, near its edge, at its edge
            a = join_lock_keys("step", x0, 5000.0, r)
            b = join_lock_keys("step", x0 + dx, 5000.0 + dy, r)
            if abs(dx) < 2 * r and abs(dy) < 2 * r:
                assert set(a) & set(b), (dx, dy, x0)
            assert a == sorted(a) and 1 <= len(a) <= 4
    far = join_lock_keys("step", 1000.0 + 2 * JOIN_LOCK_CELL_M + 2 * r, 5000.0, r)
    assert not set(join_lock_keys("step", 1000.0, 5000.0, r)) & set(far)
    assert not set(join_lock_keys("step", 1000.0, 5000.0, r)) & set(
        join_lock_keys("kerb", 1000.0, 5000.0, r)
    )
