"""Public open barrier sites placed on the walking network: each on its nearest edge within 15 m.

Which sites count: public (``status.PUBLIC_SITE_STATUSES``) and still open (not fixed or
closed), the same sites the public map shows as barriers. A site's measured value is the worst
one its priority factors name (``priority.worst_measurement``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import shapely
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fieldaudit.models import BarrierSite, HistoryEntry
from fieldaudit.status import OPEN_STATUSES, PUBLIC_SITE_STATUSES

PLACE_WITHIN_M = 15.0
BARRIER_STATUSES = tuple(s for s in PUBLIC_SITE_STATUSES if s in {o.value for o in OPEN_STATUSES})


@dataclass(frozen=True)
class PlacedSite:
    """A site on an edge, at ``fraction`` of the way from the edge's source node."""

    site_id: int
    edge: int
    fraction: float
    category: str
    severity: str
    measured: dict[str, Any] | None


def barriers_version(session: Session) -> tuple:
    """A cheap fingerprint of the public open sites (one aggregate row and the newest history
    entry): it changes when a site opens, closes, moves, is rescored or corrected."""
    open_site = BarrierSite.status.in_(BARRIER_STATUSES)
    row = session.execute(
        select(
            func.count(BarrierSite.id),
            func.sum(BarrierSite.id),
            func.sum(BarrierSite.priority_score),
            func.sum(func.ST_X(BarrierSite.geom)),
            func.sum(func.ST_Y(BarrierSite.geom)),
            func.sum(func.length(BarrierSite.category) * BarrierSite.id),
            func.sum(func.length(BarrierSite.severity) * BarrierSite.id),
        ).where(open_site)
    ).one()
    newest = session.scalar(select(func.max(HistoryEntry.id)))
    return (*(round(float(v), 3) if v is not None else None for v in row), newest)


def barrier_rows(session: Session) -> list[tuple]:
    """(id, category, severity, measurement, x, y) of every public open site, by id."""
    rows = session.execute(
        select(
            BarrierSite.id,
            BarrierSite.category,
            BarrierSite.severity,
            BarrierSite.priority_factors,
            func.ST_X(BarrierSite.geom),
            func.ST_Y(BarrierSite.geom),
        )
        .where(BarrierSite.status.in_(BARRIER_STATUSES))
        .order_by(BarrierSite.id)
    ).all()
    return [
        (r[0], r[1], r[2], (r[3] or {}).get("measurement"), float(r[4]), float(r[5])) for r in rows
    ]


def place_sites(
    rows: list[tuple], geometries: list[Any], tree: shapely.STRtree
) -> dict[int, list[PlacedSite]]:
    """The sites on each edge index (sites farther than 15 m from every edge are left out)."""
    placed: dict[int, list[PlacedSite]] = {}
    if not rows:
        return placed
    points = shapely.points([(r[4], r[5]) for r in rows])
    found, distances = tree.query_nearest(points, max_distance=PLACE_WITHIN_M, return_distance=True)
    taken: set[int] = set()
    for (i, edge), _distance in zip(found.T.tolist(), distances.tolist(), strict=True):
        if i in taken:  # equally near two edges: the first
            continue
        taken.add(i)
        site_id, category, severity, measured, _x, _y = rows[i]
        line = geometries[edge]
        fraction = line.project(points[i], normalized=True) if line.length else 0.0
        placed.setdefault(edge, []).append(
            PlacedSite(site_id, edge, float(fraction), category, severity, measured)
        )
    return placed
