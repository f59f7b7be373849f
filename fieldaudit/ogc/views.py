"""OGC API - Features handlers under /ogc: parse the parameters, query, answer JSON/GeoJSON or HTML.

The encoding comes from ``f`` (json, geojson, html) or else the Accept header; every JSON
document links to its HTML twin (``alternate``) and back.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, g, render_template, request, url_for

from fieldaudit.extensions import db
from fieldaudit.ogc import features as ft
from fieldaudit.ogc.openapi import (
    ITEMS_PARAMETERS,
    OPENAPI_MEDIA_TYPE,
    PAGE_PARAMETERS,
    openapi_document,
)
from fieldaudit.problems import problem
from fieldaudit.taxonomy import Label
from fieldaudit.web import query
from fieldaudit.web.i18n import select_language
from fieldaudit.web.query import BBOX, CHOICE, DATETIME, INT, Param, query_params

ogc = Blueprint("ogc", __name__, template_folder="templates")

JSON = "application/json"
GEOJSON = "application/geo+json"
HTML = "text/html"
FORMATS = ("json", "geojson", "html")
LANGUAGES = ("da", "en")

TITLE = Label("FieldAudit Herlev: barrierer og byrum", "FieldAudit Herlev: barriers and spaces")
DESCRIPTION = Label(
    "Offentlige data om tilgængelighedsbarrierer og byrum i Herlev Kommune som OGC API - "
    "Features (GeoJSON, WGS 84). Læses direkte af QGIS og GDAL.",
    "Public data on accessibility barriers and public spaces in Herlev Municipality as OGC API "
    "- Features (GeoJSON, WGS 84). Read directly by QGIS and GDAL.",
)


# Every query parameter of the API definition, declared on the views that take it.
PARAMETERS = {
    "f": Param(CHOICE, FORMATS),
    "lang": Param(CHOICE, LANGUAGES),
    "bbox": Param(BBOX, ("12.40,55.71,12.46,55.76",)),
    "datetime": Param(DATETIME, ("2026-01-01T00:00:00Z/..",)),
    "limit": Param(INT, ("10",)),
    "offset": Param(INT, ("0", "10")),
}


def _declares(names: tuple[str, ...]) -> Callable[[Any], Any]:
    return query_params(**{name: PARAMETERS[name] for name in names})


class HttpProblem(Exception):
    """A 404 or 406 answered with a JSON body (also when HTML was asked for)."""

    def __init__(self, status: int, key: str, /, **values: Any) -> None:
        found = problem("", key, **values)
        self.status = status
        self.code = found.code
        self.message = found.message
        super().__init__(found.message.en)


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
    """?lang=, else for HTML the app's language (cookie), else Accept-Language; Danish first."""
    asked = query.arg("lang")
    if asked in LANGUAGES:
        return asked
    if g.get("ogc_format") == "html":
        return select_language()
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


def _negotiate(allowed: tuple[str, ...], media_type: str) -> str:
    """Refuse unknown parameters; return the encoding to answer in: 'json' or 'html'."""
    ft.check_known(query.all_args(), allowed)
    lang = query.arg("lang")
    if lang is not None and lang not in LANGUAGES:
        raise ft.ParameterError("lang", "invalid_lang")
    f = query.arg("f")
    if f is not None:
        if f not in FORMATS:
            raise ft.ParameterError("f", "invalid_format")
        g.ogc_format = "html" if f == "html" else "json"
        return g.ogc_format
    if not request.headers.get("Accept"):
        g.ogc_format = "json"
        return g.ogc_format
    best = request.accept_mimetypes.best_match([media_type, JSON, GEOJSON, HTML])
    if best is None:
        raise HttpProblem(406, "not_acceptable.ogc", media_type=media_type)
    g.ogc_format = "html" if best == HTML else "json"
    return g.ogc_format


def _url(endpoint: str, **values: Any) -> str:
    return url_for(endpoint, _external=True, **values)


def _link(href: str, rel: str, media_type: str, title: str) -> dict[str, str]:
    return {"href": href, "rel": rel, "type": media_type, "title": title}


def _self_links(endpoint: str, fmt: str, media_type: str, title: str, **values: Any) -> list:
    """``self`` in the encoding answered and ``alternate`` in the other one."""
    lang = _lang()
    args = {k: v for k, v in query.all_args().items() if k != "f"}
    here = _url(endpoint, **values, **query.all_args().to_dict())
    if fmt == "html":
        return [
            _link(here, "self", HTML, title),
            _link(
                _url(endpoint, **values, **args, f="json"),
                "alternate",
                media_type,
                Label("Som JSON", "As JSON").get(lang),
            ),
        ]
    return [
        _link(here, "self", media_type, title),
        _link(
            _url(endpoint, **values, **args, f="html"),
            "alternate",
            HTML,
            Label("Som HTML", "As HTML").get(lang),
        ),
    ]


def _answer(
    document: dict[str, Any], fmt: str, media_type: str, template: str, **context: Any
) -> Response:
    if fmt == "json":
        return _json(document, media_type=media_type)
    html = render_template(
        f"ogc/{template}",
        doc=document,
        json_url=next(x["href"] for x in document["links"] if x["type"] != HTML),
        property_label=ft.property_label,
        **context,
    )
    response = Response(html, content_type="text/html; charset=utf-8")
    response.headers["Link"] = ", ".join(
        f'<{link["href"]}>; rel="{link["rel"]}"; type="{link["type"]}"'
        for link in document["links"]
    )
    return response


def _collection(collection: ft.Collection, lang: str) -> dict[str, Any]:
    title = collection.title.get(lang)
    extent: dict[str, Any] = {
        "spatial": {"bbox": [ft.spatial_extent(db.session, collection)], "crs": ft.CRS84}
    }
    interval = ft.temporal_extent(db.session, collection)
    if interval is not None:
        extent["temporal"] = {"interval": [interval], "trs": ft.GREGORIAN}
    items_url = _url("ogc.items", collection_id=collection.id)
    return {
        "id": collection.id,
        "title": title,
        "description": collection.description.get(lang),
        "links": [
            _link(_url("ogc.collection", collection_id=collection.id), "self", JSON, title),
            _link(
                _url("ogc.collection", collection_id=collection.id, f="html"),
                "alternate",
                HTML,
                title,
            ),
            _link(items_url, "items", GEOJSON, title),
            _link(_url("ogc.items", collection_id=collection.id, f="html"), "items", HTML, title),
        ],
        "extent": extent,
        "itemType": "feature",
        "crs": [ft.CRS84],
    }


def _find_collection(collection_id: str) -> ft.Collection:
    collection = ft.COLLECTIONS.get(collection_id)
    if collection is None:
        raise HttpProblem(404, "unknown_collection", collection=collection_id)
    return collection


@ogc.get("/", strict_slashes=False)
@_declares(PAGE_PARAMETERS)
def landing() -> Response:
    """The landing page: links to the API definition, the conformance classes and the data."""
    fmt = _negotiate(PAGE_PARAMETERS, JSON)
    lang = _lang()
    t = Label
    return _answer(
        {
            "title": TITLE.get(lang),
            "description": DESCRIPTION.get(lang),
            "links": [
                *_self_links(
                    "ogc.landing", fmt, JSON, t("Dette dokument", "This document").get(lang)
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
                    _url("ogc.api_definition", f="html"),
                    "service-doc",
                    HTML,
                    t("API-dokumentationen", "The API documentation").get(lang),
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
        },
        fmt,
        JSON,
        "landing.html",
    )


@ogc.get("/api")
@_declares(("f", "lang"))
def api_definition() -> Response:
    """The OpenAPI 3.0 definition of this API (as HTML: its documentation)."""
    fmt = _negotiate(("f", "lang"), OPENAPI_MEDIA_TYPE)
    lang = _lang()
    base = _url("ogc.landing").rstrip("/")
    document = openapi_document(base, TITLE.get(lang), DESCRIPTION.get(lang))
    if fmt == "json":
        return _json(document, media_type=OPENAPI_MEDIA_TYPE)
    parameters = document["components"]["parameters"]
    operations = [
        {
            "path": path,
            "url": base + path,
            "summary": item["get"]["summary"],
            "parameters": [
                parameters[ref["$ref"].rsplit("/", 1)[1]] for ref in item["get"]["parameters"]
            ],
        }
        for path, item in document["paths"].items()
    ]
    page = {
        "title": document["info"]["title"],
        "links": _self_links(
            "ogc.api_definition", fmt, OPENAPI_MEDIA_TYPE, document["info"]["title"]
        ),
    }
    return _answer(page, fmt, OPENAPI_MEDIA_TYPE, "api.html", operations=operations)


@ogc.get("/conformance")
@_declares(PAGE_PARAMETERS)
def conformance() -> Response:
    """The conformance classes this API implements."""
    fmt = _negotiate(PAGE_PARAMETERS, JSON)
    document: dict[str, Any] = {"conformsTo": list(ft.CONFORMANCE)}
    if fmt == "json":
        return _json(document)
    document["links"] = _self_links(
        "ogc.conformance", fmt, JSON, Label("Understøttede standarder", "Conformance").get(_lang())
    )
    return _answer(document, fmt, JSON, "conformance.html")


@ogc.get("/collections")
@_declares(PAGE_PARAMETERS)
def collections() -> Response:
    """The feature collections with their extents."""
    fmt = _negotiate(PAGE_PARAMETERS, JSON)
    lang = _lang()
    title = Label("Datasamlingerne", "The feature collections").get(lang)
    return _answer(
        {
            "links": _self_links("ogc.collections", fmt, JSON, title),
            "collections": [_collection(c, lang) for c in ft.COLLECTIONS.values()],
        },
        fmt,
        JSON,
        "collections.html",
        title=title,
    )


@ogc.get("/collections/<collection_id>")
@_declares(PAGE_PARAMETERS)
def collection(collection_id: str) -> Response:
    """One feature collection."""
    found = _find_collection(collection_id)
    fmt = _negotiate(PAGE_PARAMETERS, JSON)
    document = _collection(found, _lang())
    document["links"][:2] = _self_links(
        "ogc.collection", fmt, JSON, document["title"], collection_id=found.id
    )
    return _answer(document, fmt, JSON, "collection.html")


@ogc.get("/collections/<collection_id>/items")
@_declares(ITEMS_PARAMETERS)
def items(collection_id: str) -> Response:
    """The features of a collection, filtered by bbox and datetime, a page at a time."""
    found = _find_collection(collection_id)
    fmt = _negotiate(ITEMS_PARAMETERS, GEOJSON)
    lang = _lang()
    limit = ft.parse_limit(query.arg("limit"))
    offset = ft.parse_offset(query.arg("offset"))
    bbox = ft.parse_bbox(query.arg("bbox"))
    interval = ft.parse_datetime(query.arg("datetime"))

    stmt = ft.items_statement(db.session, found, bbox, interval)
    matched = ft.count(db.session, stmt)
    rows = db.session.scalars(stmt.limit(limit).offset(offset)).all()
    features = [found.feature(row, lang) for row in rows]

    args = query.all_args().to_dict()
    page_type = HTML if fmt == "html" else GEOJSON

    def page(at: int) -> str:
        return _url("ogc.items", collection_id=found.id, **{**args, "offset": at, "limit": limit})

    title = found.title.get(lang)
    links = [
        *_self_links("ogc.items", fmt, GEOJSON, title, collection_id=found.id),
        _link(_url("ogc.collection", collection_id=found.id), "collection", JSON, title),
    ]
    if offset + len(features) < matched:
        links.append(
            _link(
                page(offset + limit), "next", page_type, Label("Næste side", "Next page").get(lang)
            )
        )
    if offset > 0:
        links.append(
            _link(
                page(max(0, offset - limit)),
                "prev",
                page_type,
                Label("Forrige side", "Previous page").get(lang),
            )
        )
    document = {
        "type": "FeatureCollection",
        "features": features,
        "links": links,
        "timeStamp": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "numberMatched": matched,
        "numberReturned": len(features),
    }
    return _answer(
        document,
        fmt,
        GEOJSON,
        "items.html",
        collection=found,
        title=title,
        offset=offset,
        columns=list(features[0]["properties"]) if features else [],
    )


@ogc.get("/collections/<collection_id>/items/<feature_id>")
@_declares(PAGE_PARAMETERS)
def item(collection_id: str, feature_id: str) -> Response:
    """One feature."""
    found = _find_collection(collection_id)
    fmt = _negotiate(PAGE_PARAMETERS, GEOJSON)
    lang = _lang()
    row = ft.find_feature(db.session, found, feature_id)
    if row is None:
        raise HttpProblem(404, "unknown_feature", feature=feature_id, collection=found.id)
    feature = found.feature(row, lang)
    title = f"{found.title.get(lang)} #{feature_id}"
    feature["links"] = [
        *_self_links(
            "ogc.item", fmt, GEOJSON, title, collection_id=found.id, feature_id=feature_id
        ),
        _link(
            _url("ogc.collection", collection_id=found.id),
            "collection",
            JSON,
            found.title.get(lang),
        ),
    ]
    return _answer(feature, fmt, GEOJSON, "item.html", collection=found, title=title)
