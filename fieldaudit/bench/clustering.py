"""Barrier sites of a generated data set, computed in memory before the bulk load.

The clustering rule itself lives in ``fieldaudit.clustering`` (shared with the full rebuild,
``fieldaudit.site_rebuild``); this module turns its clusters into loadable sites, of the type the rebuild writes
(``bulk_write.NewSite``), with no confirmations, plans or score yet.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from fieldaudit.bench.generate import AreaLocator, SyntheticReport
from fieldaudit.bulk_write import NewSite
from fieldaudit.clustering import Cluster, cluster_points
from fieldaudit.site_rule import ClusterPoint, counted_reports, median_severity
from fieldaudit.status import Status

__all__ = ["Cluster", "ClusterPoint", "build_sites", "cluster_points"]


def build_sites(
    reports: Sequence[SyntheticReport], locator: AreaLocator | None = None
) -> list[NewSite]:
    """Cluster reports (sorted by id = arrival order) into sites; set each report's site_id."""
    usable = [r for r in reports if r.status != Status.REJECTED.value]
    points = [ClusterPoint(r.x, r.y, r.created_at, f"device:{r.device_token_hash}") for r in usable]
    clusters = cluster_points([r.category for r in usable], points)
    for report in reports:
        report.site_id = None
    sites: list[NewSite] = []
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


def site_from_members(number: int, cluster: Cluster, members: Iterable[Any]) -> NewSite:
    """A site's aggregates as ``sites.refresh_site`` computes them (no confirmations yet)."""
    members = list(members)
    # As the lifecycle derives it: verified once one of its reports is.
    status = (
        Status.VERIFIED.value
        if any(m.status == Status.VERIFIED.value for m in members)
        else Status.NEW.value
    )
    counted = counted_reports(
        [m.status for m in members],
        lambda k: (members[k].x, members[k].y),
        (cluster.cx, cluster.cy),
    )
    if len(counted.shown) < len(members):  # unreviewed reports of a reviewed site don't count
        members = [members[k] for k in counted.shown]
    x, y = counted.x, counted.y
    created = [m.created_at for m in members]
    return NewSite(
        id=number,
        category=cluster.category,
        x=x,
        y=y,
        status=status,
        severity=median_severity(m.severity for m in members),
        groups=sorted({g for m in members for g in m.groups}),
        tag_counts=dict(sorted(Counter(t for m in members for t in m.tags).items())),
        report_count=len(members),
        first_seen=min(created),
        last_seen=max(created),
        area_id=None,
        confirmation_count=0,
        anonymous_confirmation_count=0,
        fixed_claim_count=0,
        priority_score=0.0,
        priority_factors="{}",
        planned_year=None,
        planned_cost_dkk=None,
        status_reason="",
    )
