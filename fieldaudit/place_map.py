"""Where a barrier is, in words and as a small map without tiles (no Flask).

The nearest named place is the nearest of Herlev's areas (parks, squares, paths, the
surroundings of stations and public buildings): the one the point lies in, else the nearest
one with its distance. The small map is the areas around the point drawn as SVG paths in
EPSG:25832 metres (north up), so a page can show it with no tile server and no script.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import shapely
from shapely.geometry import MultiPolygon, Point, Polygon, box
from shapely.geometry.base import BaseGeometry

from fieldaudit.areas import AreaIndex, AreaShape

# Half the width of the small map's window, in metres: a few streets around the barrier.
MAP_HALF_WIDTH_M = 300.0
MAP_ASPECT = 0.6  # height / width
# Outlines are simplified to about a pixel of a 600 px wide map.
SIMPLIFY_M = 1.0
ROUND_TO = 1
# A label closer to a marker than this share of the map's width moves out of its way.
LABEL_CLEARANCE = 0.05


@dataclass(frozen=True)
class NamedPlace:
    """The nearest named place: an area's name and kind, and the distance to it (0 = inside)."""

    name: str
    kind: str
    distance_m: float

    @property
    def inside(self) -> bool:
        """True when the point lies in the area."""
        return self.distance_m == 0


@dataclass(frozen=True)
class MapArea:
    """One area on the small map: its SVG path (map units), kind and name."""

    path: str
    kind: str
    name: str
    label_x: float
    label_y: float


@dataclass(frozen=True)
class SmallMap:
    """A small map: an SVG view box (``0 0 width height``, metres), the areas inside it and
    the marked points in map units."""

    width: float
    height: float
    areas: list[MapArea]
    markers: list[tuple[float, float]]


def nearest_place(index: AreaIndex, x: float, y: float) -> NamedPlace | None:
    """The named place of an EPSG:25832 point: the smallest area it lies in, else the nearest
    area (any distance), or None when there are no areas."""
    if not index.areas:
        return None
    point = Point(x, y)
    inside = [a for a in index.areas if a.geometry.contains(point)]
    if inside:  # index.areas is smallest first
        return NamedPlace(inside[0].name, inside[0].kind, 0.0)
    nearest = min(index.areas, key=lambda a: (a.geometry.distance(point), a.geometry.area))
    return NamedPlace(nearest.name, nearest.kind, round(nearest.geometry.distance(point), 0))


def _ring(coords: Sequence[tuple[float, ...]], left: float, top: float) -> str:
    points = [(round(cx - left, ROUND_TO), round(top - cy, ROUND_TO)) for cx, cy, *_ in coords]
    head, *rest = points
    return f"M{head[0]:g} {head[1]:g}" + "".join(f"L{px:g} {py:g}" for px, py in rest) + "Z"


def svg_path(geometry: BaseGeometry, left: float, top: float) -> str:
    """An SVG path of a (multi)polygon in map units: x from ``left``, y down from ``top``."""
    polygons: list[Polygon] = []
    if isinstance(geometry, Polygon):
        polygons = [geometry]
    elif isinstance(geometry, MultiPolygon):
        polygons = list(geometry.geoms)
    elif hasattr(geometry, "geoms"):
        polygons = [g for g in geometry.geoms if isinstance(g, Polygon)]
    parts = []
    for polygon in polygons:
        if polygon.is_empty:
            continue
        parts.append(_ring(polygon.exterior.coords, left, top))
        parts.extend(_ring(ring.coords, left, top) for ring in polygon.interiors)
    return "".join(parts)


def small_map(
    areas: Sequence[AreaShape],
    points: Sequence[tuple[float, float]],
    half_width_m: float = MAP_HALF_WIDTH_M,
) -> SmallMap:
    """The areas around EPSG:25832 points, clipped to a window that holds them all with a
    margin (at least ``half_width_m`` each side of their centre, so one point is never
    zoomed in to nothing)."""
    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    cx, cy = (min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2
    half_w = max(half_width_m, (max(xs) - min(xs)) / 2 * 1.3)
    half_h = max(half_w * MAP_ASPECT, (max(ys) - min(ys)) / 2 * 1.3)
    half_w = max(half_w, half_h / MAP_ASPECT)
    left, top = cx - half_w, cy + half_h
    window = box(cx - half_w, cy - half_h, cx + half_w, cy + half_h)
    markers = [(round(px - left, ROUND_TO), round(top - py, ROUND_TO)) for px, py in points]
    drawn = []
    for area in sorted(areas, key=lambda a: -a.geometry.area):  # small ones on top
        if not area.geometry.intersects(window):
            continue
        clipped = shapely.intersection(area.geometry, window).simplify(SIMPLIFY_M)
        path = svg_path(clipped, left, top)
        if not path:
            continue
        label = clipped.representative_point()
        label_x, label_y = _clear_of(
            (label.x - left, top - label.y), markers, 2 * half_w * LABEL_CLEARANCE
        )
        drawn.append(MapArea(path, area.kind, area.name, round(label_x), round(label_y)))
    return SmallMap(round(2 * half_w), round(2 * half_h), drawn, markers)


def _clear_of(
    label: tuple[float, float], markers: Sequence[tuple[float, float]], clearance: float
) -> tuple[float, float]:
    """A label's position moved below (or above, near the bottom) a marker it would cover."""
    x, y = label
    for mx, my in markers:
        if abs(x - mx) < clearance * 3 and abs(y - my) < clearance:
            return x, my + clearance * 1.6
    return x, y
