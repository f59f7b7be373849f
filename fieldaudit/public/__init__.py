"""The public side: the map of Herlev's areas and, later, the public record."""

from fieldaudit.public import route_page  # noqa: F401 (routes: Find en trinfri vej)
from fieldaudit.public.views import public

__all__ = ["public"]
