"""The shortest-path engine: SciPy's csgraph Dijkstra over the edges, from a point on one edge
to a point on another (chosen by ``scripts/bench/route.py``, see docs/benchmarks.md).

A position on the network is ``(edge index, fraction along it)``. Each group's costs are
prepared once as a sparse matrix with both directions of every usable edge and one extra
row: a virtual start node whose two entries (to the ends of the start edge, costing the parts
of that edge) are filled in per search on a copy of the matrix's small arrays, so no matrix is
rebuilt per route. The end is reached from the ends of its edge by the parts of that edge.
Costs are per edge (``inf`` = blocked); the cost of a part of an edge is given by the caller
(``part_cost``), since penalties sit at points along it.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

Position = tuple[int, float]  # (edge index, fraction 0-1 from its source node)
PartCost = Callable[[int, float, float], float]  # (edge, from, to) -> cost of that part
TINY = 1e-9  # a zero cost would vanish from a sparse matrix


@dataclass(frozen=True)
class Step:
    """One edge (or part of one) on a route, from fraction ``start`` to ``end`` (may run back)."""

    edge: int
    start: float
    end: float


@dataclass(frozen=True)
class FoundPath:
    """A route: its cost, the nodes passed and the edge parts in order."""

    cost: float
    nodes: list[int]
    steps: list[Step]


class RoutingGraph:
    """An undirected graph of ``n`` nodes and edges ``u[i]``-``v[i]`` of length ``length[i]``."""

    def __init__(self, n: int, u: np.ndarray, v: np.ndarray, length: np.ndarray) -> None:
        self.n = int(n)
        self.u = np.asarray(u, dtype=np.int64)
        self.v = np.asarray(v, dtype=np.int64)
        self.length = np.asarray(length, dtype=np.float64)

    def edge_at(self, node: int) -> int:
        """Any edge that touches ``node`` (for benchmarks and tests)."""
        return int(np.flatnonzero((self.u == node) | (self.v == node))[0])

    def costs(self) -> np.ndarray:
        """The plain costs: every edge's length."""
        return self.length.copy()

    def prepare(self, costs: np.ndarray) -> PreparedCosts:
        """Ready ``costs`` for many searches (the app keeps one per profile and network)."""
        return PreparedCosts(self, np.asarray(costs, dtype=np.float64))

    def shortest(
        self,
        prepared: PreparedCosts,
        start: Position,
        end: Position,
        part_cost: PartCost | None = None,
    ) -> FoundPath | None:
        """The cheapest path from ``start`` to ``end``; None when there is none."""
        costs = prepared.costs
        if part_cost is None:
            part_cost = lambda e, a, b: 0.0 if a == b else abs(b - a) * costs[e]  # noqa: E731
        (first, at), (last, to) = start, end
        ends = ((int(self.u[first]), 0.0), (int(self.v[first]), 1.0))
        entries = [(node, part_cost(first, at, far)) for node, far in ends]
        dist, pred = prepared.search(entries)
        best, via = math.inf, None
        for node, far in ((int(self.u[last]), 0.0), (int(self.v[last]), 1.0)):
            cost = dist[node] + part_cost(last, far, to)
            if cost < best:
                best, via = cost, (node, far)
        if first == last:
            direct = part_cost(first, at, to)
            if direct <= best and math.isfinite(direct):
                return FoundPath(direct, [], [Step(first, at, to)])
        if via is None or not math.isfinite(best):
            return None
        nodes = [via[0]]
        while pred[nodes[-1]] != self.n:
            nodes.append(int(pred[nodes[-1]]))
        nodes.reverse()
        steps = [Step(first, at, _far_for(ends, entries, nodes[0]))]
        for x, y in itertools.pairwise(nodes):
            edge = prepared.edge_between(x, y)
            forward = int(self.u[edge]) == x
            steps.append(Step(edge, 0.0 if forward else 1.0, 1.0 if forward else 0.0))
        steps.append(Step(last, via[1], to))
        return FoundPath(float(best), nodes, steps)


def _far_for(
    ends: tuple[tuple[int, float], ...], entries: list[tuple[int, float]], node: int
) -> float:
    """Which end of the start edge the route left by (the cheaper one if both are ``node``)."""
    options = [(cost, far) for (n, far), (_, cost) in zip(ends, entries, strict=True) if n == node]
    return min(options)[1]


class PreparedCosts:
    """Costs ready for searching: blocked edges left out, of parallel edges only the cheapest,
    both directions stored, and a last row for the virtual start."""

    def __init__(self, graph: RoutingGraph, costs: np.ndarray) -> None:
        self.costs = costs
        self.n = graph.n
        usable = np.isfinite(costs)
        a = np.minimum(graph.u, graph.v)[usable]
        b = np.maximum(graph.u, graph.v)[usable]
        c = costs[usable]
        ids = np.flatnonzero(usable)
        order = np.lexsort((c, b, a))
        first = np.ones(len(order), dtype=bool)
        first[1:] = (a[order][1:] != a[order][:-1]) | (b[order][1:] != b[order][:-1])
        keep = order[first]
        rows, cols, ids = a[keep], b[keep], ids[keep]
        vals = np.maximum(c[keep], TINY)
        self._between = dict(
            zip(zip(rows.tolist(), cols.tolist(), strict=True), ids.tolist(), strict=True)
        )
        # Both directions, sorted by row, then the start row's two slots at the very end.
        both_rows = np.concatenate([rows, cols])
        both_cols = np.concatenate([cols, rows])
        both_vals = np.concatenate([vals, vals])
        order = np.argsort(both_rows, kind="stable")
        counts = np.bincount(both_rows, minlength=self.n)
        self.indptr = np.concatenate([[0], np.cumsum(counts), [len(order) + 2]]).astype(np.int32)
        self.indices = np.concatenate([both_cols[order], [self.n, self.n]]).astype(np.int32)
        self.data = np.concatenate([both_vals[order], [1.0, 1.0]])

    def search(self, entries: list[tuple[int, float]]) -> tuple[np.ndarray, np.ndarray]:
        """Dijkstra from the virtual start joined to ``entries`` (node, cost): distances and
        predecessors (the start is node ``n``; a blocked entry is a loop on the start)."""
        data, indices = self.data.copy(), self.indices.copy()
        for slot, (node, cost) in enumerate(entries[:2]):
            if math.isfinite(cost):
                data[-2 + slot], indices[-2 + slot] = max(cost, TINY), node
        matrix = csr_matrix((data, indices, self.indptr), shape=(self.n + 1, self.n + 1))
        return dijkstra(matrix, directed=True, indices=self.n, return_predecessors=True)

    def edge_between(self, x: int, y: int) -> int:
        """The (cheapest usable) edge joining two nodes."""
        return self._between[(min(x, y), max(x, y))]
