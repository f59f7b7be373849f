"""Network impact: what each public open barrier costs a group between origins and destinations.

For one group, the cost of every route from each destination to each origin is known from one
Dijkstra search per destination. A site's impact is what would change if it were gone: its
edge then costs ``c'`` (its length and the other sites' penalties, or still blocked by another
site), and a pair's new cost is ``min(d(t, o), d(t, a) + c' + d(b, o), d(t, b) + c' + d(a, o))``
with ``a``, ``b`` the edge's nodes (two more searches per site). ``extra_m`` sums what the
site adds over the pairs that have a route either way; ``pairs_lost`` counts the pairs that
have a route only without it. With ``weights`` (the people per origin, from a population grid)
each pair weighs as its origin: ``people_lost`` and ``people_extra_m`` are the same sums
weighted (``site_figures``, shared with ``impact_state.ImpactState``). Origins and destinations
are placed on the nearest node of their nearest usable edge.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra
from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry

from fieldaudit.network.profiles import BLOCK, Profile
from fieldaudit.network.routing import GroupCosts, Router

DEFAULT_SPACING_M = 250.0
EPSILON_M = 1e-6  # less than this is rounding in the sums, not metres a site adds


@dataclass(frozen=True)
class SiteImpact:
    """What one site costs the group: metres added and pairs cut off."""

    site_id: int
    edge: int
    extra_m: float
    pairs_lost: int
    # The people (population-weighted origins) among the pairs lost, and the metres weighted
    # by the people of each pair's origin; None when unweighted.
    people_lost: float | None = None
    people_extra_m: float | None = None

    @property
    def opened(self) -> float:
        """What fixing the site opens: the people when weighted, else the pairs."""
        return self.pairs_lost if self.people_lost is None else self.people_lost


@dataclass
class NetworkImpact:
    """The group's figures: pairs with a route and each site's impact (largest first)."""

    group: str
    origins: int
    destinations: int
    pairs: int
    reachable_pairs: int
    sites: list[SiteImpact] = field(default_factory=list)
    # With a population grid: the people of all pairs (origins' people per destination) and
    # of those with a route; None when unweighted.
    people: float | None = None
    reachable_people: float | None = None

    @property
    def reachable_share(self) -> float:
        """The share of origin-destination pairs with a route for the group (of the people in
        them, when weighted)."""
        if self.people is not None and self.reachable_people is not None:
            return self.reachable_people / self.people if self.people else 0.0
        return self.reachable_pairs / self.pairs if self.pairs else 0.0


def origin_grid(
    area: BaseGeometry, spacing: float = DEFAULT_SPACING_M
) -> list[tuple[float, float]]:
    """Cell centres of a regular grid (EPSG:25832, DDKN-aligned) that lie inside ``area``."""
    min_x, min_y, max_x, max_y = area.bounds
    start_x = math.floor(min_x / spacing) * spacing + spacing / 2
    start_y = math.floor(min_y / spacing) * spacing + spacing / 2
    return [
        (x, y)
        for x in np.arange(start_x, max_x, spacing).tolist()
        for y in np.arange(start_y, max_y, spacing).tolist()
        if area.contains(Point(x, y))
    ]


def _node(router: Router, costs: GroupCosts, x: float, y: float) -> int | None:
    position = router.snap(x, y, costs.blocked)
    if position is None:
        return None
    edge, fraction = position
    graph = router.graph
    return int(graph.u[edge]) if fraction < 0.5 else int(graph.v[edge])


def _without(router: Router, costs: GroupCosts, edge: int, site_id: int) -> float:
    """The edge's whole cost if this one site were gone."""
    if costs.blocked[edge]:
        return math.inf
    cost = router.graph.length[edge] * (1.0 + costs.per_m[edge])
    for site, rule in costs.effects.get(edge, []):
        if site.site_id == site_id:
            continue
        if rule.effect == BLOCK:
            return math.inf
        cost += rule.penalty_m
    return cost


def site_figures(
    site_id: int, edge: int, now: np.ndarray, after: np.ndarray, people: np.ndarray | None
) -> SiteImpact | None:
    """One site's impact from the pairs' costs with it (``now``, destinations x origins) and
    without it (``after``); ``people`` per origin weights each pair by its origin (None:
    unweighted). None when the site changes no pair."""
    both = np.isfinite(now)
    with np.errstate(invalid="ignore"):  # inf - inf where neither has a route
        saved = np.where(both, now - after, 0.0)
    extra = float(saved[both].sum())
    opened = ~both & np.isfinite(after)
    lost = int(opened.sum())
    if not (extra > EPSILON_M or lost):
        return None
    if people is None:
        return SiteImpact(site_id, edge, extra, lost)
    weights = people[None, :]
    people_lost = float((opened * weights).sum())
    return SiteImpact(site_id, edge, extra, lost, people_lost, float((saved * weights).sum()))


def weigh_totals(result: NetworkImpact, now: np.ndarray, people: np.ndarray | None) -> None:
    """With ``people`` per origin: the people of all pairs and of those with a route."""
    if people is None:
        return
    result.people = float(people.sum()) * result.destinations
    reached = (np.isfinite(now) * people[None, :]).sum() if now.size else 0.0
    result.reachable_people = float(reached)


def sort_sites(sites: list[SiteImpact]) -> None:
    """Largest first: the pairs (people) opened, then the metres saved."""
    sites.sort(key=lambda s: (-s.opened, -s.extra_m, s.site_id))


def network_impact(
    router: Router,
    profile: Profile,
    origins: list[tuple[float, float]],
    destinations: list[tuple[float, float]],
    fixed: frozenset[int] = frozenset(),
    weights: Sequence[float] | None = None,
) -> NetworkImpact:
    """Every public open site's impact on the group between the origins and destinations
    (with the ``fixed`` sites taken away, for the what-if); ``weights`` (people per origin,
    from a population grid) weight each pair by its origin."""
    costs = router.costs_for(profile, fixed)
    prepared = costs.prepared
    placed_origins = [
        (n, 1.0 if weights is None else float(weights[i]))
        for i, n in enumerate(_node(router, costs, x, y) for x, y in origins)
        if n is not None
    ]
    origin_nodes = [n for n, _w in placed_origins]
    people = np.array([w for _n, w in placed_origins])
    target_nodes = [
        n for n in (_node(router, costs, x, y) for x, y in destinations) if n is not None
    ]
    result = NetworkImpact(
        profile.group.value,
        len(origin_nodes),
        len(target_nodes),
        len(origin_nodes) * len(target_nodes),
        0,
    )
    weighted = None if weights is None else people
    if not origin_nodes or not target_nodes:
        weigh_totals(result, np.zeros((0, 0)), weighted)
        return result
    matrix = csr_matrix(
        (prepared.data, prepared.indices, prepared.indptr),
        shape=(prepared.n + 1, prepared.n + 1),
    )
    origin_index = np.array(origin_nodes)
    from_targets = dijkstra(matrix, directed=True, indices=target_nodes)
    now = from_targets[:, origin_index]
    result.reachable_pairs = int(np.isfinite(now).sum())
    weigh_totals(result, now, weighted)
    for edge, placed in costs.effects.items():
        a, b = int(router.graph.u[edge]), int(router.graph.v[edge])
        for site, _rule in placed:
            relieved = _without(router, costs, edge, site.site_id)
            if not relieved < prepared.costs[edge]:
                continue
            from_ends = dijkstra(matrix, directed=True, indices=[a, b])
            through_ab = from_targets[:, [a]] + relieved + from_ends[1][origin_index][None, :]
            through_ba = from_targets[:, [b]] + relieved + from_ends[0][origin_index][None, :]
            after = np.minimum(now, np.minimum(through_ab, through_ba))
            found = site_figures(site.site_id, edge, now, after, weighted)
            if found is not None:
                result.sites.append(found)
    sort_sites(result.sites)
    return result
