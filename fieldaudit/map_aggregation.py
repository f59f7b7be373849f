"""What the map shows for a viewport: the barrier sites themselves, or a grid of counts.

A zoomed-in viewport gets each site as a GeoJSON point; a zoomed-out one (more sites than
``MAX_FEATURES``) gets them counted per square grid cell, the cell chosen so the answer never
holds more than ``MAX_FEATURES`` cells. Only public sites are shown (``visibility.visible_site_clause``), and
the asker's own sites under review when the caller names them (``own_site_ids``); the cells
count public sites only. For the default map (every public site) the counts
are read from ``site_cells`` (kept up to date on every change, see fieldaudit/site_cells.py):
one read through its key both decides (the cells touching the box hold more than
``MAX_FEATURES`` sites) and answers. Filtered maps, and boxes so small that their cell is
below the smallest stored size, count in SQL on the fly. Bounding boxes are EPSG:25832; the
GeoJSON is WGS84 (RFC 7946).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from fieldaudit.crs import METRIC, WGS84, BBox, transformer
from fieldaudit.models import BarrierSite
from fieldaudit.site_cells import LEVELS, cells_in_box
from fieldaudit.spatial import backend
from fieldaudit.visibility import visible_site_clause

MAX_FEATURES = 2000
# Above this box area (m²) the spatial index costs more than it saves (it hands back most of
# the table; SpatiaLite's SpatialIndex even materialises every row id): compare coordinates.
LARGE_BOX_M2 = 4_000_000.0
COORDINATE_DIGITS = 6  # about 0.1 m


class SitePoint(NamedTuple):
    """One site as the map shows it: the fields of the rows ``sites_in_bbox`` returns (Core
    rows named so, used as they come: a viewport reads a thousand of them)."""

    id: int
    x: float
    y: float
    category: str
    severity: str
    status: str
    report_count: int


@dataclass(frozen=True)
class GridCell:
    """Sites counted in one grid cell: where they are on average and how many are severe."""

    x: float
    y: float
    count: int
    high: int
    reports: int


def _in_box(session: Session, bbox: BBox) -> Any:
    """Sites in the box: through the spatial index, or by coordinates for a large box
    (for points both select the same rows, edges included)."""
    if (bbox[2] - bbox[0]) * (bbox[3] - bbox[1]) < LARGE_BOX_M2:
        return backend(session).bbox_filter(BarrierSite.geom, bbox)
    x, y = func.ST_X(BarrierSite.geom), func.ST_Y(BarrierSite.geom)
    return x.between(bbox[0], bbox[2]) & y.between(bbox[1], bbox[3])


def _filters(
    categories: Sequence[str] | None,
    statuses: Sequence[str] | None,
    own_site_ids: Sequence[int] = (),
) -> list[Any]:
    """Public sites (and the asker's own under review), narrowed by categories and statuses."""
    where: list[Any] = [visible_site_clause(own_site_ids)]
    if statuses is not None:
        where.append(BarrierSite.status.in_(list(statuses)))
    if categories:
        where.append(BarrierSite.category.in_(list(categories)))
    return where


def sites_in_bbox(
    session: Session,
    bbox: BBox,
    categories: Sequence[str] | None = None,
    statuses: Sequence[str] | None = None,
    limit: int | None = None,
    own_site_ids: Sequence[int] = (),
) -> list[SitePoint]:
    """The sites in an EPSG:25832 box (through the spatial index for viewports), at most ``limit``."""
    stmt = select(
        BarrierSite.id,
        func.ST_X(BarrierSite.geom).label("x"),
        func.ST_Y(BarrierSite.geom).label("y"),
        BarrierSite.category,
        BarrierSite.severity,
        BarrierSite.status,
        BarrierSite.report_count,
    ).where(_in_box(session, bbox), *_filters(categories, statuses, own_site_ids))
    if limit is not None:
        stmt = stmt.limit(limit)
    # On the connection (Core rows): the ORM's handling of each row would cost more than
    # the query (nothing is pending when a map is read; flushed first all the same).
    session.flush()
    return session.connection().execute(stmt).all()  # type: ignore[return-value]


def count_in_bbox(
    session: Session,
    bbox: BBox,
    categories: Sequence[str] | None = None,
    statuses: Sequence[str] | None = None,
    up_to: int = MAX_FEATURES + 1,
    own_site_ids: Sequence[int] = (),
) -> int:
    """How many sites lie in the box, counting no further than ``up_to``."""
    inner = (
        select(BarrierSite.id)
        .where(_in_box(session, bbox), *_filters(categories, statuses, own_site_ids))
        .limit(up_to)
        .subquery()
    )
    return session.scalar(select(func.count()).select_from(inner)) or 0


def cell_size_for(bbox: BBox, max_cells: int = MAX_FEATURES) -> float:
    """The smallest round cell size (1, 2 or 5 x 10^k metres) giving at most ``max_cells``."""
    width, height = max(bbox[2] - bbox[0], 1.0), max(bbox[3] - bbox[1], 1.0)
    size = math.sqrt(width * height / max_cells)
    exponent = math.floor(math.log10(size))
    for step in (1, 2, 5, 10):
        cell = step * 10**exponent
        # + 1: cells are aligned to a fixed grid, so a box can touch one more per side.
        if (math.ceil(width / cell) + 1) * (math.ceil(height / cell) + 1) <= max_cells:
            return float(cell)
    return float(10 ** (exponent + 1) * 2)  # pragma: no cover - 10 always fits


def grid_counts(
    session: Session,
    bbox: BBox,
    cell_m: float | None = None,
    categories: Sequence[str] | None = None,
    statuses: Sequence[str] | None = None,
    max_cells: int = MAX_FEATURES,
    own_site_ids: Sequence[int] = (),
) -> list[GridCell]:
    """Sites in the box counted per square cell of a fixed grid (so panning keeps cells), in SQL.

    The cell index is ``floor((x - x0) / cell)`` with the origin on the grid one cell before the
    box, so it is never negative (``spatial.cell_index`` writes it for either database).
    """
    cell = cell_m or cell_size_for(bbox, max_cells)
    x0 = math.floor(bbox[0] / cell) * cell - cell
    y0 = math.floor(bbox[1] / cell) * cell - cell
    x, y = func.ST_X(BarrierSite.geom), func.ST_Y(BarrierSite.geom)
    spatial = backend(session)
    gx = spatial.cell_index(x - x0, cell).label("gx")
    gy = spatial.cell_index(y - y0, cell).label("gy")
    inner = (
        select(
            gx,
            gy,
            x.label("x"),
            y.label("y"),
            case((BarrierSite.severity == "high", 1), else_=0).label("high"),
            BarrierSite.report_count.label("reports"),
        )
        .where(_in_box(session, bbox), *_filters(categories, statuses, own_site_ids))
        .subquery()
    )
    stmt = select(
        func.avg(inner.c.x),
        func.avg(inner.c.y),
        func.count(),
        func.sum(inner.c.high),
        func.sum(inner.c.reports),
    ).group_by(inner.c.gx, inner.c.gy)
    return [
        GridCell(float(ax), float(ay), int(n), int(high or 0), int(reports or 0))
        for ax, ay, n, high, reports in session.execute(stmt).all()
    ]


def _lonlats(xs: Sequence[float], ys: Sequence[float]) -> tuple[list[float], list[float]]:
    """WGS84 longitudes and latitudes of EPSG:25832 points, rounded to ``COORDINATE_DIGITS``
    (vectorised)."""
    if not xs:
        return [], []
    lons, lats = transformer(METRIC, WGS84).transform(
        np.asarray(xs, dtype=float), np.asarray(ys, dtype=float)
    )
    return (
        np.round(lons, COORDINATE_DIGITS).tolist(),
        np.round(lats, COORDINATE_DIGITS).tolist(),
    )


def _site_columns(sites: Sequence[SitePoint]) -> tuple[Sequence[Any], ...]:
    """The sites' fields as columns (``SitePoint``'s order), the coordinates as WGS84:
    (ids, lons, lats, categories, severities, statuses, report counts)."""
    if not sites:
        return ((),) * len(SitePoint._fields)
    ids, xs, ys, categories, severities, statuses, counts = zip(*sites, strict=True)
    lons, lats = _lonlats(xs, ys)
    return ids, lons, lats, categories, severities, statuses, counts


def site_features(sites: Sequence[SitePoint]) -> list[dict[str, Any]]:
    """Sites as GeoJSON point features (WGS84)."""
    return [
        {
            "type": "Feature",
            "id": site_id,
            "geometry": {"type": "Point", "coordinates": [lon, lat]},
            "properties": {
                "category": category,
                "severity": severity,
                "status": status,
                "report_count": count,
            },
        }
        for site_id, lon, lat, category, severity, status, count in zip(
            *_site_columns(sites), strict=True
        )
    ]


def cell_features(cells: Sequence[GridCell], cell_m: float) -> list[dict[str, Any]]:
    """Grid cells as GeoJSON point features (WGS84) with ``cluster: true`` and their counts."""
    return [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [lon, lat]},
            "properties": {
                "cluster": True,
                "count": cell.count,
                "high": cell.high,
                "reports": cell.reports,
                "cell_m": cell_m,
            },
        }
        for cell, lon, lat in zip(
            cells, *_lonlats([c.x for c in cells], [c.y for c in cells]), strict=True
        )
    ]


Cells = tuple[float, list[GridCell]]


def _stored_level(bbox: BBox, max_features: int) -> int | None:
    """The stored cell size (``site_cells.LEVELS``) the map would use for a box, if any."""
    cell = cell_size_for(bbox, max_features)
    return int(cell) if cell == int(cell) and int(cell) in LEVELS else None


def _many_stored(session: Session, level: int, bbox: BBox, max_features: int) -> Cells | None:
    """The stored cells around the box when they hold more than ``max_features`` sites."""
    cells = cells_in_box(session, level, bbox, more_than=max_features)
    if not cells:
        return None
    return float(level), [GridCell(c.x, c.y, c.sites, c.high, c.reports) for c in cells]


def _clustered(cells: Sequence[GridCell], cell: float) -> dict[str, Any]:
    return {
        "type": "FeatureCollection",
        "features": cell_features(cells, cell),
        "clustered": True,
        "cell_m": cell,
    }


def viewport_content(
    session: Session,
    bbox: BBox,
    categories: Sequence[str] | None = None,
    statuses: Sequence[str] | None = None,
    max_features: int = MAX_FEATURES,
    own_site_ids: Sequence[int] = (),
) -> tuple[list[SitePoint], None] | tuple[None, Cells]:
    """What a viewport shows: its sites when there are at most ``max_features``, else grid
    cells (cell size, cells).

    For the default map the stored cells around the box decide: more sites than
    ``max_features`` in them, and they are the answer; fewer, and the sites are read at once
    (no count first; the cells around the box hold every public site in it). Filtered maps
    count first, then read the sites or group them in SQL. ``own_site_ids`` (the asker's own
    sites under review) join the sites, and the cells counted in SQL, never the stored cells.
    """
    level = _stored_level(bbox, max_features)
    own = own_site_ids
    if categories is None and statuses is None and level is not None:
        many = _many_stored(session, level, bbox, max_features)
        if many is not None:
            return None, many
        sites = sites_in_bbox(session, bbox, limit=max_features + 1, own_site_ids=own)
        if len(sites) <= max_features:  # (always, unless stale counts or many own sites)
            return sites, None
    elif count_in_bbox(session, bbox, categories, statuses, max_features + 1, own) <= max_features:
        return sites_in_bbox(session, bbox, categories, statuses, own_site_ids=own), None
    cell = cell_size_for(bbox, max_features)
    return None, (
        cell,
        grid_counts(session, bbox, cell, categories, statuses, max_features, own),
    )


def map_features(
    session: Session,
    bbox: BBox,
    categories: Sequence[str] | None = None,
    statuses: Sequence[str] | None = None,
    max_features: int = MAX_FEATURES,
    own_site_ids: Sequence[int] = (),
) -> dict[str, Any]:
    """The map's answer for an EPSG:25832 viewport: a GeoJSON FeatureCollection of at most
    ``max_features`` features, the sites themselves or, when there are more, grid cells."""
    sites, cells = viewport_content(session, bbox, categories, statuses, max_features, own_site_ids)
    if cells is not None:
        return _clustered(cells[1], cells[0])
    return {"type": "FeatureCollection", "features": site_features(sites), "clustered": False}


_properties: dict[tuple[str, str, str], str] = {}


def _properties_head(category: str, severity: str, status: str) -> str:
    """A site feature's properties up to its report count, as JSON text; written once per
    distinct (category, severity, status): the codes repeat."""
    key = (category, severity, status)
    found = _properties.get(key)
    if found is None:
        codes = {"category": category, "severity": severity, "status": status}
        text = json.dumps(codes, ensure_ascii=False, separators=(",", ":"))
        found = _properties[key] = f'"properties":{text[:-1]},"report_count":'
    return found


# A site as GeoJSON text; its coordinates were rounded to ``COORDINATE_DIGITS`` already, so
# the fixed notation writes the same numbers as ``json.dumps`` (faster than the shortest form).
_FEATURE = (
    '{"type":"Feature","id":%d,"geometry":{"type":"Point","coordinates":'
    f"[%.{COORDINATE_DIGITS}f,%.{COORDINATE_DIGITS}f]}},%s%d}}}}"
)


def map_features_json(
    session: Session,
    bbox: BBox,
    categories: Sequence[str] | None = None,
    statuses: Sequence[str] | None = None,
    max_features: int = MAX_FEATURES,
    own_site_ids: Sequence[int] = (),
) -> str:
    """``map_features`` serialised straight to GeoJSON text (the same document as
    ``json.dumps(map_features(...))`` parses to), without building a dict per feature."""
    sites, cells = viewport_content(session, bbox, categories, statuses, max_features, own_site_ids)
    if cells is not None:
        return json.dumps(_clustered(cells[1], cells[0]))
    ids, lons, lats, categories, severities, statuses, counts = _site_columns(sites)
    known = _properties
    parts = []
    for site_id, lon, lat, category, severity, status, count in zip(
        ids, lons, lats, categories, severities, statuses, counts, strict=True
    ):
        head = known.get((category, severity, status))
        if head is None:
            head = _properties_head(category, severity, status)
        parts.append(_FEATURE % (site_id, lon, lat, head, count))
    return '{"type":"FeatureCollection","features":[' + ",".join(parts) + '],"clustered":false}'
