"""Network impact benchmark: every open site's impact on a Herlev-sized synthetic network.

    PYTHONPATH=$PWD python scripts/bench/network_impact.py [--sites 5000] [--spacing 250]

A street grid over Herlev's box (EPSG:25832, 4.3 x 5.7 km) with 60 m blocks and 5 % of the
edges removed (about 13,000 edges), 40 destinations at random nodes, origins on a 250 m grid,
and N sites on random edges: a third blocking steps, the rest penalised surfaces. Times the
full recompute for WHEEL (``fieldaudit.network.impact.network_impact``) and the what-if's
first pick; then the kept searches (``impact_state.ImpactState``): their full build, and the
update and impact after one site changes (a blocking step added on a busy edge, then fixed),
checked against the full recompute with ``--check``. With ``--stored``: the path of the
priority's network factor (``network/impact_store.py``) for every group with site rules: the
full recompute of ``fieldaudit sites rescore`` (kept searches built, each site's figures and
best destination pair, the state saved) and the job after one site changes (states loaded,
updated, figures read, saved). No database (the Router is built in memory as
``routing.load_router`` would).
"""

from __future__ import annotations

import argparse
import dataclasses
import time

import numpy as np
import shapely
from shapely.geometry import box

from fieldaudit.config import HERLEV_BBOX_WGS84
from fieldaudit.crs import bbox_to_metric
from fieldaudit.network.graph import RoutingGraph
from fieldaudit.network.impact import network_impact, origin_grid
from fieldaudit.network.impact_state import ImpactState
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


def with_sites(router: Router, sites: dict[int, list[PlacedSite]]) -> Router:
    """The same network with other sites (as ``load_router`` gives after a change)."""
    return dataclasses.replace(router, sites=sites, groups={}, plain=None)


def kept_searches(router: Router, destinations: list, origins: list, check: bool) -> None:
    """Time the kept searches: built once, then updated after one site is added and fixed."""
    wheel = PROFILES["WHEEL"]
    started = time.perf_counter()
    state = ImpactState(router, wheel, origins, destinations)
    built = time.perf_counter() - started
    started = time.perf_counter()
    found = state.impact()
    print(
        f"kept searches (WHEEL): built in {built:.1f} s, impact in "
        f"{time.perf_counter() - started:.1f} s; {len(found.sites)} sites matter"
    )
    # A new blocking step in the middle of the busiest free edge (on many best routes), and
    # one on a free edge drawn at random.
    used = np.bincount(
        [int(p) for p in state.targets.pred[:, : router.graph.n].ravel() if p >= 0],
        minlength=router.graph.n,
    )
    busy = int(np.argmax(used))
    free = [e for e in range(len(router.edge_ids)) if e not in router.sites]
    touching = np.flatnonzero((router.graph.u == busy) | (router.graph.v == busy)).tolist()
    chosen = [
        ("busiest edge", next(e for e in touching if e not in router.sites)),
        ("random edge", free[np.random.default_rng(11).integers(len(free))]),
    ]
    changes = []
    for where, edge in chosen:
        added = dict(router.sites)
        added[edge] = [PlacedSite(10**6, edge, 0.5, "step", "high", None)]
        changes += [(f"{where}, added", with_sites(router, added)), (f"{where}, fixed", router)]
    for label, after in changes:
        started, cpu = time.perf_counter(), time.process_time()
        redone = state.update(after)
        found = state.impact()
        took, cpu = time.perf_counter() - started, time.process_time() - cpu
        print(
            f"after one site changes ({label}): {took:.2f} s ({cpu:.2f} s CPU), {redone} of "
            f"{len(state.targets.nodes) + len(state.origins.nodes)} searches run again"
        )
        if check:
            full = network_impact(after, wheel, origins, destinations)
            same = [(s.site_id, s.pairs_lost, round(s.extra_m, 3)) for s in full.sites] == [
                (s.site_id, s.pairs_lost, round(s.extra_m, 3)) for s in found.sites
            ]
            print(f"  equals the full recompute: {same}")


def stored_path(router: Router, destinations: list, origins: list) -> None:
    """Time the network factor's full recompute and the job after one change, all groups."""
    import tempfile
    from pathlib import Path

    from fieldaudit.network import kept_state
    from fieldaudit.network.impact_store import ruled_profiles
    from fieldaudit.network.site_impact import group_impacts

    names = [f"Sted {i}" for i in range(len(destinations))]
    folder = Path(tempfile.mkdtemp(prefix="fieldaudit-impact-"))
    added = dict(router.sites)
    free = [e for e in range(len(router.edge_ids)) if e not in router.sites]
    edge = free[np.random.default_rng(11).integers(len(free))]  # as ``kept_searches``
    added[edge] = [PlacedSite(10**6, edge, 0.5, "step", "high", None)]
    after = with_sites(router, added)
    for label, build in (("full recompute", True), ("after one site changes", False)):
        total_wall, total_cpu, rows = 0.0, 0.0, []
        for profile in ruled_profiles():
            started, cpu = time.perf_counter(), time.process_time()
            if build:
                state = ImpactState(router, profile, origins, destinations)
            else:
                state = kept_state.load(folder, profile, "bench", after)
                state.update(after)
            _found, figures = group_impacts(state, names)
            kept_state.save(state, folder, "bench")
            wall, cpu = time.perf_counter() - started, time.process_time() - cpu
            total_wall, total_cpu = total_wall + wall, total_cpu + cpu
            size = (folder / f"impact-{profile.group.value}.npz").stat().st_size
            rows.append(
                f"{profile.group.value} {wall:.2f} s ({cpu:.2f} CPU), {state.last_redone} searches, "
                f"{len(figures)} sites, {size / 1e6:.0f} MB"
            )
        print(
            f"stored impact, {label}: {total_wall:.1f} s ({total_cpu:.1f} s CPU); "
            + "; ".join(rows)
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, default=5000)
    parser.add_argument("--kept-only", action="store_true", help="only the kept searches")
    parser.add_argument("--check", action="store_true", help="compare with the full recompute")
    parser.add_argument("--stored", action="store_true", help="only the stored impact, all groups")
    args = parser.parse_args()
    router, destinations, origins = herlev_router(args.sites)
    print(
        f"{len(router.edge_ids)} edges, {router.graph.n} nodes, {args.sites} sites, "
        f"{len(destinations)} destinations, {len(origins)} origins"
    )
    if args.stored:
        stored_path(router, destinations, origins)
        return
    kept_searches(router, destinations, origins, args.check)
    if args.kept_only:
        return
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
        f"network_impact again after one site changes (no kept searches): "
        f"{time.perf_counter() - started:.1f} s"
    )


if __name__ == "__main__":
    main()
