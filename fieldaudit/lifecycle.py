"""The review lifecycle of reports and sites: who may change what, and the history of every change.

Reports::

    new ──verify──> verified ──(follows its site)──> planned ──> fixed
     │                 │                                 └────> closed (without action)
     ├──reject (reason)──> rejected ──verify──> verified
     └──duplicate (of a site)──> duplicate: the report moves into that site

Sites (the barrier in one place, merged from reports)::

    new ──(a reviewer verifies one of its reports)──> verified
    verified ──plan (year, optional cost)──> planned ──fix──> fixed
    verified/planned ──fix──> fixed;  verified/planned ──close (reason)──> closed
    fixed/closed ──reopen (reason)──> verified

How a site's status derives from its reports while no planner has decided on it (status new,
verified, rejected or duplicate), re-evaluated after every review action on one of its reports:

* **verified** as soon as one of its reports is verified (or planned/fixed/closed);
* otherwise **new** while any report is new (waiting for review) or merged in as a duplicate;
* **rejected** when every report it holds is rejected;
* **duplicate** when it holds no report any more (all were merged into other sites or moved
  by a category correction); ``status_reason`` and the history say where they went.

Once a planner has planned, fixed or closed a site, review actions no longer change its status.
When a planner changes a site's status, its reports that are verified, planned, fixed or
closed take the same status, so a reporter following a report sees what happens to the barrier.

Roles: reviewers (Handicaprådet) verify, reject, merge duplicates, correct category / severity /
groups / tags, write notes, hide reports and photos and black out parts of photos; planners plan,
fix, close and reopen sites and write notes on sites; administrators may do everything.

Every change is one ``HistoryEntry`` (who, when, action, before, after, reason, public). Entries
with ``public=False`` (internal notes, hiding, redactions) never reach a public page.

What the public sees (``report_is_public`` and friends, from ``status.PUBLIC_SITE_STATUSES`` and
``status.ACCEPTED_REPORT_STATUSES``): sites a reviewer has verified (verified, planned, fixed,
closed); reports that are reviewed (not new) and not hidden, but of a rejected report only its
category, area, date, status and public reason (``report_content_is_public``: text and photos
only of accepted reports); photos that are not hidden, of accepted reports. A new site is seen
only by whoever reported it (``own_unreviewed_site_ids``, ``visible_site_clause``). A site not
confirmed for four years needs a new look.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any

from geoalchemy2.shape import to_shape
from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session

from fieldaudit import redaction
from fieldaudit.errors import ConflictError, DomainError, Problem, ValidationError
from fieldaudit.models import BarrierReport, BarrierSite, HistoryEntry, Photo, User
from fieldaudit.plain_text import clean_text
from fieldaudit.priority import score_site
from fieldaudit.sites import coordinates, join_site, refresh_site
from fieldaudit.spatial import backend
from fieldaudit.status import (
    ACCEPTED_REPORT_STATUSES,
    OPEN_STATUSES,
    PUBLIC_SITE_STATUSES,
    Role,
    Status,
)
from fieldaudit.taxonomy import Group, Label, Severity, category, tags_for

NEW_LOOK_AFTER = timedelta(days=4 * 365 + 1)
MAX_TEXT = 4000
MIN_REASON = 3
DUPLICATE_SEARCH_M = 60.0
OWN_SITES_LIMIT = 500


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
}

# Entries the planning pages wrote before they went through this module say "planned" /
# "fixed": the same events, so they are read, counted and labelled as plan / fix.
PLAN_ACTIONS = (Action.PLAN.value, "planned")
FIX_ACTIONS = (Action.FIX.value, "fixed")
ACTION_LABELS["planned"] = ACTION_LABELS[Action.PLAN]
ACTION_LABELS["fixed"] = ACTION_LABELS[Action.FIX]

REVIEWERS = frozenset({Role.REVIEWER, Role.ADMIN})
PLANNERS = frozenset({Role.PLANNER, Role.ADMIN})
STAFF = REVIEWERS | PLANNERS

ACTION_ROLES: dict[Action, frozenset[Role]] = {
    Action.VERIFY: REVIEWERS,
    Action.REJECT: REVIEWERS,
    Action.DUPLICATE: REVIEWERS,
    Action.CORRECT: REVIEWERS,
    Action.NOTE: REVIEWERS,
    Action.HIDE_REPORT: REVIEWERS,
    Action.SHOW_REPORT: REVIEWERS,
    Action.HIDE_PHOTO: REVIEWERS,
    Action.SHOW_PHOTO: REVIEWERS,
    Action.REDACT_PHOTO: REVIEWERS,
    Action.PLAN: PLANNERS,
    Action.FIX: PLANNERS,
    Action.CLOSE: PLANNERS,
    Action.REOPEN: PLANNERS,
}
SITE_NOTE_ROLES = STAFF

ACCEPTED_REPORT_VALUES = tuple(sorted(s.value for s in ACCEPTED_REPORT_STATUSES))
PLANNER_SITE_STATUSES = frozenset({Status.PLANNED.value, Status.FIXED.value, Status.CLOSED.value})
REPORTS_FOLLOW_SITE = frozenset(
    {Status.VERIFIED.value, Status.PLANNED.value, Status.FIXED.value, Status.CLOSED.value}
)


class PermissionDenied(DomainError):
    """The acting user's role may not do this (HTTP 403)."""

    status = 403


def _now(now: datetime | None) -> datetime:
    return (now or datetime.now(UTC)).astimezone(UTC)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _problem(field_name: str, code: str, da: str, en: str) -> Problem:
    return Problem(field_name, code, Label(da, en))


INVALID_COST = _problem(
    "cost",
    "invalid_cost",
    "Prisoverslaget skal være et helt antal kroner fra 0.",
    "The cost estimate must be a whole number of kroner from 0.",
)


def role_of(user: User | None) -> Role | None:
    """The role of an active user, or None."""
    if user is None or not getattr(user, "active", False):
        return None
    try:
        return Role(user.role)
    except ValueError:
        return None


def may(user: User | None, action: Action) -> bool:
    """Tell whether ``user`` may perform ``action``."""
    return role_of(user) in ACTION_ROLES.get(action, frozenset())


def may_note_site(user: User | None) -> bool:
    """Tell whether ``user`` may write notes on a site."""
    return role_of(user) in SITE_NOTE_ROLES


def _require(user: User | None, action: Action) -> None:
    if not may(user, action):
        raise PermissionDenied(
            _problem(
                "",
                "not_allowed",
                "Din rolle må ikke gøre dette.",
                "Your role may not do this.",
            )
        )


def _wrong_status(current: str) -> ConflictError:
    return ConflictError(
        _problem(
            "status",
            "wrong_status",
            f"Det kan ikke lade sig gøre, når status er '{current}'.",
            f"This is not possible while the status is '{current}'.",
        )
    )


def _text(value: str, field_name: str, required: bool) -> str:
    """A reason or note as stored: control characters stripped (people type and paste these;
    see ``plain_text``), trimmed, and checked for length."""
    text = clean_text(value or "").strip()
    if required and len(text) < MIN_REASON:
        raise ValidationError(
            _problem(
                field_name,
                "reason_required",
                "Skriv en begrundelse.",
                "Write a reason.",
            )
        )
    if len(text) > MAX_TEXT:
        raise ValidationError(
            _problem(
                field_name,
                "text_too_long",
                f"Højst {MAX_TEXT} tegn.",
                f"At most {MAX_TEXT} characters.",
            )
        )
    return text


def record(
    session: Session,
    action: Action,
    actor: User | None,
    *,
    report: BarrierReport | None = None,
    site: BarrierSite | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str = "",
    public: bool = True,
    now: datetime | None = None,
) -> HistoryEntry:
    """Add one history entry (flushes)."""
    entry = HistoryEntry(
        report_id=report.id if report is not None else None,
        site_id=site.id if site is not None else None,
        actor_id=actor.id if actor is not None else None,
        action=action.value,
        before=before or {},
        after=after or {},
        reason=reason,
        public=public,
        created_at=_now(now),
    )
    session.add(entry)
    session.flush()
    return entry


# --- sites follow their reports ---------------------------------------------------------------


def derived_status(statuses: list[str]) -> str:
    """The status a site takes from its reports' statuses (see the module docstring)."""
    if any(s in REPORTS_FOLLOW_SITE for s in statuses):
        return Status.VERIFIED.value
    if any(s in (Status.NEW.value, Status.DUPLICATE.value) for s in statuses):
        return Status.NEW.value
    if statuses:
        return Status.REJECTED.value
    return Status.DUPLICATE.value


def update_site_status(
    session: Session,
    site: BarrierSite,
    actor: User | None,
    now: datetime | None = None,
    moved_to: BarrierSite | None = None,
) -> HistoryEntry | None:
    """Re-derive a site's status from its reports (unless a planner has decided); log a change."""
    refresh_site(session, site)
    if site.status in PLANNER_SITE_STATUSES:
        return None
    statuses = list(
        session.scalars(select(BarrierReport.status).where(BarrierReport.site_id == site.id))
    )
    status = derived_status(statuses)
    if status == site.status:
        return None
    before = {"status": site.status}
    site.status = status
    score_site(session, site, now=now)  # a rejected or duplicate site no longer ranks
    after: dict[str, Any] = {"status": status}
    if status == Status.DUPLICATE.value and moved_to is not None:
        site.status_reason = f"#{moved_to.id}"
        after["merged_into"] = moved_to.id
    return record(
        session,
        Action.SITE_STATUS,
        actor,
        site=site,
        before=before,
        after=after,
        public=status in PUBLIC_SITE_STATUSES or before["status"] in PUBLIC_SITE_STATUSES,
        now=now,
    )


def merged_into(session: Session, site: BarrierSite) -> int | None:
    """The site a (now empty) site's reports were merged into, if it was merged."""
    if site.status != Status.DUPLICATE.value:
        return None
    entries = session.scalars(
        select(HistoryEntry)
        .where(HistoryEntry.site_id == site.id, HistoryEntry.action == Action.SITE_STATUS.value)
        .order_by(HistoryEntry.created_at.desc(), HistoryEntry.id.desc())
    )
    for entry in entries:
        target = (entry.after or {}).get("merged_into")
        if isinstance(target, int):
            return target
    return None


# --- review of reports ------------------------------------------------------------------------


def verify_report(
    session: Session,
    report: BarrierReport,
    actor: User,
    note: str = "",
    now: datetime | None = None,
) -> HistoryEntry:
    """A reviewer confirms the barrier exists as reported; its site becomes verified."""
    _require(actor, Action.VERIFY)
    note = _text(note, "note", required=False)
    if report.status not in (Status.NEW.value, Status.REJECTED.value):
        raise _wrong_status(report.status)
    before = {"status": report.status}
    report.status = Status.VERIFIED.value
    report.status_reason = ""
    entry = record(
        session,
        Action.VERIFY,
        actor,
        report=report,
        site=report.site,
        before=before,
        after={"status": report.status},
        reason=note,
        now=now,
    )
    if report.site is not None:
        update_site_status(session, report.site, actor, now)
    return entry


def reject_report(
    session: Session, report: BarrierReport, actor: User, reason: str, now: datetime | None = None
) -> HistoryEntry:
    """A reviewer rejects a report, with a reason that is shown publicly."""
    _require(actor, Action.REJECT)
    reason = _text(reason, "reason", required=True)
    if report.status not in (Status.NEW.value, Status.VERIFIED.value):
        raise _wrong_status(report.status)
    before = {"status": report.status}
    report.status = Status.REJECTED.value
    report.status_reason = reason
    entry = record(
        session,
        Action.REJECT,
        actor,
        report=report,
        site=report.site,
        before=before,
        after={"status": report.status},
        reason=reason,
        now=now,
    )
    if report.site is not None:
        update_site_status(session, report.site, actor, now)
    return entry


def mark_duplicate(
    session: Session,
    report: BarrierReport,
    actor: User,
    target: BarrierSite | None,
    reason: str = "",
    now: datetime | None = None,
) -> HistoryEntry:
    """Merge a report into the site it duplicates: it moves there, both sites are refreshed."""
    _require(actor, Action.DUPLICATE)
    reason = _text(reason, "reason", required=False)
    if report.status not in (Status.NEW.value, Status.VERIFIED.value):
        raise _wrong_status(report.status)
    if target is None or target.id == report.site_id:
        raise ValidationError(
            _problem(
                "site_id",
                "duplicate_target",
                "Vælg et andet sted, som rapporten er en dublet af.",
                "Choose another site that the report duplicates.",
            )
        )
    if target.status in (Status.DUPLICATE.value, Status.REJECTED.value):
        raise ValidationError(
            _problem(
                "site_id",
                "duplicate_target_closed",
                "Det valgte sted er selv afvist eller en dublet.",
                "The chosen site is itself rejected or a duplicate.",
            )
        )
    old_site = report.site
    before = {"status": report.status, "site_id": report.site_id}
    report.status = Status.DUPLICATE.value
    report.status_reason = reason
    report.duplicate_of_site_id = target.id
    report.site = target
    session.flush()
    entry = record(
        session,
        Action.DUPLICATE,
        actor,
        report=report,
        site=target,
        before=before,
        after={"status": report.status, "site_id": target.id},
        reason=reason,
        now=now,
    )
    record(
        session,
        Action.MERGED_IN,
        actor,
        site=target,
        before={"report_count": target.report_count},
        after={"report_id": report.id, "from_site_id": old_site.id if old_site else None},
        public=True,
        now=now,
    )
    update_site_status(session, target, actor, now)
    if old_site is not None:
        update_site_status(session, old_site, actor, now, moved_to=target)
    return entry


def _checked_correction(
    report: BarrierReport,
    category_code: str | None,
    severity: str | None,
    groups: list[str] | None,
    tags: list[str] | None,
) -> dict[str, Any]:
    problems: list[Problem] = []
    new_category = category_code if category_code is not None else report.category
    cat = category(new_category)
    if cat is None:
        problems.append(
            _problem(
                "category",
                "unknown_category",
                "Vælg en kendt kategori.",
                "Choose a known category.",
            )
        )
    if severity is not None and severity not in {s.value for s in Severity}:
        problems.append(
            _problem(
                "severity",
                "invalid_severity",
                "Alvor skal være lav, middel eller høj.",
                "Severity must be low, medium or high.",
            )
        )
    if groups is not None and (not groups or not set(groups) <= {g.value for g in Group}):
        problems.append(
            _problem(
                "groups",
                "unknown_group",
                "Vælg mindst én kendt målgruppe.",
                "Choose at least one known group.",
            )
        )
    new_tags = tags if tags is not None else list(report.tags or [])
    if cat is not None and not set(new_tags) <= {t.code for t in tags_for(cat)}:
        problems.append(
            _problem(
                "tags",
                "unknown_tag",
                "Et mærke passer ikke til kategorien.",
                "A tag does not fit the category.",
            )
        )
    if problems:
        raise ValidationError(problems)
    assert cat is not None
    wanted: dict[str, Any] = {
        "category": cat.code,
        "severity": severity if severity is not None else report.severity,
        "groups": sorted(set(groups)) if groups is not None else list(report.groups or []),
        "tags": sorted(set(new_tags)),
    }
    if cat.code != report.category:
        wanted["measurements"] = {
            key: value
            for key, value in (report.measurements or {}).items()
            if cat.measurement(key) is not None
        }
    return wanted


def correct_report(
    session: Session,
    report: BarrierReport,
    actor: User,
    *,
    category_code: str | None = None,
    severity: str | None = None,
    groups: list[str] | None = None,
    tags: list[str] | None = None,
    reason: str = "",
    now: datetime | None = None,
) -> HistoryEntry | None:
    """Correct category, severity, groups or tags, keeping before and after; None if unchanged.

    A new category moves the report into a site of that category (the old site is refreshed).
    """
    _require(actor, Action.CORRECT)
    reason = _text(reason, "reason", required=False)
    wanted = _checked_correction(report, category_code, severity, groups, tags)
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for key, value in wanted.items():
        current = getattr(report, key)
        current = list(current or []) if key in ("groups", "tags") else current
        if key in ("groups", "tags"):
            current = sorted(current)
        if current != value:
            before[key], after[key] = current, value
    if not after:
        return None
    old_site = report.site
    for key, value in after.items():
        setattr(report, key, value)
    session.flush()
    entry = record(
        session,
        Action.CORRECT,
        actor,
        report=report,
        site=old_site,
        before=before,
        after=after,
        reason=reason,
        now=now,
    )
    if "category" in after and old_site is not None:
        report.site = None
        session.flush()
        ((_, x, y),) = coordinates(session, BarrierReport.geom, BarrierReport.id == report.id)
        new_site = join_site(session, report, x, y)
        entry.after = {**after, "site_id": new_site.id}
        entry.before = {**before, "site_id": old_site.id}
        update_site_status(session, new_site, actor, now)
        update_site_status(session, old_site, actor, now, moved_to=new_site)
    elif old_site is not None:
        update_site_status(session, old_site, actor, now)
    session.flush()
    return entry


def add_note(
    session: Session,
    actor: User,
    text: str,
    public: bool,
    report: BarrierReport | None = None,
    site: BarrierSite | None = None,
    now: datetime | None = None,
) -> HistoryEntry:
    """An internal note (staff only) or a public note on a report or a site."""
    if report is not None:
        _require(actor, Action.NOTE)
    elif site is None or not may_note_site(actor):
        raise PermissionDenied(
            _problem(
                "", "not_allowed", "Din rolle må ikke gøre dette.", "Your role may not do this."
            )
        )
    text = _text(text, "text", required=True)
    return record(
        session,
        Action.NOTE,
        actor,
        report=report,
        site=site if report is None else report.site,
        reason=text,
        public=public,
        now=now,
    )


def set_report_hidden(
    session: Session,
    report: BarrierReport,
    actor: User,
    hidden: bool,
    reason: str = "",
    now: datetime | None = None,
) -> HistoryEntry | None:
    """Hide a report from the public (or show it again); the reason stays internal."""
    _require(actor, Action.HIDE_REPORT if hidden else Action.SHOW_REPORT)
    reason = _text(reason, "reason", required=False)
    if report.hidden == hidden:
        return None
    report.hidden = hidden
    return record(
        session,
        Action.HIDE_REPORT if hidden else Action.SHOW_REPORT,
        actor,
        report=report,
        before={"hidden": not hidden},
        after={"hidden": hidden},
        reason=reason,
        public=False,
        now=now,
    )


def set_photo_hidden(
    session: Session,
    photo: Photo,
    actor: User,
    hidden: bool,
    reason: str = "",
    now: datetime | None = None,
) -> HistoryEntry | None:
    """Hide a photo from the public (or show it again); the reason stays internal."""
    _require(actor, Action.HIDE_PHOTO if hidden else Action.SHOW_PHOTO)
    reason = _text(reason, "reason", required=False)
    if photo.hidden == hidden:
        return None
    photo.hidden = hidden
    return record(
        session,
        Action.HIDE_PHOTO if hidden else Action.SHOW_PHOTO,
        actor,
        report=photo.report,
        before={"photo_id": photo.id, "hidden": not hidden},
        after={"photo_id": photo.id, "hidden": hidden},
        reason=reason,
        public=False,
        now=now,
    )


def redact_photo(
    session: Session,
    photo: Photo,
    actor: User,
    boxes: list[redaction.Box],
    media_dir: str | Path,
    private_dir: str | Path,
    reason: str = "",
    now: datetime | None = None,
) -> redaction.RedactionResult:
    """Black out rectangles of a photo; keep the original privately (flushes, caller commits).

    After the commit the caller calls ``redaction.discard_obsolete(result)``; after a failed
    transaction ``redaction.discard_new(media_dir, result)``.
    """
    _require(actor, Action.REDACT_PHOTO)
    reason = _text(reason, "reason", required=False)
    others = session.execute(
        select(Photo.display_name, Photo.thumb_name).where(Photo.id != photo.id)
    ).all()
    shared = frozenset(
        name
        for display, thumb in others
        for name in (display, thumb)
        if name in (photo.display_name, photo.thumb_name)
    )
    result = redaction.redact_files(
        media_dir,
        private_dir,
        photo.display_name,
        photo.thumb_name,
        boxes,
        photo.original_name,
        shared,
    )
    before = {"photo_id": photo.id, "display_name": photo.display_name}
    photo.display_name = result.display_name
    photo.thumb_name = result.thumb_name
    photo.original_name = result.original_name
    photo.redacted = True
    record(
        session,
        Action.REDACT_PHOTO,
        actor,
        report=photo.report,
        before=before,
        after={
            "photo_id": photo.id,
            "display_name": result.display_name,
            "boxes": [b.as_dict() for b in boxes],
        },
        reason=reason,
        public=False,
        now=now,
    )
    return result


# --- planners' decisions on sites --------------------------------------------------------------


@dataclass(frozen=True)
class SiteDecision:
    """A planner's decision on a site: the status it gives, from which statuses, and its text."""

    status: Status
    allowed_from: frozenset[str]
    text_field: str
    text_required: bool


OPEN_FOR_DECISION = frozenset({Status.VERIFIED.value, Status.PLANNED.value})
SITE_DECISIONS: dict[Action, SiteDecision] = {
    Action.PLAN: SiteDecision(Status.PLANNED, OPEN_FOR_DECISION, "note", False),
    Action.FIX: SiteDecision(Status.FIXED, OPEN_FOR_DECISION, "note", False),
    Action.CLOSE: SiteDecision(Status.CLOSED, OPEN_FOR_DECISION, "reason", True),
    Action.REOPEN: SiteDecision(
        Status.VERIFIED, frozenset({Status.FIXED.value, Status.CLOSED.value}), "reason", True
    ),
}


def _site_decision(
    session: Session,
    site: BarrierSite,
    actor: User,
    action: Action,
    text: str,
    before_extra: dict[str, Any] | None = None,
    after_extra: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> HistoryEntry:
    """Apply one of ``SITE_DECISIONS``; the site's verified (or later) reports follow it."""
    decision = SITE_DECISIONS[action]
    _require(actor, action)
    reason = _text(text, decision.text_field, required=decision.text_required)
    if site.status not in decision.allowed_from:
        raise _wrong_status(site.status)
    before = {"status": site.status, **(before_extra or {})}
    follow = decision.status.value
    site.status = follow
    site.status_reason = reason
    entry = record(
        session,
        action,
        actor,
        site=site,
        before=before,
        after={"status": follow, **(after_extra or {})},
        reason=reason,
        now=now,
    )
    for report in session.scalars(
        select(BarrierReport).where(
            BarrierReport.site_id == site.id,
            BarrierReport.status.in_(REPORTS_FOLLOW_SITE),
            BarrierReport.status != follow,
        )
    ):
        previous = report.status
        report.status = follow
        report.status_reason = reason
        record(
            session,
            Action.SITE_STATUS,
            actor,
            report=report,
            site=site,
            before={"status": previous},
            after={"status": follow},
            reason=reason,
            now=now,
        )
    score_site(session, site, now=now)
    session.flush()
    return entry


def plan_site(
    session: Session,
    site: BarrierSite,
    actor: User,
    year: int | None,
    cost_dkk: int | None = None,
    note: str = "",
    now: datetime | None = None,
) -> HistoryEntry:
    """A planner plans the repair of a verified site for a year, with an optional cost estimate."""
    _require(actor, Action.PLAN)
    moment = _now(now)
    problems = []
    if year is None or not moment.year - 1 <= year <= moment.year + 30:
        problems.append(
            _problem(
                "year",
                "invalid_year",
                f"Skriv et årstal fra {moment.year - 1} til {moment.year + 30}.",
                f"Enter a year from {moment.year - 1} to {moment.year + 30}.",
            )
        )
    if cost_dkk is not None and not 0 <= cost_dkk <= 1_000_000_000:
        problems.append(INVALID_COST)
    if problems:
        raise ValidationError(problems)
    entry = _site_decision(
        session,
        site,
        actor,
        Action.PLAN,
        note,
        {"planned_year": site.planned_year, "planned_cost_dkk": site.planned_cost_dkk},
        {"planned_year": year, "planned_cost_dkk": cost_dkk},
        now,
    )
    site.planned_year = year
    site.planned_cost_dkk = cost_dkk
    session.flush()
    return entry


def fix_site(
    session: Session, site: BarrierSite, actor: User, note: str = "", now: datetime | None = None
) -> HistoryEntry:
    """A planner marks a verified or planned site as fixed."""
    return _site_decision(session, site, actor, Action.FIX, note, now=now)


def close_site(
    session: Session, site: BarrierSite, actor: User, reason: str, now: datetime | None = None
) -> HistoryEntry:
    """A planner closes a site without action, with a reason that is shown publicly."""
    return _site_decision(session, site, actor, Action.CLOSE, reason, now=now)


def reopen_site(
    session: Session, site: BarrierSite, actor: User, reason: str, now: datetime | None = None
) -> HistoryEntry:
    """A planner reopens a fixed or closed site (for example: it is still there)."""
    return _site_decision(session, site, actor, Action.REOPEN, reason, now=now)


def site_actions(site: BarrierSite) -> list[Action]:
    """The planners' actions possible on a site in its present status."""
    return [action for action, rule in SITE_DECISIONS.items() if site.status in rule.allowed_from]


# --- what the public sees ----------------------------------------------------------------------


def needs_new_look(site: BarrierSite, now: datetime | None = None) -> bool:
    """An open site nobody has confirmed (or reported) for four years needs a new look."""
    if site.status in (Status.FIXED.value, Status.CLOSED.value):
        return False
    if site.status not in (Status.NEW.value, Status.VERIFIED.value, Status.PLANNED.value):
        return False
    return _aware(site.last_seen) < _now(now) - NEW_LOOK_AFTER


def new_look_before(now: datetime | None = None) -> datetime:
    """Sites last seen before this moment need a new look."""
    return _now(now) - NEW_LOOK_AFTER


def report_is_public(report: BarrierReport) -> bool:
    """A report is public once reviewed, unless hidden."""
    return not report.hidden and report.status != Status.NEW.value


def public_report_clause() -> ColumnElement[bool]:
    """SQL condition: the report is public."""
    return and_(BarrierReport.hidden.is_(False), BarrierReport.status != Status.NEW.value)


def report_content_is_public(report: BarrierReport) -> bool:
    """A report's text and photos are public once a reviewer has accepted it (not rejected)."""
    return report_is_public(report) and report.status in ACCEPTED_REPORT_VALUES


def public_report_content_clause() -> ColumnElement[bool]:
    """SQL condition: the report's text and photos are public."""
    return and_(BarrierReport.hidden.is_(False), BarrierReport.status.in_(ACCEPTED_REPORT_VALUES))


def site_is_public(site: BarrierSite) -> bool:
    """A site is public once a reviewer has verified it."""
    return site.status in PUBLIC_SITE_STATUSES


def public_site_clause() -> ColumnElement[bool]:
    """SQL condition: the site is public."""
    return BarrierSite.status.in_(PUBLIC_SITE_STATUSES)


def own_unreviewed_site_ids(
    session: Session, reporter_id: int | None, device_token_hash: str | None
) -> list[int]:
    """The sites under review (new) holding a report of this account or device: what its
    reporter sees on the maps beside the public sites (nobody else does)."""
    owners = []
    if reporter_id is not None:
        owners.append(BarrierReport.reporter_id == reporter_id)
    if device_token_hash:
        owners.append(BarrierReport.device_token_hash == device_token_hash)
    if not owners:
        return []
    return list(
        session.scalars(
            select(BarrierSite.id)
            .join(BarrierReport, BarrierReport.site_id == BarrierSite.id)
            .where(or_(*owners), BarrierSite.status == Status.NEW.value)
            .distinct()
            .order_by(BarrierSite.id)
            .limit(OWN_SITES_LIMIT)
        )
    )


def visible_site_clause(own_site_ids: Sequence[int] = ()) -> ColumnElement[bool]:
    """SQL condition: the site is public, or one of the asker's own sites under review."""
    if not own_site_ids:
        return public_site_clause()
    return or_(public_site_clause(), BarrierSite.id.in_(list(own_site_ids)))


def photo_is_public(photo: Photo) -> bool:
    """A photo is public when it is not hidden and its report was accepted by a reviewer."""
    return not photo.hidden and report_content_is_public(photo.report)


def public_history(
    session: Session, report_ids: list[int], site_ids: list[int]
) -> list[HistoryEntry]:
    """The public entries of reports and sites, oldest first."""
    if not report_ids and not site_ids:
        return []
    conditions = []
    if report_ids:
        conditions.append(HistoryEntry.report_id.in_(report_ids))
    if site_ids:
        conditions.append(
            and_(HistoryEntry.site_id.in_(site_ids), HistoryEntry.report_id.is_(None))
        )
    return list(
        session.scalars(
            select(HistoryEntry)
            .where(HistoryEntry.public.is_(True), or_(*conditions))
            .order_by(HistoryEntry.created_at, HistoryEntry.id)
        )
    )


def full_history(session: Session, report: BarrierReport) -> list[HistoryEntry]:
    """Every entry of a report and of its site (for reviewers), oldest first."""
    condition = HistoryEntry.report_id == report.id
    if report.site_id is not None:
        condition = or_(
            condition,
            and_(HistoryEntry.site_id == report.site_id, HistoryEntry.report_id.is_(None)),
        )
    return list(
        session.scalars(
            select(HistoryEntry).where(condition).order_by(HistoryEntry.created_at, HistoryEntry.id)
        )
    )


def site_history(session: Session, site: BarrierSite) -> list[HistoryEntry]:
    """Every entry of a site and of its reports (for staff), oldest first."""
    report_ids = select(BarrierReport.id).where(BarrierReport.site_id == site.id)
    return list(
        session.scalars(
            select(HistoryEntry)
            .where(or_(HistoryEntry.site_id == site.id, HistoryEntry.report_id.in_(report_ids)))
            .order_by(HistoryEntry.created_at, HistoryEntry.id)
        )
    )


@dataclass(frozen=True)
class NearbySite:
    """A site near a report, with its distance in metres."""

    site: BarrierSite
    distance_m: float


def nearby_sites(
    session: Session, report: BarrierReport, radius_m: float = DUPLICATE_SEARCH_M, limit: int = 10
) -> list[NearbySite]:
    """Other sites (any category, not rejected or merged) near a report: duplicate candidates."""
    ((_, x, y),) = coordinates(session, BarrierReport.geom, BarrierReport.id == report.id)
    spatial = backend(session)
    distance = spatial.distance(BarrierSite.geom, x, y).label("distance")
    stmt = select(BarrierSite, distance).where(
        BarrierSite.status.not_in([Status.REJECTED.value, Status.DUPLICATE.value])
    )
    if report.site_id is not None:
        stmt = stmt.where(BarrierSite.id != report.site_id)
    rows = session.execute(spatial.nearest(stmt, BarrierSite.geom, x, y, radius_m, limit)).all()
    return [NearbySite(site, float(d)) for site, d in rows]


@dataclass(frozen=True)
class DuplicateCheck:
    """What the field app's duplicate check may tell anyone about a place: the open sites they
    may see, and whether a report of the category is under review nearby (rounded distance)."""

    sites: list[NearbySite]
    under_review_within_m: int | None


# A site under review is placed on a grid of this many metres before the check, and the check
# answers yes within UNDER_REVIEW_WITHIN_M of its cell's centre, whatever the asker's accuracy:
# probing the answer's edge from many points finds the cell, never the reported position.
UNDER_REVIEW_CELL_M = 40.0
UNDER_REVIEW_WITHIN_M = 30


def grid_cell_centre(
    x: float, y: float, cell_m: float = UNDER_REVIEW_CELL_M
) -> tuple[float, float]:
    """The centre of the grid cell (EPSG:25832, ``cell_m`` wide) that holds a point."""
    return (
        (math.floor(x / cell_m) + 0.5) * cell_m,
        (math.floor(y / cell_m) + 0.5) * cell_m,
    )


def duplicate_check(
    session: Session,
    category_code: str,
    x: float,
    y: float,
    radius_m: float,
    own_site_ids: Sequence[int] = (),
    limit: int = 5,
) -> DuplicateCheck:
    """Open sites of a category near an EPSG:25832 point that the asker may see (public, or
    their own under review), and whether another site of the category is under review about
    ``UNDER_REVIEW_WITHIN_M`` from it (its grid cell's centre is; no id, text, photo, time or
    distance of it)."""
    spatial = backend(session)
    distance = spatial.distance(BarrierSite.geom, x, y).label("distance")
    same_kind = select(BarrierSite, distance).where(BarrierSite.category == category_code)
    visible = same_kind.where(
        visible_site_clause(own_site_ids),
        BarrierSite.status.in_([s.value for s in OPEN_STATUSES]),
    )
    rows = session.execute(spatial.nearest(visible, BarrierSite.geom, x, y, radius_m, limit))
    sites = [NearbySite(site, float(d)) for site, d in rows.all()]
    under_review = same_kind.where(BarrierSite.status == Status.NEW.value)
    if own_site_ids:
        under_review = under_review.where(BarrierSite.id.not_in(list(own_site_ids)))
    reach = UNDER_REVIEW_WITHIN_M + UNDER_REVIEW_CELL_M / math.sqrt(2)
    candidates = session.execute(spatial.nearest(under_review, BarrierSite.geom, x, y, reach, 20))
    for site, _distance in candidates.all():
        point = to_shape(site.geom)
        cx, cy = grid_cell_centre(point.x, point.y)
        if math.hypot(cx - x, cy - y) <= UNDER_REVIEW_WITHIN_M:
            return DuplicateCheck(sites, UNDER_REVIEW_WITHIN_M)
    return DuplicateCheck(sites, None)
