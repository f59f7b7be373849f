"""Planners' pages: ranked barrier sites, areas and coverage, plans and fixes, exports."""

from fieldaudit.planning import whatif_page  # noqa: F401 (routes: Hvad hvis)
from fieldaudit.planning.views import planning

__all__ = ["planning"]
