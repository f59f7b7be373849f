"""Network impact kept between changes: the searches are stored, and after a site changes only
the searches whose shortest-path tree the change can alter are run again.

``network_impact`` (``impact.py``) runs one search per destination and two per site. Here the
graph is undirected, so the distance from a site's edge end to an origin is the distance from
the origin to that end: one search per **origin** (about 400 on a 250 m grid) replaces the two
per site (10,000 for 5,000 sites), and every site's impact is then read from the two kept
tables (destinations x nodes, origins x nodes) with the same formula.

After a change (``update`` with the router loaded after it) the edges whose cost changed are
found, and a kept search (one row of a table, with its tree of predecessors) is run again only
when the change can alter it:

- an edge that became dearer (or blocked): the rows whose tree uses it, i.e. the rows whose
  best routes to some node pass it; the other rows' distances are still reachable and nothing
  became cheaper;
- an edge that became cheaper (a site fixed or closed): the rows where it now shortens the way
  to one of its own ends (if it shortens no end, it shortens no route).

The rows not run again keep their distances and routes. ``impact`` then equals a full
``network_impact`` on the new router (tested).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from fieldaudit.network.graph import TINY, PreparedCosts
from fieldaudit.network.impact import (
    NetworkImpact,
    _node,
    _without,
    site_figures,
    sort_sites,
    weigh_totals,
)
from fieldaudit.network.profiles import Profile
from fieldaudit.network.routing import Router


def _matrix(prepared: PreparedCosts) -> csr_matrix:
    return csr_matrix(
        (prepared.data, prepared.indices, prepared.indptr), shape=(prepared.n + 1, prepared.n + 1)
    )


class _Searches:
    """Kept searches from some nodes: distances and predecessors per row."""

    def __init__(self, matrix: csr_matrix, nodes: list[int]) -> None:
        self.nodes = np.array(nodes, dtype=np.int64)
        if len(nodes):
            self.dist, self.pred = dijkstra(
                matrix, directed=True, indices=self.nodes, return_predecessors=True
            )
        else:
            self.dist = np.zeros((0, matrix.shape[0]))
            self.pred = np.zeros((0, matrix.shape[0]), dtype=np.int32)

    def stale(self, changes: list[tuple[int, int, float, float]]) -> np.ndarray:
        """The rows a set of changed node pairs (a, b, old cost, new cost) can alter."""
        rows = np.zeros(len(self.nodes), dtype=bool)
        for a, b, old, new in changes:
            if new > old:
                rows |= (self.pred[:, b] == a) | (self.pred[:, a] == b)
            elif new < old:
                rows |= (self.dist[:, a] + new < self.dist[:, b]) | (
                    self.dist[:, b] + new < self.dist[:, a]
                )
        return rows

    def redo(self, matrix: csr_matrix, rows: np.ndarray) -> None:
        """Run the given rows' searches again on the new costs."""
        if rows.any():
            dist, pred = dijkstra(
                matrix, directed=True, indices=self.nodes[rows], return_predecessors=True
            )
            self.dist[rows], self.pred[rows] = dist, pred


def _pair_cost(router: Router, costs: np.ndarray, a: int, b: int) -> float:
    """What the search pays between two nodes: the cheapest usable edge joining them."""
    graph = router.graph
    joining = np.flatnonzero(((graph.u == a) & (graph.v == b)) | ((graph.u == b) & (graph.v == a)))
    usable = costs[joining][np.isfinite(costs[joining])]
    return float(max(usable.min(), TINY)) if len(usable) else math.inf


class ImpactState:
    """One group's kept searches between the origins and destinations, updated per change."""

    def __init__(
        self,
        router: Router,
        profile: Profile,
        origins: list[tuple[float, float]],
        destinations: list[tuple[float, float]],
        weights: Sequence[float] | None = None,
    ) -> None:
        self.profile = profile
        self.router = router
        self.fixed: frozenset[int] = frozenset()  # sites taken away (the what-if's fixes)
        costs = router.costs_for(profile)
        self.group_costs = costs  # the group's costs the kept searches were run on
        self.costs = costs.prepared.costs.copy()
        placed = [
            (n, 1.0 if weights is None else float(weights[i]))
            for i, n in enumerate(_node(router, costs, x, y) for x, y in origins)
            if n is not None
        ]
        origin_nodes = [n for n, _w in placed]
        # The people of each placed origin (as network_impact weighs them); None: unweighted.
        self.people = None if weights is None else np.array([w for _n, w in placed], dtype=float)
        snapped = [_node(router, costs, x, y) for x, y in destinations]
        # Which destinations have a search (their rows' order), for naming pairs.
        self.target_index = [i for i, n in enumerate(snapped) if n is not None]
        target_nodes = [n for n in snapped if n is not None]
        matrix = _matrix(costs.prepared)
        self.targets = _Searches(matrix, target_nodes)
        self.origins = _Searches(matrix, origin_nodes)
        self.last_redone = len(target_nodes) + len(origin_nodes)

    def update(self, router: Router, fixed: frozenset[int] | None = None) -> int:
        """Take the router loaded after a change (the same network, other sites), or other
        ``fixed`` sites taken away (the what-if), and run again only the searches the change
        can alter; the number run again."""
        if fixed is not None:
            self.fixed = fixed
        costs = router.costs_for(self.profile, self.fixed)
        new = costs.prepared.costs
        changed = np.flatnonzero(~((new == self.costs) | (np.isinf(new) & np.isinf(self.costs))))
        graph = router.graph
        pairs = {(int(graph.u[e]), int(graph.v[e])) for e in changed.tolist()}
        changes = [
            (a, b, _pair_cost(router, self.costs, a, b), _pair_cost(router, new, a, b))
            for a, b in pairs
        ]
        matrix = _matrix(costs.prepared)
        redone = 0
        for searches in (self.targets, self.origins):
            rows = searches.stale(changes)
            searches.redo(matrix, rows)
            redone += int(rows.sum())
        self.router, self.costs, self.last_redone = router, new.copy(), redone
        self.group_costs = costs
        return redone

    def impact(self) -> NetworkImpact:
        """Every public open site's impact, as ``network_impact`` gives it, from the kept
        searches (no search is run)."""
        router = self.router
        costs = self.group_costs
        origin_index = self.origins.nodes
        now = self.targets.dist[:, origin_index]
        result = NetworkImpact(
            self.profile.group.value,
            len(origin_index),
            len(self.targets.nodes),
            len(origin_index) * len(self.targets.nodes),
            int(np.isfinite(now).sum()) if now.size else 0,
        )
        weigh_totals(result, now, self.people)
        if not now.size:
            return result
        for edge, placed in costs.effects.items():
            a, b = int(router.graph.u[edge]), int(router.graph.v[edge])
            for site, _rule in placed:
                relieved = _without(router, costs, edge, site.site_id)
                if not relieved < costs.prepared.costs[edge]:
                    continue
                # d(b, o) = d(o, b): the origins' searches give both ends' distances.
                through_ab = self.targets.dist[:, [a]] + relieved + self.origins.dist[:, b][None, :]
                through_ba = self.targets.dist[:, [b]] + relieved + self.origins.dist[:, a][None, :]
                after = np.minimum(now, np.minimum(through_ab, through_ba))
                found = site_figures(site.site_id, edge, now, after, self.people)
                if found is not None:
                    result.sites.append(found)
        sort_sites(result.sites)
        return result
