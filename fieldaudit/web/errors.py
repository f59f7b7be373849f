"""Error responses: JSON under /api/, a page elsewhere; the database being away is a 503."""

from __future__ import annotations

from flask import Flask, jsonify, make_response, render_template, request
from flask_babel import gettext as _
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException

from fieldaudit.extensions import db
from fieldaudit.params import ParameterError
from fieldaudit.web.hosts import can_build_urls
from fieldaudit.web.i18n import select_language

RETRY_AFTER_S = 30
JSON_PREFIXES = ("/api/",)


def _wants_json() -> bool:
    return request.path.startswith(JSON_PREFIXES) or (
        request.accept_mimetypes.best == "application/json"
    )


def _titles() -> dict[int, str]:
    return {
        400: _("Forespørgslen kunne ikke forstås."),
        403: _("Du har ikke adgang til denne side."),
        404: _("Siden findes ikke."),
        405: _("Den handling er ikke mulig her."),
        413: _("Filen eller forespørgslen er for stor."),
        429: _("For mange forsøg. Vent lidt og prøv igen."),
        500: _("Der skete en fejl hos os. Prøv igen om lidt."),
        503: _("Tjenesten er midlertidigt utilgængelig. Prøv igen om lidt."),
    }


def error_response(
    status: int,
    code: str,
    retry_after: int | None = None,
    detail: str = "",
    field: str = "",
):
    """Build an error response in the format the client expects (``detail``: what was wrong)."""
    message = _titles().get(status, _titles()[500])
    if _wants_json():
        response = jsonify({"error": code, "message": detail or message, "field": field})
    else:
        # Without a URL adapter (an unusable or untrusted Host) the page cannot link anywhere.
        template = "errors.html" if can_build_urls() else "errors_plain.html"
        response = make_response(
            render_template(template, status=status, message=message, detail=detail)
        )
    response.status_code = status
    if retry_after is not None:
        response.headers["Retry-After"] = str(retry_after)
    return response


def init_error_handlers(app: Flask) -> None:
    """Register the app-wide error handlers."""

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        status = error.code or 500
        response = error_response(status, (error.name or "error").lower().replace(" ", "_"))
        for name, value in error.get_headers():
            if name.lower() != "content-type":  # e.g. Allow on 405, Retry-After on 429
                response.headers[name] = value
        return response

    @app.errorhandler(ParameterError)
    def parameter_error(error: ParameterError):
        # Blueprints with their own error format (API, OGC, ...) answer before this does.
        detail = error.message.get(select_language())
        return error_response(400, error.code, detail=detail, field=error.parameter)

    @app.errorhandler(OperationalError)
    @app.errorhandler(PoolTimeout)
    def database_unavailable(error: Exception):
        db.session.rollback()
        app.logger.warning("database unavailable: %s", error)
        return error_response(503, "database_unavailable", RETRY_AFTER_S)

    @app.errorhandler(DBAPIError)
    def database_error(error: DBAPIError):
        db.session.rollback()
        if error.connection_invalidated:
            return error_response(503, "database_unavailable", RETRY_AFTER_S)
        app.logger.exception("database error")
        return error_response(500, "internal_error")
