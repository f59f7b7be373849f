"""Reviewers' decisions on barrier reports, and how a site's status follows them (no Flask)::

    new ──verify──> verified ──(follows its site)──> planned ──> fixed
     │                 │                                 └────> closed (without action)
     ├──reject (reason)──> rejected ──verify──> verified
     └──duplicate (of a site)──> duplicate: the report moves into that site

Reviewers also correct category / severity / groups / tags, hide reports and photos and black
out parts of photos. How a site's status derives from its reports while no planner has decided
on it (status new, verified, rejected or duplicate), re-evaluated after every review action on
one of its reports:

* **verified** as soon as one of its reports is verified (or planned/fixed/closed);
* otherwise **new** while any report is new (waiting for review) or merged in as a duplicate;
* **rejected** when every report it holds is rejected;
* **duplicate** when it holds no report any more (all were merged into other sites or moved
  by a category correction); ``status_reason`` and the history say where they went.

Planners' decisions are ``site_decisions``; who may do what is ``permissions``; every change is
recorded in the history (``history.record``).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from fieldaudit import redaction
from fieldaudit.errors import Problem, ValidationError
from fieldaudit.history import checked_text, record, wrong_status
from fieldaudit.models import BarrierReport, BarrierSite, HistoryEntry, Photo, User
from fieldaudit.permissions import require
from fieldaudit.priority import score_site
from fieldaudit.problems import problem
from fieldaudit.sites import coordinates, join_site, refresh_site
from fieldaudit.spatial import backend
from fieldaudit.status import (
    PLANNER_SITE_STATUSES,
    PUBLIC_SITE_STATUSES,
    REPORTS_FOLLOW_SITE,
    Action,
    Status,
)
from fieldaudit.taxonomy import Group, Severity, category, tags_for
from fieldaudit.visibility import NearbySite

DUPLICATE_SEARCH_M = 60.0


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


# A reviewer's decision on a report: from which statuses, the status it gives, its text field.
REVIEW_DECISIONS: dict[Action, tuple[tuple[Status, ...], Status, str]] = {
    Action.VERIFY: ((Status.NEW, Status.REJECTED), Status.VERIFIED, "note"),
    Action.REJECT: ((Status.NEW, Status.VERIFIED), Status.REJECTED, "reason"),
}


def _decide(
    session: Session,
    report: BarrierReport,
    actor: User,
    action: Action,
    allowed_from: tuple[Status, ...],
    status: Status,
    text: str,
    text_field: str,
    now: datetime | None,
) -> HistoryEntry:
    """Give a report ``status`` (verify or reject): checked, recorded, its site re-derived.

    The text of a rejection is its public reason (``status_reason``); a verification's note is
    recorded only."""
    require(actor, action)
    rejecting = status == Status.REJECTED
    text = checked_text(text, text_field, required=rejecting)
    if report.status not in allowed_from:
        raise wrong_status(report.status)
    before = {"status": report.status}
    report.status = status.value
    report.status_reason = text if rejecting else ""
    entry = record(
        session,
        action,
        actor,
        report=report,
        site=report.site,
        before=before,
        after={"status": report.status},
        reason=text,
        now=now,
    )
    if report.site is not None:
        update_site_status(session, report.site, actor, now)
    return entry


def verify_report(
    session: Session,
    report: BarrierReport,
    actor: User,
    note: str = "",
    now: datetime | None = None,
) -> HistoryEntry:
    """A reviewer confirms the barrier exists as reported; its site becomes verified."""
    allowed_from, status, text_field = REVIEW_DECISIONS[Action.VERIFY]
    return _decide(
        session, report, actor, Action.VERIFY, allowed_from, status, note, text_field, now
    )


def reject_report(
    session: Session, report: BarrierReport, actor: User, reason: str, now: datetime | None = None
) -> HistoryEntry:
    """A reviewer rejects a report, with a reason that is shown publicly."""
    allowed_from, status, text_field = REVIEW_DECISIONS[Action.REJECT]
    return _decide(
        session, report, actor, Action.REJECT, allowed_from, status, reason, text_field, now
    )


def decidable(reports: list[BarrierReport], action: Action) -> list[BarrierReport]:
    """The reports a bulk ``action`` (verify or reject) may change, in the given order."""
    allowed_from = {s.value for s in REVIEW_DECISIONS[action][0]}
    return [r for r in reports if r.status in allowed_from]


def decide_reports(
    session: Session,
    reports: list[BarrierReport],
    actor: User,
    action: Action,
    text: str = "",
    now: datetime | None = None,
) -> list[HistoryEntry]:
    """Verify or reject several reports of one site at once with one text (a rejection's public
    reason, a verification's note): all or none, one history entry per report."""
    if action not in REVIEW_DECISIONS:
        raise ValueError(f"not a bulk decision: {action}")
    require(actor, action)
    allowed_from, status, text_field = REVIEW_DECISIONS[action]
    text = checked_text(text, text_field, required=status == Status.REJECTED)
    if not reports:
        raise ValidationError(problem("reports", "no_reports"))
    if len({r.site_id for r in reports}) != 1:
        raise ValidationError(problem("reports", "reports_of_several_sites"))
    for report in reports:
        if report.status not in {s.value for s in allowed_from}:
            raise wrong_status(report.status)
    return [
        _decide(session, r, actor, action, allowed_from, status, text, text_field, now)
        for r in reports
    ]


def mark_duplicate(
    session: Session,
    report: BarrierReport,
    actor: User,
    target: BarrierSite | None,
    reason: str = "",
    now: datetime | None = None,
) -> HistoryEntry:
    """Merge a report into the site it duplicates: it moves there, both sites are refreshed."""
    require(actor, Action.DUPLICATE)
    reason = checked_text(reason, "reason", required=False)
    if report.status not in (Status.NEW.value, Status.VERIFIED.value):
        raise wrong_status(report.status)
    if target is None or target.id == report.site_id:
        raise ValidationError(problem("site_id", "duplicate_target"))
    if target.status in (Status.DUPLICATE.value, Status.REJECTED.value):
        raise ValidationError(problem("site_id", "duplicate_target_closed"))
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
        problems.append(problem("category", "unknown_category"))
    if severity is not None and severity not in {s.value for s in Severity}:
        problems.append(problem("severity", "invalid_severity"))
    if groups is not None and (not groups or not set(groups) <= {g.value for g in Group}):
        problems.append(problem("groups", "unknown_group.correction"))
    new_tags = tags if tags is not None else list(report.tags or [])
    if cat is not None and not set(new_tags) <= {t.code for t in tags_for(cat)}:
        problems.append(problem("tags", "unknown_tag"))
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
    require(actor, Action.CORRECT)
    reason = checked_text(reason, "reason", required=False)
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


def _set_hidden(
    session: Session,
    item: BarrierReport | Photo,
    report: BarrierReport,
    actions: tuple[Action, Action],
    actor: User,
    hidden: bool,
    reason: str,
    now: datetime | None,
) -> HistoryEntry | None:
    """Hide a report or a photo from the public (``actions``: hide, show) or show it again;
    the reason stays internal. None if it already was so."""
    action = actions[0] if hidden else actions[1]
    require(actor, action)
    reason = checked_text(reason, "reason", required=False)
    if item.hidden == hidden:
        return None
    item.hidden = hidden
    which = {"photo_id": item.id} if isinstance(item, Photo) else {}
    return record(
        session,
        action,
        actor,
        report=report,
        before={**which, "hidden": not hidden},
        after={**which, "hidden": hidden},
        reason=reason,
        public=False,
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
    hide_show = (Action.HIDE_REPORT, Action.SHOW_REPORT)
    return _set_hidden(session, report, report, hide_show, actor, hidden, reason, now)


def set_photo_hidden(
    session: Session,
    photo: Photo,
    actor: User,
    hidden: bool,
    reason: str = "",
    now: datetime | None = None,
) -> HistoryEntry | None:
    """Hide a photo from the public (or show it again); the reason stays internal."""
    hide_show = (Action.HIDE_PHOTO, Action.SHOW_PHOTO)
    return _set_hidden(session, photo, photo.report, hide_show, actor, hidden, reason, now)


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
    require(actor, Action.REDACT_PHOTO)
    reason = checked_text(reason, "reason", required=False)
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


def nearby_sites(
    session: Session, report: BarrierReport, radius_m: float = DUPLICATE_SEARCH_M, limit: int = 10
) -> list[NearbySite]:
    """Other sites (any category, not rejected or merged) near a report: duplicate candidates."""
    ((_, x, y),) = coordinates(session, BarrierReport.geom, BarrierReport.id == report.id)
    conditions = [BarrierSite.status.not_in([Status.REJECTED.value, Status.DUPLICATE.value])]
    if report.site_id is not None:
        conditions.append(BarrierSite.id != report.site_id)
    return sites_near(session, x, y, conditions, radius_m, limit)


def sites_near(
    session: Session, x: float, y: float, conditions: list[Any], radius_m: float, limit: int
) -> list[NearbySite]:
    """The sites meeting ``conditions`` within ``radius_m`` of an EPSG:25832 point, nearest
    first, with their distances."""
    spatial = backend(session)
    distance = spatial.distance(BarrierSite.geom, x, y).label("distance")
    stmt = select(BarrierSite, distance).where(*conditions)
    rows = session.execute(spatial.nearest(stmt, BarrierSite.geom, x, y, radius_m, limit)).all()
    return [NearbySite(site, float(d)) for site, d in rows]
