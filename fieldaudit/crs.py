"""Coordinate transforms between WGS84 (lon/lat, the web) and EPSG:25832 (metres, storage)."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache, lru_cache

import shapely
from pyproj import Transformer
from shapely.geometry.base import BaseGeometry

WGS84 = 4326
METRIC = 25832

BBox = tuple[float, float, float, float]


@cache
def transformer(source: int, target: int) -> Transformer:
    """Return a cached lon/lat-ordered transformer between two EPSG codes."""
    return Transformer.from_crs(source, target, always_xy=True)


def to_metric(lon: float, lat: float) -> tuple[float, float]:
    """Transform a WGS84 lon/lat to EPSG:25832 easting/northing."""
    return transformer(WGS84, METRIC).transform(lon, lat)


def to_wgs84(easting: float, northing: float) -> tuple[float, float]:
    """Transform an EPSG:25832 easting/northing to WGS84 lon/lat."""
    return transformer(METRIC, WGS84).transform(easting, northing)


def many_to_wgs84(
    eastings: Sequence[float], northings: Sequence[float]
) -> tuple[list[float], list[float]]:
    """Transform many EPSG:25832 points to WGS84 in one call."""
    lons, lats = transformer(METRIC, WGS84).transform(eastings, northings)
    return list(lons), list(lats)


def reproject(geometry: BaseGeometry, source: int, target: int) -> BaseGeometry:
    """Reproject a shapely geometry between two EPSG codes."""
    if source == target:
        return geometry
    return shapely.transform(geometry, transformer(source, target).transform, interleaved=False)


@lru_cache(maxsize=256)
def bbox_to_metric(bbox: BBox) -> BBox:
    """Turn a WGS84 bbox (min lon, min lat, max lon, max lat) into the EPSG:25832 box around it
    (remembered: the municipality's box is asked for on every report)."""
    return transformer(WGS84, METRIC).transform_bounds(*bbox, densify_pts=4)
