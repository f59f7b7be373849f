"""Report and site statuses with their Danish and English labels."""

from __future__ import annotations

from enum import StrEnum

from fieldaudit.taxonomy import Label


class Status(StrEnum):
    """The lifecycle of a barrier report and of a barrier site."""

    NEW = "new"
    VERIFIED = "verified"
    REJECTED = "rejected"
    DUPLICATE = "duplicate"
    PLANNED = "planned"
    FIXED = "fixed"
    CLOSED = "closed"


STATUS_LABELS: dict[Status, Label] = {
    Status.NEW: Label("Modtaget", "Received"),
    Status.VERIFIED: Label("Bekræftet", "Verified"),
    Status.REJECTED: Label("Afvist", "Rejected"),
    Status.DUPLICATE: Label("Dublet", "Duplicate"),
    Status.PLANNED: Label("Planlagt", "Planned"),
    Status.FIXED: Label("Udbedret", "Fixed"),
    Status.CLOSED: Label("Lukket uden handling", "Closed without action"),
}

OPEN_STATUSES = frozenset({Status.NEW, Status.VERIFIED, Status.PLANNED})

# What the public sees, decided here once (``lifecycle`` applies it; every public page, feed,
# map, API, export and the zoomed-out map's cell counts follow it):
# sites a reviewer has verified (a new site is under review, a rejected one is no barrier) ...
PUBLIC_SITE_STATUSES = (
    Status.VERIFIED.value,
    Status.PLANNED.value,
    Status.FIXED.value,
    Status.CLOSED.value,
)
# ... and the reports a reviewer has accepted: only their text and photos are public (a
# rejected report shows its status and public reason, a new one nothing but its status).
ACCEPTED_REPORT_STATUSES = frozenset(
    {Status.VERIFIED, Status.DUPLICATE, Status.PLANNED, Status.FIXED, Status.CLOSED}
)


class Role(StrEnum):
    """What a user may do."""

    VOLUNTEER = "volunteer"
    REVIEWER = "reviewer"
    PLANNER = "planner"
    ADMIN = "admin"


ROLE_LABELS: dict[Role, Label] = {
    Role.VOLUNTEER: Label("Frivillig", "Volunteer"),
    Role.REVIEWER: Label("Handicaprådet (bedømmer)", "Reviewer (Disability Council)"),
    Role.PLANNER: Label("Planlægger", "Planner"),
    Role.ADMIN: Label("Administrator", "Administrator"),
}
