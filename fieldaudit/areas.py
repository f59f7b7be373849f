"""Public spaces and green areas: storing them and placing a point in one."""

from __future__ import annotations

from dataclasses import dataclass

from geoalchemy2.shape import from_shape, to_shape
from shapely import prepared
from shapely.geometry import MultiPolygon, Point, Polygon
from shapely.geometry.base import BaseGeometry
from shapely.ops import unary_union
from sqlalchemy import select
from sqlalchemy.orm import Session

from fieldaudit.crs import METRIC
from fieldaudit.models import Area
from fieldaudit.spatial import backend
from fieldaudit.taxonomy import MUNICIPALITY

NEAREST_AREA_M = 25.0


@dataclass(frozen=True)
class AreaFeature:
    """An area ready to store: its geometry is a valid MultiPolygon in EPSG:25832."""

    name: str
    kind: str
    geometry: MultiPolygon
    importance: float = 1.0
    description: str = ""
    source: str = ""
    approximate: bool = False


def as_multipolygon(geometry: BaseGeometry) -> MultiPolygon | None:
    """Return the polygonal part of a geometry as a MultiPolygon, or None if it has none."""
    if isinstance(geometry, MultiPolygon):
        return geometry
    if isinstance(geometry, Polygon):
        return MultiPolygon([geometry])
    polygons: list[Polygon] = []
    for part in getattr(geometry, "geoms", []):
        mp = as_multipolygon(part)
        if mp is not None:
            polygons.extend(mp.geoms)
    return MultiPolygon(polygons) if polygons else None


def upsert_area(session: Session, feature: AreaFeature) -> tuple[Area, bool]:
    """Store an area, updating the one with the same name and kind; return it and 'created'."""
    area = session.scalar(select(Area).where(Area.name == feature.name, Area.kind == feature.kind))
    created = area is None
    if area is None:
        area = Area(name=feature.name, kind=feature.kind)
        session.add(area)
    area.importance = feature.importance
    area.description = feature.description
    area.source = feature.source
    area.approximate = feature.approximate
    area.geom = from_shape(feature.geometry, srid=METRIC)
    session.flush()
    return area, created


def area_for_point(session: Session, x: float, y: float) -> Area | None:
    """The area a point lies in (the smallest if several), else the nearest within 25 m."""
    spatial = backend(session)
    not_boundary = Area.kind != MUNICIPALITY
    containing = session.scalars(
        select(Area)
        .where(not_boundary, spatial.contains_point(Area.geom, x, y))
        .order_by(Area.geom.ST_Area())
        .limit(1)
    ).first()
    if containing is not None:
        return containing
    return session.scalars(
        spatial.nearest(select(Area).where(not_boundary), Area.geom, x, y, NEAREST_AREA_M, 1)
    ).first()


class ServiceArea:
    """Where FieldAudit takes reports: the municipal boundary with a tolerance, or a bbox."""

    def __init__(self, geometry: BaseGeometry, tolerance_m: float) -> None:
        self.geometry = geometry.buffer(tolerance_m) if tolerance_m else geometry
        self._prepared = prepared.prep(self.geometry)

    def contains(self, x: float, y: float) -> bool:
        """Tell whether an EPSG:25832 point lies in the service area."""
        return self._prepared.contains(Point(x, y))


def load_service_area(
    session: Session, fallback_bbox_metric: tuple[float, float, float, float], tolerance_m: float
) -> ServiceArea:
    """Build the service area from the stored municipal boundary, else from a bbox."""
    shapes = [
        to_shape(g) for g in session.scalars(select(Area.geom).where(Area.kind == MUNICIPALITY))
    ]
    if shapes:
        return ServiceArea(unary_union(shapes), tolerance_m)
    from shapely.geometry import box

    return ServiceArea(box(*fallback_bbox_metric), 0.0)
