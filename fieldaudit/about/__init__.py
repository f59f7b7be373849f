"""Information pages that everyone can read: accessibility statement, privacy, help."""

from fieldaudit.about.views import about

__all__ = ["about"]
