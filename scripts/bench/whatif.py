"""What-if benchmark: the planners' greedy (``network.whatif.plan_fixes``) for wheelchairs.

    PYTHONPATH=$PWD python scripts/bench/whatif.py [--sites 40] [--budget 10] [--synthetic 200]

1. The shipped approximate network (data/geo: its lines noded as the import does, its 16
   destinations, origins on the 250 m grid inside herlev_boundary.geojson) with N sites on
   random edges (a third blocking steps, the rest penalised surfaces): the what-if for a
   budget of sites, as the page runs it.
2. With --synthetic M: the Herlev-sized synthetic street grid of network_impact.py with M
   sites, the same budget. No database (the Router is built in memory).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import shapely

from fieldaudit.area_import import read_area_file
from fieldaudit.network.graph import RoutingGraph
from fieldaudit.network.impact import origin_grid
from fieldaudit.network.lines import read_line_file
from fieldaudit.network.noding import node_lines
from fieldaudit.network.placement import PlacedSite
from fieldaudit.network.profiles import PROFILES
from fieldaudit.network.routing import Router
from fieldaudit.network.store import read_destination_file
from fieldaudit.network.whatif import Budget, plan_fixes
from scripts.bench.network_impact import herlev_router

DATA = Path(__file__).resolve().parents[2] / "data" / "geo"


def shipped_router(sites: int, seed: int = 7) -> tuple[Router, list, list]:
    """The shipped network with ``sites`` random sites, its destinations and origin grid."""
    rng = np.random.default_rng(seed)
    lines, _skipped, _srid = read_line_file(DATA / "herlev_network.geojson")
    noded = node_lines(lines)
    geometries = [e.geometry for e in noded.edges]
    placed: dict[int, list[PlacedSite]] = {}
    for site_id, edge in enumerate(rng.integers(0, len(geometries), sites).tolist(), start=1):
        category, severity = ("step", "high") if site_id % 3 == 0 else ("surface", "medium")
        placed.setdefault(edge, []).append(
            PlacedSite(site_id, edge, float(rng.random()), category, severity, None)
        )
    router = Router(
        edge_ids=list(range(1, len(geometries) + 1)),
        geometries=geometries,
        facts=[e.facts for e in noded.edges],
        graph=RoutingGraph(
            len(noded.nodes),
            np.array([e.source for e in noded.edges]),
            np.array([e.target for e in noded.edges]),
            np.array([g.length for g in geometries]),
        ),
        tree=shapely.STRtree(geometries),
        sites=placed,
    )
    places, _skipped = read_destination_file(DATA / "herlev_destinations.geojson")
    plan = read_area_file(DATA / "herlev_boundary.geojson")
    outline = shapely.union_all([f.geometry for f in plan.features])
    return router, [(p.point.x, p.point.y) for p in places], origin_grid(outline)


def run(label: str, router: Router, destinations: list, origins: list, budget: int) -> None:
    """Time one what-if and print its figures."""
    started, cpu = time.perf_counter(), time.process_time()
    plan = plan_fixes(router, PROFILES["WHEEL"], origins, destinations, Budget(sites=budget), {})
    took, cpu = time.perf_counter() - started, time.process_time() - cpu
    print(
        f"{label}: {len(router.edge_ids)} edges, {sum(map(len, router.sites.values()))} sites, "
        f"{len(destinations)} destinations, {len(origins)} origins; {len(plan.fixes)} fixes "
        f"in {took:.2f} s ({cpu:.2f} s CPU); share {plan.share_before:.0%} -> "
        f"{plan.share_after:.0%}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, default=40)
    parser.add_argument("--budget", type=int, default=10)
    parser.add_argument("--synthetic", type=int, default=0, help="sites on the synthetic grid")
    args = parser.parse_args()
    run("shipped network", *shipped_router(args.sites), args.budget)
    if args.synthetic:
        router, destinations, origins = herlev_router(args.synthetic)
        run("synthetic Herlev-sized grid", router, destinations, origins, args.budget)


if __name__ == "__main__":
    main()
