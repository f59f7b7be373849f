"""Query parameters and path segments of every public route: never a server error.

The regression cases are the URLs that were 500s (issue 12): Unicode digits such as '²', which
``str.isdigit()`` accepts and ``int()`` refuses, ids beyond the databases' integers and datetimes
at the edge of what Python can represent. Each gets the answer the route's format documents.

The class test builds a description of every public route from ``app.url_map`` (every rule whose
view has no ``required_roles``) with the query parameters each view declares
(``fieldaudit.web.query``; nothing else in the package may read the query string, checked
below), and Hypothesis sends generated values for every parameter and path segment: Unicode
digits, huge and negative numbers, NUL and control characters, long strings, odd datetimes and
boxes, repeated and unknown keys. No answer may be a 5xx. Seeded (``derandomize``), so CI is
stable; FIELDAUDIT_QUERY_FUZZ_EXAMPLES sets the examples per route.
"""

from __future__ import annotations

import ast
import os
import re
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from fieldaudit import params
from fieldaudit.web import query
from fieldaudit.web.query import INT, Param, UndeclaredParameter, query_params
from tests.test_access import EXPECT, world  # noqa: F401  (fixture: one of everything)

OPEN311 = "/open311/v2"
ITEMS = "/ogc/collections/barrier_sites/items"

# (url, expected status, what the answer must say)
REGRESSIONS = [
    # The public list falls back to no filter and the first page (it is a form's GET).
    ("/barrierer?area=²", 200, "Barrierer og deres status"),
    ("/barrierer?page=²", 200, "Barrierer og deres status"),
    ("/barrierer?area=99999999999999999999", 200, "Barrierer og deres status"),
    ("/barrierer?page=99999999999999999999", 200, "Barrierer og deres status"),
    ("/barrierer.geojson?area=²", 200, "FeatureCollection"),
    # Ids: a number no database row can have does not exist.
    (f"{OPEN311}/requests/².json", 404, "service_request_id"),
    (f"{OPEN311}/requests/12345678901234567890.json", 404, "service_request_id"),
    (f"{OPEN311}/requests/99999999999.json", 404, "service_request_id"),
    (f"{OPEN311}/requests.json?service_request_id=²", 400, "service_request_id"),
    (f"{OPEN311}/requests.json?service_request_id=12345678901234567890", 400, "service_request_id"),
    ("/barrierer/99999999999999999999", 404, "Siden findes ikke"),
    ("/barrierer/99999999999", 404, "Siden findes ikke"),
    ("/barrierer/99999999999/feed.atom", 404, "Siden findes ikke"),
    ("/rapporter/99999999999", 404, "Siden findes ikke"),
    ("/omraader/99999999999/feed.atom", 404, "Siden findes ikke"),
    ("/fotos/99999999999/thumb", 404, "Siden findes ikke"),
    (f"{ITEMS}/999999999999999999", 404, "unknown_feature"),
    # Datetimes at the edge of the representable range.
    (f"{OPEN311}/requests.json?start_date=9999-12-31T00:00:00Z", 400, "start_date"),
    (f"{OPEN311}/requests.json?end_date=0001-01-01T00:00:00Z", 400, "end_date"),
    (f"{OPEN311}/requests.json?start_date=0001-01-01T00:00:00%2B01:00", 400, "start_date"),
    (f"{ITEMS}?datetime=0001-01-01T00:00:00%2B01:00", 400, "invalid_datetime"),
    (f"{ITEMS}?datetime=9999-12-31T23:59:59-01:00", 400, "invalid_datetime"),
    (f"{ITEMS}?datetime=../0001-01-01T00:00:00%2B01:00", 400, "invalid_datetime"),
    # Unicode digits and numbers beyond 64 bits in the OGC paging parameters.
    (f"{ITEMS}?limit=²", 400, "invalid_limit"),
    (f"{ITEMS}?offset=²", 400, "invalid_offset"),
    (f"{ITEMS}?offset=99999999999999999999", 400, "invalid_offset"),
    ("/api/v1/sites?limit=²", 400, "invalid_parameter"),
]


@pytest.mark.parametrize(("url", "status", "says"), REGRESSIONS)
def test_the_urls_that_were_server_errors(client, herlev, url, status, says):
    response = client.get(url)
    assert response.status_code == status, response.data[:300]
    assert says in response.get_data(as_text=True)


def test_an_open311_date_out_of_range_is_explained_in_the_asked_language(client, herlev):
    url = f"{OPEN311}/requests.json?start_date=9999-12-31T00:00:00Z"
    danish = client.get(url).get_json()[0]["description"]
    english = client.get(f"{url}&lang=en").get_json()[0]["description"]
    assert "mellem år 1900 og 2999" in danish
    assert "from the year 1900 to 2999" in english


def test_a_strict_parameter_on_an_html_page_is_a_400_page_in_the_reader_s_language(app):
    @app.get("/_probe")
    @query_params(n=Param(INT))
    def probe() -> str:
        return str(params.integer(query.arg("n"), "n", 1, 10, 1))

    client = app.test_client()
    assert client.get("/_probe?n=7").get_data(as_text=True) == "7"
    danish = client.get("/_probe?n=²")
    assert danish.status_code == 400 and danish.mimetype == "text/html"
    assert "skal være et heltal mellem 1 og 10." in danish.get_data(as_text=True)
    english = client.get("/_probe?n=99999999999999999999&lang=en")
    assert english.status_code == 400
    assert "must be a whole number from 1 to 10." in english.get_data(as_text=True)


def test_an_undeclared_query_parameter_cannot_be_read(app):
    @app.get("/_probe")
    def probe() -> str:
        return query.arg("page") or ""

    with pytest.raises(UndeclaredParameter, match="page"):
        app.test_client().get("/_probe?page=1")


# -- nothing reads the query string except through fieldaudit.web.query ---------------------

PACKAGE = Path(__file__).resolve().parents[2] / "fieldaudit"
THE_READER = PACKAGE / "web" / "query.py"
QUERY_ATTRIBUTES = {"args", "values"}


def direct_query_reads(path: Path) -> list[str]:
    """``request.args`` / ``request.values`` in a module (``flask.request`` by any name)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = {"request"} | {
        alias.asname or alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module == "flask"
        for alias in node.names
        if alias.name == "request"
    }
    return [
        f"{path.relative_to(PACKAGE.parent)}:{node.lineno}: request.{node.attr}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and node.attr in QUERY_ATTRIBUTES
        and isinstance(node.value, ast.Name)
        and node.value.id in names
    ]


def test_no_view_reads_the_query_string_around_the_declarations():
    """A parameter read elsewhere would be missing from the declarations (and the fuzzing)."""
    found = [
        line
        for path in sorted(PACKAGE.rglob("*.py"))
        if path != THE_READER
        for line in direct_query_reads(path)
    ]
    assert not found, "read query parameters with fieldaudit.web.query.arg():\n" + "\n".join(found)
    assert direct_query_reads(THE_READER)  # the check sees what it looks for


# -- every public route under generated values ---------------------------------------------

EXAMPLES = int(os.environ.get("FIELDAUDIT_QUERY_FUZZ_EXAMPLES", "100"))
PATH_ARGUMENT = re.compile(r"<(?:(?P<converter>\w+)(?:\((?P<options>[^)]*)\))?:)?(?P<name>\w+)>")
UNKNOWN_NAMES = ("x", "page[]", "", "lang ", "LANG")


@dataclass(frozen=True)
class Route:
    """A public rule and method, with its path arguments and declared query parameters."""

    rule: str
    endpoint: str
    method: str
    path: tuple[tuple[str, str, tuple[str, ...]], ...]  # name, converter, valid values
    parameters: dict[str, Param]

    @property
    def label(self) -> str:
        return f"{self.method} {self.rule}"


def public_routes(app: Any, valid: dict[str, Any]) -> list[Route]:
    """Every rule without a role requirement, for each of its methods."""
    routes = []
    with app.app_context():
        for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
            if getattr(app.view_functions[rule.endpoint], "required_roles", None):
                continue
            path = []
            for match in PATH_ARGUMENT.finditer(rule.rule):
                name, converter = match["name"], match["converter"] or "default"
                options = re.findall(r"\w+", match["options"] or "") if converter == "any" else []
                examples = [str(valid[name])] if name in valid else []
                path.append((name, converter, tuple(options + examples)))
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                routes.append(
                    Route(
                        rule.rule, rule.endpoint, method, tuple(path), query.declared(rule.endpoint)
                    )
                )
    return routes


NASTY = [
    *("²", "٣", "１２", "߁", "-1", "0", "+1", " 1", "1 ", "1.5", "1e309", "-1e309", "nan", "inf"),
    *("0x1F", "1_000", "0" * 30 + "1", "9" * 20, "9" * 400, str(2**31), str(2**63), str(2**64)),
    *("", " ", "\x00", "a\x00b", "\x01\x1f\x7f", "\u202e", "😀", "a" * 10_000, "%", "%zz"),
    *("'; DROP TABLE barrier_sites; --", "<script>alert(1)</script>", "true", "null", "[]"),
    *("9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+01:00", "0000-01-01T00:00:00Z"),
    *("2026-02-30T00:00:00Z", "2026-01-01T24:00:00Z", "2026-01-01T00:00:00+24:00", "2026-01-01"),
    *(
        "2026-01-01T00:00:00",
        "../..",
        "..",
        "/",
        "2026-01-01T00:00:00Z/..",
        "../9999-12-31T23:59:59Z",
    ),
    *("180,90,-180,-90", "1,2,3", "1,2,3,4,5,6", "nan,nan,nan,nan", "1e308,1e308,1e308,1e308"),
    *("-180,-90,180,90", "12.4,55.7,12.5,55.8", ",,,", "1,,", "²,²,²,²", "1,2,²"),
]
numbers = st.one_of(
    st.integers(-(2**80), 2**80).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
)
texts = st.text(st.characters(codec="utf-8"), max_size=30)
unicode_digits = st.text(st.characters(categories=["Nd", "No"]), min_size=1, max_size=12)
offsets = st.integers(-(23 * 60 + 59), 23 * 60 + 59).map(lambda m: timezone(timedelta(minutes=m)))
moments = st.builds(
    lambda moment, zone: moment.replace(tzinfo=zone).isoformat(),
    st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59, 59)),
    offsets,
)
intervals = st.tuples(
    st.one_of(moments, st.sampled_from(["..", ""])), st.one_of(moments, st.sampled_from(["..", ""]))
).map("/".join)
boxes = st.lists(st.one_of(st.floats(), st.integers(-400, 400)), min_size=3, max_size=7).map(
    lambda values: ",".join(map(str, values))
)
any_value = st.one_of(st.sampled_from(NASTY), numbers, texts, unicode_digits)
lists = st.lists(st.one_of(any_value, st.sampled_from(["step", "open", "1"])), max_size=5).map(
    ",".join
)
HOSTILE = st.one_of(any_value, moments, intervals, boxes, lists)


def value_for(examples: tuple[str, ...]) -> st.SearchStrategy[str]:
    """Hostile values, and now and then a valid one (so the others are read further on)."""
    return st.one_of(HOSTILE, st.sampled_from(examples)) if examples else HOSTILE


def requests_for(route: Route) -> st.SearchStrategy[tuple[str, list[tuple[str, str]]]]:
    """A path with generated segments and a query of declared (and unknown) names."""
    segments = [value_for(examples).filter(bool) for _name, _converter, examples in route.path]
    names = sorted(route.parameters)
    pair = st.sampled_from([*names, *UNKNOWN_NAMES] if names else list(UNKNOWN_NAMES)).flatmap(
        lambda name: st.tuples(
            st.just(name),
            value_for(route.parameters[name].examples) if name in route.parameters else HOSTILE,
        )
    )

    def build(values: list[str]) -> str:
        parts = iter(values)
        return PATH_ARGUMENT.sub(lambda match: quote(next(parts), safe=""), route.rule)

    return st.tuples(st.tuples(*segments).map(list).map(build), st.lists(pair, max_size=6))


def fuzz(client: Any, route: Route, cases: Counter[str], failures: list[str]) -> None:
    """Send generated requests to one route; record every 5xx."""

    @given(request=requests_for(route))
    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def run(request: tuple[str, list[tuple[str, str]]]) -> None:
        path, pairs = request
        url = f"{path}?{urlencode(pairs, quote_via=quote)}" if pairs else path
        cases[route.label] += 1
        try:
            response = client.open(url, method=route.method)
        except Exception as error:  # testing propagates what would otherwise be a 500
            failures.append(f"{route.label}: {error!r:.200} for {url[:300]!r}")
            return
        if response.status_code >= 500:
            failures.append(f"{route.label}: {response.status_code} for {url[:300]!r}")
        response.close()

    run()


def test_every_public_route_under_generated_parameters(app, world, capsys):  # noqa: F811
    valid = {**world, "variant": "thumb", "package": "leaflet", "filename": "leaflet.js"}
    routes = public_routes(app, valid)
    endpoints = {route.endpoint for route in routes}
    # The description is the app's: the public pages, feeds, APIs and their parameters.
    assert {"public.sites", "open311.request_list", "ogc.items", "api.sites_in_bbox"} <= endpoints
    assert not endpoints & {e for e, x in EXPECT.items() if "anonymous" not in x.ok}
    assert {"area", "page", "status", "category", "new_look", "lang"} <= set(
        next(r for r in routes if r.endpoint == "public.sites").parameters
    )
    client = app.test_client()
    cases: Counter[str] = Counter()
    failures: list[str] = []
    for route in routes:
        fuzz(client, route, cases, failures)
    total = sum(cases.values())
    parameters = sum(len(route.parameters) + len(route.path) for route in routes)
    with capsys.disabled():
        print(
            f"\nquery fuzzing: {total} generated requests over {len(routes)} public routes "
            f"({parameters} parameters and path segments), {len(failures)} server errors"
        )
    assert not failures, "\n".join(failures[:20])
    assert total >= len(routes) * EXAMPLES // 2
