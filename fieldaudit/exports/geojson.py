"""GeoJSON export (RFC 7946): WGS84 longitude/latitude, no ``crs`` member."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from fieldaudit.exports.rows import SiteRow

MEDIA_TYPE = "application/geo+json"


def site_feature(row: SiteRow) -> dict[str, Any]:
    """One site as a GeoJSON Feature (coordinates lon, lat; 7 decimals is about 1 cm)."""
    return {
        "type": "Feature",
        "id": row.site_id,
        "geometry": {"type": "Point", "coordinates": [row.lon, row.lat]},
        "properties": {
            "rank": row.rank,
            "site_id": row.site_id,
            "category": row.category,
            "category_label": row.category_label,
            "severity": row.severity,
            "severity_label": row.severity_label,
            "status": row.status,
            "status_label": row.status_label,
            "priority_score": row.score,
            "priority_class": row.priority_class,
            "explanation": row.explanation,
            "area": row.area or None,
            "groups": list(row.groups),
            "report_count": row.report_count,
            "confirmation_count": row.confirmation_count,
            "no_alternative_route": row.no_alternative_route,
            "planned_year": row.planned_year,
            "planned_cost_dkk": row.planned_cost_dkk,
            "first_seen": row.first_seen.isoformat(),
            "last_seen": row.last_seen.isoformat(),
            "easting_25832": row.easting,
            "northing_25832": row.northing,
        },
    }


def sites_feature_collection(
    rows: Sequence[SiteRow], metadata: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The sites as a FeatureCollection with a bbox; ``metadata`` becomes a foreign member."""
    collection: dict[str, Any] = {"type": "FeatureCollection"}
    if rows:
        collection["bbox"] = [
            min(r.lon for r in rows),
            min(r.lat for r in rows),
            max(r.lon for r in rows),
            max(r.lat for r in rows),
        ]
    if metadata:
        collection["fieldaudit"] = metadata
    collection["features"] = [site_feature(r) for r in rows]
    return collection


def sites_geojson_bytes(rows: Sequence[SiteRow], metadata: dict[str, Any] | None = None) -> bytes:
    """The FeatureCollection encoded as UTF-8 JSON."""
    return json.dumps(
        sites_feature_collection(rows, metadata), ensure_ascii=False, separators=(",", ":")
    ).encode("utf-8")
