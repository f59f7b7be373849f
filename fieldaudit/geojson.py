"""GeoJSON (RFC 7946, WGS84 lon/lat) output of stored geometry."""

from __future__ import annotations

from typing import Any

from geoalchemy2.shape import to_shape
from shapely import set_precision
from shapely.geometry import mapping

from fieldaudit.crs import METRIC, WGS84, reproject
from fieldaudit.models import Area

# 1e-6 degrees is about 0.1 m: enough for barriers, and it keeps responses small.
PRECISION_DEG = 1e-6


def wgs84_geometry(stored: Any) -> dict[str, Any]:
    """Convert a stored EPSG:25832 geometry to a GeoJSON geometry in WGS84."""
    shape = reproject(to_shape(stored), METRIC, WGS84)
    return mapping(set_precision(shape, PRECISION_DEG))


def area_feature(area: Area, lang: str = "da") -> dict[str, Any]:
    """Return an area as a GeoJSON Feature."""
    return {
        "type": "Feature",
        "id": area.id,
        "geometry": wgs84_geometry(area.geom),
        "properties": {
            "name": area.name,
            "kind": area.kind,
            "importance": area.importance,
            "approximate": area.approximate,
            "description": area.description,
        },
    }


def feature_collection(features: list[dict[str, Any]]) -> dict[str, Any]:
    """Wrap features in a FeatureCollection."""
    return {"type": "FeatureCollection", "features": features}
