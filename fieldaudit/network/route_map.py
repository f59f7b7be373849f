"""The map of a step-free route without tiles: the areas around it, the route line, its two
ends and the barriers on it, as SVG in EPSG:25832 metres (north up; no Flask, no script).

The frame and the areas come from ``place_map.small_map`` (the same map as a barrier's page);
the window holds the whole route and every barrier with a margin. Barriers are numbered in the
order given (the route's own order, as the page lists them), so the map and the list agree.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

from shapely.geometry import LineString

from fieldaudit.areas import AreaShape
from fieldaudit.place_map import ROUND_TO, MapArea, SmallMap, small_map

# At least this far each side of the route's middle: a short route still shows its streets.
ROUTE_HALF_WIDTH_M = 200.0
MARGIN_M = 80.0  # room around the route for its ends' markers and labels
# Sizes as shares of the map's width, as the templates draw them.
MARKER_SHARE = 1 / 45
FONT_SHARE = 1 / 32
Box = tuple[float, float, float, float]


@dataclass(frozen=True)
class RouteMap:
    """The map: its frame and areas, the route as an SVG path, its ends and the barriers
    (site id, x, y) in map units."""

    base: SmallMap
    path: str
    start: tuple[float, float]
    end: tuple[float, float]
    barriers: list[tuple[int, float, float]]
    start_label: tuple[float, float]
    end_label: tuple[float, float]


def route_map(
    areas: Sequence[AreaShape],
    line: LineString,
    barriers: Sequence[tuple[int, float, float]] = (),
) -> RouteMap:
    """The map of a route ``line`` (EPSG:25832) with the barriers (id, x, y) on it."""
    coords = [(float(c[0]), float(c[1])) for c in line.coords]
    points = [coords[0], coords[-1], *((x, y) for _, x, y in barriers)]
    min_x, min_y, max_x, max_y = line.bounds
    corners = [(min_x - MARGIN_M, min_y - MARGIN_M), (max_x + MARGIN_M, max_y + MARGIN_M)]
    base = small_map(areas, [*points, *corners], ROUTE_HALF_WIDTH_M)
    # The window's top left corner, from where small_map put the first point.
    left = coords[0][0] - base.markers[0][0]
    top = coords[0][1] + base.markers[0][1]
    drawn = [(round(x - left, ROUND_TO), round(top - y, ROUND_TO)) for x, y in coords]
    path = f"M{drawn[0][0]:g} {drawn[0][1]:g}" + "".join(f"L{x:g} {y:g}" for x, y in drawn[1:])
    marked = base.markers[2 : 2 + len(barriers)]
    unit = base.width * MARKER_SHARE
    start_label = _away(drawn[0], drawn[1:], unit * 2.4)
    end_label = _away(drawn[-1], drawn[-2::-1], unit * 2.4)
    font = base.width * FONT_SHARE
    taken = [_box(start_label, 3, font), _box(end_label, 3, font)]
    taken += [
        (x - unit, y - unit, x + unit, y + unit) for x, y in base.markers[: 2 + len(barriers)]
    ]
    return RouteMap(
        base=SmallMap(base.width, base.height, _clear_labels(base.areas, taken, font), []),
        path=path,
        start=base.markers[0],
        end=base.markers[1],
        barriers=[(b[0], x, y) for b, (x, y) in zip(barriers, marked, strict=True)],
        start_label=start_label,
        end_label=end_label,
    )


def _away(
    end: tuple[float, float], along: Sequence[tuple[float, float]], distance: float
) -> tuple[float, float]:
    """A label's place beside a route's end, on the side away from where the route goes."""
    x, y = end
    other = next((p for p in along if p != end), (x, y + 1))
    dx, dy = x - other[0], y - other[1]
    norm = math.hypot(dx, dy) or 1.0
    return round(x + dx / norm * distance, ROUND_TO), round(y + dy / norm * distance, ROUND_TO)


def _box(centre: tuple[float, float], letters: int, font: float) -> Box:
    """Roughly where a text of ``letters`` characters centred at ``centre`` is drawn."""
    half = letters * font * 0.3
    return centre[0] - half, centre[1] - font * 0.8, centre[0] + half, centre[1] + font * 0.2


def _overlaps(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _clear_labels(areas: Sequence[MapArea], taken: list[Box], font: float) -> list[MapArea]:
    """The areas with the names that would cover a marker, an end's label or an earlier name
    left out (the area is still drawn; its name is empty)."""
    kept = []
    for area in areas:
        where = _box((area.label_x, area.label_y), len(area.name), font)
        if any(_overlaps(where, other) for other in taken):
            kept.append(replace(area, name=""))
        else:
            taken.append(where)
            kept.append(area)
    return kept
