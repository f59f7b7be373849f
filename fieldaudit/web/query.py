"""The query parameters of the web views: declared where they are read, read only through here.

Each view declares the parameters it reads (``@query_params(page=Param(INT))``, under the route
decorator); a blueprint declares those its shared code reads for every route
(``declare_blueprint``) and ``APP_PARAMETERS`` those every page reads (``lang``). ``arg(name)``
refuses a name the endpoint did not declare (a programming error, so the first test that reaches
the read fails), and tests/hardening/test_query_parameters.py checks that nothing else in the
package touches ``request.args`` or ``request.values``. So the declarations cannot fall behind the
code, and the generated-input test there covers every parameter of every public route.

The values are checked with ``fieldaudit.params``; a ``ParameterError`` is answered by the
blueprint's own error format (API, Open311, OGC) or, on HTML pages, by the error page.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import Flask, current_app, request
from werkzeug.datastructures import MultiDict
from werkzeug.routing import IntegerConverter, Map

from fieldaudit.params import MAX_ID

# Kinds of value, for the reader and for the test that generates hostile values.
INT = "int"
ID = "id"
NUMBER = "number"
TEXT = "text"
CHOICE = "choice"
DATETIME = "datetime"
DATE = "date"
BBOX = "bbox"
FLAG = "flag"
LIST = "list"

VIEW_ATTRIBUTE = "query_parameters"
View = TypeVar("View", bound=Callable[..., Any])


@dataclass(frozen=True)
class Param:
    """A declared query parameter: its kind and a few valid values (examples)."""

    kind: str
    examples: tuple[str, ...] = ()


APP_PARAMETERS: dict[str, Param] = {"lang": Param(CHOICE, ("da", "en"))}
_BLUEPRINT_PARAMETERS: dict[str, dict[str, Param]] = {}


class UndeclaredParameter(LookupError):
    """A view read a query parameter it does not declare (a programming error)."""


def query_params(**declared: Param) -> Callable[[View], View]:
    """Decorator (under the route decorator): the query parameters this view reads."""

    def decorate(view: View) -> View:
        setattr(view, VIEW_ATTRIBUTE, {**getattr(view, VIEW_ATTRIBUTE, {}), **declared})
        return view

    return decorate


def declare_blueprint(blueprint: str, **declared: Param) -> None:
    """The query parameters a blueprint's shared code reads on every one of its routes."""
    _BLUEPRINT_PARAMETERS.setdefault(blueprint, {}).update(declared)


def declared(endpoint: str | None) -> dict[str, Param]:
    """Every query parameter an endpoint may read: the app's, its blueprint's and its own."""
    found = dict(APP_PARAMETERS)
    if endpoint is None:
        return found
    if "." in endpoint:
        found.update(_BLUEPRINT_PARAMETERS.get(endpoint.rsplit(".", 1)[0], {}))
    view = current_app.view_functions.get(endpoint)
    found.update(getattr(view, VIEW_ATTRIBUTE, {}))
    return found


def _check_declared(name: str) -> None:
    if name not in declared(request.endpoint):
        raise UndeclaredParameter(
            f"{request.endpoint} reads the query parameter '{name}' without declaring it "
            "(fieldaudit.web.query.query_params)"
        )


def arg(name: str) -> str | None:
    """The query string's value of a declared parameter (the first, if repeated), or None."""
    _check_declared(name)
    return request.args.get(name)


def value(name: str) -> str | None:
    """A declared parameter from the query string or else the form body (Open311's style)."""
    _check_declared(name)
    return request.values.get(name)


def declared_args() -> dict[str, str]:
    """The declared parameters present in the query string, for the domain's ``from_args``."""
    names = declared(request.endpoint)
    return {name: text for name, text in request.args.items() if name in names}


def all_args() -> MultiDict[str, str]:
    """The whole query string, for checks over every name and value (unknown names, NUL) and
    for links that carry the query on."""
    return request.args


class IdConverter(IntegerConverter):
    """``<int:...>`` in every route: ASCII digits up to MAX_ID; anything else is not found (404).

    Werkzeug's own accepts any Unicode digit and any size, which the databases refuse.
    """

    regex = r"[0-9]+"

    def __init__(self, map: Map, fixed_digits: int = 0, min: int = 0, max: int = MAX_ID) -> None:
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max)


def init_query(app: Flask) -> None:
    """Use the bounded id converter for ``<int:...>`` (before any route is added)."""
    app.url_map.converters["int"] = IdConverter
