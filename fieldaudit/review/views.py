"""The review area for Handicaprådet, one module per page: the queue (``queue``), a report's page
(``report_page``), its photos (``photos``), a site's page (``site_page``) and the statistics
(``statistics_page``). Importing them registers their routes on ``bp``.

Handlers are thin: load the object (404), check the role (302 to sign in / 403), parse the form,
call the domain (``report_review``, ``site_merge``, ``site_decisions``, ``review_queue``,
``history``), commit once, redirect (Post/Redirect/Get). A form with errors is shown again (422)
with each error next to its field and in a summary.
"""

from __future__ import annotations

from fieldaudit.review import (  # noqa: F401  (the routes register on import)
    photos,
    queue,
    report_page,
    site_page,
    statistics_page,
)
from fieldaudit.review.blueprint import bp

__all__ = ["bp"]
