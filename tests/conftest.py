"""Shared fixtures: every test gets its own real database, SpatiaLite or PostGIS.

``FIELDAUDIT_TEST_DB=spatialite`` (default) or ``postgis`` picks the database; the schema is
always built by the migrations. PostGIS uses ``FIELDAUDIT_TEST_POSTGRES`` (a server URL).
"""

from __future__ import annotations

import os
import shutil
import threading
import uuid
import weakref
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Connection, Engine
from werkzeug.serving import make_server

from fieldaudit import create_app
from fieldaudit.area_import import herlev_files, import_areas, read_area_file
from fieldaudit.config import defaults
from fieldaudit.extensions import db as _db

TEST_DB = os.environ.get("FIELDAUDIT_TEST_DB", "spatialite")
POSTGRES_SERVER = os.environ.get(
    "FIELDAUDIT_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT / "data" / "geo"
KEEP_TABLES = {"spatial_ref_sys", "alembic_version"}


# Every engine that connected during a test is disposed when the test ends, so no pool of idle
# PostgreSQL connections is left for the garbage collector (psycopg warns from __del__).
_engines_in_use: weakref.WeakSet[Engine] = weakref.WeakSet()


@event.listens_for(Engine, "engine_connect")
def _remember_engine(connection: Connection) -> None:
    _engines_in_use.add(connection.engine)


@pytest.fixture(autouse=True)
def _dispose_engines() -> Iterator[None]:
    yield
    for engine in list(_engines_in_use):
        engine.dispose()
    _engines_in_use.clear()


def pytest_report_header(config: pytest.Config) -> str:
    return f"fieldaudit database: {TEST_DB}"


def _base_config(tmp: Path) -> dict[str, Any]:
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "MEDIA_DIR": str(tmp / "media"),
        "TILE_URL": "",
    }


@pytest.fixture(scope="session")
def database_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated database for the whole session: a SpatiaLite file or a PostGIS database."""
    tmp = tmp_path_factory.mktemp("template")
    if TEST_DB == "postgis":
        name = f"fieldaudit_test_{os.getpid()}"
        server = create_engine(POSTGRES_SERVER, isolation_level="AUTOCOMMIT")
        with server.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = POSTGRES_SERVER.rsplit("/", 1)[0] + f"/{name}"
    else:
        url = f"sqlite:///{tmp / 'template.sqlite'}"
    app = create_app({**_base_config(tmp), "DATABASE_URL": url})
    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory)
        if TEST_DB == "postgis":  # pgRouting checks the app's routes (tests/test_network_*.py)
            with _db.engine.begin() as conn:
                available = conn.execute(
                    text("SELECT 1 FROM pg_available_extensions WHERE name = 'pgrouting'")
                ).first()
                if available:
                    conn.execute(text("CREATE EXTENSION IF NOT EXISTS pgrouting"))
        _db.engine.dispose()
    yield url
    if TEST_DB == "postgis":
        with server.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        server.dispose()


def _fresh_database(template: str, tmp: Path) -> str:
    if TEST_DB == "postgis":
        return template
    path = tmp / "fieldaudit.sqlite"
    shutil.copyfile(template.removeprefix("sqlite:///"), path)
    return f"sqlite:///{path}"


def _empty_tables(app: Flask) -> None:
    with app.app_context():
        tables = [t.name for t in reversed(_db.metadata.sorted_tables) if t.name not in KEEP_TABLES]
        with _db.engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))


@pytest.fixture
def app(database_template: str, tmp_path: Path) -> Iterator[Flask]:
    """A FieldAudit app on its own empty, migrated database."""
    url = _fresh_database(database_template, tmp_path)
    application = create_app({**_base_config(tmp_path), "DATABASE_URL": url})
    if TEST_DB == "postgis":
        _empty_tables(application)
    yield application
    with application.app_context():
        _db.session.remove()
        _db.engine.dispose()


@pytest.fixture
def db(app: Flask) -> Iterator[Any]:
    """The database extension inside an app context."""
    with app.app_context():
        yield _db


@pytest.fixture
def client(app: Flask):
    """A test client."""
    return app.test_client()


@pytest.fixture
def runner(app: Flask):
    """A CLI runner."""
    return app.test_cli_runner()


@pytest.fixture(scope="session")
def herlev_plans() -> list[Any]:
    """The shipped Herlev layers, read and checked once per session."""
    return [read_area_file(path) for path in herlev_files(str(DATA_DIR))]


@pytest.fixture
def herlev(db: Any, herlev_plans: list[Any]) -> Any:
    """Load Herlev's boundary and areas into the test database."""
    for plan in herlev_plans:
        import_areas(db.session, plan)
    db.session.commit()
    return db


@pytest.fixture
def make_report_payload() -> Callable[..., dict[str, Any]]:
    """Factory for a valid report payload (at Herlev Station); keyword arguments override."""

    def make(**overrides: Any) -> dict[str, Any]:
        payload = {
            "uuid": str(uuid.uuid4()),
            "lat": 55.71890,
            "lon": 12.44370,
            "accuracy_m": 6.0,
            "category": "step",
            "severity": "high",
            "groups": [],
            "tags": [],
            "measurements": {"threshold_height": {"value": 12, "unit": "cm"}},
            "description": "Trin på 12 cm ved indgangen.",
            "created_at": "2026-11-20T10:00:00+01:00",
        }
        payload.update(overrides)
        return payload

    return make


class LiveServer:
    """A real HTTP server running the app in a thread.

    Leaving, it stops accepting, answers 503 to any further request on a connection the browser
    kept open, and waits for the requests under way to finish: only then may the ``app`` fixture
    dispose of the engine (a request that ended later checked its PostgreSQL connection back into
    the old pool, and psycopg warned from ``__del__`` at a random later test)."""

    DRAIN_S = 30.0

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.under_way = 0
        self.closed = False
        self.changed = threading.Condition()
        self.server = make_server("127.0.0.1", 0, self._serve, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def _serve(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterator[bytes]:
        with self.changed:
            if self.closed:
                start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
                yield b"The test is over."
                return
            self.under_way += 1
        try:
            body = self.app(environ, start_response)
            try:
                yield from body
            finally:
                if hasattr(body, "close"):  # as a WSGI server must; a file's body closes it
                    body.close()
        finally:
            with self.changed:
                self.under_way -= 1
                self.changed.notify_all()

    def __enter__(self) -> LiveServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.thread.join(timeout=10)
        with self.changed:
            self.closed = True
            drained = self.changed.wait_for(lambda: self.under_way == 0, timeout=self.DRAIN_S)
        assert drained, f"{self.under_way} requests still under way {self.DRAIN_S} s after the test"


@pytest.fixture
def live_server(app: Flask, herlev: Any) -> Iterator[LiveServer]:
    """The app with Herlev's areas, served over real HTTP on loopback."""
    with LiveServer(app) as server:
        yield server


CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's Chromium, driven by Playwright."""
    playwright_api = pytest.importorskip("playwright.sync_api")
    executable = os.environ.get("FIELDAUDIT_CHROMIUM", "/usr/bin/chromium")
    if not Path(executable).exists():
        pytest.fail(f"Chromium not found at {executable}; run scripts/setup.sh")
    with playwright_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh desktop browser page."""
    context = browser.new_context(locale="da-DK")
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def default_config(tmp_path: Path) -> dict[str, Any]:
    """The default configuration for an instance folder under tmp_path."""
    return defaults(str(tmp_path / "instance"))


# --- Accounts: users of every role, signing a test client in, CSRF tokens for form posts ---

TEST_PASSWORD = "rigtig hest batteri hæfteklamme"


@pytest.fixture(scope="session")
def test_password_hash() -> str:
    """The scrypt hash of TEST_PASSWORD, computed once (hashing is slow on purpose)."""
    from fieldaudit.accounts.users import hash_password

    return hash_password(TEST_PASSWORD)


@pytest.fixture
def make_user(db: Any, test_password_hash: str) -> Callable[..., Any]:
    """Factory: a committed user with ``role`` whose password is TEST_PASSWORD."""
    from fieldaudit.models import User

    def make(role: str = "volunteer", email: str | None = None, **fields: Any) -> Any:
        user = User(
            email=email or f"{role}-{uuid.uuid4().hex[:8]}@example.org",
            role=role,
            display_name=fields.pop("display_name", f"Test {role}"),
            password_hash=fields.pop("password_hash", test_password_hash),
            active=fields.pop("active", True),
            **fields,
        )
        db.session.add(user)
        db.session.commit()
        return user

    return make


@pytest.fixture
def login(client: Any, make_user: Callable[..., Any]) -> Callable[..., Any]:
    """Sign the test client in as a (new) user of ``role``; return the user."""

    def sign_in(role: str = "volunteer", user: Any = None) -> Any:
        user = user or make_user(role)
        from fieldaudit.accounts.sessions import session_values

        with client.session_transaction() as session:
            session.update(session_values(user))
        # Requests share the test's app context (and so ``g``): forget a cached user.
        from flask import g, has_app_context

        if has_app_context():
            g.pop("_login_user", None)
        return user

    return sign_in


@pytest.fixture
def csrf(client: Any, app: Flask) -> Callable[[], str]:
    """A valid CSRF token for the test client's session (as Flask-WTF's generate_csrf makes it)."""
    import hashlib

    from itsdangerous import URLSafeTimedSerializer

    def token() -> str:
        with client.session_transaction() as session:
            if "csrf_token" not in session:
                session["csrf_token"] = hashlib.sha1(os.urandom(64)).hexdigest()
            raw = session["csrf_token"]
        return URLSafeTimedSerializer(app.secret_key, salt="wtf-csrf-token").dumps(raw)

    return token


# --- Reports and photos for review tests ------------------------------------------------------


@pytest.fixture
def make_report(db: Any) -> Callable[..., Any]:
    """Factory: a stored report ``dx``/``dy`` metres from Herlev Station (merged into a site)."""
    from datetime import UTC, datetime

    from shapely.geometry import box

    from fieldaudit.areas import ServiceArea
    from fieldaudit.crs import to_metric, to_wgs84
    from fieldaudit.reports import check_report, store_report

    everywhere = ServiceArea(box(700_000, 6_170_000, 730_000, 6_200_000), 0)
    x0, y0 = to_metric(12.4437, 55.7189)

    def make(
        dx: float = 0.0,
        dy: float = 0.0,
        reporter: Any = None,
        device: str | None = None,
        **payload: Any,
    ) -> Any:
        lon, lat = to_wgs84(x0 + dx, y0 + dy)
        data = {
            "uuid": str(uuid.uuid4()),
            "lat": lat,
            "lon": lon,
            "category": "step",
            "severity": "high",
            "measurements": {"threshold_height": {"value": 12, "unit": "cm"}},
            "description": "Trin på 12 cm ved indgangen.",
            "created_at": datetime(2026, 3, 2, 9, 0, tzinfo=UTC).isoformat(),
            **payload,
        }
        report, _ = store_report(
            db.session,
            check_report(data, everywhere, now=datetime(2026, 12, 1, tzinfo=UTC)),
            reporter=reporter,
            device_token_hash=device or uuid.uuid4().hex,
        )
        db.session.commit()
        return report

    return make


@pytest.fixture
def make_public_report(
    db: Any, make_report: Callable[..., Any], make_user: Callable[..., Any]
) -> Callable[..., Any]:
    """Factory: ``make_report``, then verified by a reviewer, so its site is public."""
    from fieldaudit import report_review

    reviewers: list[Any] = []

    def make(**arguments: Any) -> Any:
        if not reviewers:
            reviewers.append(make_user("reviewer"))
        report = make_report(**arguments)
        report_review.verify_report(db.session, report, reviewers[0])
        db.session.commit()
        return report

    return make


def jpeg_bytes(width: int = 400, height: int = 300, colour: tuple[int, int, int] = (200, 30, 30)):
    """A plain JPEG image in memory."""
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buffer, "JPEG")
    return buffer.getvalue()


@pytest.fixture
def make_photo(app: Flask, db: Any) -> Callable[..., Any]:
    """Factory: a photo of a report, stored through the real photo pipeline."""
    from fieldaudit.photos import attach_photos, stage_photos

    def make(report: Any, colour: tuple[int, int, int] = (200, 30, 30)) -> Any:
        staged = stage_photos([jpeg_bytes(colour=colour)], app.config["MEDIA_DIR"])
        existing = len(report.photos)
        (photo,) = attach_photos(db.session, report, staged)
        photo.position = existing
        db.session.commit()
        staged.publish()
        return photo

    return make
