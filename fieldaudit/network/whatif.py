"""The planners' what-if: within a budget (a number of sites, or an amount in DKK), the fixes
that open the most connections for a group, chosen greedily by marginal gain.

Each step takes the site whose fix opens the most origin-destination pairs (the most people,
with a population grid), then saves the most metres, given the fixes chosen before it
(``network_impact``'s figures with those sites taken away, read from kept searches:
``impact_state.ImpactState``, built once, and after each pick only the searches the fix can
shorten are run again). With a DKK budget only sites with a cost
estimate that still fits are candidates, and the gain is counted per krone; a single site
that opens more than the whole greedy choice, and fits, is chosen instead (the usual guard of
a budgeted greedy). Sites that would matter but have no cost estimate are listed apart.
Fixes that each open nothing alone (two blocking sites in a row) are not found by a greedy.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from fieldaudit.network.impact import NetworkImpact, SiteImpact
from fieldaudit.network.impact_state import ImpactState
from fieldaudit.network.profiles import Profile
from fieldaudit.network.routing import Router

MAX_FIXES = 100


@dataclass(frozen=True)
class Budget:
    """At most ``sites`` fixes, or fixes costing at most ``dkk`` kroner in all."""

    sites: int | None = None
    dkk: int | None = None

    @property
    def in_dkk(self) -> bool:
        """Whether the budget is an amount of money (else a number of sites)."""
        return self.dkk is not None


@dataclass(frozen=True)
class Fix:
    """One chosen fix: what it opens given the ones before it, its cost, the share after it."""

    site_id: int
    opened: float
    pairs_opened: int
    metres_saved: float
    cost_dkk: int | None
    share_after: float


@dataclass
class FixPlan:
    """The fixes chosen for a group and the share of pairs (or people) with a route before."""

    group: str
    weighted: bool
    share_before: float
    origins: int
    destinations: int
    fixes: list[Fix] = field(default_factory=list)
    unpriced: list[int] = field(default_factory=list)

    @property
    def share_after(self) -> float:
        """The share with a route once every chosen fix is made."""
        return self.fixes[-1].share_after if self.fixes else self.share_before

    @property
    def spent_dkk(self) -> int:
        """The chosen fixes' costs in all (those without a cost count as 0)."""
        return sum(f.cost_dkk or 0 for f in self.fixes)


def _value(site: SiteImpact, cost: int | None, per_krone: bool) -> tuple[float, float]:
    """A candidate's marginal gain: pairs (or people) opened, then metres saved; per krone
    for a DKK budget (a fix that costs nothing is worth any other)."""
    if not per_krone:
        return site.opened, site.extra_m
    if not cost:
        return math.inf, math.inf
    return site.opened / cost, site.extra_m / cost


def _fix(site: SiteImpact, cost: int | None, after: NetworkImpact) -> Fix:
    return Fix(
        site.site_id, site.opened, site.pairs_lost, site.extra_m, cost, after.reachable_share
    )


def plan_fixes(
    router: Router,
    profile: Profile,
    origins: Sequence[tuple[float, float]],
    destinations: Sequence[tuple[float, float]],
    budget: Budget,
    costs: Mapping[int, int | None],
    weights: Sequence[float] | None = None,
) -> FixPlan:
    """The fixes within ``budget`` that open the most connections for the group (greedy by
    marginal gain); ``costs`` are the sites' estimates in DKK (None: no estimate)."""
    state = ImpactState(router, profile, list(origins), list(destinations), weights)

    def impact(fixed: frozenset[int]) -> NetworkImpact:
        state.update(router, fixed)  # only the searches the fixes can shorten run again
        return state.impact()

    first = impact(frozenset())
    plan = FixPlan(
        profile.group.value,
        weights is not None,
        first.reachable_share,
        first.origins,
        first.destinations,
    )
    if budget.in_dkk:
        plan.unpriced = sorted(s.site_id for s in first.sites if costs.get(s.site_id) is None)
    limit = min(budget.sites if budget.sites is not None else MAX_FIXES, MAX_FIXES)
    left = budget.dkk
    fixed: frozenset[int] = frozenset()
    current = first
    while len(plan.fixes) < limit:
        candidates = [
            s
            for s in current.sites
            if not budget.in_dkk
            or (costs.get(s.site_id) is not None and costs[s.site_id] <= (left or 0))
        ]
        if not candidates:
            break
        best = max(
            candidates,
            key=lambda s: (*_value(s, costs.get(s.site_id), budget.in_dkk), -s.site_id),
        )
        fixed = fixed | {best.site_id}
        current = impact(fixed)
        plan.fixes.append(_fix(best, costs.get(best.site_id), current))
        if left is not None:
            left -= costs[best.site_id] or 0
    if budget.in_dkk:
        _single_if_better(plan, first, costs, budget.dkk or 0, impact)
    return plan


def _single_if_better(
    plan: FixPlan,
    first: NetworkImpact,
    costs: Mapping[int, int | None],
    dkk: int,
    impact: Callable[[frozenset[int]], NetworkImpact],
) -> None:
    """Replace the greedy choice by one affordable site that opens more than all of it."""
    affordable = [
        s for s in first.sites if costs.get(s.site_id) is not None and costs[s.site_id] <= dkk
    ]
    if not affordable:
        return
    single = max(affordable, key=lambda s: (s.opened, s.extra_m, -s.site_id))
    greedy = sum(f.opened for f in plan.fixes)
    if single.opened > greedy:
        after = impact(frozenset({single.site_id}))
        plan.fixes = [_fix(single, costs[single.site_id], after)]
