"""The incremental network impact (issue 16): after each site change, running again only the
searches the change can alter gives what the full recompute gives (SpatiaLite and PostGIS).

The grid of ``test_network_routes`` (steps between C and D):

    W(0,100) ---- X(100,100) ---- Y(200,100)
       |                             |
    A(0,0) ---- M(100,0) ---------- B(200,0) ---- C(300,0) ==steps== D(400,0) ---- E(500,0)
"""

from __future__ import annotations

import pytest

from fieldaudit.network.impact import network_impact
from fieldaudit.network.impact_state import ImpactState
from fieldaudit.network.lines import read_line_file
from fieldaudit.network.profiles import PROFILES
from fieldaudit.network.routing import load_router
from fieldaudit.network.store import replace_network
from tests.test_network_routes import X0, Y0, grid_file

ORIGINS = [(X0 + x, Y0 + y) for x, y in [(0, 0), (100, 100), (500, 0)]]
DESTINATIONS = [(X0 + x, Y0 + y) for x, y in [(200, 0), (300, 0), (400, 0)]]
# People per origin from a population grid: A's cell 40, the cell above none, E's 7.
WEIGHTS = [40.0, 0.0, 7.0]


@pytest.fixture
def grid(db, tmp_path):
    lines, _, _ = read_line_file(grid_file(tmp_path))
    replace_network(db.session, lines, tolerance=1.0)
    db.session.commit()


def _same_as_full(db, state, group, weights=None):
    router = load_router(db.session)
    redone = state.update(router)
    full = network_impact(router, PROFILES[group], ORIGINS, DESTINATIONS, weights=weights)
    kept = state.impact()
    assert (kept.people, kept.reachable_people) == pytest.approx(
        (full.people, full.reachable_people)
    )
    for name in ("people_lost", "people_extra_m"):
        assert [getattr(s, name) for s in kept.sites] == pytest.approx(
            [getattr(s, name) for s in full.sites]
        )
    if weights is not None:  # weighted, and the sums are not the unweighted ones
        assert kept.people == sum(weights) * len(DESTINATIONS)
        assert all(s.people_lost is not None for s in kept.sites)
    assert (kept.origins, kept.destinations, kept.pairs) == (
        full.origins,
        full.destinations,
        full.pairs,
    )
    assert kept.reachable_pairs == full.reachable_pairs
    assert [(s.site_id, s.edge, s.pairs_lost) for s in kept.sites] == [
        (s.site_id, s.edge, s.pairs_lost) for s in full.sites
    ]
    assert [s.extra_m for s in kept.sites] == pytest.approx([s.extra_m for s in full.sites])
    return redone, kept


@pytest.mark.parametrize("weights", [None, WEIGHTS], ids=["pairs", "people"])
@pytest.mark.parametrize("group", ["WHEEL", "MOB"])
def test_each_change_gives_the_full_recompute(db, grid, make_public_report, group, weights):
    router = load_router(db.session)
    state = ImpactState(router, PROFILES[group], ORIGINS, DESTINATIONS, weights)
    assert state.last_redone == 6  # the first time: every search (3 destinations, 3 origins)
    redone, kept = _same_as_full(db, state, group, weights)
    assert (redone, kept.sites) == (0, [])  # nothing changed: nothing run again

    step = make_public_report(dx=50, dy=2).site  # 12 cm: blocks WHEEL, 60 m for MOB
    redone, kept = _same_as_full(db, state, group, weights)
    assert 0 < redone < 6  # only the searches whose routes pass A-M (not the one from E)
    assert [s.site_id for s in kept.sites] == [step.id]
    if weights is not None:  # only A's routes pass A-M: each of its metres weighs 40 people
        [cut] = kept.sites
        assert cut.extra_m > 0 and cut.people_extra_m == pytest.approx(40.0 * cut.extra_m)

    detour = make_public_report(
        dx=150, dy=102, category="surface", severity="high", measurements={}
    )
    redone, kept = _same_as_full(db, state, group, weights)
    assert redone < 6
    if group == "WHEEL":  # both ways from A cost more: each of the two sites matters
        assert {s.site_id for s in kept.sites} == {step.id, detour.site.id}
        if weights is not None:  # part of its metres are X's, whose cell weighs nothing
            cost = {s.site_id: s for s in kept.sites}[detour.site.id]
            assert 0 < cost.people_extra_m < 40.0 * cost.extra_m

    step.status = "fixed"  # cheaper again: the searches it shortens are run again
    db.session.commit()
    redone, kept = _same_as_full(db, state, group, weights)
    assert redone > 0
    assert step.id not in [s.site_id for s in kept.sites]


def test_a_change_on_an_edge_no_route_needs_runs_nothing_again(db, grid, make_public_report):
    state = ImpactState(load_router(db.session), PROFILES["WHEEL"], ORIGINS, DESTINATIONS)
    make_public_report(dx=350, dy=2)  # a step on the steps C-D: shut for WHEEL already
    redone, kept = _same_as_full(db, state, "WHEEL")
    assert (redone, kept.sites) == (0, [])
    make_public_report(dx=450, dy=2)  # a step on D-E: only the routes to and from E used it
    redone, _ = _same_as_full(db, state, "WHEEL")
    assert redone == 2  # the search from D and the one from E
