"""Barrier sites in memory: the rule of ``fieldaudit.sites`` over a whole data set at once.

For each report in arrival order (rejected ones left out): the open sites of its category
whose position (the mean of their reports) lies within the category's radius (7.5 m kerbs
and ramps, 10 m others) are tried nearest first, at most ``sites.CANDIDATE_SITES`` of them;
the report joins the first whose every report lies within the radius of it and has no report
by the same reporter within 10 minutes; otherwise it starts a new site. This is what
``sites.join_site`` does one report at a time through the database, and what
``sites.rebuild_sites`` does over every report, so the sites come out the same (tested).
A grid of 10 m cells finds the candidate sites in constant time.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np

from fieldaudit.bench.generate import AreaLocator, SyntheticReport
from fieldaudit.sites import CANDIDATE_SITES, SAME_REPORTER_WINDOW, median_severity, radius_for
from fieldaudit.status import Status

CELL_M = 10.0  # at least the largest merge radius


@dataclass(slots=True)
class ClusterPoint:
    """What clustering needs of one report."""

    x: float
    y: float
    created_at: datetime
    reporter: str | None


@dataclass(slots=True)
class Cluster:
    """A site being built: its members (indices into the input) and their mean position."""

    category: str
    number: int
    members: list[int] = field(default_factory=list)
    xs: list[float] = field(default_factory=list)
    ys: list[float] = field(default_factory=list)
    cx: float = 0.0
    cy: float = 0.0
    cell: tuple[str, int, int] = ("", 0, 0)


def _cell(category: str, x: float, y: float) -> tuple[str, int, int]:
    return category, math.floor(x / CELL_M), math.floor(y / CELL_M)


def _fits(
    cluster: Cluster, points: Sequence[ClusterPoint], candidate: ClusterPoint, radius: float
) -> bool:
    limit = radius * radius
    for index in cluster.members:
        member = points[index]
        if (member.x - candidate.x) ** 2 + (member.y - candidate.y) ** 2 > limit:
            return False
        if (
            candidate.reporter is not None
            and member.reporter == candidate.reporter
            and abs(member.created_at - candidate.created_at) <= SAME_REPORTER_WINDOW
        ):
            return False
    return True


def cluster_points(categories: Sequence[str], points: Sequence[ClusterPoint]) -> list[Cluster]:
    """Merge points (already in arrival order) into clusters; clusters in creation order.

    Datetimes must all be aware or all naive (UTC).
    """
    clusters: list[Cluster] = []
    grid: dict[tuple[str, int, int], list[int]] = {}
    radii = {code: radius_for(code) for code in set(categories)}
    for index, (code, point) in enumerate(zip(categories, points, strict=True)):
        radius = radii[code]
        x, y = point.x, point.y
        _, cx, cy = _cell(code, x, y)
        candidates: list[tuple[float, int]] = []
        for gx in (cx - 1, cx, cx + 1):
            for gy in (cy - 1, cy, cy + 1):
                for number in grid.get((code, gx, gy), ()):
                    site = clusters[number]
                    dx, dy = site.cx - x, site.cy - y
                    distance = math.sqrt(dx * dx + dy * dy)
                    if distance <= radius:
                        candidates.append((distance, number))
        candidates.sort()
        chosen: Cluster | None = None
        for _distance, number in candidates[:CANDIDATE_SITES]:
            if _fits(clusters[number], points, point, radius):
                chosen = clusters[number]
                break
        if chosen is None:
            chosen = Cluster(code, len(clusters))
            chosen.cell = _cell(code, x, y)
            grid.setdefault(chosen.cell, []).append(len(clusters))
            clusters.append(chosen)
            chosen.members.append(index)
            chosen.xs.append(x)
            chosen.ys.append(y)
            chosen.cx, chosen.cy = x, y
            continue
        chosen.members.append(index)
        chosen.xs.append(x)
        chosen.ys.append(y)
        chosen.cx, chosen.cy = statistics.fmean(chosen.xs), statistics.fmean(chosen.ys)
        cell = _cell(code, chosen.cx, chosen.cy)
        if cell != chosen.cell:
            grid[chosen.cell].remove(chosen.number)
            grid.setdefault(cell, []).append(chosen.number)
            chosen.cell = cell
    return clusters


@dataclass(slots=True)
class SyntheticSite:
    """A barrier site computed in memory, ready to load (ids 1..S in creation order)."""

    id: int
    category: str
    x: float
    y: float
    status: str
    severity: str
    groups: list[str]
    tag_counts: dict[str, int]
    report_count: int
    first_seen: datetime
    last_seen: datetime
    area_id: int | None


def build_sites(
    reports: Sequence[SyntheticReport], locator: AreaLocator | None = None
) -> list[SyntheticSite]:
    """Cluster reports (sorted by id = arrival order) into sites; set each report's site_id."""
    usable = [r for r in reports if r.status != Status.REJECTED.value]
    points = [ClusterPoint(r.x, r.y, r.created_at, f"device:{r.device_token_hash}") for r in usable]
    clusters = cluster_points([r.category for r in usable], points)
    for report in reports:
        report.site_id = None
    sites: list[SyntheticSite] = []
    for number, cluster in enumerate(clusters, 1):
        members = [usable[i] for i in cluster.members]
        for member in members:
            member.site_id = number
        sites.append(site_from_members(number, cluster, members))
    if locator is not None:
        xs = np.fromiter((s.x for s in sites), dtype=float, count=len(sites))
        ys = np.fromiter((s.y for s in sites), dtype=float, count=len(sites))
        for site, area_id in zip(sites, locator.locate_many(xs, ys), strict=True):
            site.area_id = area_id
    return sites


def site_from_members(number: int, cluster: Cluster, members: Iterable[Any]) -> SyntheticSite:
    """A site's aggregates as ``sites.refresh_site`` computes them (no confirmations yet)."""
    members = list(members)
    created = [m.created_at for m in members]
    return SyntheticSite(
        id=number,
        category=cluster.category,
        x=cluster.cx,
        y=cluster.cy,
        status=Status.NEW.value,
        severity=median_severity(m.severity for m in members),
        groups=sorted({g for m in members for g in m.groups}),
        tag_counts=dict(sorted(Counter(t for m in members for t in m.tags).items())),
        report_count=len(members),
        first_seen=min(created),
        last_seen=max(created),
        area_id=None,
    )
