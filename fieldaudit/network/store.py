"""The network in the database (EPSG:25832): replacing the graph, destinations, loading it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from geoalchemy2.shape import from_shape, to_shape
from shapely import wkb
from shapely.geometry import Point
from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from fieldaudit.area_import import AreaFileError, SkippedFeature, herlev_window, read_layer
from fieldaudit.crs import METRIC, reproject
from fieldaudit.models import Area, Destination, NetworkEdge, NetworkNode
from fieldaudit.network.edges import EdgeFacts, NetworkLine
from fieldaudit.network.noding import DEFAULT_TOLERANCE_M, NodedNetwork, node_lines
from fieldaudit.plain_text import clean_line, clean_text
from fieldaudit.taxonomy import MUNICIPALITY

BATCH = 2000


@dataclass(frozen=True)
class DestinationFeature:
    """A place people go, as read from a file (EPSG:25832)."""

    name: str
    kind: str
    point: Point
    source: str = ""
    approximate: bool = False


def stored_lines(session: Session) -> list[NetworkLine]:
    """The stored edges as lines again (for ``--append``: re-noded with the new lines)."""
    lines = []
    for edge in session.scalars(select(NetworkEdge).order_by(NetworkEdge.id)):
        lines.append(NetworkLine(to_shape(edge.geom), EdgeFacts.from_stored(edge)))
    return lines


def replace_network(
    session: Session,
    lines: Sequence[NetworkLine],
    tolerance: float = DEFAULT_TOLERANCE_M,
    append: bool = False,
) -> NodedNetwork:
    """Node ``lines`` (with the stored edges when ``append``) and store the graph in their place."""
    if append:
        lines = [*stored_lines(session), *lines]
    noded = node_lines(lines, tolerance)
    last = session.scalar(select(func.max(NetworkEdge.id))) or 0
    session.execute(delete(NetworkEdge))
    session.execute(delete(NetworkNode))
    nodes = [
        {"id": i + 1, "geom": from_shape(Point(xy), srid=METRIC)}
        for i, xy in enumerate(noded.nodes)
    ]
    for start in range(0, len(nodes), BATCH):
        session.execute(insert(NetworkNode), nodes[start : start + BATCH])
    edges = [
        {
            "id": last + i + 1,  # after the replaced edges: a new fingerprint (network_version)
            "source_node": e.source + 1,
            "target_node": e.target + 1,
            "length_m": e.geometry.length,
            "highway": e.facts.highway,
            "surface": e.facts.surface,
            "width_m": e.facts.width_m,
            "incline_pct": e.facts.incline_pct,
            "kerb": e.facts.stored_kerb(),
            "name": e.facts.name,
            "ref": e.facts.ref,
            "approximate": e.facts.approximate,
            "geom": from_shape(e.geometry, srid=METRIC),
        }
        for i, e in enumerate(noded.edges)
    ]
    for start in range(0, len(edges), BATCH):
        session.execute(insert(NetworkEdge), edges[start : start + BATCH])
    session.flush()
    return noded


def network_version(session: Session) -> tuple:
    """A cheap fingerprint of the stored graph (the routing cache's key). Every replacement
    numbers its edges after the last one, so the same lines imported again with other facts
    (kerbs, surfaces) give another fingerprint."""
    row = session.execute(
        select(func.count(NetworkEdge.id), func.max(NetworkEdge.id), func.sum(NetworkEdge.length_m))
    ).one()
    return (int(row[0] or 0), int(row[1] or 0), round(float(row[2] or 0.0), 3))


def read_destination_file(
    path: str | Path, srid: int | None = None, layer: str | None = None
) -> tuple[list[DestinationFeature], list[SkippedFeature]]:
    """Read the points of a destinations file (name and kind each; kind defaults to 'place')."""
    path = Path(path)
    source_srid, records = read_layer(path, srid, layer)
    window = herlev_window()
    found, skipped = [], []
    for index, (record, raw) in enumerate(records):
        name = clean_line(str(record.get("name") or record.get("navn") or "")).strip()[:200]
        kind = clean_line(str(record.get("kind") or record.get("type") or "place")).strip()[:40]
        point = None if raw is None else reproject(wkb.loads(bytes(raw)), source_srid, METRIC)
        if point is not None and point.geom_type != "Point":
            point = point.representative_point() if not point.is_empty else None
        if not name:
            skipped.append(SkippedFeature(index, "", "no name"))
        elif point is None or point.is_empty or not window.contains(point):
            skipped.append(SkippedFeature(index, name, "no point, or outside Herlev"))
        else:
            found.append(
                DestinationFeature(
                    name,
                    kind or "place",
                    point,
                    clean_text(str(record.get("source") or path.name))[:2000],
                    bool(record.get("approximate") or False),
                )
            )
    if not found:
        raise AreaFileError(f"{path.name}: no usable destinations.")
    return found, skipped


def upsert_destinations(
    session: Session, features: Sequence[DestinationFeature]
) -> tuple[int, int]:
    """Store destinations (same name and kind updates): (created, updated)."""
    created = updated = 0
    for feature in features:
        found = session.scalar(
            select(Destination).where(
                Destination.name == feature.name, Destination.kind == feature.kind
            )
        )
        if found is None:
            found = Destination(name=feature.name, kind=feature.kind)
            session.add(found)
            created += 1
        else:
            updated += 1
        found.geom = from_shape(feature.point, srid=METRIC)
        found.source = feature.source
        found.approximate = feature.approximate
    session.flush()
    return created, updated


def destination_points(session: Session) -> list[tuple[str, tuple[float, float]]]:
    """Every stored destination's name and point (EPSG:25832), by name."""
    return [
        (d.name, (p.x, p.y))
        for d in session.scalars(select(Destination).order_by(Destination.name, Destination.kind))
        for p in [to_shape(d.geom)]
    ]


def municipality_outline(session: Session) -> Any:
    """The municipality's polygon (EPSG:25832), or None when no boundary is loaded."""
    area = session.scalar(select(Area).where(Area.kind == MUNICIPALITY).limit(1))
    return None if area is None else to_shape(area.geom)
