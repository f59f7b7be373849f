"""The walking network: GET /api/v1/route (step-free routes) and /api/v1/network/profiles."""

from __future__ import annotations

from flask import jsonify
from shapely import set_precision
from shapely.geometry import mapping

from fieldaudit.api.errors import ApiError
from fieldaudit.api.views import api
from fieldaudit.crs import METRIC, WGS84, reproject, to_metric
from fieldaudit.extensions import db
from fieldaudit.geojson import PRECISION_DEG
from fieldaudit.network.profiles import PROFILES, profile, published_profiles
from fieldaudit.network.routing import find_route, lon_lat
from fieldaudit.web import query
from fieldaudit.web.query import CHOICE, TEXT, Param, query_params


def _lon_lat(name: str) -> tuple[float, float]:
    found = lon_lat(query.arg(name))
    if found is None:
        raise ApiError(400, name, "invalid_position.route", name=name)
    return found


@api.get("/route")
@query_params(
    **{
        "from": Param(TEXT, ("12.4437,55.7189",)),
        "to": Param(TEXT, ("12.4356,55.7255",)),
        "profile": Param(CHOICE, tuple(PROFILES)),
    }
)
def route():
    """The best route for a group as a GeoJSON Feature; 404 ``no_route`` when there is none."""
    start, end = _lon_lat("from"), _lon_lat("to")
    group = profile(query.arg("profile") or "WHEEL")
    if group is None:
        raise ApiError(400, "profile", "unknown_profile")
    found = find_route(db.session, to_metric(*start), to_metric(*end), group)
    if found is None:
        raise ApiError(404, "profile", "no_route")
    line = set_precision(reproject(found.line, METRIC, WGS84), PRECISION_DEG)
    response = jsonify(
        {
            "type": "Feature",
            "geometry": mapping(line),
            "properties": {
                "profile": group.group.value,
                "length_m": round(found.length_m, 1),
                "cost_m": round(found.cost, 1),
                "barriers_avoided": found.barriers_avoided,
                "barriers_on_route": found.barriers_on_route,
            },
        }
    )
    response.mimetype = "application/geo+json"
    return response


@api.get("/network/profiles")
def network_profiles():
    """The published table of what blocks or penalises an edge for each group."""
    response = jsonify(published_profiles())
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


def _position(name: str, description: str) -> dict:
    return {
        "name": name,
        "in": "query",
        "required": True,
        "description": description,
        "schema": {"type": "string", "pattern": r"^-?[0-9]+(\.[0-9]+)?,-?[0-9]+(\.[0-9]+)?$"},
        "example": "12.4437,55.7189",
    }


def network_paths() -> dict:
    """The OpenAPI paths of this module (merged into ``openapi.document``)."""
    barrier = {
        "type": "object",
        "required": ["id", "category", "severity", "penalty_m"],
        "properties": {
            "id": {"type": "integer"},
            "category": {"type": "string"},
            "severity": {"type": "string"},
            "penalty_m": {"type": "number"},
        },
    }
    route_feature = {
        "type": "object",
        "required": ["type", "geometry", "properties"],
        "properties": {
            "type": {"const": "Feature"},
            "geometry": {
                "type": "object",
                "properties": {"type": {"const": "LineString"}, "coordinates": {"type": "array"}},
            },
            "properties": {
                "type": "object",
                "required": ["profile", "length_m", "barriers_avoided", "barriers_on_route"],
                "properties": {
                    "profile": {"type": "string", "enum": list(PROFILES)},
                    "length_m": {"type": "number"},
                    "cost_m": {"type": "number"},
                    "barriers_avoided": {"type": "array", "items": {"type": "integer"}},
                    "barriers_on_route": {"type": "array", "items": barrier},
                },
            },
        },
    }
    error = {"$ref": "#/components/schemas/Error"}
    return {
        "/api/v1/route": {
            "get": {
                "operationId": "route",
                "summary": "The best route on the walking network for a group (profile): "
                "blocked edges left out, penalties in metres of detour added. "
                "barriers_avoided: public open sites that matter to the group on the shortest "
                "unrestricted route but not on this one; barriers_on_route: penalised sites "
                "passed.",
                "parameters": [
                    _position("from", "Start as LON,LAT (WGS84)."),
                    _position("to", "End as LON,LAT (WGS84)."),
                    {
                        "name": "profile",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "string", "enum": list(PROFILES), "default": "WHEEL"},
                    },
                ],
                "responses": {
                    "200": {
                        "description": "A GeoJSON Feature with the route's LineString.",
                        "content": {"application/geo+json": {"schema": route_feature}},
                    },
                    "400": {
                        "description": "A position or the profile cannot be used.",
                        "content": {"application/json": {"schema": error}},
                    },
                    "404": {
                        "description": 'No route for this group: {"error": "no_route"}.',
                        "content": {"application/json": {"schema": error}},
                    },
                    "429": {
                        "description": "Too many requests.",
                        "content": {"application/json": {"schema": error}},
                    },
                },
            }
        },
        "/api/v1/network/profiles": {
            "get": {
                "operationId": "networkProfiles",
                "summary": "The published profile per group: which barrier categories, "
                "measured values and edge facts block an edge or add a penalty in metres.",
                "responses": {
                    "200": {
                        "description": "The profiles.",
                        "content": {"application/json": {"schema": {"type": "object"}}},
                    }
                },
            }
        },
    }
