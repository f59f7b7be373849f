"""The JSON API under /api/v1: each module adds its routes to the one blueprint."""

# privacy: GET /my/data (hardening, issue 8)
from fieldaudit.api import (  # noqa: F401 (routes)
    network,
    openapi,
    privacy,
    reports,
    service_area,
    site_map,
    sites,
)
from fieldaudit.api.errors import init_error_handlers
from fieldaudit.api.views import api

init_error_handlers(api)

__all__ = ["api"]
