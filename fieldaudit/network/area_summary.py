"""Per area, for citizens: what the known barriers mean for each group.

"Herlev Bymidte: 3 kendte barrierer for kørestolsbrugere; trinfri vej fra stationen: ja". For
each group with rules (``profiles.PROFILES``): how many of the area's **public open** sites
(``placement.BARRIER_STATUSES``, the sites the public map shows as barriers) matter to the group
under its profile, and whether the group can reach the area from a starting place (the
station) on the walking network without meeting anything that blocks it. The area counts as
reached when a network node inside it (or the start itself) is reached; an area with no
network node inside is "unknown" (None), as is every answer when no network is loaded.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy import select
from sqlalchemy.orm import Session

from fieldaudit.models import BarrierSite
from fieldaudit.network.placement import BARRIER_STATUSES
from fieldaudit.network.profiles import PROFILES, Profile
from fieldaudit.network.routing import Router, load_router


@dataclass(frozen=True)
class GroupSummary:
    """One group in one area: the barriers that matter to it and whether it gets there."""

    group: str
    barriers: int
    reachable: bool | None


def area_barriers(session: Session, area_id: int) -> list[tuple[str, str, dict | None]]:
    """(category, severity, measurement) of the area's public open sites."""
    rows = session.execute(
        select(BarrierSite.category, BarrierSite.severity, BarrierSite.priority_factors).where(
            BarrierSite.area_id == area_id, BarrierSite.status.in_(BARRIER_STATUSES)
        )
    ).all()
    return [(r[0], r[1], (r[2] or {}).get("measurement")) for r in rows]


def nodes_inside(router: Router, area: BaseGeometry) -> np.ndarray:
    """The network nodes inside ``area`` (each node's position from an edge that ends there)."""
    points = np.zeros((router.graph.n, 2))
    ends = np.array([(line.coords[0][:2], line.coords[-1][:2]) for line in router.geometries])
    points[router.graph.u] = ends[:, 0]
    points[router.graph.v] = ends[:, 1]
    return np.flatnonzero(shapely.contains_xy(area, points[:, 0], points[:, 1]))


def reaches(
    router: Router, profile: Profile, start: tuple[float, float], inside: np.ndarray
) -> bool:
    """Whether the group gets from ``start`` (EPSG:25832) to one of the ``inside`` nodes
    without a blocking barrier or edge."""
    costs = router.costs_for(profile)
    position = router.snap(*start, costs.blocked)
    if position is None:
        return False
    edge, at = position
    graph = router.graph
    entries = [
        (int(graph.u[edge]), costs.part_cost(graph.length, edge, at, 0.0)),
        (int(graph.v[edge]), costs.part_cost(graph.length, edge, at, 1.0)),
    ]
    if not any(math.isfinite(c) for _, c in entries):
        return False
    dist, _ = costs.prepared.search(entries)
    return bool(np.isfinite(dist[inside]).any())


def area_summary(
    session: Session,
    area_id: int,
    area: BaseGeometry,
    start: tuple[float, float] | None,
) -> list[GroupSummary]:
    """Every group with rules: the area's known barriers for it and whether it can reach the
    area from ``start`` (None when unknown: no start, no network or no network in the area)."""
    sites = area_barriers(session, area_id)
    router = load_router(session) if start is not None else None
    inside = nodes_inside(router, area) if router is not None else np.zeros(0, dtype=int)
    start_inside = start is not None and area.contains(shapely.Point(start))
    found = []
    for code, profile in PROFILES.items():
        if not profile.site_rules and not profile.edge_rules:
            continue
        count = sum(1 for s in sites if profile.site_effect(*s) is not None)
        reachable = None
        if router is not None and start is not None and (start_inside or len(inside)):
            reachable = start_inside or reaches(router, profile, start, inside)
        found.append(GroupSummary(code, count, reachable))
    return found
