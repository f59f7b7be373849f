"""Public spaces and green areas: storing them and placing a point in one."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from geoalchemy2.shape import from_shape, to_shape
from shapely import STRtree, prepared
from shapely.geometry import MultiPolygon, Point, Polygon
from shapely.geometry.base import BaseGeometry
from shapely.ops import unary_union
from sqlalchemy import func, select
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
    forget_area_index(session)
    return area, created


@dataclass(frozen=True)
class AreaShape:
    """An area as the in-memory index knows it: id (None before it is stored), name, kind,
    EPSG:25832 geometry and importance."""

    id: int | None
    name: str
    kind: str
    geometry: BaseGeometry
    importance: float = 1.0


class AreaIndex:
    """The rule of ``area_for_point`` in memory: the smallest area containing a point, else
    the nearest within 25 m; the municipal boundary never counts.

    Built once per process for a state of the ``areas`` table (see ``area_index``), it answers
    in microseconds instead of two spatial queries that load whole polygons.
    """

    def __init__(self, areas: Sequence[AreaShape]) -> None:
        usable = [a for a in areas if a.kind != MUNICIPALITY]
        # Smallest first (ties by id, as the database's ORDER BY ST_Area gives no other order).
        self.areas = sorted(usable, key=lambda a: (a.geometry.area, a.id or 0))
        self.by_id = {a.id: a for a in self.areas}
        for area in self.areas:
            shapely.prepare(area.geometry)
        self._tree = STRtree([a.geometry for a in self.areas])

    def locate(self, x: float, y: float) -> AreaShape | None:
        """The area of one EPSG:25832 point, or None."""
        point = Point(x, y)
        inside = self._tree.query(point, predicate="within")
        if len(inside):
            return self.areas[int(min(inside))]
        near = self._tree.query(point, predicate="dwithin", distance=NEAREST_AREA_M)
        if not len(near):
            return None
        return min(
            (self.areas[int(i)] for i in near),
            key=lambda a: (a.geometry.distance(point), a.geometry.area),
        )

    def locate_many(self, xs: np.ndarray, ys: np.ndarray) -> list[int | None]:
        """The area id of each point (None where none is near), vectorised."""
        result: list[int | None] = [None] * len(xs)
        found = np.zeros(len(xs), dtype=bool)
        for area in self.areas:  # smallest first
            inside = shapely.contains_xy(area.geometry, xs, ys) & ~found
            for index in np.flatnonzero(inside):
                result[index] = area.id
            found |= inside
        rest = np.flatnonzero(~found)
        if len(rest) and self.areas:
            points = shapely.points(xs[rest], ys[rest])
            distances = np.stack([shapely.distance(a.geometry, points) for a in self.areas])
            nearest = distances.argmin(axis=0)
            best = distances[nearest, np.arange(len(rest))]
            for offset, index in enumerate(rest):
                if best[offset] <= NEAREST_AREA_M:
                    result[index] = self.areas[nearest[offset]].id
        return result


# One index per database and state of its areas table: (count, max id, latest update).
_indexes: dict[tuple[Any, ...], AreaIndex] = {}
SESSION_KEY = "fieldaudit.area_index"


STATE_KEY = "fieldaudit.areas_state"
AREAS_STATE = select(func.count(Area.id), func.max(Area.id), func.max(Area.updated_at))


def _fingerprint(session: Session) -> tuple[Any, ...]:
    """The state of the areas table (database, count, last id, last update), read once per
    session: what the in-memory area index and service area are kept for."""
    cached = session.info.get(STATE_KEY)
    if cached is None:
        # On the connection (Core): the ORM's handling of a select costs more than the query
        # (pending areas flushed first, as the ORM would).
        session.flush()
        count, last_id, updated = session.connection().execute(AREAS_STATE).one()
        cached = session.info[STATE_KEY] = (
            str(session.get_bind().url),
            count,
            last_id,
            str(updated),
        )
    return cached


def area_index(session: Session) -> AreaIndex:
    """The area index for the session's database, checked once per session (one tiny query)
    and rebuilt in this process whenever the areas table has changed."""
    cached = session.info.get(SESSION_KEY)
    if cached is not None:
        return cached
    key = _fingerprint(session)
    index = _indexes.get(key)
    if index is None:
        index = AreaIndex(
            [
                AreaShape(row.id, row.name, row.kind, to_shape(row.geom), row.importance)
                for row in session.execute(
                    select(Area.id, Area.name, Area.kind, Area.geom, Area.importance)
                )
            ]
        )
        for stale in [k for k in _indexes if k[0] == key[0]]:
            del _indexes[stale]
        _indexes[key] = index
    session.info[SESSION_KEY] = index
    return index


def named_areas(session: Session) -> list[Area]:
    """The areas one can choose (every area but the municipality's boundary), by name."""
    return list(session.scalars(select(Area).where(Area.kind != MUNICIPALITY).order_by(Area.name)))


def forget_area_index(session: Session) -> None:
    """Drop the session's index (after areas change; other sessions see the new fingerprint)."""
    session.info.pop(SESSION_KEY, None)
    session.info.pop(STATE_KEY, None)


def area_for_point(session: Session, x: float, y: float) -> AreaShape | None:
    """The area a point lies in (the smallest if several), else the nearest within 25 m."""
    return area_index(session).locate(x, y)


def area_for_point_in_database(session: Session, x: float, y: float) -> Area | None:
    """``area_for_point`` asked of the database (the reference the index is tested against)."""
    spatial = backend(session)
    not_boundary = Area.kind != MUNICIPALITY
    containing = session.scalars(
        select(Area)
        .where(not_boundary, spatial.contains_point(Area.geom, x, y))
        .order_by(Area.geom.ST_Area(), Area.id)
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
        self._outlines: dict[float, BaseGeometry] = {}

    def contains(self, x: float, y: float) -> bool:
        """Tell whether an EPSG:25832 point lies in the service area."""
        return self._prepared.contains(Point(x, y))

    def outline(self, margin_m: float) -> BaseGeometry:
        """The area grown by ``margin_m`` and simplified by half of it: small enough to send to
        a phone, and never smaller than the area, so a client's check refuses only what the
        server would refuse too."""
        found = self._outlines.get(margin_m)
        if found is None:
            grown = self.geometry.buffer(margin_m) if margin_m else self.geometry
            found = grown.simplify(margin_m / 2, preserve_topology=True)
            self._outlines[margin_m] = found
        return found


_service_areas: dict[tuple[Any, ...], ServiceArea] = {}


def service_area(
    session: Session, fallback_bbox_metric: tuple[float, float, float, float], tolerance_m: float
) -> ServiceArea:
    """``load_service_area``, built once per process and state of the areas table."""
    key = (*_fingerprint(session), tuple(fallback_bbox_metric), tolerance_m)
    found = _service_areas.get(key)
    if found is None:
        for stale in [k for k in _service_areas if k[0] == key[0]]:
            del _service_areas[stale]
        found = _service_areas[key] = load_service_area(session, fallback_bbox_metric, tolerance_m)
    return found


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
