"""FieldAudit: a field app and geo backend for auditing accessibility in public space."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy.orm import Session as OrmSession
from werkzeug.middleware.proxy_fix import ProxyFix

from fieldaudit import config as configuration
from fieldaudit.accounts.users import track_session_tokens
from fieldaudit.database import attach_spatialite, engine_options, is_sqlite
from fieldaudit.extensions import db, migrate
from fieldaudit.site_cells import track_site_cells

MIGRATIONS_DIR = str(Path(__file__).parent / "migrations")


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Create and configure a FieldAudit app."""
    app = Flask(__name__, instance_relative_config=False)
    settings = configuration.from_environment(configuration.defaults(app.instance_path))
    if test_config:
        settings.update(test_config)
    configuration.check(settings)
    app.config.update(settings)
    app.config["TRUSTED_HOSTS"] = configuration.trusted_hosts(app.config["TRUSTED_HOSTS"])
    app.config["SQLALCHEMY_DATABASE_URI"] = app.config["DATABASE_URL"]
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options(app.config["DATABASE_URL"])
    os.makedirs(app.instance_path, exist_ok=True)
    os.makedirs(app.config["MEDIA_DIR"], exist_ok=True)
    # Staging files of a process that was killed mid-upload (hardening, issue 8).
    from fieldaudit.consistency import remove_stale_staging

    remove_stale_staging(app.config["MEDIA_DIR"])
    from fieldaudit.photos import configure_photo_workers

    configure_photo_workers(app.config["PHOTO_WORKERS"])

    if app.config["PROXY_HOPS"]:
        hops = app.config["PROXY_HOPS"]
        host_hops = hops if app.config["PROXY_HOST"] else 0  # X-Forwarded-Host: only if set
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=host_hops)  # type: ignore[method-assign]
    db.init_app(app)
    track_site_cells(OrmSession)
    track_session_tokens(OrmSession)  # a password, role or active change ends the sessions
    migrate.init_app(app, db, directory=MIGRATIONS_DIR, render_as_batch=True)
    if is_sqlite(app.config["DATABASE_URL"]):
        with app.app_context():
            attach_spatialite(db.engine, app.config["SPATIALITE_LIBRARY"])

    from fieldaudit import models  # noqa: F401  (register the tables)
    from fieldaudit.app_setup import set_up

    set_up(app)
    return app
