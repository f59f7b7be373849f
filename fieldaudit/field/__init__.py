"""The volunteer's field app: capture (also offline), 'my reports', manifest and service worker."""

from fieldaudit.field.views import field

__all__ = ["field"]
