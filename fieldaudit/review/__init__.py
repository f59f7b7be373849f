"""Review for Handicaprådet: the queue, a report's page with every action, sites, statistics."""

from fieldaudit.review.views import bp as review

__all__ = ["review"]
