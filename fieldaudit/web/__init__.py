"""The web layer: one blueprint per user-facing area."""

from flask import Flask

from fieldaudit.web.assets import init_assets
from fieldaudit.web.errors import init_error_handlers
from fieldaudit.web.hosts import init_host_check
from fieldaudit.web.i18n import init_i18n
from fieldaudit.web.query import init_query


def register_blueprints(app: Flask) -> None:
    """Register every blueprint and the shared web helpers on ``app``."""
    from fieldaudit.about import about
    from fieldaudit.accounts import init_accounts
    from fieldaudit.api import api
    from fieldaudit.api.priority import priority_api
    from fieldaudit.authz import login_manager
    from fieldaudit.field import field
    from fieldaudit.ogc import ogc
    from fieldaudit.open311 import open311
    from fieldaudit.planning import planning
    from fieldaudit.public import public
    from fieldaudit.review import review

    init_host_check(app)  # the first hook: nothing builds a URL for an unusable Host
    init_query(app)  # before any route: <int:...> is a bounded id
    login_manager.init_app(app)
    init_i18n(app)
    init_error_handlers(app)
    init_assets(app)
    init_accounts(app)
    app.register_blueprint(public)
    app.register_blueprint(review)
    app.register_blueprint(about)
    app.register_blueprint(field)
    app.register_blueprint(api, url_prefix="/api/v1")
    app.register_blueprint(priority_api, url_prefix="/api/v1/priority")
    app.register_blueprint(planning, url_prefix="/planlaegning")
    app.register_blueprint(open311, url_prefix="/open311/v2")
    app.register_blueprint(ogc, url_prefix="/ogc")
