"""Every route x every role gets exactly what it should: 200 / 302 to sign in / 403 / 404.

The routes come from the app's URL map, so a new route is covered as soon as it exists. Each
endpoint needs an entry in ``EXPECT`` (or is protected with ``@require_role``, which the default
rule understands, or lives under a JSON API prefix, which is public). A route without any rule
fails with a message saying where to add it.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from typing import Any

import pytest
from flask import g, has_app_context
from shapely.geometry import MultiPolygon, box

from fieldaudit.accounts.sessions import session_values
from fieldaudit.accounts.users import invite_user
from fieldaudit.areas import AreaFeature, upsert_area
from fieldaudit.crs import to_metric
from fieldaudit.permissions import ROLE_IMPLIES
from fieldaudit.report_review import verify_report
from fieldaudit.status import Role

ROLES = ("anonymous", "volunteer", "reviewer", "planner", "admin")
SIGNED_IN = frozenset(ROLES) - {"anonymous"}
EVERYONE = frozenset(ROLES)
METHODS = ("GET", "POST")
MISSING_ID = 999_999


@dataclass(frozen=True)
class Expect:
    """Who gets through: ``ok`` roles get ``status`` (GET) or a handled answer (POST).

    Signed-in roles outside ``ok`` get 403, anonymous visitors are sent to sign in (unless
    anonymous is in ``ok``). With ``missing`` the same route with ids that do not exist
    answers 404 to those who may use it.
    """

    ok: frozenset[str]
    status: int = 200
    query: str = ""
    args: dict[str, Any] = field(default_factory=dict)
    missing: bool = True
    everyone_gets: str | None = None  # e.g. "missing": the route answers 404 to everyone


PUBLIC = Expect(EVERYONE)
REVIEWERS = Expect(frozenset({"reviewer", "admin"}))
STAFF = Expect(frozenset({"reviewer", "planner", "admin"}))
PLANNERS = Expect(frozenset({"planner", "admin"}))
ADMINS = Expect(frozenset({"admin"}))

EXPECT: dict[str, Expect] = {
    # public pages and the public record
    "public.index": PUBLIC,
    "public.favicon": PUBLIC,
    "public.sites": PUBLIC,
    "public.step_free_route": PUBLIC,
    "public.sites_geojson": PUBLIC,
    "public.site": PUBLIC,
    "public.report": PUBLIC,
    "public.photo": Expect(EVERYONE, args={"variant": "thumb"}),
    "public.site_feed": PUBLIC,
    "public.area_feed": PUBLIC,
    "public.confirm": PUBLIC,
    "about.privacy": PUBLIC,
    "about.accessibility_statement": PUBLIC,
    "about.help_page": PUBLIC,
    "static": Expect(EVERYONE, args={"filename": "css/app.css"}),
    "vendor.file": Expect(EVERYONE, args={"package": "leaflet", "filename": "leaflet.js"}),
    # the field app
    "field.capture": PUBLIC,
    "field.my_reports": PUBLIC,
    "field.offline": PUBLIC,
    "field.manifest": PUBLIC,
    "field.service_worker": PUBLIC,
    # accounts
    "accounts.login": PUBLIC,
    "accounts.logout": PUBLIC,
    "accounts.invitation": PUBLIC,
    "accounts.users": ADMINS,
    "accounts.invite": ADMINS,
    "accounts.update_user": ADMINS,
    # e-mail (issue 15): following is open to all; links in mails carry signed tokens
    "mail.follow": Expect(EVERYONE, missing=False),
    "mail.confirm": Expect(EVERYONE, args={"token": "not-a-token"}),
    "mail.unsubscribe": Expect(EVERYONE, args={"token": "not-a-token"}),
    # review (Handicaprådet); sites also for planners
    "review.queue": REVIEWERS,
    "review.report": REVIEWERS,
    "review.act": Expect(REVIEWERS.ok, args={"action": "note"}),
    "review.photo_file": Expect(REVIEWERS.ok, args={"variant": "thumb"}),
    "review.photo_act": Expect(REVIEWERS.ok, args={"action": "hide"}),
    "review.site": STAFF,
    "review.site_act": Expect(STAFF.ok, args={"action": "note"}),
    "review.statistics_page": STAFF,
    "review.status_report": STAFF,
    # planning
    "planning.index": PLANNERS,
    "planning.areas": PLANNERS,
    "planning.site": PLANNERS,
    "planning.plan": PLANNERS,
    "planning.fix": PLANNERS,
    "planning.export": Expect(PLANNERS.ok, args={"fmt": "geojson"}),
    "planning.how": PUBLIC,
    "planning.estimate": PLANNERS,
    "planning.what_if": Expect(PLANNERS.ok, query="gruppe=WHEEL&budgettype=antal&budget=2"),
    # No network is loaded here: the export sends the planner to the page that says so.
    "planning.what_if_export": Expect(
        PLANNERS.ok, status=302, args={"fmt": "csv"}, query="gruppe=WHEEL&budgettype=antal&budget=2"
    ),
    # JSON APIs
    "api.sites_in_bbox": Expect(EVERYONE, query="bbox=12.39,55.70,12.46,55.76"),
    "api.nearby_sites": Expect(EVERYONE, query="lat=55.7189&lon=12.4437&category=step"),
    "api.map_of_sites": Expect(EVERYONE, query="bbox=12.39,55.70,12.46,55.76"),
    # No walking network is loaded here: no route (404) for everyone.
    "api.route": Expect(
        EVERYONE,
        query="from=12.4437,55.7189&to=12.4356,55.7255&profile=WHEEL",
        everyone_gets="missing",
    ),
    "api.photo_file": Expect(EVERYONE, args={"variant": "thumbnail"}),
    # Checks the body before the site: a bad body is refused (422) even for a missing site.
    "api.confirm_site": Expect(EVERYONE, missing=False),
    # Needs an API key: refused (403) without one, for every role.
    "open311.create_request": Expect(EVERYONE, everyone_gets="forbidden"),
    "open311.unknown": Expect(EVERYONE, args={"rest": "nothing-here"}, everyone_gets="missing"),
    "open311.token": Expect(EVERYONE, args={"token": "no-such-token"}, everyone_gets="missing"),
    "ogc.collection": Expect(EVERYONE, args={"collection_id": "barrier_sites"}),
    "ogc.items": Expect(EVERYONE, args={"collection_id": "barrier_sites"}),
}

# JSON APIs answer everyone; their endpoints need an entry only when they need arguments.
PUBLIC_PREFIXES = ("/api/", "/open311/", "/ogc/")
ROUTE_ARGS_BY_PREFIX = {"/open311/": {"fmt": "json", "code": "step"}}


def _app_for_url_map() -> Any:
    from fieldaudit import create_app

    folder = tempfile.mkdtemp(prefix="fieldaudit-urlmap-")
    return create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "x",
            "DATABASE_URL": f"sqlite:///{folder}/urlmap.sqlite",
            "MEDIA_DIR": f"{folder}/media",
            "TILE_URL": "",
        }
    )


def _routes() -> list[tuple[str, str, str]]:
    app = _app_for_url_map()
    found = []
    for rule in app.url_map.iter_rules():
        for method in METHODS:
            if method in rule.methods:
                found.append((rule.rule, method, rule.endpoint))
    return sorted(set(found))


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "route" in metafunc.fixturenames:
        routes = _routes()
        metafunc.parametrize("route", routes, ids=[f"{m} {r}" for r, m, _ in routes])


def expectation(app: Any, rule: str, endpoint: str) -> Expect:
    """The access rule of an endpoint: the table, else @require_role, else an API prefix."""
    if endpoint in EXPECT:
        return EXPECT[endpoint]
    declared = getattr(app.view_functions[endpoint], "required_roles", None)
    if declared:
        ok = {role.value for role in Role if any(r in ROLE_IMPLIES[role] for r in declared)}
        return Expect(frozenset(ok))
    if rule.startswith(PUBLIC_PREFIXES):
        return PUBLIC
    pytest.fail(
        f"No access rule for {rule} (endpoint {endpoint!r}). Add it to EXPECT in "
        "tests/test_access.py, saying which roles may use it (PUBLIC, REVIEWERS, STAFF, "
        "PLANNERS, ADMINS or an Expect(...)), or protect the view with @require_role(...)."
    )


@pytest.fixture
def world(db, make_user, make_report, make_photo):
    """One of everything a route may need: a public report with a photo, a site, an invitation."""
    x, y = to_metric(12.4437, 55.7189)
    upsert_area(
        db.session,
        AreaFeature(
            "Stationsparken", "park", MultiPolygon([box(x - 200, y - 200, x + 200, y + 200)])
        ),
    )
    reviewer = make_user("reviewer")
    make_user("admin")  # so an admin's changes never remove the last administrator
    report = make_report(reporter=make_user("volunteer"))
    photo = make_photo(report)
    verify_report(db.session, report, reviewer)
    invited, token = invite_user(db.session, "inviteret@example.org", Role.VOLUNTEER)
    db.session.commit()
    return {
        "report_id": report.id,
        "site_id": report.site_id,
        "area_id": report.area_id,
        "photo_id": photo.id,
        "user_id": invited.id,
        "token": token,
        "report_uuid": report.uuid,
        "request_id": str(report.id),
        "feature_id": str(report.site_id),
        "collection_id": "barrier_sites",
    }


INT_ARGS = {"report_id", "site_id", "area_id", "photo_id", "user_id"}


def _url(app: Any, rule_text: str, method: str, endpoint: str, values: dict[str, Any]) -> str:
    rule = next(
        r for r in app.url_map.iter_rules(endpoint) if r.rule == rule_text and method in r.methods
    )
    missing = sorted(set(rule.arguments) - set(values))
    if missing:
        pytest.fail(
            f"{rule_text} needs values for {missing}: add them to the endpoint's Expect(args=...) "
            "in tests/test_access.py."
        )
    path = rule.rule
    for name in rule.arguments:
        path = _replace_argument(path, name, str(values[name]))
    return path


def _replace_argument(path: str, name: str, value: str) -> str:
    start = path.index("<")
    while True:
        end = path.index(">", start)
        inside = path[start + 1 : end]
        if inside.split(":")[-1] == name:
            return path[:start] + value + path[end + 1 :]
        start = path.index("<", end)


def outcome(response: Any, method: str, expect: Expect) -> str:
    """What a response means for access: ok, login, forbidden, missing or error."""
    location = response.headers.get("Location", "")
    if response.status_code == 302 and "/konto/log-ind" in location:
        return "login"
    if response.status_code in (401, 403):
        return "forbidden"
    if response.status_code == 404:
        return "missing"
    if response.status_code >= 500:
        return f"error {response.status_code}"
    if method == "GET":
        return "ok" if response.status_code == expect.status else f"status {response.status_code}"
    return "ok"


def expected(expect: Expect, role: str, exists: bool) -> str:
    """What a role should get."""
    if expect.everyone_gets:
        return expect.everyone_gets
    if role not in expect.ok:
        return "login" if role == "anonymous" else "forbidden"
    return "ok" if exists else "missing"


def _sign_in(client: Any, user: Any) -> None:
    with client.session_transaction() as session:
        session.clear()
        if user is not None:
            session.update(session_values(user))
    if has_app_context():
        g.pop("_login_user", None)


def test_every_route_for_every_role(route, app, db, world, make_user):
    rule_text, method, endpoint = route
    expect = expectation(app, rule_text, endpoint)
    users = {role: None if role == "anonymous" else make_user(role) for role in ROLES}
    values = {**world, **expect.args}
    for prefix, extra in ROUTE_ARGS_BY_PREFIX.items():
        if rule_text.startswith(prefix):
            values = {**extra, **values}
    cases = [(True, _url(app, rule_text, method, endpoint, values))]
    rule_args = next(r for r in app.url_map.iter_rules(endpoint) if r.rule == rule_text).arguments
    if expect.missing and rule_args & INT_ARGS:
        gone = {**values, **{name: MISSING_ID for name in rule_args & INT_ARGS}}
        cases.append((False, _url(app, rule_text, method, endpoint, gone)))
    problems = []
    for exists, url in cases:
        if expect.query:
            url = f"{url}?{expect.query}"
        for role in ROLES:
            client = app.test_client()
            _sign_in(client, users[role])
            if method == "GET":
                response = client.get(url)
            elif rule_text.startswith(PUBLIC_PREFIXES):
                response = client.post(url, json={})
            else:
                response = client.post(url, data={"csrf_token": _token(app, client)})
            got = outcome(response, method, expect)
            response.close()
            want = expected(expect, role, exists)
            if got != want:
                problems.append(f"{role:9s} {method} {url}: got {got}, expected {want}")
    assert not problems, "\n".join(problems)


def _token(app: Any, client: Any) -> str:
    import hashlib
    import os

    from itsdangerous import URLSafeTimedSerializer

    with client.session_transaction() as session:
        if "csrf_token" not in session:
            session["csrf_token"] = hashlib.sha1(os.urandom(64)).hexdigest()
        raw = session["csrf_token"]
    return URLSafeTimedSerializer(app.secret_key, salt="wtf-csrf-token").dumps(raw)


def test_the_table_has_no_stale_entries(app):
    stale = sorted(set(EXPECT) - set(app.view_functions))
    assert not stale, f"Remove these endpoints from EXPECT in tests/test_access.py: {stale}"
