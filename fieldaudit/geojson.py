"""GeoJSON (RFC 7946, WGS84 lon/lat) output of stored geometry."""

from __future__ import annotations

from typing import Any

from geoalchemy2.shape import to_shape
from shapely import set_precision
from shapely.geometry import mapping

from fieldaudit.crs import METRIC, WGS84, reproject
from fieldaudit.models import Area
from fieldaudit.taxonomy import AREA_KINDS

# 1e-6 degrees is about 0.1 m: enough for barriers, and it keeps responses small.
PRECISION_DEG = 1e-6
AREA_KIND_LABELS = {k.code: k.label for k in AREA_KINDS}


def wgs84_geometry(stored: Any) -> dict[str, Any]:
    """Convert a stored EPSG:25832 geometry to a GeoJSON geometry in WGS84."""
    shape = reproject(to_shape(stored), METRIC, WGS84)
    return mapping(set_precision(shape, PRECISION_DEG))


def area_feature(area: Area, lang: str = "da") -> dict[str, Any]:
    """A public space, green area or the boundary as a GeoJSON Feature (the kind's name in
    ``lang``); served by the API and by OGC API - Features."""
    kind = AREA_KIND_LABELS.get(area.kind)
    return {
        "type": "Feature",
        "id": area.id,
        "geometry": wgs84_geometry(area.geom),
        "properties": {
            "name": area.name,
            "kind": area.kind,
            "kind_name": kind.get(lang) if kind else area.kind,
            "importance": area.importance,
            "approximate": area.approximate,
            "description": area.description,
            "source": area.source,
        },
    }


def feature_collection(features: list[dict[str, Any]]) -> dict[str, Any]:
    """Wrap features in a FeatureCollection."""
    return {"type": "FeatureCollection", "features": features}
