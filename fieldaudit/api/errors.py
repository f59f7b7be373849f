"""JSON errors for the API: ``{"error": code, "message": text, "field": name}``, never HTML."""

from __future__ import annotations

from flask import Blueprint, jsonify
from werkzeug.exceptions import HTTPException

from fieldaudit.errors import DomainError, Problem
from fieldaudit.taxonomy import Label
from fieldaudit.web.i18n import select_language

HTTP_MESSAGES: dict[int, tuple[str, Label]] = {
    400: ("bad_request", Label("Forespørgslen kan ikke læses.", "The request cannot be read.")),
    401: ("unauthorized", Label("Du skal logge ind.", "You must sign in.")),
    403: ("forbidden", Label("Det har du ikke adgang til.", "You do not have access to that.")),
    404: ("not_found", Label("Det findes ikke.", "It does not exist.")),
    405: (
        "method_not_allowed",
        Label("Metoden kan ikke bruges her.", "The method is not allowed here."),
    ),
    406: ("not_acceptable", Label("Svaret kan kun gives som JSON.", "The answer is only JSON.")),
    413: (
        "too_large",
        Label("Forespørgslen er for stor.", "The request is too large."),
    ),
    415: (
        "unsupported_media_type",
        Label(
            "Send JSON eller multipart/form-data.",
            "Send JSON or multipart/form-data.",
        ),
    ),
    429: ("too_many_requests", Label("For mange forespørgsler.", "Too many requests.")),
}


class ApiError(DomainError):
    """A problem with the HTTP request itself (its body, headers or query)."""

    def __init__(self, status: int, field: str, code: str, da: str, en: str) -> None:
        super().__init__(Problem(field, code, Label(da, en)))
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
    code, message = HTTP_MESSAGES.get(
        status, ("http_error", Label("Forespørgslen mislykkedes.", "The request failed."))
    )
    response = jsonify(error_body([Problem("", code, message)]))
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
