"""Helpers shared by the web areas (query parameters, languages, labels, assets, errors,
security headers); the blueprints are registered by ``fieldaudit.app_setup``."""
