"""Barrier sites in memory: the rule of ``fieldaudit.site_rule`` over many reports at once.

For each report in arrival order (rejected ones left out by the caller), the rule picks the
site it joins among the open sites of its category nearby, or it starts a new one. This is what
``sites.join_site`` does one report at a time through the database, so the sites come out the
same (tested in tests/test_bench.py and tests/test_sites_at_scale.py). A grid of 10 m cells
finds the candidate sites in constant time.

Used by the full rebuild (``fieldaudit.site_rebuild``) and by the benchmarks' data generator.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from fieldaudit.site_rule import ClusterPoint, nearest_first, radius_for, site_to_join

CELL_M = 10.0  # at least the largest merge radius


@dataclass(slots=True)
class Cluster:
    """A site being built: its members (indices into the input, and their points) and their
    mean position."""

    category: str
    number: int
    members: list[int] = field(default_factory=list)
    points: list[ClusterPoint] = field(default_factory=list)
    xs: list[float] = field(default_factory=list)
    ys: list[float] = field(default_factory=list)
    cx: float = 0.0
    cy: float = 0.0
    cell: int = 0  # its grid cell (see _cell)


# Grid cells as one integer (cell x times SHIFT plus cell y) in a grid per category: cheaper
# than tuples for the nine lookups per point. EPSG:25832 cell numbers stay far below 2**31.
SHIFT = 1 << 32
NEIGHBOURS = tuple(dx * SHIFT + dy for dx in (-1, 0, 1) for dy in (-1, 0, 1))


def _cell(x: float, y: float) -> int:
    return math.floor(x / CELL_M) * SHIFT + math.floor(y / CELL_M)


class Clusterer:
    """Clusters being built over ``points``; feed it point indices in arrival order.

    Datetimes must all be aware or all naive (UTC).
    """

    def __init__(self, points: Sequence[ClusterPoint]) -> None:
        self.points = points
        self.clusters: list[Cluster] = []
        self._grids: dict[str, dict[int, list[int]]] = {}
        self._radii: dict[str, float] = {}

    def add(self, code: str, index: int) -> Cluster:
        """Put point ``index`` (of category ``code``) into its cluster by the rule; return it."""
        radius = self._radii.get(code)
        if radius is None:
            radius = self._radii[code] = radius_for(code)
            self._grids[code] = {}
        grid = self._grids[code]
        point = self.points[index]
        x, y = point.x, point.y
        cell = _cell(x, y)
        clusters = self.clusters
        found: list[tuple[float, int]] = []
        for offset in NEIGHBOURS:
            numbers = grid.get(cell + offset)
            if numbers:
                for number in numbers:
                    site = clusters[number]
                    dx, dy = site.cx - x, site.cy - y
                    distance = math.sqrt(dx * dx + dy * dy)
                    if distance <= radius:
                        found.append((distance, number))
        if found:
            number = site_to_join(nearest_first(found), self._points, point, radius)
            if number is not None:
                chosen = clusters[number]
                self.attach(chosen, index)
                return chosen
        chosen = Cluster(code, len(clusters), [index], [point], [x], [y], x, y, cell)
        grid.setdefault(cell, []).append(chosen.number)
        clusters.append(chosen)
        return chosen

    def _points(self, number: int) -> list[ClusterPoint]:
        return self.clusters[number].points

    def attach(self, cluster: Cluster, index: int) -> None:
        """Add point ``index`` to ``cluster`` whatever the rule says (its mean moves)."""
        point = self.points[index]
        cluster.members.append(index)
        cluster.points.append(point)
        xs, ys = cluster.xs, cluster.ys
        xs.append(point.x)
        ys.append(point.y)
        # statistics.fmean's own arithmetic (fsum / n), as sites._refresh computes the mean.
        cluster.cx, cluster.cy = math.fsum(xs) / len(xs), math.fsum(ys) / len(ys)
        cell = _cell(cluster.cx, cluster.cy)
        if cell != cluster.cell:
            grid = self._grids[cluster.category]
            grid[cluster.cell].remove(cluster.number)
            grid.setdefault(cell, []).append(cluster.number)
            cluster.cell = cell


def cluster_points(categories: Sequence[str], points: Sequence[ClusterPoint]) -> list[Cluster]:
    """Merge points (already in arrival order) into clusters; clusters in creation order.

    Datetimes must all be aware or all naive (UTC).
    """
    if len(categories) != len(points):
        raise ValueError("one category per point")
    clusterer = Clusterer(points)
    for index, code in enumerate(categories):
        clusterer.add(code, index)
    return clusterer.clusters
