"""The words of the review lifecycle with their Danish and English labels: the statuses of
reports and sites, the actions that change them (each one a history entry), and the roles."""

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

# What the public sees, decided here once (``visibility`` applies it; every public page, feed,
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


# A site's verified (or later) reports take the status a planner gives the site; a site with one
# of them is verified (``report_review.derived_status``).
REPORTS_FOLLOW_SITE = frozenset(
    {Status.VERIFIED.value, Status.PLANNED.value, Status.FIXED.value, Status.CLOSED.value}
)
# Statuses only a planner gives a site; review actions no longer change them.
PLANNER_SITE_STATUSES = frozenset({Status.PLANNED.value, Status.FIXED.value, Status.CLOSED.value})


class Action(StrEnum):
    """What a history entry records."""

    VERIFY = "verify"
    REJECT = "reject"
    DUPLICATE = "duplicate"
    MERGED_IN = "merged_in"
    CORRECT = "correct"
    NOTE = "note"
    HIDE_REPORT = "hide_report"
    SHOW_REPORT = "show_report"
    HIDE_PHOTO = "hide_photo"
    SHOW_PHOTO = "show_photo"
    REDACT_PHOTO = "redact_photo"
    PLAN = "plan"
    FIX = "fix"
    CLOSE = "close"
    REOPEN = "reopen"
    SITE_STATUS = "site_status"
    MERGE_SITE = "merge_site"
    ESTIMATE_COST = "estimate_cost"


ACTION_LABELS: dict[str, Label] = {
    Action.VERIFY: Label("Bekræftet af Handicaprådet", "Verified by the Disability Council"),
    Action.REJECT: Label("Afvist", "Rejected"),
    Action.DUPLICATE: Label("Markeret som dublet", "Marked as a duplicate"),
    Action.MERGED_IN: Label("En dublet er flettet ind", "A duplicate was merged in"),
    Action.CORRECT: Label("Oplysninger rettet", "Details corrected"),
    Action.NOTE: Label("Note", "Note"),
    Action.HIDE_REPORT: Label("Rapport skjult", "Report hidden"),
    Action.SHOW_REPORT: Label("Rapport vist igen", "Report shown again"),
    Action.HIDE_PHOTO: Label("Foto skjult", "Photo hidden"),
    Action.SHOW_PHOTO: Label("Foto vist igen", "Photo shown again"),
    Action.REDACT_PHOTO: Label("Dele af foto sløret", "Parts of a photo blacked out"),
    Action.PLAN: Label("Udbedring planlagt", "Repair planned"),
    Action.FIX: Label("Udbedret", "Fixed"),
    Action.CLOSE: Label("Lukket uden handling", "Closed without action"),
    Action.REOPEN: Label("Genåbnet", "Reopened"),
    Action.SITE_STATUS: Label("Status ændret", "Status changed"),
    Action.MERGE_SITE: Label("Steder lagt sammen", "Sites merged"),
    Action.ESTIMATE_COST: Label("Prisoverslag ændret", "Cost estimate changed"),
}

# Entries the planning pages wrote before they went through ``site_decisions`` say "planned" /
# "fixed": the same events, so they are read, counted and labelled as plan / fix.
PLAN_ACTIONS = (Action.PLAN.value, "planned")
FIX_ACTIONS = (Action.FIX.value, "fixed")
ACTION_LABELS["planned"] = ACTION_LABELS[Action.PLAN]
ACTION_LABELS["fixed"] = ACTION_LABELS[Action.FIX]


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
