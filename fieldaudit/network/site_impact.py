"""Each site's network impact for one group, as the priority stores it: the figures over the
origin grid and the pair of destinations that gains most without the site.

From an ``ImpactState`` (kept searches): ``pairs_lost`` and ``extra_m`` over the origin x
destination pairs (``impact_state.ImpactState.impact``), ``pairs`` (how many pairs there are, for
the priority's normalisation), with a population grid the same weighted by the people of each
pair's origin (``people_lost``, ``people_extra_m``, ``people``) and, for the explanation, the two named destinations whose
connection gains most if the site were gone: a pair with no route today first (the one with
the shortest new route), else the pair whose route becomes the most metres shorter. The
searches from the destinations give the distances between destinations too (``d(i, j)`` is
row ``i`` at destination ``j``'s node), so the pair costs no search.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fieldaudit.network.impact import EPSILON_M, NetworkImpact, _without
from fieldaudit.network.impact_state import ImpactState
from fieldaudit.network.profiles import BLOCK


@dataclass(frozen=True)
class GroupImpact:
    """One site's figures for one group (what ``site_network_impacts.groups`` holds)."""

    pairs_lost: int
    extra_m: float
    pairs: int
    origin: str | None = None  # the pair that gains most: from ...
    destination: str | None = None  # ... to
    gain_m: float | None = None  # metres shorter; None: no route today (or no named pair)
    effect: str = BLOCK  # what the site does to the group: block, or penalty (metres are then
    # the equivalent detour the profile counts, not a shorter way on the ground)
    # With a population grid: the figures weighted by the people of each pair's origin (people
    # cut off, metres x people, people of all pairs); None when unweighted.
    people_lost: float | None = None
    people_extra_m: float | None = None
    people: float | None = None

    def as_dict(self) -> dict:
        """The figures as stored (JSON); the weighted ones only when weighted."""
        weighted = (
            {}
            if self.people is None
            else {
                "people_lost": round(self.people_lost or 0.0, 3),
                "people_extra_m": round(self.people_extra_m or 0.0, 1),
                "people": round(self.people, 3),
            }
        )
        return weighted | {
            "pairs_lost": self.pairs_lost,
            "extra_m": round(self.extra_m, 1),
            "pairs": self.pairs,
            "from": self.origin,
            "to": self.destination,
            "gain_m": None if self.gain_m is None else round(self.gain_m, 1),
            "effect": self.effect,
        }


def _pairs(state: ImpactState, names: list[str]) -> tuple[list[str], np.ndarray]:
    """The searched destinations' names, and which (row, column) pairs count: each unordered
    pair once, and not two places of the same name."""
    labels = [names[i] for i in state.target_index]
    same = np.array([[x == y for y in labels] for x in labels], dtype=bool).reshape(
        len(labels), len(labels)
    )
    return labels, np.triu(np.ones_like(same), k=1) & ~same


def _best_pair(
    state: ImpactState, edge: int, relieved: float, labels: list[str], upper: np.ndarray
) -> tuple[str, str, float | None] | None:
    """The destinations (by name) whose connection gains most without the site, or None."""
    graph = state.router.graph
    a, b = int(graph.u[edge]), int(graph.v[edge])
    dist = state.targets.dist
    nodes = state.targets.nodes
    now = dist[:, nodes]
    through = np.minimum(
        dist[:, [a]] + relieved + dist[:, b][None, :],  # d(i, a) + c' + d(b, j)
        dist[:, [b]] + relieved + dist[:, a][None, :],
    )
    after = np.minimum(now, through)
    lost = upper & np.isinf(now) & np.isfinite(after)
    if lost.any():
        i, j = np.unravel_index(np.where(lost, after, np.inf).argmin(), after.shape)
        return labels[i], labels[j], None
    with np.errstate(invalid="ignore"):
        gain = np.where(upper & np.isfinite(now), now - after, 0.0)
    i, j = np.unravel_index(gain.argmax(), gain.shape)
    if gain[i, j] <= EPSILON_M:
        return None
    return labels[i], labels[j], float(gain[i, j])


def group_impacts(
    state: ImpactState, names: list[str]
) -> tuple[NetworkImpact, dict[int, GroupImpact]]:
    """The group's figures, and every site that matters to it (the others are left out) with
    its best pair. ``names``: the destinations' names in the order the state was built with."""
    found = state.impact()
    costs = state.group_costs
    result: dict[int, GroupImpact] = {}
    labels, upper = _pairs(state, names)
    for item in found.sites:
        relieved = _without(state.router, costs, item.edge, item.site_id)
        pair = _best_pair(state, item.edge, relieved, labels, upper)
        origin, destination, gain = pair if pair is not None else (None, None, None)
        rule = next(r for s, r in costs.effects[item.edge] if s.site_id == item.site_id)
        result[item.site_id] = GroupImpact(
            item.pairs_lost,
            item.extra_m,
            found.pairs,
            origin,
            destination,
            gain,
            rule.effect,
            item.people_lost,
            item.people_extra_m,
            found.people,
        )
    return found, result
