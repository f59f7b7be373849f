"""Open311 GeoReport v2 under /open311/v2."""

from fieldaudit.open311.views import open311

__all__ = ["open311"]
