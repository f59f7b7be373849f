"""Network impact benchmark: every open site's impact on a Herlev-sized synthetic network.

    PYTHONPATH=$PWD python scripts/bench/network_impact.py [--sites 5000] [--spacing 250]

A street grid over Herlev's box (EPSG:25832, 4.3 x 5.7 km) with 60 m blocks and 5 % of the
edges removed (about 13,000 edges), 40 destinations at random nodes, origins on a 250 m grid,
and N sites on random edges: a third blocking steps, the rest penalised surfaces. Times the
full recompute for WHEEL (``fieldaudit.network.impact.network_impact``) and the what-if's
first pick; no database (the Router is built in memory as ``routing.load_router`` would).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import shapely
from shapely.geometry import box

from fieldaudit.config import HERLEV_BBOX_WGS84
from fieldaudit.crs import bbox_to_metric
from fieldaudit.network.graph import RoutingGraph
from fieldaudit.network.impact import network_impact, origin_grid
from fieldaudit.network.lines import EdgeFacts
from fieldaudit.network.placement import PlacedSite
from fieldaudit.network.profiles import PROFILES
from fieldaudit.network.routing import Router

BLOCK_M = 60.0


def herlev_router(sites: int, seed: int = 5) -> tuple[Router, list, list]:
    """The synthetic network, its sites, 40 destinations and the origin grid."""
    rng = np.random.default_rng(seed)
    min_x, min_y, max_x, max_y = bbox_to_metric(HERLEV_BBOX_WGS84)
    columns, rows = int((max_x - min_x) / BLOCK_M), int((max_y - min_y) / BLOCK_M)
    ids = np.arange(columns * rows).reshape(rows, columns)
    xy = np.stack(
        [
            min_x + (np.arange(columns * rows) % columns) * BLOCK_M,
            min_y + (np.arange(columns * rows) // columns) * BLOCK_M,
        ],
        axis=1,
    )
    pairs = np.concatenate(
        [
            np.stack([ids[:, :-1].ravel(), ids[:, 1:].ravel()], axis=1),
            np.stack([ids[:-1, :].ravel(), ids[1:, :].ravel()], axis=1),
        ]
    )
    pairs = pairs[rng.random(len(pairs)) > 0.05]
    u, v = pairs[:, 0], pairs[:, 1]
    geometries = list(shapely.linestrings(np.stack([xy[u], xy[v]], axis=1)))
    placed: dict[int, list[PlacedSite]] = {}
    for site_id, edge in enumerate(rng.integers(0, len(u), sites).tolist(), start=1):
        category, severity = ("step", "high") if site_id % 3 == 0 else ("surface", "medium")
        placed.setdefault(edge, []).append(
            PlacedSite(site_id, edge, float(rng.random()), category, severity, None)
        )
    router = Router(
        edge_ids=list(range(1, len(u) + 1)),
        geometries=geometries,
        facts=[EdgeFacts(highway="footway")] * len(u),
        graph=RoutingGraph(len(xy), u, v, np.full(len(u), BLOCK_M)),
        tree=shapely.STRtree(geometries),
        sites=placed,
    )
    destinations = [tuple(xy[i]) for i in rng.choice(np.unique(u), 40, replace=False)]
    origins = origin_grid(box(min_x, min_y, max_x, max_y), 250.0)
    return router, destinations, origins


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, default=5000)
    args = parser.parse_args()
    router, destinations, origins = herlev_router(args.sites)
    print(
        f"{len(router.edge_ids)} edges, {router.graph.n} nodes, {args.sites} sites, "
        f"{len(destinations)} destinations, {len(origins)} origins"
    )
    started = time.perf_counter()
    found = network_impact(router, PROFILES["WHEEL"], origins, destinations)
    full = time.perf_counter() - started
    print(
        f"full recompute (WHEEL): {full:.1f} s; {len(found.sites)} sites matter; "
        f"{found.reachable_share:.0%} of pairs reachable"
    )
    one = found.sites[0].site_id if found.sites else None
    started = time.perf_counter()
    network_impact(router, PROFILES["WHEEL"], origins, destinations, frozenset({one} - {None}))
    print(
        f"after one site changes (the same full recompute, nothing incremental yet): "
        f"{time.perf_counter() - started:.1f} s"
    )


if __name__ == "__main__":
    main()
