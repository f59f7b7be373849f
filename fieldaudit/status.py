"""The words of the review lifecycle with their Danish and English labels: the statuses of
reports and sites, the actions that change them (each one a history entry), and the roles."""

from __future__ import annotations

from fieldaudit.taxonomy import Label, LabelledEnum


class Status(LabelledEnum):
    """The lifecycle of a barrier report and of a barrier site."""

    NEW = "new", "Modtaget", "Received"
    VERIFIED = "verified", "Bekræftet", "Verified"
    REJECTED = "rejected", "Afvist", "Rejected"
    DUPLICATE = "duplicate", "Dublet", "Duplicate"
    PLANNED = "planned", "Planlagt", "Planned"
    FIXED = "fixed", "Udbedret", "Fixed"
    CLOSED = "closed", "Lukket uden handling", "Closed without action"


STATUS_LABELS: dict[Status, Label] = {member: member.label for member in Status}

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


class Action(LabelledEnum):
    """What a history entry records."""

    VERIFY = "verify", "Bekræftet af Handicaprådet", "Verified by the Disability Council"
    REJECT = "reject", "Afvist", "Rejected"
    DUPLICATE = "duplicate", "Markeret som dublet", "Marked as a duplicate"
    MERGED_IN = "merged_in", "En dublet er flettet ind", "A duplicate was merged in"
    CORRECT = "correct", "Oplysninger rettet", "Details corrected"
    NOTE = "note", "Note", "Note"
    HIDE_REPORT = "hide_report", "Rapport skjult", "Report hidden"
    SHOW_REPORT = "show_report", "Rapport vist igen", "Report shown again"
    HIDE_PHOTO = "hide_photo", "Foto skjult", "Photo hidden"
    SHOW_PHOTO = "show_photo", "Foto vist igen", "Photo shown again"
    REDACT_PHOTO = "redact_photo", "Dele af foto sløret", "Parts of a photo blacked out"
    PLAN = "plan", "Udbedring planlagt", "Repair planned"
    FIX = "fix", "Udbedret", "Fixed"
    CLOSE = "close", "Lukket uden handling", "Closed without action"
    REOPEN = "reopen", "Genåbnet", "Reopened"
    SITE_STATUS = "site_status", "Status ændret", "Status changed"
    MERGE_SITE = "merge_site", "Steder lagt sammen", "Sites merged"
    ESTIMATE_COST = "estimate_cost", "Prisoverslag ændret", "Cost estimate changed"


ACTION_LABELS: dict[str, Label] = {member: member.label for member in Action}

# Entries the planning pages wrote before they went through ``site_decisions`` say "planned" /
# "fixed": the same events, so they are read, counted and labelled as plan / fix.
PLAN_ACTIONS = (Action.PLAN.value, "planned")
FIX_ACTIONS = (Action.FIX.value, "fixed")
ACTION_LABELS["planned"] = ACTION_LABELS[Action.PLAN]
ACTION_LABELS["fixed"] = ACTION_LABELS[Action.FIX]


class Role(LabelledEnum):
    """What a user may do."""

    VOLUNTEER = "volunteer", "Frivillig", "Volunteer"
    REVIEWER = "reviewer", "Handicaprådet (bedømmer)", "Reviewer (Disability Council)"
    PLANNER = "planner", "Planlægger", "Planner"
    ADMIN = "admin", "Administrator", "Administrator"


ROLE_LABELS: dict[Role, Label] = {member: member.label for member in Role}
