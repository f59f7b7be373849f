"""OGC API - Features under /ogc (Part 1: Core, GeoJSON, OpenAPI 3.0)."""

from fieldaudit.ogc.views import ogc

__all__ = ["ogc"]
