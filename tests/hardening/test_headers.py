"""Caching and transport headers (issue 12, hole 8).

Nothing personal may be kept by a browser's or a proxy's cache: every page behind sign-in,
every answer to a signed-in user and every personal-data answer says ``Cache-Control:
no-store``. The routes come from the app's URL map and the roles their views declare, so a new
page behind sign-in is covered as soon as it exists. HSTS is sent in production only.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from fieldaudit import create_app
from fieldaudit.extensions import db as _db
from tests.test_access import _routes, _sign_in, _url, expectation, world  # noqa: F401

DEVICE = {"X-Device-Token": "c" * 32}
# What a device token opens (an anonymous reporter's reports and data export).
DEVICE_DATA = {"api.my_reports": "/api/v1/my/reports", "api.my_data": "/api/v1/my/data"}


def _role_pages(app: Flask) -> list[tuple[str, str]]:
    """Every GET route whose view needs a role: (rule, endpoint)."""
    return [
        (rule, endpoint)
        for rule, method, endpoint in _routes()
        if method == "GET" and getattr(app.view_functions[endpoint], "required_roles", None)
    ]


def _no_store(response: Any) -> bool:
    return "no-store" in response.headers.get("Cache-Control", "")


def test_every_page_behind_sign_in_is_not_stored(app, db, world, make_user):  # noqa: F811
    pages = _role_pages(app)
    walked = {endpoint for _, endpoint in pages}
    assert {"accounts.users", "accounts.my_data", "review.queue", "planning.index"} <= walked
    admin = make_user("admin")  # admins may open every page behind sign-in
    problems = []
    for rule, endpoint in pages:
        expect = expectation(app, rule, endpoint)
        url = _url(app, rule, "GET", endpoint, {**world, **expect.args})
        if expect.query:
            url = f"{url}?{expect.query}"
        client = app.test_client()
        _sign_in(client, admin)
        response = client.get(url)
        if response.status_code >= 400 or not _no_store(response):
            problems.append(
                f"{url}: {response.status_code} {response.headers.get('Cache-Control')!r}"
            )
        response.close()
    assert not problems, "\n".join(problems)


def test_personal_data_is_not_stored(app, db, make_user, make_report, make_photo):
    volunteer = make_user("volunteer")
    report = make_report(reporter=volunteer, device="d" * 64)
    client = app.test_client()
    for endpoint, path in DEVICE_DATA.items():
        assert _rule(app, endpoint) == path
        response = client.get(path, headers=DEVICE)
        assert response.status_code == 200 and _no_store(response), endpoint
    _sign_in(client, volunteer)
    download = client.get("/konto/mine-data.json")
    assert download.status_code == 200 and _no_store(download)
    # A photo of a report nobody has reviewed yet, fetched by its reporter: no shared cache.
    photo = make_photo(report)
    _sign_in(client, volunteer)
    response = client.get(f"/api/v1/photos/{photo.id}/thumbnail")
    assert response.status_code == 200 and _no_store(response)
    assert "public" not in response.headers["Cache-Control"]
    response.close()


def _rule(app: Flask, endpoint: str) -> str:
    return next(r.rule for r in app.url_map.iter_rules(endpoint))


def test_public_answers_stay_cacheable_for_visitors_not_for_the_signed_in(app, db, make_user):
    client = app.test_client()
    assert not _no_store(client.get("/"))
    files = ("/static/css/app.css", "/vendor/leaflet/leaflet.js")
    anonymous = {path: _cache_control(client, path) for path in files}
    assert "max-age=31536000" in anonymous["/vendor/leaflet/leaflet.js"]
    _sign_in(client, make_user("reviewer"))
    assert _no_store(client.get("/"))  # the page names the signed-in user
    # Public files are the same for everybody: a signed-in browser may keep them as well.
    assert {path: _cache_control(client, path) for path in files} == anonymous


def _cache_control(client: Any, path: str) -> str:
    response = client.get(path)
    response.close()
    assert response.status_code == 200, path
    return response.headers.get("Cache-Control", "")


@pytest.fixture
def production_app(app):
    """The test app's database and media, configured as production."""
    other = create_app(
        {
            **app.config,
            "ENV_NAME": "production",
            "SECRET_KEY": "a-long-random-production-secret-for-the-test",
        }
    )
    yield other
    with other.app_context():
        _db.session.remove()
        _db.engine.dispose()


def test_hsts_in_production_only(app, production_app):
    for path in ("/", "/konto/log-ind", "/static/css/app.css", "/api/v1/categories"):
        response = production_app.test_client().get(path)
        assert response.headers["Strict-Transport-Security"] == (
            "max-age=31536000; includeSubDomains"
        ), path
        response.close()
    assert "Strict-Transport-Security" not in app.test_client().get("/").headers
