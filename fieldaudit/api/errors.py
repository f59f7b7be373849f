"""JSON errors for the API: ``{"error": code, "message": text, "field": name}``, never HTML."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify
from werkzeug.exceptions import HTTPException

from fieldaudit.errors import DomainError, Problem
from fieldaudit.problems import problem
from fieldaudit.web.i18n import select_language

# The problem (in fieldaudit.problems) for an HTTP error raised by Werkzeug, by status.
HTTP_PROBLEMS: dict[int, str] = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    413: "too_large",
    415: "unsupported_media_type",
    429: "too_many_requests",
}


class ApiError(DomainError):
    """A problem with the HTTP request itself (its body, headers or query)."""

    def __init__(self, status: int, field: str, key: str, /, **values: Any) -> None:
        super().__init__(problem(field, key, **values))
        self.status = status


def error_body(problems: list[Problem]) -> dict:
    """The JSON body for one or more problems, in the request's language."""
    lang = select_language()
    first = problems[0]
    body = {"error": first.code, "message": first.message.get(lang), "field": first.field}
    if len(problems) > 1:
        body["problems"] = [p.as_dict(lang) for p in problems]
    return body


def domain_error_response(error: DomainError):
    """Turn a domain error into a JSON response with its HTTP status (and Retry-After)."""
    response = jsonify(error_body(error.problems))
    response.status_code = error.status
    if error.retry_after is not None:
        response.headers["Retry-After"] = str(error.retry_after)
    return response


def http_error_response(error: HTTPException):
    """Turn a Werkzeug HTTP error raised in an API view (413, a broken multipart body) into JSON."""
    status = error.code or 500
    response = jsonify(error_body([problem("", HTTP_PROBLEMS.get(status, "http_error"))]))
    response.status_code = status
    valid_methods = getattr(error, "valid_methods", None)
    if status == 405 and valid_methods:
        response.headers["Allow"] = ", ".join(valid_methods)
    return response


def init_error_handlers(blueprint: Blueprint) -> None:
    """Register the JSON error handlers for errors raised in the blueprint's views.

    Routing errors (an unknown /api/ URL) are answered in JSON by the app-wide handlers.
    """
    blueprint.register_error_handler(DomainError, domain_error_response)
    blueprint.register_error_handler(HTTPException, http_error_response)
