"""Open311 GeoReport v2: FieldAudit's categories as services and its reports as service requests.

No Flask here: the views parse the HTTP request, call these functions and encode the result.
Field names, value types and formats follow http://wiki.open311.org/GeoReport_v2.

What the public sees of a report (at least as strict as ``visibility.report_is_public``):

* hidden reports do not exist (404, never listed);
* unreviewed reports (status ``new``; volunteers' reports stay private until Handicaprådet has
  looked at them) are never listed. Looked up by their id (the answer to a POST) or their
  token, they show only their status, category and dates: no position, text or photo;
* reviewed reports show area, status and, once accepted (verified, duplicate, planned,
  fixed, closed), the exact position, the reporter's description and the first photo that is
  not hidden. A rejected report shows no position, text or photo (the rule of
  ``status.ACCEPTED_REPORT_STATUSES``, as on its public page);
* never the reporter's identity (account, name, e-mail, device) and never internal notes: the
  ``status_notes`` carry the status label and the reason given with the latest *public* status
  change; ``updated_datetime`` is the time of the latest public history entry.

Reports follow their site's status when a planner decides (the lifecycle records that on the
report); a verified report whose site was planned, fixed or closed by other means shows the
site's status all the same.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fieldaudit import params
from fieldaudit.problems import message
from fieldaudit.status import ACCEPTED_REPORT_STATUSES, OPEN_STATUSES, Status
from fieldaudit.taxonomy import (
    Label,
)

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
JURISDICTION_ID = "herlev.dk"
AGENCY = Label("Herlev Kommune", "Herlev Municipality")
# Herlev Kommune lies inside postal district 2730 Herlev (which is larger than it), so a point
# inside the municipal boundary is in 2730. Reports may lie up to the boundary tolerance
# outside it, where another district may begin (2740, 2750, 2860, ...): those get no zipcode.
ZIPCODE = 2730
LOCAL_TIME = ZoneInfo("Europe/Copenhagen")
# "Default query limit is a span of 90 days or first 1000 requests returned, whichever is
# smallest"; a start_date/end_date range "may not span more than 90 days".
WINDOW = timedelta(days=90)
MAX_REQUESTS = 1000
MAX_IDS = 1000
# Bumped when the services or their definitions change (Service Discovery "changeset").
SERVICES_CHANGESET = "2026-11-23 16:00"

LANGUAGES = ("da", "en")

# Statuses whose reports a reviewer has accepted: their text and photos are public.
ACCEPTED_STATUSES = ACCEPTED_REPORT_STATUSES
# A verified report takes the state of its site once the site has moved on.
SITE_OVERRIDES = (Status.PLANNED.value, Status.FIXED.value, Status.CLOSED.value)

OPEN_VALUES = tuple(s.value for s in OPEN_STATUSES)
CLOSED_VALUES = tuple(s.value for s in Status if s not in OPEN_STATUSES)

# XML element names of list items (the JSON form is the same structure, Spark convention).
LIST_ITEMS = {
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
}


@dataclass(frozen=True)
class ServiceGroup:
    """A group of services (Open311 ``group``)."""

    code: str
    label: Label
    categories: tuple[str, ...]


SERVICE_GROUPS: tuple[ServiceGroup, ...] = (
    ServiceGroup(
        "access",
        Label("Niveauforskelle og adgang", "Level differences and access"),
        ("step", "missing_ramp", "steep_ramp", "missing_handrail", "kerb", "heavy_door"),
    ),
    ServiceGroup(
        "passage",
        Label("Passage og belægning", "Passage and surface"),
        ("narrow_passage", "surface", "obstacle"),
    ),
    ServiceGroup(
        "facilities", Label("Faciliteter", "Facilities"), ("toilet", "parking", "benches")
    ),
    ServiceGroup(
        "orientation",
        Label("Syn og orientering", "Sight and orientation"),
        ("tactile", "contrast", "lighting", "crossing_signal"),
    ),
    ServiceGroup(
        "information",
        Label("Hørelse, skilte og information", "Hearing, signs and information"),
        ("induction_loop", "signage", "easy_read"),
    ),
    ServiceGroup("other", Label("Andet", "Other"), ("other",)),
)
GROUP_OF_CATEGORY = {code: g for g in SERVICE_GROUPS for code in g.categories}


class Open311Error(Exception):
    """A request that cannot be answered: an HTTP status and one or more descriptions."""

    def __init__(self, status: int, *descriptions: str) -> None:
        self.status = status
        self.descriptions = list(descriptions)
        super().__init__("; ".join(descriptions))

    def as_list(self) -> list[dict[str, Any]]:
        """The Open311 error body: ``[{"code": ..., "description": ...}, ...]``."""
        return [{"code": self.status, "description": d} for d in self.descriptions]


def text_in(lang: str, da: str, en: str) -> str:
    return Label(da, en).get(lang)


def language(value: str | None) -> str:
    """The language asked for with ``lang``/``locale`` ('en', 'en-GB', 'da_DK', ...); Danish by default."""
    if not value:
        return "da"
    primary = re.split(r"[-_]", value.strip().lower(), maxsplit=1)[0]
    return primary if primary in LANGUAGES else "da"


def check_jurisdiction(value: str | None, lang: str) -> None:
    """This endpoint serves one jurisdiction: any other ``jurisdiction_id`` is not found (404)."""
    if value and value.strip().lower() != JURISDICTION_ID:
        raise Open311Error(
            404,
            message("open311_unknown_jurisdiction", value=value, jurisdiction=JURISDICTION_ID).get(
                lang
            ),
        )


# -- dates ----------------------------------------------------------------------------------


def w3_datetime(moment: datetime) -> str:
    """Format a datetime in the W3C profile of ISO 8601 with the Danish UTC offset."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(LOCAL_TIME).isoformat(timespec="seconds")


def parse_w3_datetime(value: str) -> datetime | None:
    """Parse a W3C/ISO 8601 date and time with a time zone (Z or ±hh:mm); None if it is not one.

    A '+' sent unencoded in a query string arrives as a space; it is read back as '+'. The year
    is bounded (``params.MIN_YEAR`` to ``params.MAX_YEAR``), so the 90-day window stays in range.
    """
    return params.utc_datetime(value)
