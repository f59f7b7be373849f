"""The JSON API under /api/v1."""

from fieldaudit.api.views import api

__all__ = ["api"]
