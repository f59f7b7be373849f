"""OGC API - Features handlers under /ogc: parse the parameters, query, answer JSON/GeoJSON."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, request, url_for

from fieldaudit.extensions import db
from fieldaudit.ogc import features as ft
from fieldaudit.ogc.openapi import (
    ITEMS_PARAMETERS,
    OPENAPI_MEDIA_TYPE,
    PAGE_PARAMETERS,
    openapi_document,
)
from fieldaudit.taxonomy import Label

ogc = Blueprint("ogc", __name__)

JSON = "application/json"
GEOJSON = "application/geo+json"
FORMATS = ("json", "geojson")
LANGUAGES = ("da", "en")

TITLE = Label("FieldAudit Herlev: barrierer og byrum", "FieldAudit Herlev: barriers and spaces")
DESCRIPTION = Label(
    "Offentlige data om tilgængelighedsbarrierer og byrum i Herlev Kommune som OGC API - "
    "Features (GeoJSON, WGS 84). Læses direkte af QGIS og GDAL.",
    "Public data on accessibility barriers and public spaces in Herlev Municipality as OGC API "
    "- Features (GeoJSON, WGS 84). Read directly by QGIS and GDAL.",
)


class HttpProblem(Exception):
    """A 404 or 406 answered with a JSON body."""

    def __init__(self, status: int, code: str, message: Label) -> None:
        self.status = status
        self.code = code
        self.message = message
        super().__init__(message.en)


def _json(value: Any, status: int = 200, media_type: str = JSON) -> Response:
    body = json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    response = Response(body, status=status, content_type=media_type)
    links = value.get("links") if isinstance(value, dict) else None
    if links:
        # /rec/core/link-header: the document's links as RFC 8288 Link headers, too.
        response.headers["Link"] = ", ".join(
            f'<{link["href"]}>; rel="{link["rel"]}"; type="{link["type"]}"' for link in links
        )
    return response


def _error(status: int, ogc_code: str, code: str, message: str, field: str | None) -> Response:
    body = {"code": ogc_code, "description": message, "error": code, "message": message}
    if field:
        body["field"] = field
    return _json(body, status)


def _lang() -> str:
    asked = request.args.get("lang")
    if asked in LANGUAGES:
        return asked
    return request.accept_languages.best_match(LANGUAGES) or "da"


@ogc.errorhandler(ft.ParameterError)
def parameter_error(error: ft.ParameterError) -> Response:
    """Unknown or invalid query parameters: 400 with a JSON body."""
    return _error(
        400, "InvalidParameterValue", error.code, error.message.get(_lang()), error.parameter
    )


@ogc.errorhandler(HttpProblem)
def http_problem(error: HttpProblem) -> Response:
    """404 and 406 with a JSON body."""
    ogc_code = "NotFound" if error.status == 404 else "NotAcceptable"
    return _error(error.status, ogc_code, error.code, error.message.get(_lang()), None)


def _check(allowed: tuple[str, ...], media_type: str) -> None:
    """Refuse unknown parameters and encodings this API cannot give."""
    ft.check_known(request.args, allowed)
    if "lang" in request.args and request.args["lang"] not in LANGUAGES:
        raise ft.ParameterError(
            "lang", "invalid_lang", Label("lang skal være da eller en.", "lang must be da or en.")
        )
    f = request.args.get("f")
    if f is not None:
        if f not in FORMATS:
            raise ft.ParameterError(
                "f",
                "invalid_format",
                Label(
                    "f skal være json eller geojson (HTML tilbydes ikke).",
                    "f must be json or geojson (HTML is not offered).",
                ),
            )
        return
    if request.headers.get("Accept") and (
        request.accept_mimetypes.best_match([media_type, JSON, GEOJSON]) is None
    ):
        raise HttpProblem(
            406,
            "not_acceptable",
            Label(f"Kun {media_type} kan leveres her.", f"Only {media_type} can be served here."),
        )


def _url(endpoint: str, **values: Any) -> str:
    return url_for(endpoint, _external=True, **values)


def _link(href: str, rel: str, media_type: str, title: str) -> dict[str, str]:
    return {"href": href, "rel": rel, "type": media_type, "title": title}


def _collection(collection: ft.Collection, lang: str) -> dict[str, Any]:
    self_url = _url("ogc.collection", collection_id=collection.id)
    extent: dict[str, Any] = {
        "spatial": {"bbox": [ft.spatial_extent(db.session, collection)], "crs": ft.CRS84}
    }
    interval = ft.temporal_extent(db.session, collection)
    if interval is not None:
        extent["temporal"] = {"interval": [interval], "trs": ft.GREGORIAN}
    return {
        "id": collection.id,
        "title": collection.title.get(lang),
        "description": collection.description.get(lang),
        "links": [
            _link(self_url, "self", JSON, collection.title.get(lang)),
            _link(
                _url("ogc.items", collection_id=collection.id),
                "items",
                GEOJSON,
                collection.title.get(lang),
            ),
        ],
        "extent": extent,
        "itemType": "feature",
        "crs": [ft.CRS84],
    }


def _find_collection(collection_id: str) -> ft.Collection:
    collection = ft.COLLECTIONS.get(collection_id)
    if collection is None:
        raise HttpProblem(
            404,
            "unknown_collection",
            Label(
                f"Samlingen '{collection_id}' findes ikke.",
                f"The collection '{collection_id}' does not exist.",
            ),
        )
    return collection


@ogc.get("/", strict_slashes=False)
def landing() -> Response:
    """The landing page: links to the API definition, the conformance classes and the data."""
    _check(PAGE_PARAMETERS, JSON)
    lang = _lang()
    t = Label
    return _json(
        {
            "title": TITLE.get(lang),
            "description": DESCRIPTION.get(lang),
            "links": [
                _link(
                    _url("ogc.landing"),
                    "self",
                    JSON,
                    t("Dette dokument", "This document").get(lang),
                ),
                _link(
                    _url("ogc.api_definition"),
                    "service-desc",
                    OPENAPI_MEDIA_TYPE,
                    t("API-definitionen (OpenAPI 3.0)", "The API definition (OpenAPI 3.0)").get(
                        lang
                    ),
                ),
                _link(
                    _url("ogc.conformance"),
                    "conformance",
                    JSON,
                    t("Understøttede standarder", "Conformance classes").get(lang),
                ),
                _link(
                    _url("ogc.collections"),
                    "data",
                    JSON,
                    t("Datasamlingerne", "The feature collections").get(lang),
                ),
            ],
        }
    )


@ogc.get("/api")
def api_definition() -> Response:
    """The OpenAPI 3.0 definition of this API."""
    ft.check_known(request.args, ("f",))
    if request.args.get("f") not in (None, "json"):
        raise ft.ParameterError(
            "f", "invalid_format", Label("f skal være json.", "f must be json.")
        )
    lang = _lang()
    base = _url("ogc.landing").rstrip("/")
    return _json(
        openapi_document(base, TITLE.get(lang), DESCRIPTION.get(lang)),
        media_type=OPENAPI_MEDIA_TYPE,
    )


@ogc.get("/conformance")
def conformance() -> Response:
    """The conformance classes this API implements."""
    _check(PAGE_PARAMETERS, JSON)
    return _json({"conformsTo": list(ft.CONFORMANCE)})


@ogc.get("/collections")
def collections() -> Response:
    """The feature collections with their extents."""
    _check(PAGE_PARAMETERS, JSON)
    lang = _lang()
    return _json(
        {
            "links": [
                _link(
                    _url("ogc.collections"),
                    "self",
                    JSON,
                    Label("Datasamlingerne", "The feature collections").get(lang),
                )
            ],
            "collections": [_collection(c, lang) for c in ft.COLLECTIONS.values()],
        }
    )


@ogc.get("/collections/<collection_id>")
def collection(collection_id: str) -> Response:
    """One feature collection."""
    found = _find_collection(collection_id)
    _check(PAGE_PARAMETERS, JSON)
    return _json(_collection(found, _lang()))


@ogc.get("/collections/<collection_id>/items")
def items(collection_id: str) -> Response:
    """The features of a collection, filtered by bbox and datetime, a page at a time."""
    found = _find_collection(collection_id)
    _check(ITEMS_PARAMETERS, GEOJSON)
    lang = _lang()
    limit = ft.parse_limit(request.args.get("limit"))
    offset = ft.parse_offset(request.args.get("offset"))
    bbox = ft.parse_bbox(request.args.get("bbox"))
    interval = ft.parse_datetime(request.args.get("datetime"))

    stmt = ft.items_statement(db.session, found, bbox, interval)
    matched = ft.count(db.session, stmt)
    rows = db.session.scalars(stmt.limit(limit).offset(offset)).all()
    features = [found.feature(row, lang) for row in rows]

    args = request.args.to_dict()

    def page(at: int) -> str:
        return _url("ogc.items", collection_id=found.id, **{**args, "offset": at, "limit": limit})

    title = found.title.get(lang)
    links = [
        _link(_url("ogc.items", collection_id=found.id, **args), "self", GEOJSON, title),
        _link(_url("ogc.collection", collection_id=found.id), "collection", JSON, title),
    ]
    if offset + len(features) < matched:
        links.append(
            _link(page(offset + limit), "next", GEOJSON, Label("Næste side", "Next page").get(lang))
        )
    if offset > 0:
        links.append(
            _link(
                page(max(0, offset - limit)),
                "prev",
                GEOJSON,
                Label("Forrige side", "Previous page").get(lang),
            )
        )
    return _json(
        {
            "type": "FeatureCollection",
            "features": features,
            "links": links,
            "timeStamp": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
            "numberMatched": matched,
            "numberReturned": len(features),
        },
        media_type=GEOJSON,
    )


@ogc.get("/collections/<collection_id>/items/<feature_id>")
def item(collection_id: str, feature_id: str) -> Response:
    """One feature."""
    found = _find_collection(collection_id)
    _check(PAGE_PARAMETERS, GEOJSON)
    lang = _lang()
    row = ft.find_feature(db.session, found, feature_id)
    if row is None:
        raise HttpProblem(
            404,
            "unknown_feature",
            Label(
                f"Objektet '{feature_id}' findes ikke i '{found.id}'.",
                f"The feature '{feature_id}' does not exist in '{found.id}'.",
            ),
        )
    feature = found.feature(row, lang)
    feature["links"] = [
        _link(
            _url("ogc.item", collection_id=found.id, feature_id=feature_id),
            "self",
            GEOJSON,
            str(feature_id),
        ),
        _link(
            _url("ogc.collection", collection_id=found.id),
            "collection",
            JSON,
            found.title.get(lang),
        ),
    ]
    return _json(feature, media_type=GEOJSON)
