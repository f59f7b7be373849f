"""Route benchmark: one shortest path on a synthetic 50,000-edge street grid, per graph library.

    PYTHONPATH=$PWD python scripts/bench/route.py [--edges 50000] [--routes 300]

The grid is square, its edges 20-120 m long (random, seeded) and 5 % of them removed, like a
town's irregular streets. Each library answers the same random origin/destination pairs with
the whole route (node list), built the way the app would build it (graph once, then queries).
``scipy-virtual`` is what the app does (``fieldaudit.network.graph``): SciPy's csgraph from a
virtual start on the nearest edge to a virtual end, the CSR matrix rebuilt per request.
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import time
from collections.abc import Callable

import numpy as np


def grid(edges: int, seed: int = 7) -> tuple[int, np.ndarray, np.ndarray, np.ndarray]:
    """A square grid with about ``edges`` edges: (node count, sources, targets, lengths)."""
    side = int((edges / 2) ** 0.5) + 1
    rng = np.random.default_rng(seed)
    ids = np.arange(side * side).reshape(side, side)
    right = np.stack([ids[:, :-1].ravel(), ids[:, 1:].ravel()], axis=1)
    down = np.stack([ids[:-1, :].ravel(), ids[1:, :].ravel()], axis=1)
    pairs = np.concatenate([right, down])
    pairs = pairs[rng.random(len(pairs)) > 0.05][:edges]
    lengths = rng.uniform(20.0, 120.0, len(pairs))
    return side * side, pairs[:, 0], pairs[:, 1], lengths


def _scipy(n, u, v, w) -> Callable[[int, int], list[int]]:
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import dijkstra

    matrix = csr_matrix((w, (u, v)), shape=(n, n))

    def route(a: int, b: int) -> list[int]:
        _dist, pred = dijkstra(matrix, directed=False, indices=a, return_predecessors=True)
        path = [b]
        while path[-1] != a and pred[path[-1]] >= 0:
            path.append(int(pred[path[-1]]))
        return path[::-1]

    return route


def _scipy_virtual(n, u, v, w) -> Callable[[int, int], list[int]]:
    from fieldaudit.network.graph import RoutingGraph

    graph = RoutingGraph(n, u, v, w)
    prepared = graph.prepare(graph.costs())

    def route(a: int, b: int) -> list[int]:
        # Start and end in the middle of an edge at each node (as a position on the network is).
        start, end = graph.edge_at(a), graph.edge_at(b)
        found = graph.shortest(prepared, (start, 0.5), (end, 0.5))
        return found.nodes if found else []

    return route


def _igraph(n, u, v, w) -> Callable[[int, int], list[int]]:
    import igraph

    graph = igraph.Graph(n=n, edges=list(zip(u.tolist(), v.tolist(), strict=True)))
    weights = w.tolist()

    def route(a: int, b: int) -> list[int]:
        return graph.get_shortest_path(a, b, weights=weights, algorithm="dijkstra")

    return route


def _rustworkx(n, u, v, w) -> Callable[[int, int], list[int]]:
    import rustworkx

    graph = rustworkx.PyGraph()
    graph.add_nodes_from(range(n))
    graph.add_edges_from(list(zip(u.tolist(), v.tolist(), w.tolist(), strict=True)))

    def route(a: int, b: int) -> list[int]:
        paths = rustworkx.dijkstra_shortest_paths(graph, a, target=b, weight_fn=float)
        return list(paths[b]) if b in paths else []

    return route


def _networkx(n, u, v, w) -> Callable[[int, int], list[int]]:
    import networkx

    graph = networkx.Graph()
    graph.add_weighted_edges_from(zip(u.tolist(), v.tolist(), w.tolist(), strict=True))

    def route(a: int, b: int) -> list[int]:
        return networkx.dijkstra_path(graph, a, b)

    return route


def _app_route(n, u, v, w) -> Callable[[int, int], list[int]]:
    """The whole answer of GET /api/v1/route without HTTP and the database: snapping both
    points to the nearest usable edge, the WHEEL profile's costs, the route, its line, the
    sites on it and the unrestricted route for ``barriers_avoided`` (no sites placed)."""
    import shapely

    from fieldaudit.network.graph import RoutingGraph
    from fieldaudit.network.lines import EdgeFacts
    from fieldaudit.network.profiles import PROFILES
    from fieldaudit.network.routing import Router, route_on

    side = int(n**0.5)
    xy = np.stack([np.arange(n) % side * 100.0, np.arange(n) // side * 100.0], axis=1)
    geometries = list(shapely.linestrings(np.stack([xy[u], xy[v]], axis=1)))
    router = Router(
        edge_ids=list(range(1, len(u) + 1)),
        geometries=geometries,
        facts=[EdgeFacts(highway="footway")] * len(u),
        graph=RoutingGraph(n, u, v, w),
        tree=shapely.STRtree(geometries),
        sites={},
    )
    wheel = PROFILES["WHEEL"]
    router.costs_for(wheel)
    router.plain = router.graph.prepare(router.graph.costs())

    def route(a: int, b: int) -> list[int]:
        found = route_on(router, tuple(xy[a] + 10.0), tuple(xy[b] + 10.0), wheel)
        return [] if found is None else [s.edge for s in found.steps]

    return route


LIBRARIES = {
    "scipy": ("scipy", _scipy),
    "scipy-virtual": ("fieldaudit.network.graph", _scipy_virtual),
    "app-route": ("fieldaudit.network.routing", _app_route),
    "igraph": ("igraph", _igraph),
    "rustworkx": ("rustworkx", _rustworkx),
    "networkx": ("networkx", _networkx),
}


def measure(edges: int, routes: int) -> dict[str, dict[str, float]]:
    """Time every installed library on the same pairs; figures in milliseconds."""
    n, u, v, w = grid(edges)
    rng = np.random.default_rng(11)
    used = np.unique(np.concatenate([u, v]))
    pairs = [(int(a), int(b)) for a, b in rng.choice(used, size=(routes, 2))]
    results = {}
    for name, (module, build) in LIBRARIES.items():
        try:
            if importlib.util.find_spec(module) is None:
                continue
        except ModuleNotFoundError:
            continue
        started = time.perf_counter()
        route = build(n, u, v, w)
        build_ms = (time.perf_counter() - started) * 1000
        samples, cpu = [], []
        for a, b in pairs:
            started, started_cpu = time.perf_counter(), time.process_time()
            route(a, b)
            samples.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - started_cpu) * 1000)
        samples.sort()
        cpu.sort()
        results[name] = {
            "build_ms": build_ms,
            "median_ms": statistics.median(samples),
            "p95_ms": samples[int(len(samples) * 0.95) - 1],
            "max_ms": samples[-1],
            # CPU time of this process: what the figure would be on an idle machine (the
            # wall clock also counts waiting for a core while other work runs).
            "cpu_median_ms": statistics.median(cpu),
            "cpu_p95_ms": cpu[int(len(cpu) * 0.95) - 1],
        }
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--edges", type=int, default=50_000)
    parser.add_argument("--routes", type=int, default=300)
    args = parser.parse_args()
    print(f"{args.edges} edges, {args.routes} routes")
    print(
        f"{'library':15s} {'build ms':>9s} {'median ms':>10s} {'p95 ms':>8s} {'max ms':>8s}"
        f" {'cpu median':>11s} {'cpu p95':>8s}"
    )
    for name, figures in measure(args.edges, args.routes).items():
        print(
            f"{name:15s} {figures['build_ms']:9.1f} {figures['median_ms']:10.2f} "
            f"{figures['p95_ms']:8.2f} {figures['max_ms']:8.2f} "
            f"{figures['cpu_median_ms']:11.2f} {figures['cpu_p95_ms']:8.2f}"
        )


if __name__ == "__main__":
    main()
