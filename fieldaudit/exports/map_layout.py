"""What goes where on the printed priority map, in the map box's own pixels (no drawing).

One layout serves both renderers: Pillow for the PNG (``printmap``) and SVG for the PDF
(``map_svg``). The top N sites of the filter (default 25) get numbered circles, placed without
overlap by ``label_placement`` (leader lines where a circle had to move); every other site is a
small dot in its band's colour. Colours come from ``map_bands`` (the data's own distribution).
The extent fits the filtered sites (and the chosen area); a small overview of the municipality
shows where the extent lies. Coordinates: x to the right, y down, 0,0 at the box's top left.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

from fieldaudit.crs import to_metric, to_wgs84
from fieldaudit.exports.label_placement import (
    Anchor,
    Box,
    PlacedLabel,
    inside,
    overlaps,
    place_labels,
)
from fieldaudit.exports.rows import AreaRow, SiteRow
from fieldaudit.map_bands import Band, band_of, quantile_bands

DEFAULT_TOP = 25
LABEL_SIZE = 30.0
LABEL_SIZE_WIDE = 36.0  # three-digit ranks
DOT_RADIUS = 4.0
MIN_EXTENT_M = 200.0
HERLEV_BOUNDS = (712_950.0, 6_178_860.0, 717_240.0, 6_184_570.0)  # DOMAIN.md
OVERVIEW_SIZE = 190.0
EDGE = 10.0

Point = tuple[float, float]


@dataclass(frozen=True)
class Frame:
    """Where EPSG:25832 metres land in the box: pixel = (x - min_x, max_y - y) × scale."""

    width: float
    height: float
    min_x: float
    max_y: float
    scale: float  # pixels per metre

    def px(self, x: float, y: float) -> Point:
        """Box pixel of a map coordinate."""
        return ((x - self.min_x) * self.scale, (self.max_y - y) * self.scale)


def fit(
    bounds: tuple[float, float, float, float], width: float, height: float, pad: float
) -> Frame:
    """A frame showing ``bounds`` plus ``pad`` pixels on every side, same scale on x and y."""
    min_x, min_y, max_x, max_y = bounds
    span_x = max(max_x - min_x, MIN_EXTENT_M)
    span_y = max(max_y - min_y, MIN_EXTENT_M)
    centre_x, centre_y = (min_x + max_x) / 2, (min_y + max_y) / 2
    scale = min((width - 2 * pad) / span_x, (height - 2 * pad) / span_y)
    return Frame(width, height, centre_x - width / 2 / scale, centre_y + height / 2 / scale, scale)


@dataclass(frozen=True)
class Label:
    """A numbered circle: the site's rank, its band and where the circle went."""

    rank: int
    band: Band
    placed: PlacedLabel


@dataclass(frozen=True)
class Dot:
    """An unnumbered site: a small dot in its band's colour."""

    x: float
    y: float
    band: Band


@dataclass(frozen=True)
class Overview:
    """The small map of the whole municipality with the printed extent marked."""

    box: Box
    rings: list[list[Point]]
    extent: Box


@dataclass(frozen=True)
class ScaleBar:
    """A two-segment scale bar: where it starts, its length in pixels and its text."""

    x: float
    y: float
    length: float
    text: str


@dataclass
class MapLayout:
    """Everything the renderers draw inside the map box."""

    width: float
    height: float
    frame: Frame
    bands: list[Band]
    areas: list[tuple[list[Point], list[list[Point]]]] = field(default_factory=list)
    boundary: list[list[Point]] = field(default_factory=list)
    dots: list[Dot] = field(default_factory=list)
    labels: list[Label] = field(default_factory=list)
    area_names: list[tuple[str, Point]] = field(default_factory=list)
    scale_bar: ScaleBar | None = None
    north: tuple[float, float, float] = (0.0, 0.0, 0.0)  # centre x, y, angle (radians)
    overview: Overview | None = None
    numbered: list[SiteRow] = field(default_factory=list)
    dotted_sites: int = 0  # the unnumbered sites on the map (several may share one dot)
    obstacles: list[Box] = field(default_factory=list)


def _polygons(geometry: BaseGeometry) -> list[Polygon]:
    if isinstance(geometry, Polygon):
        return [geometry]
    if isinstance(geometry, MultiPolygon):
        return list(geometry.geoms)
    return [p for g in getattr(geometry, "geoms", []) for p in _polygons(g)]


def _extent(
    sites: Sequence[SiteRow], focus: BaseGeometry | None, boundary: Sequence[BaseGeometry]
) -> tuple[float, float, float, float]:
    xs = [s.easting for s in sites]
    ys = [s.northing for s in sites]
    if focus is not None:
        xs += [focus.bounds[0], focus.bounds[2]]
        ys += [focus.bounds[1], focus.bounds[3]]
    if not xs:
        shapes = list(boundary)
        if shapes:
            xs = [b for g in shapes for b in (g.bounds[0], g.bounds[2])]
            ys = [b for g in shapes for b in (g.bounds[1], g.bounds[3])]
        else:
            xs, ys = [HERLEV_BOUNDS[0], HERLEV_BOUNDS[2]], [HERLEV_BOUNDS[1], HERLEV_BOUNDS[3]]
    return (min(xs), min(ys), max(xs), max(ys))


def _scale_bar(frame: Frame) -> ScaleBar:
    target = frame.width / 4 / frame.scale
    length = max((n for n in (50, 100, 200, 250, 500, 1000, 2000, 5000) if n <= target), default=50)
    text = f"{length // 1000} km" if length >= 1000 else f"{length} m"
    return ScaleBar(EDGE + 14, frame.height - EDGE - 26, length * frame.scale, text)


def _north(frame: Frame) -> tuple[float, float, float]:
    centre_x = frame.min_x + frame.width / 2 / frame.scale
    centre_y = frame.max_y - frame.height / 2 / frame.scale
    lon, lat = to_wgs84(centre_x, centre_y)
    north_x, north_y = to_metric(lon, lat + 0.01)
    angle = math.atan2(north_x - centre_x, north_y - centre_y)  # true north, from grid north
    return (frame.width - EDGE - 44, EDGE + 58, angle)


def _overview(
    frame: Frame, boundary: Sequence[BaseGeometry], extent_box: Box
) -> tuple[Overview | None, bool]:
    """The overview inset (bottom right); None when the map already shows the municipality."""
    shapes = [p for g in boundary for p in _polygons(g)]
    bounds = (
        (
            min(p.bounds[0] for p in shapes),
            min(p.bounds[1] for p in shapes),
            max(p.bounds[2] for p in shapes),
            max(p.bounds[3] for p in shapes),
        )
        if shapes
        else HERLEV_BOUNDS
    )
    shown = (
        frame.min_x,
        frame.max_y - frame.height / frame.scale,
        frame.min_x + frame.width / frame.scale,
        frame.max_y,
    )
    covers = shown[0] <= bounds[0] and shown[1] <= bounds[1]
    covers = covers and shown[2] >= bounds[2] and shown[3] >= bounds[3]
    if covers:
        return None, False
    size = OVERVIEW_SIZE
    left, top = frame.width - EDGE - size, frame.height - EDGE - size
    inner = fit(bounds, size, size, 8)

    def local(x: float, y: float) -> Point:
        px, py = inner.px(x, y)
        return (left + px, top + py)

    rings = [[local(x, y) for x, y in p.exterior.coords] for p in shapes]
    if not rings:
        b = HERLEV_BOUNDS
        rings = [[local(b[0], b[1]), local(b[2], b[1]), local(b[2], b[3]), local(b[0], b[3])]]
    x0, y0 = local(shown[0], shown[3])
    x1, y1 = local(shown[2], shown[1])
    clamp_x = lambda v: min(max(v, left), left + size)  # noqa: E731
    clamp_y = lambda v: min(max(v, top), top + size)  # noqa: E731
    extent = (clamp_x(x0), clamp_y(y0), clamp_x(x1), clamp_y(y1))
    del extent_box
    return Overview((left, top, left + size, top + size), rings, extent), True


def layout_map(
    sites: Sequence[SiteRow],
    areas: Sequence[AreaRow],
    boundary: Sequence[BaseGeometry],
    width: float,
    height: float,
    focus: BaseGeometry | None = None,
    top: int = DEFAULT_TOP,
) -> MapLayout:
    """Lay out the map of ranked ``sites`` (rank order) in a box of ``width`` × ``height``."""
    numbered = list(sites[:top])
    size = LABEL_SIZE_WIDE if any(s.rank >= 100 for s in numbered) else LABEL_SIZE
    frame = fit(_extent(sites, focus, boundary), width, height, pad=size + 14)
    bands = quantile_bands([s.score for s in sites])
    layout = MapLayout(width, height, frame, bands, numbered=numbered)
    for area in areas:
        for polygon in _polygons(area.geometry):
            layout.areas.append(
                (
                    [frame.px(x, y) for x, y in polygon.exterior.coords],
                    [[frame.px(x, y) for x, y in hole.coords] for hole in polygon.interiors],
                )
            )
    for shape in boundary:
        for polygon in _polygons(shape):
            layout.boundary.append([frame.px(x, y) for x, y in polygon.exterior.coords])
    layout.scale_bar = _scale_bar(frame)
    layout.north = _north(frame)
    bar = layout.scale_bar
    cx, cy, _angle = layout.north
    layout.obstacles = [
        (bar.x - 12, bar.y - 34, bar.x + bar.length + 50, bar.y + 22),
        (cx - 46, cy - 60, cx + 46, cy + 48),
    ]
    layout.overview, shown = _overview(frame, boundary, (0, 0, width, height))
    if shown and layout.overview:
        layout.obstacles.append(layout.overview.box)
    layout.dots, layout.dotted_sites = _dots(frame, bands, sites[top:])
    anchors = [Anchor(s.rank, *frame.px(s.easting, s.northing), size) for s in numbered]
    placed = place_labels(anchors, (EDGE, EDGE, width - EDGE, height - EDGE), layout.obstacles)
    by_rank = {s.rank: s for s in numbered}
    layout.labels = [Label(p.key, band_of(bands, by_rank[p.key].score), p) for p in placed]
    layout.area_names = _area_names(frame, areas, [p.box for p in placed] + layout.obstacles)
    return layout


AREA_FONT = 16.0
DOT_CELL = 4.0  # px: sites closer than this share one dot (the highest band's)


def _dots(frame: Frame, bands: list[Band], sites: Sequence[SiteRow]) -> tuple[list[Dot], int]:
    """One dot per small cell of the map, in the highest band of the sites in it, lowest
    bands first (so the top bands are drawn on top): 36,000 sites make a readable page and a
    PDF of a sensible size, and no site is left without a dot of at least its band."""
    cells: dict[tuple[int, int], Dot] = {}
    shown = 0
    for site in sites:
        x, y = frame.px(site.easting, site.northing)
        if not (0 <= x <= frame.width and 0 <= y <= frame.height):
            continue
        shown += 1
        band = band_of(bands, site.score)
        key = (int(x // DOT_CELL), int(y // DOT_CELL))
        if key not in cells or cells[key].band.minimum < band.minimum:
            cells[key] = Dot((key[0] + 0.5) * DOT_CELL, (key[1] + 0.5) * DOT_CELL, band)
    return sorted(cells.values(), key=lambda d: d.band.minimum), shown


def text_width(text: str, size: float = AREA_FONT) -> float:
    """About how wide DejaVu Sans sets a text (0.6 em a letter), for placing area names."""
    return 0.6 * size * len(text)


def _area_names(
    frame: Frame, areas: Sequence[AreaRow], taken: list[Box]
) -> list[tuple[str, Point]]:
    """Name the areas below, above or inside their outline, wherever no label or name is."""
    names: list[tuple[str, Point]] = []
    limits = (EDGE, EDGE, frame.width - EDGE, frame.height - EDGE)
    for area in sorted(areas, key=lambda a: -a.geometry.area):
        name = area.stats.name
        _min_x, min_y, _max_x, max_y = area.geometry.bounds
        centre = area.geometry.representative_point()
        cx = frame.px(centre.x, centre.y)[0]
        half_w, half_h = text_width(name) / 2 + 3, AREA_FONT * 0.7
        for x, y in (
            (cx, frame.px(0, min_y)[1] + 12),
            (cx, frame.px(0, max_y)[1] - 12),
            frame.px(centre.x, centre.y),
        ):
            box = (x - half_w, y - half_h, x + half_w, y + half_h)
            if inside(box, limits) and not any(overlaps(box, other) for other in taken):
                names.append((name, (x, y)))
                taken.append(box)
                break
    return names
