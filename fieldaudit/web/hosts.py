"""The request's ``Host``: a name the app cannot build URLs with, or one it does not serve, is 400.

Werkzeug refuses a host it cannot encode (``ex..com``, a label over 63 characters) and, with
``TRUSTED_HOSTS`` set (``FIELDAUDIT_TRUSTED_HOSTS``), one not in the list: Flask then has no URL
adapter for the request, so nothing may call ``url_for``. A host with characters no host name
has, or a port above 65535, Werkzeug reads as empty (links would be ``http:///...``). This check
answers all of them before any other hook or view runs, and their error page is the plain one
(``web/errors.py``).
"""

from __future__ import annotations

from flask import Flask, abort, request
from flask.globals import request_ctx
from werkzeug.exceptions import HTTPException


def can_build_urls() -> bool:
    """Tell whether this request has a URL adapter (a usable, trusted host)."""
    return request_ctx.url_adapter is not None and bool(request.host)


def init_host_check(app: Flask) -> None:
    """Refuse (400) a request whose host is unusable or untrusted, before any other hook."""

    @app.before_request
    def refuse_unusable_host():
        if can_build_urls():
            return None
        refused = request.routing_exception
        if request_ctx.url_adapter is None and isinstance(refused, HTTPException):
            raise refused  # BadHost or SecurityError, both 400
        abort(400)
