"""Where FieldAudit takes reports, for the field app: GET /api/v1/service-area.

The app keeps the answer on the phone (the service worker stores it) and checks a chosen
position against it on the position and review steps, so a report from outside the
municipality is caught while the person is still there, also offline. The server's own check
(``reports.check_report``) stays the rule; this outline is a little larger than it.
"""

from __future__ import annotations

from flask import current_app, jsonify
from shapely import set_precision
from shapely.geometry import mapping

from fieldaudit.api.views import api
from fieldaudit.areas import service_area as cached_service_area
from fieldaudit.config import HERLEV_BBOX_WGS84
from fieldaudit.crs import METRIC, WGS84, bbox_to_metric, reproject
from fieldaudit.extensions import db
from fieldaudit.geojson import PRECISION_DEG

# Grown by this much (and simplified by half of it) beyond the server's own rule.
CLIENT_MARGIN_M = 10.0


@api.get("/service-area")
def service_area_outline():
    """The service area as one GeoJSON Feature (WGS84), slightly larger than the server's rule."""
    area = cached_service_area(
        db.session,
        bbox_to_metric(HERLEV_BBOX_WGS84),
        current_app.config["BOUNDARY_TOLERANCE_M"],
    )
    shape = reproject(area.outline(CLIENT_MARGIN_M), METRIC, WGS84)
    response = jsonify(
        {
            "type": "Feature",
            "geometry": mapping(set_precision(shape, PRECISION_DEG)),
            "properties": {"margin_m": CLIENT_MARGIN_M},
        }
    )
    response.mimetype = "application/geo+json"
    return response
