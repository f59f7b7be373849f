"""The OpenAPI 3.1 description of every /api/v1 endpoint, served at /api/v1/openapi.json."""

from __future__ import annotations

from functools import cache
from typing import Any

from flask import jsonify

from fieldaudit.api.parsing import DEVICE_TOKEN_HEADER, DEVICE_TOKEN_PATTERN
from fieldaudit.api.sites import BBOX_PATTERN, MAX_ACCURACY_M, MAX_SITE_LIMIT
from fieldaudit.api.views import api
from fieldaudit.config import HERLEV_BBOX_WGS84
from fieldaudit.params import MAX_ID
from fieldaudit.reports import MAX_DESCRIPTION, MAX_NAME
from fieldaudit.sites import CONFIRMATION_KINDS
from fieldaudit.status import Status
from fieldaudit.taxonomy import (
    AREA_KINDS,
    CATEGORIES,
    COMMON_TAGS,
    Group,
    Severity,
)

JSON = "application/json"
TIMESTAMP_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?(Z|[+-][0-9]{2}:[0-9]{2})$"
# Herlev's box widened by the boundary tolerance (about 150 m): positions outside it are refused.
SERVICE_BOX = (
    round(HERLEV_BBOX_WGS84[0] - 0.003, 3),
    round(HERLEV_BBOX_WGS84[1] - 0.002, 3),
    round(HERLEV_BBOX_WGS84[2] + 0.003, 3),
    round(HERLEV_BBOX_WGS84[3] + 0.002, 3),
)


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {JSON: {"schema": schema}}}


def _error(description: str) -> dict[str, Any]:
    return _json(_ref("Error"), description)


def _label() -> dict[str, Any]:
    return _ref("Label")


def _schemas() -> dict[str, Any]:
    tag_codes = sorted({t.code for c in CATEGORIES for t in c.tags} | {t.code for t in COMMON_TAGS})
    measurement_keys = sorted({m.key for c in CATEGORIES for m in c.measurements})
    units = sorted({m.unit for c in CATEGORIES for m in c.measurements})
    timestamp = {"type": "string", "format": "date-time"}
    nullable_timestamp = {"type": ["string", "null"], "format": "date-time"}
    status = {
        "type": "object",
        "required": ["code", "label"],
        "properties": {
            "code": {"type": "string", "enum": [s.value for s in Status]},
            "label": _label(),
        },
    }
    site_properties = {
        "type": "object",
        "required": [
            "id",
            "category",
            "category_label",
            "severity",
            "status",
            "report_count",
            "confirmation_count",
            "area_name",
            "last_seen",
            "thumbnail_url",
        ],
        "properties": {
            "id": {"type": "integer"},
            "category": {"type": "string"},
            "category_label": _label(),
            "severity": {"type": "string", "enum": [s.value for s in Severity]},
            "status": _ref("Status"),
            "report_count": {"type": "integer"},
            "confirmation_count": {"type": "integer"},
            "area_name": {"type": ["string", "null"]},
            "last_seen": nullable_timestamp,
            "thumbnail_url": {"type": ["string", "null"]},
        },
    }
    return {
        "Label": {
            "type": "object",
            "description": "A text in Danish and English.",
            "required": ["da", "en"],
            "properties": {"da": {"type": "string"}, "en": {"type": "string"}},
        },
        "Status": status,
        "Problem": {
            "type": "object",
            "required": ["error", "message", "field"],
            "properties": {
                "error": {"type": "string"},
                "message": {"type": "string"},
                "field": {"type": "string"},
            },
        },
        "Error": {
            "type": "object",
            "description": "What was wrong, in the request's language (?lang=da|en). "
            "`problems` lists every problem when there are several.",
            "required": ["error", "message", "field"],
            "properties": {
                "error": {"type": "string", "description": "A stable code."},
                "message": {"type": "string"},
                "field": {"type": "string", "description": "The field at fault ('' if none)."},
                "problems": {"type": "array", "items": _ref("Problem")},
            },
        },
        "Quantity": {
            "type": "object",
            "required": ["value"],
            "properties": {
                "value": {"type": "number"},
                "unit": {"type": "string", "enum": units},
            },
        },
        "ReportInput": {
            "type": "object",
            "description": "A report made on a device. The position must lie in Herlev Kommune "
            "(its boundary plus a tolerance), or the answer is 422.",
            "required": ["uuid", "lat", "lon", "category", "severity"],
            "properties": {
                "uuid": {"type": "string", "format": "uuid", "description": "Made by the device."},
                "lat": {
                    "type": "number",
                    "minimum": SERVICE_BOX[1],
                    "maximum": SERVICE_BOX[3],
                    "description": "WGS84; within Herlev Kommune (plus a tolerance).",
                },
                "lon": {"type": "number", "minimum": SERVICE_BOX[0], "maximum": SERVICE_BOX[2]},
                "accuracy_m": {"type": ["number", "null"], "minimum": 0, "maximum": 5000},
                "category": {"type": "string", "enum": [c.code for c in CATEGORIES]},
                "severity": {"type": "string", "enum": [s.value for s in Severity]},
                "groups": {
                    "type": ["array", "null"],
                    "items": {"type": "string", "enum": [g.value for g in Group]},
                    "description": "Empty: the category's groups.",
                },
                "tags": {
                    "type": ["array", "null"],
                    "items": {"type": "string", "enum": tag_codes},
                    "description": "Only the category's tags and the common ones are accepted.",
                },
                "measurements": {
                    "type": ["object", "null"],
                    "propertyNames": {"enum": measurement_keys},
                    "additionalProperties": {
                        "oneOf": [_ref("Quantity"), {"type": "number"}],
                    },
                    "description": "Only the category's measurements, in their units and ranges.",
                },
                "description": {"type": "string", "maxLength": MAX_DESCRIPTION},
                "created_at": {
                    "type": ["string", "null"],
                    "format": "date-time",
                    "pattern": TIMESTAMP_PATTERN,
                    "description": "With a time zone; not more than a day in the future.",
                },
                "show_name": {"type": "boolean"},
                "reporter_name": {"type": "string", "maxLength": MAX_NAME},
            },
        },
        "ReportMultipart": {
            "type": "object",
            "required": ["report"],
            "properties": {
                "report": _ref("ReportInput"),
                "photos": {
                    "type": "array",
                    "maxItems": 3,
                    "items": {"type": "string", "contentMediaType": "application/octet-stream"},
                    "description": "JPEG, PNG, WebP or HEIC, at most 15 MB each.",
                },
            },
        },
        "Photo": {
            "type": "object",
            "required": ["id", "width", "height", "url", "thumbnail_url"],
            "properties": {
                "id": {"type": "integer"},
                "width": {"type": "integer"},
                "height": {"type": "integer"},
                "url": {"type": "string"},
                "thumbnail_url": {"type": "string"},
            },
        },
        "PublicNote": {
            "type": "object",
            "required": ["at", "action", "status", "note"],
            "properties": {
                "at": nullable_timestamp,
                "action": {"type": "string"},
                "status": {"oneOf": [_ref("Status"), {"type": "null"}]},
                "note": {"type": "string"},
            },
        },
        "Report": {
            "type": "object",
            "required": [
                "uuid",
                "status",
                "status_reason",
                "category",
                "category_label",
                "severity",
                "groups",
                "tags",
                "measurements",
                "description",
                "lat",
                "lon",
                "accuracy_m",
                "created_at",
                "received_at",
                "area",
                "site_id",
                "reporter_name",
                "photos",
                "public_notes",
            ],
            "properties": {
                "uuid": {"type": "string", "format": "uuid"},
                "status": _ref("Status"),
                "status_reason": {"type": "string"},
                "category": {"type": "string"},
                "category_label": _label(),
                "severity": {"type": "string", "enum": [s.value for s in Severity]},
                "groups": {"type": "array", "items": {"type": "string"}},
                "tags": {"type": "array", "items": {"type": "string"}},
                "measurements": {
                    "type": "object",
                    "additionalProperties": {
                        "type": "object",
                        "required": ["value", "unit", "broken", "limit", "source"],
                        "properties": {
                            "value": {"type": "number"},
                            "unit": {"type": "string"},
                            "broken": {
                                "type": ["boolean", "null"],
                                "description": "Whether the Danish rule is broken (null: none).",
                            },
                            "limit": {"type": ["number", "null"]},
                            "source": {"type": ["string", "null"]},
                        },
                    },
                },
                "description": {"type": "string"},
                "lat": {"type": "number"},
                "lon": {"type": "number"},
                "accuracy_m": {"type": ["number", "null"]},
                "created_at": timestamp,
                "received_at": nullable_timestamp,
                "area": {
                    "oneOf": [
                        {
                            "type": "object",
                            "required": ["id", "name"],
                            "properties": {"id": {"type": "integer"}, "name": {"type": "string"}},
                        },
                        {"type": "null"},
                    ]
                },
                "site_id": {"type": ["integer", "null"]},
                "reporter_name": {"type": ["string", "null"]},
                "photos": {"type": "array", "items": _ref("Photo")},
                "public_notes": {"type": "array", "items": _ref("PublicNote")},
            },
        },
        "SiteProperties": site_properties,
        "SiteFeature": {
            "type": "object",
            "required": ["type", "id", "geometry", "properties"],
            "properties": {
                "type": {"const": "Feature"},
                "id": {"type": "integer"},
                "geometry": {
                    "type": "object",
                    "required": ["type", "coordinates"],
                    "properties": {
                        "type": {"const": "Point"},
                        "coordinates": {
                            "type": "array",
                            "items": {"type": "number"},
                            "minItems": 2,
                            "maxItems": 2,
                        },
                    },
                },
                "properties": _ref("SiteProperties"),
            },
        },
        "SiteCollection": {
            "type": "object",
            "required": ["type", "features"],
            "properties": {
                "type": {"const": "FeatureCollection"},
                "features": {"type": "array", "items": _ref("SiteFeature")},
            },
        },
        "MapFeature": {
            "type": "object",
            "required": ["type", "geometry", "properties"],
            "description": "A site (with its id) or, with cluster: true, a grid cell of sites.",
            "properties": {
                "type": {"const": "Feature"},
                "id": {"type": "integer"},
                "geometry": {
                    "type": "object",
                    "required": ["type", "coordinates"],
                    "properties": {
                        "type": {"const": "Point"},
                        "coordinates": {
                            "type": "array",
                            "items": {"type": "number"},
                            "minItems": 2,
                            "maxItems": 2,
                        },
                    },
                },
                "properties": {
                    "type": "object",
                    "properties": {
                        "category": {"type": "string"},
                        "severity": {"type": "string"},
                        "status": {"type": "string"},
                        "report_count": {"type": "integer"},
                        "cluster": {"const": True},
                        "count": {"type": "integer", "description": "Sites in the cell."},
                        "high": {"type": "integer", "description": "Of them high severity."},
                        "reports": {"type": "integer"},
                        "cell_m": {"type": "number"},
                    },
                },
            },
        },
        "MapCollection": {
            "type": "object",
            "required": ["type", "features", "clustered"],
            "properties": {
                "type": {"const": "FeatureCollection"},
                "features": {"type": "array", "maxItems": 2000, "items": _ref("MapFeature")},
                "clustered": {"type": "boolean"},
                "cell_m": {"type": "number", "description": "Cell size when clustered."},
            },
        },
        "NearbySite": {
            "allOf": [
                _ref("SiteProperties"),
                {
                    "type": "object",
                    "required": ["distance_m", "lat", "lon", "summary"],
                    "properties": {
                        "distance_m": {"type": "number"},
                        "lat": {"type": "number"},
                        "lon": {"type": "number"},
                        "summary": {
                            "type": ["string", "null"],
                            "maxLength": 141,
                            "description": "The first line of the first public description "
                            "(accepted, not redacted reports only), shortened to 140 characters.",
                        },
                    },
                },
            ]
        },
        "Nearby": {
            "type": "object",
            "required": ["radius_m", "sites", "under_review"],
            "properties": {
                "radius_m": {"type": "number"},
                "sites": {"type": "array", "maxItems": 5, "items": _ref("NearbySite")},
                "under_review": {
                    "description": "Someone else's report of this category is under review "
                    "about within_m (30) metres away; its position is taken to a 40 m grid "
                    "first, so nothing more is told of where it is.",
                    "type": ["object", "null"],
                    "required": ["category", "within_m"],
                    "properties": {
                        "category": {"type": "string"},
                        "within_m": {"type": "integer", "minimum": 30, "maximum": 30},
                    },
                },
            },
        },
        "ConfirmationInput": {
            "type": "object",
            "required": ["uuid", "kind"],
            "properties": {
                "uuid": {"type": "string", "format": "uuid"},
                "kind": {"type": "string", "enum": list(CONFIRMATION_KINDS)},
                "created_at": {
                    "type": ["string", "null"],
                    "format": "date-time",
                    "pattern": TIMESTAMP_PATTERN,
                },
            },
        },
        "Confirmation": {
            "type": "object",
            "required": ["uuid", "site_id", "kind", "created_at", "received_at"],
            "properties": {
                "uuid": {"type": "string", "format": "uuid"},
                "site_id": {"type": "integer"},
                "kind": {"type": "string", "enum": list(CONFIRMATION_KINDS)},
                "created_at": timestamp,
                "received_at": nullable_timestamp,
            },
        },
        "ConfirmationResult": {
            "allOf": [
                _ref("Confirmation"),
                {
                    "type": "object",
                    "required": ["site"],
                    "properties": {"site": _ref("SiteProperties")},
                },
            ]
        },
        "MyReports": {
            "type": "object",
            "required": ["reports", "confirmations"],
            "properties": {
                "reports": {"type": "array", "items": _ref("Report")},
                "confirmations": {"type": "array", "items": _ref("Confirmation")},
            },
        },
        "Categories": {
            "type": "object",
            "required": ["categories", "groups", "severities", "area_kinds"],
            "properties": {
                "categories": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["code", "label", "hint", "groups", "tags", "measurements"],
                        "properties": {
                            "code": {"type": "string"},
                            "number": {"type": "integer"},
                            "label": _label(),
                            "hint": _label(),
                            "groups": {"type": "array", "items": {"type": "string"}},
                            "cluster_radius_m": {"type": "number"},
                            "icon": {"type": "string"},
                            "tags": {"type": "array", "items": {"type": "object"}},
                            "measurements": {"type": "array", "items": {"type": "object"}},
                        },
                    },
                },
                "groups": {"type": "array", "items": {"type": "object"}},
                "severities": {"type": "array", "items": {"type": "object"}},
                "area_kinds": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "code": {"type": "string", "enum": [k.code for k in AREA_KINDS]},
                            "label": _label(),
                        },
                    },
                },
            },
        },
        "AreaCollection": {
            "type": "object",
            "required": ["type", "features"],
            "properties": {
                "type": {"const": "FeatureCollection"},
                "features": {"type": "array", "items": {"type": "object"}},
            },
        },
    }


def _device_header(required: bool = False) -> dict[str, Any]:
    return {
        "name": DEVICE_TOKEN_HEADER,
        "in": "header",
        "required": required,
        "description": "A random secret the device made and keeps; only its SHA-256 is stored.",
        "schema": {"type": "string", "pattern": DEVICE_TOKEN_PATTERN.pattern},
    }


def _paths() -> dict[str, Any]:
    report_responses = {
        "201": _json(_ref("Report"), "Stored."),
        "200": _json(_ref("Report"), "Already stored with the same content (a resubmission)."),
        "400": _error("The body, a part or a header cannot be read."),
        "409": _error("Another report with the same UUID but different content was stored."),
        "413": _error("The request or a photo is too large."),
        "415": _error("Neither JSON nor multipart/form-data."),
        "422": _error("The report or a photo breaks a rule (every problem is listed)."),
    }
    return {
        "/api/v1/openapi.json": {
            "get": {
                "operationId": "openapi",
                "summary": "This document.",
                "responses": {"200": _json({"type": "object"}, "OpenAPI 3.1.")},
            }
        },
        "/api/v1/areas": {
            "get": {
                "operationId": "listAreas",
                "summary": "Herlev's areas and boundary as GeoJSON (WGS84).",
                "responses": {
                    "200": {
                        "description": "A FeatureCollection.",
                        "content": {"application/geo+json": {"schema": _ref("AreaCollection")}},
                    }
                },
            }
        },
        "/api/v1/priority/weights": {
            "get": {
                "operationId": "priorityWeights",
                "summary": "Every weight of the priority formula, with presets and colour bands.",
                "responses": {"200": _json({"type": "object"}, "The published configuration.")},
            }
        },
        "/api/v1/categories": {
            "get": {
                "operationId": "listCategories",
                "summary": "Barrier categories, groups, severities with Danish thresholds, da+en.",
                "responses": {"200": _json(_ref("Categories"), "The taxonomy.")},
            }
        },
        "/api/v1/reports": {
            "post": {
                "operationId": "createReport",
                "summary": "Submit a report, idempotent by its UUID.",
                "description": "The same UUID with the same content (photos included) answers "
                "200 with the stored report; with other content 409. A report and its photos "
                "are stored together or not at all.",
                "parameters": [_device_header()],
                "requestBody": {
                    "required": True,
                    "content": {
                        JSON: {"schema": _ref("ReportInput")},
                        "multipart/form-data": {
                            "schema": _ref("ReportMultipart"),
                            "encoding": {"report": {"contentType": JSON}},
                        },
                    },
                },
                "responses": report_responses,
            }
        },
        "/api/v1/reports/{report_uuid}": {
            "get": {
                "operationId": "getReport",
                "summary": "A report with its status and public notes.",
                "parameters": [
                    {
                        "name": "report_uuid",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string", "format": "uuid"},
                    }
                ],
                "responses": {
                    "200": _json(_ref("Report"), "The report."),
                    "404": _error("No such report (or it was hidden)."),
                },
            }
        },
        "/api/v1/photos/{photo_id}/{variant}": {
            "get": {
                "operationId": "getPhoto",
                "summary": "A stored photo without metadata: display size (max 1600 px) or "
                "thumbnail (320 px). Hidden photos are never served.",
                "parameters": [
                    {
                        "name": "photo_id",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
                    },
                    {
                        "name": "variant",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string", "enum": ["display", "thumbnail"]},
                    },
                ],
                "responses": {
                    "200": {
                        "description": "A JPEG.",
                        "content": {"image/jpeg": {"schema": {"type": "string"}}},
                    },
                    "304": {"description": "Not modified."},
                    "404": _error("No such photo."),
                },
            }
        },
        "/api/v1/sites": {
            "get": {
                "operationId": "listSites",
                "summary": "Open public barrier sites (and the asker's own under review) in a "
                "bounding box, as GeoJSON (WGS84).",
                "parameters": [
                    _device_header(),
                    {
                        "name": "bbox",
                        "in": "query",
                        "required": False,
                        "description": "minlon,minlat,maxlon,maxlat in WGS84; default Herlev. "
                        "Clipped to the area around Herlev.",
                        "schema": {
                            "type": "string",
                            "pattern": BBOX_PATTERN.pattern,
                        },
                    },
                    {
                        "name": "limit",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_SITE_LIMIT},
                    },
                ],
                "responses": {
                    "200": {
                        "description": "A FeatureCollection of sites.",
                        "content": {"application/geo+json": {"schema": _ref("SiteCollection")}},
                    },
                    "400": _error("A bad bbox or limit."),
                },
            }
        },
        "/api/v1/map": {
            "get": {
                "operationId": "mapOfSites",
                "summary": "Public sites (and the asker's own under review) in a bounding box "
                "for a map: the sites themselves (at most 2,000) or, when there are more, grid "
                "cells with counts of public sites (WGS84).",
                "parameters": [
                    _device_header(),
                    {
                        "name": "bbox",
                        "in": "query",
                        "required": False,
                        "description": "minlon,minlat,maxlon,maxlat in WGS84; default Herlev. "
                        "Clipped to the area around Herlev.",
                        "schema": {"type": "string", "pattern": BBOX_PATTERN.pattern},
                    },
                ],
                "responses": {
                    "200": {
                        "description": "A FeatureCollection of sites or of grid cells.",
                        "content": {"application/geo+json": {"schema": _ref("MapCollection")}},
                    },
                    "400": _error("A bad bbox."),
                },
            }
        },
        "/api/v1/service-area": {
            "get": {
                "operationId": "serviceArea",
                "summary": "Where reports are taken: the municipal boundary with the server's "
                "tolerance, grown by a few metres and simplified, as one GeoJSON Feature "
                "(WGS84). The field app keeps it on the phone and checks positions against it.",
                "responses": {
                    "200": {
                        "description": "A GeoJSON Feature with a (Multi)Polygon.",
                        "content": {
                            "application/geo+json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["type", "geometry"],
                                    "properties": {
                                        "type": {"const": "Feature"},
                                        "geometry": {"type": "object"},
                                        "properties": {"type": "object"},
                                    },
                                }
                            }
                        },
                    }
                },
            }
        },
        "/api/v1/sites/nearby": {
            "get": {
                "operationId": "nearbySites",
                "summary": "The duplicate check: open public sites of a category (and the "
                "asker's own under review) within max(30 m, accuracy + 10 m), nearest first, "
                "at most 5.",
                "parameters": [
                    _device_header(),
                    {
                        "name": "lat",
                        "in": "query",
                        "required": True,
                        "schema": {"type": "number", "minimum": -90, "maximum": 90},
                    },
                    {
                        "name": "lon",
                        "in": "query",
                        "required": True,
                        "schema": {"type": "number", "minimum": -180, "maximum": 180},
                    },
                    {
                        "name": "category",
                        "in": "query",
                        "required": True,
                        "schema": {"type": "string", "enum": [c.code for c in CATEGORIES]},
                    },
                    {
                        "name": "accuracy",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "number", "minimum": 0, "maximum": MAX_ACCURACY_M},
                    },
                ],
                "responses": {
                    "200": _json(_ref("Nearby"), "Nearby open sites."),
                    "400": _error("A parameter is missing or wrong."),
                },
            }
        },
        "/api/v1/sites/{site_id}/confirmations": {
            "post": {
                "operationId": "confirmSite",
                "summary": "'Still there' (+1) or 'fixed now' for a site, idempotent by UUID.",
                "parameters": [
                    {
                        "name": "site_id",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
                    },
                    _device_header(),
                ],
                "requestBody": {
                    "required": True,
                    "content": {JSON: {"schema": _ref("ConfirmationInput")}},
                },
                "responses": {
                    "201": _json(_ref("ConfirmationResult"), "Stored."),
                    "200": _json(_ref("ConfirmationResult"), "Already stored (a resubmission)."),
                    "400": _error("The body or a header cannot be read."),
                    "404": _error("No such site."),
                    "409": _error("Another confirmation with the same UUID was stored."),
                    "415": _error("Not JSON."),
                    "422": _error("The confirmation breaks a rule."),
                },
            }
        },
        "/api/v1/my/reports": {
            "get": {
                "operationId": "myReports",
                "summary": "The reports and confirmations of this device and of the signed-in "
                "user, newest first, with status and public notes.",
                "parameters": [_device_header()],
                "responses": {
                    "200": _json(_ref("MyReports"), "Empty with neither token nor sign-in."),
                    "400": _error("A malformed device token."),
                },
            }
        },
        # GDPR export for anonymous reporters (hardening, issue 8: fieldaudit/api/privacy.py).
        "/api/v1/my/data": {
            "get": {
                "operationId": "myData",
                "summary": "Everything stored about this device and the signed-in user (GDPR "
                "access and portability): account, reports with positions, confirmations.",
                "parameters": [_device_header()],
                "responses": {
                    "200": _json(
                        {
                            "type": "object",
                            "required": ["exported_at", "account", "reports", "confirmations"],
                            "properties": {
                                "exported_at": {"type": "string", "format": "date-time"},
                                "account": {"type": ["object", "null"]},
                                "reports": {"type": "array", "items": {"type": "object"}},
                                "confirmations": {"type": "array", "items": {"type": "object"}},
                            },
                        },
                        "Empty lists with neither token nor sign-in.",
                    ),
                    "400": _error("A malformed device token."),
                },
            }
        },
    }


@cache
def document() -> dict[str, Any]:
    """The OpenAPI 3.1 document."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "FieldAudit API",
            "version": "1",
            "description": "Accessibility barriers in Herlev Kommune: the field app's API. "
            "Coordinates are WGS84 (stored in EPSG:25832). Texts come in Danish and English; "
            "error messages follow ?lang=da|en. Errors are JSON {error, message, field}.",
        },
        "servers": [{"url": "/"}],
        "paths": _paths(),
        "components": {"schemas": _schemas()},
    }


@api.get("/openapi.json")
def openapi():
    """The OpenAPI 3.1 document of this API."""
    return jsonify(document())
