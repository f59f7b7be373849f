"""Review for Handicaprådet: the queue, a report's page with every action, sites, statistics."""

from fieldaudit.review import report_views  # noqa: F401  (registers the statistics routes)
from fieldaudit.review.views import bp as review

__all__ = ["review"]
