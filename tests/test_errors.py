"""Errors: a page for people, JSON under /api/, 503 with Retry-After when the database is away."""

from sqlalchemy import create_engine

from fieldaudit.extensions import db as _db


def test_404_page_in_danish_and_english(client):
    response = client.get("/findes-ikke")
    assert response.status_code == 404
    assert "Siden findes ikke." in response.get_data(as_text=True)
    english = client.get("/findes-ikke?lang=en")
    assert "The page does not exist." in english.get_data(as_text=True)


def test_api_errors_are_json(client):
    response = client.get("/api/v1/findes-ikke")
    assert response.status_code == 404
    assert response.get_json() == {
        "error": "not_found",
        "message": "Siden findes ikke.",
        "field": "",
    }


def test_405_says_which_methods_are_allowed(client):
    response = client.delete("/api/v1/areas")
    assert response.status_code == 405
    assert "GET" in response.headers["Allow"]
    assert response.get_json()["error"] == "method_not_allowed"


def test_database_away_gives_503_with_retry_after(app, client, tmp_path):
    with app.app_context():
        _db.engine.dispose()
        # Point the engine at a server that is not there (a closed local port).
        dead = create_engine("postgresql+psycopg://nobody@127.0.0.1:9/none", pool_pre_ping=False)
        app.extensions["sqlalchemy"]._app_engines[app][None] = dead
    response = client.get("/api/v1/areas")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    assert response.get_json()["error"] == "database_unavailable"
    page = client.get("/")
    assert page.status_code == 503 and "midlertidigt utilgængelig" in page.get_data(as_text=True)
