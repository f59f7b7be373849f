"""The OpenAPI 3.0 definition of FieldAudit's OGC API - Features (requirements class OAS30)."""

from __future__ import annotations

from typing import Any

from fieldaudit.ogc.features import (
    COLLECTIONS,
    CONFORMANCE,
    CRS84,
    DEFAULT_LIMIT,
    MAX_LIMIT,
    MAX_OFFSET,
)

OPENAPI_MEDIA_TYPE = "application/vnd.oai.openapi+json;version=3.0"

PAGE_PARAMETERS = ("f", "lang")
ITEMS_PARAMETERS = ("f", "lang", "bbox", "datetime", "limit", "offset")


def _ref(kind: str, name: str) -> dict[str, str]:
    return {"$ref": f"#/components/{kind}/{name}"}


def _json(schema: str, media_type: str = "application/json") -> dict[str, Any]:
    return {"content": {media_type: {"schema": _ref("schemas", schema)}}}


def _json_or_html(schema: str, media_type: str = "application/json") -> dict[str, Any]:
    return {
        "content": {
            media_type: {"schema": _ref("schemas", schema)},
            "text/html": {"schema": {"type": "string"}},
        }
    }


def _errors(*codes: int) -> dict[str, Any]:
    meaning = {
        400: "A query parameter is unknown or has an invalid value.",
        404: "The collection or feature does not exist.",
        406: "None of the accepted media types can be served.",
    }
    return {str(code): {"description": meaning[code], **_json("exception")} for code in codes}


def _operation(
    summary: str,
    operation_id: str,
    parameters: list[dict[str, Any]],
    schema: str,
    media_type: str = "application/json",
    errors: tuple[int, ...] = (400, 406),
) -> dict[str, Any]:
    return {
        "get": {
            "summary": summary,
            "operationId": operation_id,
            "tags": ["OGC API - Features"],
            "parameters": parameters,
            "responses": {
                "200": {"description": summary, **_json_or_html(schema, media_type)},
                **_errors(*errors),
            },
        }
    }


def _link_schema() -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["href", "rel"],
        "properties": {
            "href": {"type": "string"},
            "rel": {"type": "string"},
            "type": {"type": "string"},
            "hreflang": {"type": "string"},
            "title": {"type": "string"},
            "length": {"type": "integer"},
        },
    }


def _links() -> dict[str, Any]:
    return {"type": "array", "items": _ref("schemas", "link")}


def openapi_document(base_url: str, title: str, description: str) -> dict[str, Any]:
    """The API definition; ``base_url`` is the landing page without a trailing slash."""
    page = [_ref("parameters", name) for name in PAGE_PARAMETERS]
    items = [_ref("parameters", "collectionId")] + [
        _ref("parameters", name) for name in ITEMS_PARAMETERS
    ]
    feature = [_ref("parameters", "collectionId"), _ref("parameters", "featureId"), *page]
    geojson = "application/geo+json"
    return {
        "openapi": "3.0.3",
        "info": {
            "title": title,
            "description": description,
            "version": "1.0.0",
            "license": {"name": "CC BY 4.0", "url": "https://creativecommons.org/licenses/by/4.0/"},
        },
        "servers": [{"url": base_url}],
        "tags": [{"name": "OGC API - Features"}],
        "paths": {
            "/": _operation("Landing page", "getLandingPage", page, "landingPage"),
            "/api": {
                "get": {
                    "summary": "This API definition",
                    "operationId": "getAPIDefinition",
                    "tags": ["OGC API - Features"],
                    "parameters": [_ref("parameters", "f"), _ref("parameters", "lang")],
                    "responses": {
                        "200": {
                            "description": "The OpenAPI 3.0 definition",
                            "content": {
                                OPENAPI_MEDIA_TYPE: {"schema": {"type": "object"}},
                                "text/html": {"schema": {"type": "string"}},
                            },
                        },
                        **_errors(400, 406),
                    },
                }
            },
            "/conformance": _operation(
                "Conformance classes implemented", "getConformanceDeclaration", page, "confClasses"
            ),
            "/collections": _operation(
                "Feature collections", "getCollections", page, "collections"
            ),
            "/collections/{collectionId}": _operation(
                "One feature collection",
                "describeCollection",
                [_ref("parameters", "collectionId"), *page],
                "collection",
                errors=(400, 404, 406),
            ),
            "/collections/{collectionId}/items": _operation(
                "Features of a collection",
                "getFeatures",
                items,
                "featureCollectionGeoJSON",
                geojson,
                errors=(400, 404, 406),
            ),
            "/collections/{collectionId}/items/{featureId}": _operation(
                "One feature",
                "getFeature",
                feature,
                "featureGeoJSON",
                geojson,
                errors=(400, 404, 406),
            ),
        },
        "components": {
            "parameters": {
                "f": {
                    "name": "f",
                    "in": "query",
                    "required": False,
                    "description": "The encoding of the response (instead of the Accept "
                    "header): json (GeoJSON for features) or html.",
                    "schema": {"type": "string", "enum": ["json", "geojson", "html"]},
                    "style": "form",
                    "explode": False,
                },
                "lang": {
                    "name": "lang",
                    "in": "query",
                    "required": False,
                    "description": "Language of titles and labels: da (default) or en "
                    "(instead of Accept-Language).",
                    "schema": {"type": "string", "enum": ["da", "en"]},
                    "style": "form",
                    "explode": False,
                },
                "collectionId": {
                    "name": "collectionId",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "string", "enum": list(COLLECTIONS)},
                },
                "featureId": {
                    "name": "featureId",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "string"},
                },
                "bbox": {
                    "name": "bbox",
                    "in": "query",
                    "required": False,
                    "description": "Only features intersecting the box (CRS84: min lon, min "
                    "lat, max lon, max lat).",
                    "schema": {
                        "type": "array",
                        "oneOf": [
                            {"minItems": 4, "maxItems": 4},
                            {"minItems": 6, "maxItems": 6},
                        ],
                        "items": {"type": "number"},
                    },
                    "style": "form",
                    "explode": False,
                },
                "datetime": {
                    "name": "datetime",
                    "in": "query",
                    "required": False,
                    "description": "Only features whose time (for barrier sites: first to "
                    "latest observation) intersects this date-time or interval (start/end, "
                    "'..' for open).",
                    "schema": {"type": "string"},
                    "style": "form",
                    "explode": False,
                },
                "limit": {
                    "name": "limit",
                    "in": "query",
                    "required": False,
                    "schema": {
                        "type": "integer",
                        "minimum": 1,
                        "maximum": MAX_LIMIT,
                        "default": DEFAULT_LIMIT,
                    },
                    "style": "form",
                    "explode": False,
                },
                "offset": {
                    "name": "offset",
                    "in": "query",
                    "required": False,
                    "description": "How many matching features to skip (paging).",
                    "schema": {
                        "type": "integer",
                        "minimum": 0,
                        "maximum": MAX_OFFSET,
                        "default": 0,
                    },
                    "style": "form",
                    "explode": False,
                },
            },
            "schemas": {
                "link": _link_schema(),
                "exception": {
                    "type": "object",
                    "required": ["code"],
                    "properties": {
                        "code": {"type": "string"},
                        "description": {"type": "string"},
                        "error": {"type": "string"},
                        "message": {"type": "string"},
                        "field": {"type": "string"},
                    },
                },
                "landingPage": {
                    "type": "object",
                    "required": ["links"],
                    "properties": {
                        "title": {"type": "string"},
                        "description": {"type": "string"},
                        "links": _links(),
                    },
                },
                "confClasses": {
                    "type": "object",
                    "required": ["conformsTo"],
                    "properties": {
                        "conformsTo": {
                            "type": "array",
                            "items": {"type": "string", "enum": list(CONFORMANCE)},
                        }
                    },
                },
                "collection": {
                    "type": "object",
                    "required": ["id", "links"],
                    "properties": {
                        "id": {"type": "string"},
                        "title": {"type": "string"},
                        "description": {"type": "string"},
                        "links": _links(),
                        "extent": {"type": "object"},
                        "itemType": {"type": "string", "default": "feature"},
                        "crs": {
                            "type": "array",
                            "items": {"type": "string"},
                            "default": [CRS84],
                        },
                    },
                },
                "collections": {
                    "type": "object",
                    "required": ["links", "collections"],
                    "properties": {
                        "links": _links(),
                        "collections": {
                            "type": "array",
                            "items": _ref("schemas", "collection"),
                        },
                    },
                },
                "featureGeoJSON": {
                    "type": "object",
                    "required": ["type", "geometry", "properties"],
                    "properties": {
                        "type": {"type": "string", "enum": ["Feature"]},
                        "geometry": {"type": "object", "nullable": True},
                        "properties": {"type": "object", "nullable": True},
                        "id": {"oneOf": [{"type": "string"}, {"type": "integer"}]},
                        "links": _links(),
                    },
                },
                "featureCollectionGeoJSON": {
                    "type": "object",
                    "required": ["type", "features"],
                    "properties": {
                        "type": {"type": "string", "enum": ["FeatureCollection"]},
                        "features": {
                            "type": "array",
                            "items": _ref("schemas", "featureGeoJSON"),
                        },
                        "links": _links(),
                        "timeStamp": {"type": "string", "format": "date-time"},
                        "numberMatched": {"type": "integer", "minimum": 0},
                        "numberReturned": {"type": "integer", "minimum": 0},
                    },
                },
            },
        },
    }
