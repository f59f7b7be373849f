"""Barrier sites for the field app: the map (bbox), the duplicate check and confirmations.

Anyone sees the public sites (``visibility.visible_site_clause``); the device (X-Device-Token)
or account that reported a site under review sees that one too. Of other sites under review
the duplicate check tells only that one lies within about so many metres.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from flask import jsonify
from sqlalchemy import select

from fieldaudit.api.errors import ApiError
from fieldaudit.api.parsing import (
    check_fields_text,
    device_token_hash,
    json_body,
    parse_id,
    query_int,
    query_number,
    signed_in_user,
)
from fieldaudit.api.serialize import (
    confirmation_json,
    site_feature,
    site_properties,
    site_summaries,
    site_thumbnails,
)
from fieldaudit.api.views import api
from fieldaudit.config import HERLEV_BBOX_WGS84
from fieldaudit.crs import bbox_to_metric, to_metric
from fieldaudit.errors import Problem, ValidationError
from fieldaudit.extensions import db
from fieldaudit.models import BarrierSite
from fieldaudit.problems import problem
from fieldaudit.reports import check_created_at, parse_uuid
from fieldaudit.sites import CONFIRMATION_KINDS, add_confirmation
from fieldaudit.spatial import backend
from fieldaudit.status import OPEN_STATUSES
from fieldaudit.taxonomy import CATEGORIES_BY_CODE
from fieldaudit.visibility import (
    duplicate_check,
    own_unreviewed_site_ids,
    site_is_public,
    visible_site_clause,
)
from fieldaudit.web import query
from fieldaudit.web.client import client_address_key
from fieldaudit.web.query import BBOX, CHOICE, INT, NUMBER, Param, query_params

# Sites are only looked for around Herlev: a bbox is clipped to this box (WGS84).
SEARCH_MARGIN_DEG = 0.05
SEARCH_BOX = (
    HERLEV_BBOX_WGS84[0] - SEARCH_MARGIN_DEG,
    HERLEV_BBOX_WGS84[1] - SEARCH_MARGIN_DEG,
    HERLEV_BBOX_WGS84[2] + SEARCH_MARGIN_DEG,
    HERLEV_BBOX_WGS84[3] + SEARCH_MARGIN_DEG,
)
NEARBY_MIN_RADIUS_M = 30.0
NEARBY_ACCURACY_MARGIN_M = 10.0
NEARBY_LIMIT = 5
MAX_ACCURACY_M = 5000.0
DEFAULT_SITE_LIMIT = 1000
MAX_SITE_LIMIT = 2000


BBOX_PARAM = Param(BBOX, ("12.40,55.71,12.46,55.76",))
BBOX_PATTERN = re.compile(r"^-?[0-9]{1,3}(\.[0-9]{1,12})?(,-?[0-9]{1,3}(\.[0-9]{1,12})?){3}$")


def own_site_ids() -> list[int]:
    """The asking device's (or signed-in user's) own sites under review."""
    user = signed_in_user()
    return own_unreviewed_site_ids(db.session, user.id if user else None, device_token_hash())


def _bbox_argument() -> tuple[float, float, float, float]:
    """The bbox parameter: four decimal numbers (default Herlev's box)."""
    raw = query.arg("bbox")
    if raw is None:
        return HERLEV_BBOX_WGS84
    if not BBOX_PATTERN.fullmatch(raw):
        raise ApiError(400, "bbox", "invalid_bbox")
    min_lon, min_lat, max_lon, max_lat = (float(part) for part in raw.split(","))
    return min_lon, min_lat, max_lon, max_lat


@api.get("/sites")
@query_params(bbox=BBOX_PARAM, limit=Param(INT, ("10",)))
def sites_in_bbox():
    """Open public barrier sites (and the asker's own under review) inside a WGS84 bounding
    box, as a GeoJSON FeatureCollection.

    The box is clipped to the area around Herlev; a box outside it (or inverted) finds nothing.
    """
    min_lon, min_lat, max_lon, max_lat = _bbox_argument()
    limit = query_int("limit", DEFAULT_SITE_LIMIT, 1, MAX_SITE_LIMIT)
    clipped = (
        max(min_lon, SEARCH_BOX[0]),
        max(min_lat, SEARCH_BOX[1]),
        min(max_lon, SEARCH_BOX[2]),
        min(max_lat, SEARCH_BOX[3]),
    )
    sites: list[BarrierSite] = []
    if clipped[0] <= clipped[2] and clipped[1] <= clipped[3]:
        spatial = backend(db.session)
        sites = list(
            db.session.scalars(
                select(BarrierSite)
                .where(
                    spatial.bbox_filter(BarrierSite.geom, bbox_to_metric(clipped)),
                    BarrierSite.status.in_([s.value for s in OPEN_STATUSES]),
                    visible_site_clause(own_site_ids()),
                )
                .order_by(BarrierSite.priority_score.desc(), BarrierSite.id)
                .limit(limit)
            )
        )
    thumbnails = site_thumbnails(db.session, [s.id for s in sites])
    response = jsonify(
        {
            "type": "FeatureCollection",
            "features": [site_feature(s, thumbnails.get(s.id)) for s in sites],
        }
    )
    response.mimetype = "application/geo+json"
    return response


@api.get("/sites/nearby")
@query_params(
    lat=Param(NUMBER, ("55.7189",)),
    lon=Param(NUMBER, ("12.4437",)),
    accuracy=Param(NUMBER, ("8",)),
    category=Param(CHOICE, ("step", "kerb")),
)
def nearby_sites():
    """The duplicate check: open sites of a category within max(30 m, accuracy + 10 m), at most 5
    (public ones and the asker's own), and ``under_review`` when a report of the category is
    being reviewed about 30 m away (its position taken to a 40 m grid; nothing else of it)."""
    lat = query_number("lat", -90, 90)
    lon = query_number("lon", -180, 180)
    accuracy = query_number("accuracy", 0, MAX_ACCURACY_M, required=False)
    code = query.arg("category")
    if code not in CATEGORIES_BY_CODE:
        raise ApiError(400, "category", "unknown_category")
    assert lat is not None and lon is not None
    radius = max(NEARBY_MIN_RADIUS_M, (accuracy or 0.0) + NEARBY_ACCURACY_MARGIN_M)
    found = []
    under_review = None
    inside = SEARCH_BOX[0] <= lon <= SEARCH_BOX[2] and SEARCH_BOX[1] <= lat <= SEARCH_BOX[3]
    if inside:
        x, y = to_metric(lon, lat)
        check = duplicate_check(db.session, code, x, y, radius, own_site_ids(), NEARBY_LIMIT)
        found = check.sites
        if check.under_review_within_m is not None:
            under_review = {"category": code, "within_m": check.under_review_within_m}
    thumbnails = site_thumbnails(db.session, [near.site.id for near in found])
    summaries = site_summaries(db.session, [near.site.id for near in found])
    results = []
    for near in found:
        feature = site_feature(near.site, thumbnails.get(near.site.id))
        lon_site, lat_site = feature["geometry"]["coordinates"]
        results.append(
            {
                **feature["properties"],
                "distance_m": round(near.distance_m, 1),
                "lat": lat_site,
                "lon": lon_site,
                "summary": summaries.get(near.site.id),
            }
        )
    return jsonify({"radius_m": radius, "sites": results, "under_review": under_review})


@api.post("/sites/<site_id>/confirmations")
def confirm_site(site_id: str):
    """'Still there' or 'fixed now' for a site, stored once per UUID."""
    payload = json_body()
    check_fields_text(payload, ("uuid", "kind", "created_at"))
    if not isinstance(payload, dict):
        raise ValidationError(problem("", "invalid_body.confirmation"))
    now = datetime.now(UTC)
    problems: list[Problem] = []
    confirmation_uuid = parse_uuid(payload.get("uuid"))
    if confirmation_uuid is None:
        problems.append(problem("uuid", "invalid_uuid.confirmation"))
    kind = payload.get("kind")
    if kind not in CONFIRMATION_KINDS:
        problems.append(problem("kind", "invalid_kind"))
    created_at = check_created_at(payload.get("created_at"), now, problems)
    device = device_token_hash()
    if problems:
        raise ValidationError(problems)
    site = db.session.get(BarrierSite, number) if (number := parse_id(site_id)) else None
    if site is None or not (site_is_public(site) or site.id in own_site_ids()):
        raise ApiError(404, "site_id", "not_found.site")
    user = signed_in_user()
    confirmation, created = add_confirmation(
        db.session,
        site,
        confirmation_uuid,
        kind,
        created_at,
        reporter_id=user.id if user else None,
        device_token_hash=device,
        client_key=client_address_key(),
        now=now,
        time_sent=payload.get("created_at") is not None,
    )
    db.session.commit()
    thumbnails = site_thumbnails(db.session, [site.id])
    body = {
        **confirmation_json(confirmation),
        "site": site_properties(site, thumbnails.get(site.id)),
    }
    return jsonify(body), 201 if created else 200
