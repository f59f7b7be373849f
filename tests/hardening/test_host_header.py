"""The ``Host`` header (issue 12, second review, finding 6).

A host Werkzeug cannot encode (``ex..com``, a label over 63 characters) left the request without
a URL adapter, and the error page's ``asset_url`` -> ``url_for`` turned the 400 into a 500 on
every HTML route. Feeds, OGC and Open311 answers carry the request's host in their links (cached
for 300 s), and ``X-Forwarded-Host`` was trusted behind a proxy whether or not nginx set it.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from fieldaudit import create_app
from fieldaudit.extensions import db as _db

BAD_HOSTS = [
    "ex..com",
    "a" * 64 + ".example",
    ".",
    "..",
    "example.com:99999",
    "exa mple.com",
    "example.com\x7f",
    "-" * 300,
]
HTML_ROUTES = ["/", "/barrierer", "/indberet", "/konto/log-ind", "/hjaelp", "/findes-ikke"]
JSON_ROUTES = ["/api/v1/categories", "/api/v1/map?bbox=12.3,55.7,12.4,55.8", "/ogc/collections"]
XML_ROUTES = ["/open311/v2/services.xml", "/open311/v2/discovery.xml", "/omraader/1/feed.atom"]
ROUTES = HTML_ROUTES + JSON_ROUTES + XML_ROUTES


@pytest.mark.parametrize("host", BAD_HOSTS)
@pytest.mark.parametrize("path", ROUTES)
def test_an_unusable_host_is_a_400_never_a_500(client, path, host):
    response = client.get(path, headers={"Host": host})
    assert response.status_code == 400, response.get_data(as_text=True)[:300]


@pytest.mark.parametrize("path", HTML_ROUTES)
def test_the_400_page_for_an_unusable_host_is_plain_and_translated(client, path):
    page = client.get(path, headers={"Host": "ex..com"}).get_data(as_text=True)
    assert "Forespørgslen kunne ikke forstås." in page
    assert "Fejlkode: 400." in page
    english = client.get(path + "?lang=en", headers={"Host": "ex..com"}).get_data(as_text=True)
    assert '<html lang="en">' in english
    assert "Fejlkode" not in english


def test_trusted_hosts_come_from_a_comma_list():
    from fieldaudit.config import defaults, from_environment, trusted_hosts

    settings = from_environment(
        defaults("/tmp/x"), {"FIELDAUDIT_TRUSTED_HOSTS": " FieldAudit.Herlev.dk, localhost ,"}
    )
    assert trusted_hosts(settings["TRUSTED_HOSTS"]) == ["fieldaudit.herlev.dk", "localhost"]
    assert trusted_hosts(defaults("/tmp/x")["TRUSTED_HOSTS"]) is None


def _app_like(app: Flask, **settings: Any) -> Flask:
    """Another app on the test's database, with ``settings``."""
    return create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "TILE_URL": "",
            "MEDIA_DIR": app.config["MEDIA_DIR"],
            "DATABASE_URL": app.config["DATABASE_URL"],
            **settings,
        }
    )


@pytest.fixture
def trusting_app(app: Flask):
    other = _app_like(app, TRUSTED_HOSTS="fieldaudit.herlev.dk")
    yield other
    with other.app_context():
        _db.engine.dispose()


@pytest.mark.parametrize("path", ["/", "/api/v1/categories", "/open311/v2/services.xml", "/ogc/"])
def test_with_trusted_hosts_another_host_is_refused(trusting_app, path):
    client = trusting_app.test_client()
    assert client.get(path, headers={"Host": "evil.example"}).status_code == 400
    assert client.get(path, headers={"Host": "fieldaudit.herlev.dk"}).status_code == 200
    assert client.get(path, headers={"Host": "fieldaudit.herlev.dk:443"}).status_code == 200


@pytest.fixture
def proxied_app(app: Flask, herlev: Any):
    other = _app_like(app, PROXY_HOPS=1)
    yield other
    with other.app_context():
        _db.engine.dispose()


def _area_feed(herlev: Any) -> str:
    from fieldaudit.models import Area

    area_id = _db.session.query(Area.id).order_by(Area.id).limit(1).scalar()
    return f"/omraader/{area_id}/feed.atom"


def test_x_forwarded_host_is_ignored_unless_configured(proxied_app, herlev, db):
    client = proxied_app.test_client()
    forged = {"X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "https"}
    feed = client.get(_area_feed(herlev), headers=forged)
    assert feed.status_code == 200
    body = feed.get_data(as_text=True)
    assert "evil.example" not in body
    assert "https://localhost/" in body  # X-Forwarded-Proto is still the proxy's to set
    ogc = client.get("/ogc/?f=json", headers=forged).get_data(as_text=True)
    assert "evil.example" not in ogc and "https://localhost/" in ogc


def test_x_forwarded_host_is_used_when_the_proxy_sets_it(app, herlev, db):
    proxied = _app_like(app, PROXY_HOPS=1, PROXY_HOST=True)
    headers = {"X-Forwarded-Host": "fieldaudit.herlev.dk", "X-Forwarded-Proto": "https"}
    body = proxied.test_client().get(_area_feed(herlev), headers=headers).get_data(as_text=True)
    with proxied.app_context():
        _db.engine.dispose()
    assert "https://fieldaudit.herlev.dk/" in body
