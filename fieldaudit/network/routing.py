"""Step-free routes: the best way between two points for a group, and the barriers it avoids.

The stored graph and the public open sites on it are loaded once and kept while neither
changes (a fingerprint of each is checked per request). Each group's costs follow its profile
(``profiles``): an edge is left out when it or a site on it blocks the group; otherwise it costs
its length, its penalties per metre and the penalties of the sites on it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely
from geoalchemy2.shape import to_shape
from shapely.geometry import LineString, Point
from shapely.ops import substring
from sqlalchemy import select
from sqlalchemy.orm import Session

from fieldaudit import params
from fieldaudit.models import NetworkEdge
from fieldaudit.network.directions import Direction, route_directions
from fieldaudit.network.edges import EdgeFacts
from fieldaudit.network.graph import FoundPath, Position, RoutingGraph, Step
from fieldaudit.network.placement import PlacedSite, barrier_rows, barriers_version, place_sites
from fieldaudit.network.profiles import BLOCK, Profile, SiteRule
from fieldaudit.network.store import network_version

SNAP_WITHIN_M = 1000.0
ROUTE_BOX = (12.30, 55.65, 12.55, 55.82)  # where a route may start or end (WGS84, Herlev and round)
_CACHE: dict[str, Router] = {}


@dataclass
class RouteAnswer:
    """A found route: its line (EPSG:25832), length and the barriers met and avoided."""

    line: LineString
    length_m: float
    cost: float
    barriers_avoided: list[int]
    barriers_on_route: list[dict[str, Any]]
    steps: list[Step]
    directions: list[Direction] = field(default_factory=list)


@dataclass
class GroupCosts:
    """One profile's costs on the network with its sites."""

    profile: Profile
    blocked: np.ndarray
    per_m: np.ndarray
    effects: dict[int, list[tuple[PlacedSite, SiteRule]]]
    prepared: Any = None

    def part_cost(self, length: np.ndarray, edge: int, a: float, b: float) -> float:
        """The cost of an edge from fraction ``a`` to ``b`` (inf if blocked there)."""
        if a == b:  # standing on a node
            return 0.0
        if self.blocked[edge]:
            return math.inf
        low, high = min(a, b), max(a, b)
        cost = (high - low) * length[edge] * (1.0 + self.per_m[edge])
        for site, rule in self.effects.get(edge, []):
            if low <= site.fraction <= high:
                if rule.effect == BLOCK:
                    return math.inf
                cost += rule.penalty_m
        return cost


@dataclass
class Router:
    """The loaded network, its sites and each group's costs (built as asked)."""

    edge_ids: list[int]
    geometries: list[LineString]
    facts: list[EdgeFacts]
    graph: RoutingGraph
    tree: shapely.STRtree
    sites: dict[int, list[PlacedSite]]
    groups: dict[str, GroupCosts] = field(default_factory=dict)
    plain: Any = None

    def costs_for(self, profile: Profile, fixed: frozenset[int] = frozenset()) -> GroupCosts:
        """The group's costs (kept; with ``fixed`` sites taken away, computed afresh)."""
        found = None if fixed else self.groups.get(profile.group.value)
        if found is not None:
            return found
        count = len(self.edge_ids)
        blocked = np.zeros(count, dtype=bool)
        per_m = np.zeros(count)
        for i, facts in enumerate(self.facts):
            blocked[i], per_m[i] = profile.edge_effect(facts, float(self.graph.length[i]))
        effects: dict[int, list[tuple[PlacedSite, SiteRule]]] = {}
        for edge, placed in self.sites.items():
            for site in placed:
                rule = profile.site_effect(site.category, site.severity, site.measured)
                if rule is not None and site.site_id not in fixed:
                    effects.setdefault(edge, []).append((site, rule))
        costs = GroupCosts(profile, blocked, per_m, effects)
        whole = np.array(
            [costs.part_cost(self.graph.length, e, 0.0, 1.0) for e in range(count)], dtype=float
        )
        costs.prepared = self.graph.prepare(whole)
        if not fixed:
            self.groups[profile.group.value] = costs
        return costs

    def snap(self, x: float, y: float, blocked: np.ndarray | None) -> Position | None:
        """The nearest point on an edge the group may use (within 1 km), as (edge, fraction)."""
        point = Point(x, y)
        near = self.tree.query_nearest(point, max_distance=SNAP_WITHIN_M)
        if blocked is not None:
            near = near[~blocked[near]]
        if len(near) == 0 and blocked is not None:  # the nearest are blocked: look further
            near = self.tree.query(point, predicate="dwithin", distance=SNAP_WITHIN_M)
            near = near[~blocked[near]]
            if len(near):
                near = near[[int(np.argmin(shapely.distance(self.tree.geometries[near], point)))]]
        if len(near) == 0:
            return None
        edge = int(near[0])
        line = self.geometries[edge]
        return edge, float(line.project(point, normalized=True)) if line.length else 0.0


def lon_lat(text: str | None) -> tuple[float, float] | None:
    """A ``LON,LAT`` position (WGS84) in or near Herlev (``ROUTE_BOX``), or None."""
    parts = (text or "").split(",")
    if len(parts) != 2:
        return None
    lon = params.finite_number(parts[0], ROUTE_BOX[0], ROUTE_BOX[2])
    lat = params.finite_number(parts[1], ROUTE_BOX[1], ROUTE_BOX[3])
    return None if lon is None or lat is None else (lon, lat)


def load_router(session: Session) -> Router | None:
    """The network and its sites, from the cache while neither has changed; None if no network."""
    version = network_version(session)
    if version[0] == 0:
        return None
    key = repr((str(session.get_bind().url), version, barriers_version(session)))
    cached = _CACHE.get(key)
    if cached is not None:
        return cached
    edges = session.scalars(select(NetworkEdge).order_by(NetworkEdge.id)).all()
    node_ids = sorted({e.source_node for e in edges} | {e.target_node for e in edges})
    index = {node: i for i, node in enumerate(node_ids)}
    geometries = [to_shape(e.geom) for e in edges]
    tree = shapely.STRtree(geometries)
    router = Router(
        edge_ids=[e.id for e in edges],
        geometries=geometries,
        facts=[EdgeFacts.from_stored(e) for e in edges],
        graph=RoutingGraph(
            len(node_ids),
            np.array([index[e.source_node] for e in edges]),
            np.array([index[e.target_node] for e in edges]),
            np.array([e.length_m for e in edges]),
        ),
        tree=tree,
        sites=place_sites(barrier_rows(session), geometries, tree),
    )
    _CACHE.clear()
    _CACHE[key] = router
    return router


def _sites_on(router: Router, steps: list[Step]) -> list[PlacedSite]:
    found = []
    for step in steps:
        low, high = min(step.start, step.end), max(step.start, step.end)
        for site in router.sites.get(step.edge, []):
            if low <= site.fraction <= high and site not in found:
                found.append(site)
    return found


def _line(router: Router, steps: list[Step]) -> LineString:
    coords: list[tuple[float, float]] = []
    for step in steps:
        if step.start == step.end:
            continue
        line = router.geometries[step.edge]
        if {step.start, step.end} == {0.0, 1.0}:
            points = list(line.coords) if step.start == 0.0 else list(line.coords)[::-1]
        else:
            points = list(substring(line, step.start, step.end, normalized=True).coords)
        points = [p[:2] for p in points]
        if coords and points and coords[-1] == points[0]:
            points = points[1:]
        coords.extend(points)
    if len(coords) < 2:
        coords = coords * 2 if coords else [(0.0, 0.0), (0.0, 0.0)]
    return LineString(coords)


def find_route(
    session: Session, start: tuple[float, float], end: tuple[float, float], profile: Profile
) -> RouteAnswer | None:
    """The best route between two EPSG:25832 points for a group; None when there is none."""
    router = load_router(session)
    return None if router is None else route_on(router, start, end, profile)


def route_on(
    router: Router, start: tuple[float, float], end: tuple[float, float], profile: Profile
) -> RouteAnswer | None:
    """The best route on a loaded network (``find_route`` without the database)."""
    costs = router.costs_for(profile)
    origin = router.snap(*start, costs.blocked)
    target = router.snap(*end, costs.blocked)
    if origin is None or target is None:
        return None
    length = router.graph.length
    found = router.graph.shortest(
        costs.prepared, origin, target, lambda e, a, b: costs.part_cost(length, e, a, b)
    )
    if found is None:
        return None
    on_route = _sites_on(router, found.steps)
    effects = {s.site_id: r for placed in costs.effects.values() for s, r in placed}
    avoided = _avoided(router, start, end, effects, {s.site_id for s in on_route})
    line = _line(router, found.steps)
    return RouteAnswer(
        line=line,
        length_m=sum(abs(s.end - s.start) * length[s.edge] for s in found.steps),
        cost=found.cost,
        barriers_avoided=avoided,
        barriers_on_route=[
            {
                "id": s.site_id,
                "category": s.category,
                "severity": s.severity,
                "penalty_m": effects[s.site_id].penalty_m,
            }
            for s in on_route
            if s.site_id in effects
        ],
        steps=found.steps,
        directions=route_directions(
            found.steps, router.graph.length, router.geometries, router.facts
        ),
    )


def _avoided(
    router: Router,
    start: tuple[float, float],
    end: tuple[float, float],
    effects: dict[int, SiteRule],
    taken: set[int],
) -> list[int]:
    """The sites that matter to the group on the shortest unrestricted route, not on this one."""
    if router.plain is None:
        router.plain = router.graph.prepare(router.graph.costs())
    origin, target = router.snap(*start, None), router.snap(*end, None)
    if origin is None or target is None:
        return []
    plain: FoundPath | None = router.graph.shortest(router.plain, origin, target)
    if plain is None:
        return []
    return sorted(
        s.site_id
        for s in _sites_on(router, plain.steps)
        if s.site_id in effects and s.site_id not in taken
    )
