"""The shortest-path engine: SciPy's csgraph Dijkstra over the edges, from a point on one edge
to a point on another (chosen by ``scripts/bench/route.py``, see docs/benchmarks.md).

A position on the network is ``(edge index, fraction along it)``. Each search adds two virtual
nodes (start, end) joined to the ends of their edges by the parts of those edges, so a route
may start and end in the middle of a long edge. Costs are per edge (``inf`` = blocked); the
cost of a part of an edge is given by the caller (``part_cost``), since penalties sit at points.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

Position = tuple[int, float]  # (edge index, fraction 0-1 from its source node)
PartCost = Callable[[int, float, float], float]  # (edge, from, to) -> cost of that part


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
        s, t = self.n, self.n + 1
        extra_u, extra_v, extra_c, extra_steps = [], [], [], {}

        def join(x: int, y: int, cost: float, step: Step) -> None:
            if np.isfinite(cost):
                extra_u.append(x)
                extra_v.append(y)
                extra_c.append(cost)
                extra_steps[(x, y)] = step

        for virtual, (edge, at) in ((s, start), (t, end)):
            for node, far in ((int(self.u[edge]), 0.0), (int(self.v[edge]), 1.0)):
                join(virtual, node, part_cost(edge, at, far), Step(edge, at, far))
        if start[0] == end[0]:
            join(s, t, part_cost(start[0], start[1], end[1]), Step(start[0], start[1], end[1]))
        rows = np.concatenate([prepared.rows, np.asarray(extra_u, dtype=np.int64)])
        cols = np.concatenate([prepared.cols, np.asarray(extra_v, dtype=np.int64)])
        # A zero cost would vanish from a sparse matrix: a tiny positive one stands in.
        vals = np.concatenate([prepared.vals, np.maximum(np.asarray(extra_c), 1e-9)])
        matrix = csr_matrix((vals, (rows, cols)), shape=(self.n + 2, self.n + 2))
        dist, pred = dijkstra(matrix, directed=False, indices=s, return_predecessors=True)
        if not np.isfinite(dist[t]):
            return None
        nodes = [t]
        while nodes[-1] != s:
            nodes.append(int(pred[nodes[-1]]))
        nodes.reverse()
        steps = []
        for x, y in itertools.pairwise(nodes):
            if (x, y) in extra_steps:
                steps.append(extra_steps[(x, y)])
            elif (y, x) in extra_steps:
                step = extra_steps[(y, x)]
                steps.append(Step(step.edge, step.end, step.start))
            else:
                edge = prepared.edge_between(x, y)
                forward = int(self.u[edge]) == x
                steps.append(Step(edge, 0.0 if forward else 1.0, 1.0 if forward else 0.0))
        return FoundPath(float(dist[t]), nodes[1:-1], steps)


class PreparedCosts:
    """Costs ready for searching: blocked edges left out, of parallel edges only the cheapest
    (a sparse matrix would add them up)."""

    def __init__(self, graph: RoutingGraph, costs: np.ndarray) -> None:
        self.costs = costs
        usable = np.isfinite(costs)
        a = np.minimum(graph.u, graph.v)[usable]
        b = np.maximum(graph.u, graph.v)[usable]
        c = costs[usable]
        ids = np.flatnonzero(usable)
        order = np.lexsort((c, b, a))
        first = np.ones(len(order), dtype=bool)
        first[1:] = (a[order][1:] != a[order][:-1]) | (b[order][1:] != b[order][:-1])
        keep = order[first]
        self.rows, self.cols, self.ids = a[keep], b[keep], ids[keep]
        self.vals = np.maximum(c[keep], 1e-9)
        self._between = dict(
            zip(
                zip(self.rows.tolist(), self.cols.tolist(), strict=True),
                self.ids.tolist(),
                strict=True,
            )
        )

    def edge_between(self, x: int, y: int) -> int:
        """The (cheapest usable) edge joining two nodes."""
        return self._between[(min(x, y), max(x, y))]
