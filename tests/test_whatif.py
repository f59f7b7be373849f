"""The planners' what-if (issue 16): budgets in sites and in DKK, population weights.

A star around a centre C (Herlev Station), one destination at C and origins at the spokes'
far ends; a 12 cm step on a spoke shuts it for wheelchairs:

                 N (0,100)
                   |
    W (-100,0) --- C --- E (100,0)
                   |
                 S (0,-100)
"""

from __future__ import annotations

import pytest
from shapely.geometry import LineString

from fieldaudit.crs import to_metric
from fieldaudit.network.impact import network_impact
from fieldaudit.network.lines import EdgeFacts, NetworkLine
from fieldaudit.network.profiles import PROFILES
from fieldaudit.network.routing import load_router
from fieldaudit.network.store import replace_network
from fieldaudit.network.whatif import Budget, plan_fixes

X0, Y0 = to_metric(12.4437, 55.7189)
ENDS = {"W": (-100, 0), "N": (0, 100), "S": (0, -100), "E": (100, 0)}


def _at(points):
    return [(X0 + x, Y0 + y) for x, y in points]


@pytest.fixture
def star(db, make_public_report):
    lines = [
        NetworkLine(LineString(_at([(0, 0), end])), EdgeFacts(highway="footway"))
        for end in ENDS.values()
    ]
    replace_network(db.session, lines)
    db.session.commit()
    return {
        name: make_public_report(dx=x / 2, dy=y / 2).site
        for name, (x, y) in ENDS.items()
        if name != "E"
    }


def _origins(**people):
    """Origins at the spokes' ends, one per person count asked (W=3: three at W)."""
    return _at([ENDS[name] for name, count in people.items() for _ in range(count)])


def _plan(db, origins, budget, costs, weights=None):
    router = load_router(db.session)
    return plan_fixes(router, PROFILES["WHEEL"], origins, _at([(0, 0)]), budget, costs, weights)


def test_a_cheaper_pair_beats_an_expensive_single_when_the_budget_says_so(db, star):
    costs = {star["W"].id: 100_000, star["N"].id: 40_000, star["S"].id: 40_000}
    origins = _origins(W=3, N=2, S=2, E=1)
    by_count = _plan(db, origins, Budget(sites=1), costs)
    assert [f.site_id for f in by_count.fixes] == [star["W"].id]  # 3 pairs beat 2
    pair = _plan(db, origins, Budget(dkk=100_000), costs)
    assert sorted(f.site_id for f in pair.fixes) == sorted([star["N"].id, star["S"].id])
    assert pair.spent_dkk == 80_000 and sum(f.pairs_opened for f in pair.fixes) == 4
    assert pair.share_before == pytest.approx(1 / 8) and pair.share_after == pytest.approx(5 / 8)
    assert _plan(db, origins, Budget(dkk=200_000), costs).share_after == 1.0
    one = _plan(db, origins, Budget(dkk=60_000), costs)
    assert len(one.fixes) == 1 and one.spent_dkk == 40_000
    assert _plan(db, origins, Budget(dkk=39_999), costs).fixes == []


def test_a_single_site_that_opens_more_than_the_greedy_pair_is_chosen(db, star):
    costs = {star["W"].id: 100_000, star["N"].id: 40_000, star["S"].id: 40_000}
    plan = _plan(db, _origins(W=5, N=2, S=2), Budget(dkk=100_000), costs)
    assert [(f.site_id, f.pairs_opened) for f in plan.fixes] == [(star["W"].id, 5)]
    # The kept searches went from the greedy's fixes (N, S) back to W alone: as a full recompute.
    full = network_impact(
        load_router(db.session),
        PROFILES["WHEEL"],
        _origins(W=5, N=2, S=2),
        _at([(0, 0)]),
        frozenset({star["W"].id}),
    )
    assert plan.share_after == full.reachable_share == pytest.approx(5 / 9)


def test_sites_without_a_cost_are_left_out_of_a_dkk_budget_and_listed(db, star):
    costs = {star["N"].id: 40_000, star["S"].id: None}
    plan = _plan(db, _origins(W=3, N=2, S=2), Budget(dkk=1_000_000), costs)
    assert [f.site_id for f in plan.fixes] == [star["N"].id]
    assert plan.unpriced == sorted([star["W"].id, star["S"].id])
    by_count = _plan(db, _origins(W=3, N=2, S=2), Budget(sites=3), costs)
    assert len(by_count.fixes) == 3 and by_count.unpriced == []


def test_population_weights_change_the_share_as_expected(db, star):
    router = load_router(db.session)
    origins, target = _origins(W=1, N=1, E=1), _at([(0, 0)])
    plain = network_impact(router, PROFILES["WHEEL"], origins, target)
    assert plain.reachable_share == pytest.approx(1 / 3)  # only E is open
    weighted = network_impact(router, PROFILES["WHEEL"], origins, target, weights=[100, 10, 10])
    assert weighted.reachable_share == pytest.approx(10 / 120)
    # Weighted, the fix that opens W's hundred people comes before N's ten.
    plan = _plan(db, origins, Budget(sites=1), {}, weights=[100, 10, 10])
    assert plan.weighted and plan.fixes[0].site_id == star["W"].id
    assert plan.share_after == pytest.approx(110 / 120)
    fewer = _plan(db, origins, Budget(sites=1), {}, weights=[1, 50, 10])
    assert fewer.fixes[0].site_id == star["N"].id


def test_the_cli_what_if_reads_the_population_grid(db, runner, make_public_report):
    from fieldaudit.models import PopulationCell

    assert runner.invoke(args=["init"]).exit_code == 0
    make_public_report()
    first = runner.invoke(args=["network", "impact", "--what-if", "1"])
    assert "of pairs with a route" in first.output, first.output
    result = runner.invoke(
        args=["network", "population", "import", "tests/data/population_grid.csv"]
    )
    assert result.exit_code == 0, result.output
    assert db.session.query(PopulationCell).count() == 4
    weighted = runner.invoke(args=["network", "impact", "--what-if", "1"])
    assert "of people with a route" in weighted.output and "What-if, fix" in weighted.output


@pytest.mark.parametrize("weights", [None, [30, 1, 2, 5, 4, 1]], ids=["pairs", "people"])
def test_each_pick_from_the_kept_searches_is_what_a_full_recompute_gives(db, star, weights):
    router = load_router(db.session)
    origins, target = _origins(W=2, N=2, S=1, E=1), _at([(0, 0)])
    plan = _plan(db, origins, Budget(sites=3), {}, weights)
    assert len(plan.fixes) == 3
    fixed: frozenset[int] = frozenset()
    for fix in plan.fixes:
        before = network_impact(router, PROFILES["WHEEL"], origins, target, fixed, weights)
        best = before.sites[0]  # the full recompute's largest impact is the greedy's pick
        assert (fix.site_id, fix.pairs_opened) == (best.site_id, best.pairs_lost)
        assert fix.opened == pytest.approx(best.opened)
        fixed = fixed | {fix.site_id}
        after = network_impact(router, PROFILES["WHEEL"], origins, target, fixed, weights)
        assert fix.share_after == pytest.approx(after.reachable_share)
    assert plan.share_after == pytest.approx(1.0)
