"""The map of many sites: GET /api/v1/map returns at most 2,000 features for a viewport, the
sites themselves or, where there are more, grid cells with counts (fieldaudit/map_aggregation.py).
"""

from __future__ import annotations

from flask import Response, current_app

from fieldaudit.api.sites import BBOX_PARAM, SEARCH_BOX, _bbox_argument, own_site_ids
from fieldaudit.api.views import api
from fieldaudit.crs import bbox_to_metric
from fieldaudit.extensions import db
from fieldaudit.map_aggregation import MAX_FEATURES, map_features_json
from fieldaudit.web.query import query_params

EMPTY = '{"type":"FeatureCollection","features":[],"clustered":false}'


@api.get("/map")
@query_params(bbox=BBOX_PARAM)
def map_of_sites():
    """Public barrier sites (and the asker's own under review) in a WGS84 box as GeoJSON:
    sites, or grid cells of public sites when too many."""
    min_lon, min_lat, max_lon, max_lat = _bbox_argument()
    clipped = (
        max(min_lon, SEARCH_BOX[0]),
        max(min_lat, SEARCH_BOX[1]),
        min(max_lon, SEARCH_BOX[2]),
        min(max_lat, SEARCH_BOX[3]),
    )
    body = EMPTY
    if clipped[0] < clipped[2] and clipped[1] < clipped[3]:
        body = map_features_json(
            db.session,
            bbox_to_metric(clipped),
            max_features=min(current_app.config["MAP_MAX_FEATURES"], MAX_FEATURES),
            own_site_ids=own_site_ids(),
        )
    return Response(body, mimetype="application/geo+json")
