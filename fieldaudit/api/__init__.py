"""The JSON API under /api/v1: each module adds its routes to the one blueprint."""

# privacy: GET /my/data (hardening, issue 8)
from fieldaudit.api import openapi, privacy, reports, site_map, sites  # noqa: F401 (routes)
from fieldaudit.api.errors import init_error_handlers
from fieldaudit.api.views import api

init_error_handlers(api)

__all__ = ["api"]
