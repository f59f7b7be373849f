"""What ``create_app`` attaches to the app: the blueprints, the app-wide web helpers, the
security hooks and the ``fieldaudit`` commands (the one place that knows every web area)."""

from __future__ import annotations

from flask import Flask

from fieldaudit.about import about
from fieldaudit.accounts import init_accounts
from fieldaudit.api import api
from fieldaudit.api.priority import priority_api
from fieldaudit.authz import login_manager
from fieldaudit.cli import register_commands
from fieldaudit.field import field
from fieldaudit.ogc import ogc
from fieldaudit.open311 import open311
from fieldaudit.planning import planning
from fieldaudit.public import public
from fieldaudit.review import review
from fieldaudit.web.assets import init_assets
from fieldaudit.web.errors import init_error_handlers
from fieldaudit.web.health import init_health
from fieldaudit.web.hosts import init_host_check
from fieldaudit.web.i18n import init_i18n
from fieldaudit.web.labels import init_labels
from fieldaudit.web.query import init_query
from fieldaudit.web.request_log import init_request_log
from fieldaudit.web.security import init_rate_limits, init_request_guards, init_security_headers


def init_web_helpers(app: Flask) -> None:
    """The helpers every blueprint and template shares."""
    init_request_log(app)  # before the host check: its 400 page shows the request id too
    init_host_check(app)  # the first check: nothing builds a URL for an unusable Host
    init_query(app)  # before any route: <int:...> is a bounded id
    login_manager.init_app(app)
    init_i18n(app)
    init_labels(app)
    init_error_handlers(app)
    init_assets(app)
    init_accounts(app)


def register_blueprints(app: Flask) -> None:
    """One blueprint per user-facing area."""
    app.register_blueprint(public)
    app.register_blueprint(review)
    app.register_blueprint(about)
    app.register_blueprint(field)
    app.register_blueprint(api, url_prefix="/api/v1")
    app.register_blueprint(priority_api, url_prefix="/api/v1/priority")
    app.register_blueprint(planning, url_prefix="/planlaegning")
    app.register_blueprint(open311, url_prefix="/open311/v2")
    app.register_blueprint(ogc, url_prefix="/ogc")


def set_up(app: Flask) -> None:
    """Attach everything to a configured app whose database is bound."""
    init_web_helpers(app)
    register_blueprints(app)
    init_security_headers(app)
    init_request_guards(app)  # hardening (issue 8)
    init_rate_limits(app)  # hardening (issue 8): every limit is listed in web/security.py
    register_commands(app)
    init_health(app)  # operations (issue 15): /healthz and /readyz in front of every hook
