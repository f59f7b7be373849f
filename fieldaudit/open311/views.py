"""Open311 GeoReport v2 handlers under /open311/v2: parse, call the domain, encode JSON or XML."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, current_app, request, url_for
from werkzeug.exceptions import HTTPException

from fieldaudit import params
from fieldaudit.apikeys import find_api_key
from fieldaudit.areas import service_area as cached_service_area
from fieldaudit.config import HERLEV_BBOX_WGS84
from fieldaudit.crs import bbox_to_metric
from fieldaudit.errors import ValidationError
from fieldaudit.extensions import db
from fieldaudit.models import BarrierReport, HistoryEntry, Photo
from fieldaudit.open311 import georeport as gr
from fieldaudit.open311 import posting, service_requests, services, xml_format
from fieldaudit.problems import message
from fieldaudit.reports import check_report, store_report
from fieldaudit.status import Status
from fieldaudit.taxonomy import Label
from fieldaudit.web import query
from fieldaudit.web.query import (
    CHOICE,
    DATETIME,
    LIST,
    TEXT,
    Param,
    declare_blueprint,
    query_params,
)

open311 = Blueprint("open311", __name__)
# Read on every route (from the query string, or the body of a POST).
declare_blueprint(
    "open311",
    lang=Param(CHOICE, ("da", "en", "en-GB")),
    locale=Param(CHOICE, ("da_DK", "en")),
    hl=Param(CHOICE, ("en",)),
    jurisdiction_id=Param(CHOICE, (gr.JURISDICTION_ID,)),
)

FORMATS = "<any(json, xml):fmt>"
MIME = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}


def _lang() -> str:
    return gr.language(query.value("lang") or query.value("locale") or query.value("hl"))


def _format() -> str:
    fmt = (request.view_args or {}).get("fmt")
    if fmt in MIME:
        return fmt
    return "xml" if request.path.endswith(".xml") else "json"


def _respond(
    fmt: str, value: Any, root: str, item: str | None = None, status: int = 200
) -> Response:
    if fmt == "xml":
        body = xml_format.to_xml(root, value, item)
    else:
        body = json.dumps(value, ensure_ascii=False, indent=1).encode("utf-8")
    return Response(body, status=status, content_type=MIME[fmt])


@open311.errorhandler(gr.Open311Error)
def open311_error(error: gr.Open311Error) -> Response:
    """Errors as the specification shows them: a list of {code, description}."""
    return _respond(_format(), error.as_list(), "errors", "error", error.status)


@open311.before_request
def jurisdiction() -> None:
    """Refuse a jurisdiction_id other than Herlev's (the parameter is optional here)."""
    gr.check_jurisdiction(query.value("jurisdiction_id"), _lang())


@open311.get("/")
@open311.get(f"/discovery.{FORMATS}")
def discovery(fmt: str = "json") -> Response:
    """Service Discovery: where the endpoint is, its formats and how to get an API key."""
    lang = _lang()
    endpoint_url = url_for("open311.discovery", fmt="json", _external=True).rsplit("/", 1)[0]
    endpoint_type = "production" if current_app.config.get("ENV_NAME") == "production" else "test"
    value = {
        "changeset": gr.SERVICES_CHANGESET,
        "contact": current_app.config.get("OPEN311_CONTACT")
        or Label(
            "Herlev Kommune, Handicaprådet. Spørgsmål om FieldAudit: skriv til kommunen via herlev.dk.",
            "Herlev Municipality, the Disability Council. Questions about FieldAudit: write to "
            "the municipality through herlev.dk.",
        ).get(lang),
        "key_service": Label(
            "API-nøgler udstedes af FieldAudits administrator "
            "(kommandoen 'fieldaudit apikeys create NAVN').",
            "API keys are issued by FieldAudit's administrator "
            "(the command 'fieldaudit apikeys create NAME').",
        ).get(lang),
        "endpoints": [
            {
                "specification": gr.SPECIFICATION,
                "url": endpoint_url,
                "changeset": gr.SERVICES_CHANGESET,
                "type": endpoint_type,
                "formats": ["text/xml", "application/json"],
            }
        ],
    }
    return _respond(fmt, value, "discovery")


@open311.get(f"/services.{FORMATS}")
def service_list(fmt: str) -> Response:
    """GET Service List: the barrier categories."""
    return _respond(fmt, services.services(_lang()), "services", "service")


@open311.get(f"/services/<code>.{FORMATS}")
def service_definition(code: str, fmt: str) -> Response:
    """GET Service Definition: the attributes of one category."""
    lang = _lang()
    return _respond(
        fmt,
        services.service_definition(services.find_service(code, lang), lang),
        "service_definition",
    )


def _photo_url(photo: Photo) -> str:
    return url_for("api.photo_file", photo_id=photo.id, variant="display", _external=True)


def _records(rows: list[tuple[BarrierReport, str]], lang: str) -> list[dict[str, Any]]:
    extras = service_requests.load_extras(db.session, [report for report, _ in rows])
    return [
        service_requests.public_request(report, status, extras, lang, _photo_url)
        for report, status in rows
    ]


@open311.get(f"/requests.{FORMATS}")
@query_params(
    service_request_id=Param(LIST, ("1", "1,2")),
    service_code=Param(LIST, ("step", "kerb,step")),
    start_date=Param(DATETIME, ("2026-01-01T00:00:00Z",)),
    end_date=Param(DATETIME, ("2026-02-01T00:00:00+01:00",)),
    status=Param(LIST, ("open", "closed", "open,closed")),
)
def request_list(fmt: str) -> Response:
    """GET Service Requests, with the standard filters."""
    lang = _lang()
    filters = service_requests.parse_request_filters(query.declared_args(), datetime.now(UTC), lang)
    rows = service_requests.find_requests(db.session, filters)
    return _respond(fmt, _records(rows, lang), "service_requests", "request")


@open311.get(f"/requests/<request_id>.{FORMATS}")
def request_detail(request_id: str, fmt: str) -> Response:
    """GET Service Request: one report by its service_request_id."""
    lang = _lang()
    number = params.record_id(request_id)
    rows = (
        service_requests.find_requests(db.session, service_requests.RequestFilters(ids=[number]))
        if number
        else []
    )
    if not rows:
        raise gr.Open311Error(
            404,
            message("open311_request_not_found", request_id=request_id).get(lang),
        )
    return _respond(fmt, _records(rows, lang), "service_requests", "request")


@open311.get(f"/tokens/<token>.{FORMATS}")
def token(token: str, fmt: str) -> Response:
    """GET service_request_id from a token: the report's UUID made on the device."""
    lang = _lang()
    report = service_requests.find_request_by_token(db.session, token)
    if report is None:
        raise gr.Open311Error(
            404,
            message("open311_token_not_found", token=token).get(lang),
        )
    return _respond(
        fmt,
        [{"service_request_id": report.id, "token": report.uuid}],
        "service_requests",
        "request",
    )


@open311.post(f"/requests.{FORMATS}")
@query_params(api_key=Param(TEXT))  # read only to refuse it there: the key belongs in the body
def create_request(fmt: str) -> Response:
    """POST Service Request: a trusted system (with an API key) submits a report."""
    lang = _lang()
    if query.arg("api_key") is not None:
        raise gr.Open311Error(
            400,
            message("open311_api_key_in_url").get(lang),
        )
    api_key = find_api_key(db.session, request.form.get("api_key"))
    if api_key is None:
        raise gr.Open311Error(
            403,
            message("open311_invalid_api_key").get(lang),
        )
    form = request.form
    posting.refuse_control_characters(form.items(multi=True), lang)
    cat = services.find_service(form.get("service_code"), lang)
    payload = posting.report_payload(
        form, posting.read_attributes(form.items(multi=True)), cat, lang
    )
    service_area = cached_service_area(
        db.session,
        bbox_to_metric(HERLEV_BBOX_WGS84),
        current_app.config["BOUNDARY_TOLERANCE_M"],
    )
    try:
        draft = check_report(payload, service_area)
    except ValidationError as error:
        raise posting.problems_as_error(error.problems, lang) from error
    device_id = (form.get("device_id") or "").strip()
    device_hash = (
        hashlib.sha256(f"open311:{api_key.id}:{device_id}".encode()).hexdigest()
        if device_id
        else None
    )
    report, _created = store_report(db.session, draft, device_token_hash=device_hash)
    db.session.add(
        HistoryEntry(
            report_id=report.id,
            action="received_open311",
            after={"status": Status.NEW.value, "api_key": api_key.name},
            public=False,
        )
    )
    db.session.commit()
    response = _respond(
        fmt,
        [
            {
                "service_request_id": report.id,
                "service_notice": posting.service_notice(lang),
                "account_id": None,
            }
        ],
        "service_requests",
        "request",
        status=201,
    )
    response.headers["Location"] = url_for(
        "open311.request_detail", request_id=report.id, fmt=fmt, _external=True
    )
    return response


@open311.route("/<path:rest>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
def unknown(rest: str) -> Response:
    """Anything else under the endpoint: 404 in the Open311 error format (400 for a method the
    resource does not support: "400 for any other error")."""
    lang = _lang()
    adapter = current_app.url_map.bind_to_environ(request.environ)
    allowed = []
    for method in ("GET", "POST"):
        try:
            endpoint, _values = adapter.match(request.path, method=method)
        except HTTPException:
            continue
        if endpoint != "open311.unknown":
            allowed.append(method)
    if allowed:
        either = Label(" eller ".join(allowed), " or ".join(allowed))  # "GET eller POST"
        raise gr.Open311Error(
            400,
            message("open311_method_not_supported", method=request.method, allowed=either).get(
                lang
            ),
        )
    raise gr.Open311Error(
        404,
        message("open311_unknown_resource", resource=rest).get(lang),
    )
