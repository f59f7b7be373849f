"""The WSGI entry point of the submission benchmark (issue 7, benchmark 4): never production.

``gunicorn 'scripts.bench.wsgi:make_application()'`` serves the real FieldAudit app (configured by
the usual ``FIELDAUDIT_*`` environment variables) with one extra path, ``TRIVIAL_PATH``, that
is answered before the app is reached: it reads the request body and returns a tiny JSON
``201``. That is the "trivial endpoint on the same server" baseline: the same server, workers,
sockets and load generator, without FieldAudit's work. The production app has no such route.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from fieldaudit import create_app

TRIVIAL_PATH = "/__bench/trivial"
TRIVIAL_BODY = b'{"ok":true}'

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


class TrivialPath:
    """Answer ``TRIVIAL_PATH`` at once (after reading the body); pass everything else on."""

    def __init__(self, app: WsgiApp, path: str = TRIVIAL_PATH) -> None:
        self.app = app
        self.path = path

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        """The WSGI call."""
        if environ.get("PATH_INFO") != self.path:
            return self.app(environ, start_response)
        length = int(environ.get("CONTENT_LENGTH") or 0)
        if length:
            environ["wsgi.input"].read(length)
        start_response(
            "201 Created",
            [("Content-Type", "application/json"), ("Content-Length", str(len(TRIVIAL_BODY)))],
        )
        return [TRIVIAL_BODY]


def make_application() -> TrivialPath:
    """The FieldAudit app from the environment, with the trivial path in front of it."""
    return TrivialPath(create_app())
