"""Network impact per site (issue 16): the only bridge between two halves, and a detour.

    (0,100) ---- (100,100)                 (200,100)
       |             |                         |
    (0,0) ------ (100,0) ==== bridge ==== (200,0) ---- (300,0)

Origins (0,0) and (100,0) on the left (nodes; a place is put on the nearest node of its edge), destinations (300,0) and (200,100) on the right.
"""

from __future__ import annotations

import pytest
from shapely.geometry import LineString

from fieldaudit.crs import to_metric
from fieldaudit.network.impact import network_impact, origin_grid
from fieldaudit.network.lines import EdgeFacts, NetworkLine
from fieldaudit.network.profiles import PROFILES
from fieldaudit.network.routing import load_router
from fieldaudit.network.store import replace_network

X0, Y0 = to_metric(12.4437, 55.7189)
LINES = [
    [(0, 0), (100, 0)],
    [(0, 0), (0, 100), (100, 100), (100, 0)],
    [(100, 0), (200, 0)],  # the bridge
    [(200, 0), (300, 0)],
    [(200, 0), (200, 100)],
]


def _at(points):
    return [(X0 + x, Y0 + y) for x, y in points]


@pytest.fixture
def halves(db):
    lines = [NetworkLine(LineString(_at(c)), EdgeFacts(highway="footway")) for c in LINES]
    replace_network(db.session, lines)
    db.session.commit()


def impact(db, group):
    router = load_router(db.session)
    return network_impact(
        router, PROFILES[group], _at([(0, 0), (100, 0)]), _at([(300, 0), (200, 100)])
    )


def test_a_barrier_on_the_only_bridge_costs_every_pair_across(db, halves, make_public_report):
    bridge = make_public_report(dx=150).site  # a 12 cm step: blocks WHEEL
    side = make_public_report(dx=50, dy=-1).site  # also a step, but the bridge is shut anyway
    wheel = impact(db, "WHEEL")
    assert (wheel.pairs, wheel.reachable_pairs) == (4, 0)
    assert [(s.site_id, s.pairs_lost, s.extra_m) for s in wheel.sites] == [(bridge.id, 4, 0.0)]
    assert side.id not in [s.site_id for s in wheel.sites]
    vis = impact(db, "VIS")  # a step does not block a blind person
    assert (vis.reachable_pairs, vis.sites) == (4, [])


def test_a_barrier_with_a_detour_costs_its_extra_length(db, halves, make_public_report):
    side = make_public_report(dx=50, dy=-1).site
    wheel = impact(db, "WHEEL")
    assert wheel.reachable_pairs == 4
    # From (0,0) the detour is 300 m instead of 100 m, to both destinations; from (100,0)
    # the site is not on the way.
    assert [(s.site_id, s.pairs_lost) for s in wheel.sites] == [(side.id, 0)]
    assert wheel.sites[0].extra_m == pytest.approx(400.0)
    mob = impact(db, "MOB")  # 60 m penalty: cheaper than the 200 m detour, paid on 2 pairs
    assert mob.sites[0].extra_m == pytest.approx(120.0)


def test_origin_grid_is_cell_centres_inside_the_area():
    from shapely.geometry import box

    cells = origin_grid(box(715000, 6180000, 716000, 6180500), spacing=250)
    assert len(cells) == 8 and (715125.0, 6180125.0) in cells


def test_the_what_if_fixes_the_bridge_first(db, halves, make_public_report):
    from fieldaudit.network.whatif import Budget, plan_fixes

    side = make_public_report(dx=50, dy=-1).site  # a detour exists: 400 m extra
    bridge = make_public_report(dx=150).site  # the only way across: 4 pairs
    router = load_router(db.session)
    plan = plan_fixes(
        router,
        PROFILES["WHEEL"],
        _at([(0, 0), (100, 0)]),
        _at([(300, 0), (200, 100)]),
        Budget(sites=5),
        {},
    )
    assert [f.site_id for f in plan.fixes] == [bridge.id, side.id]
    assert plan.share_before == 0.0 and [f.share_after for f in plan.fixes] == [1.0, 1.0]
    assert plan.fixes[0].pairs_opened == 4
    assert plan.fixes[1].metres_saved == pytest.approx(400.0)
