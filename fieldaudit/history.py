"""The history of reports and sites: every change is one ``HistoryEntry`` (who, when, action,
before, after, reason, public), written by ``record``; notes; and what each reader sees of it.

Entries with ``public=False`` (internal notes, hiding, redactions) never reach a public page
(``public_history``); staff read every entry (``full_history``, ``site_history``). The checks
every recorded change shares live here too: the text of its reason or note (``checked_text``)
and the refusal of a change the current status does not allow (``wrong_status``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from fieldaudit.errors import ConflictError, ValidationError
from fieldaudit.mail.notify import status_changed
from fieldaudit.models import BarrierReport, BarrierSite, HistoryEntry, Photo, User
from fieldaudit.permissions import denied, may_note_site, require
from fieldaudit.plain_text import clean_text
from fieldaudit.problems import problem
from fieldaudit.redaction import Box
from fieldaudit.status import Action, Status
from fieldaudit.utc import utc_now

MAX_TEXT = 4000
MIN_REASON = 3


def wrong_status(current: str) -> ConflictError:
    """The error for a change the current status does not allow."""
    return ConflictError(problem("status", "wrong_status", status=current))


def checked_text(value: str, field_name: str, required: bool) -> str:
    """A reason or note as stored: control characters stripped (people type and paste these;
    see ``plain_text``), trimmed, and checked for length."""
    text = clean_text(value or "").strip()
    if required and len(text) < MIN_REASON:
        raise ValidationError(problem(field_name, "reason_required"))
    if len(text) > MAX_TEXT:
        raise ValidationError(problem(field_name, "text_too_long", max_chars=MAX_TEXT))
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
    """Add one history entry (flushes); a public status change queues its mails (``mail.notify``)."""
    entry = HistoryEntry(
        report_id=report.id if report is not None else None,
        site_id=site.id if site is not None else None,
        actor_id=actor.id if actor is not None else None,
        action=action.value,
        before=before or {},
        after=after or {},
        reason=reason,
        public=public,
        created_at=utc_now(now),
    )
    session.add(entry)
    session.flush()
    status_changed(session, entry, report, site)
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
        require(actor, Action.NOTE)
    elif site is None or not may_note_site(actor):
        raise denied()
    text = checked_text(text, "text", required=True)
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


def redacted_boxes(session: Session, photo: Photo) -> list[Box]:
    """Every rectangle blacked out on a photo so far, from its redaction history entries."""
    entries = session.scalars(
        select(HistoryEntry.after).where(
            HistoryEntry.action == Action.REDACT_PHOTO.value,
            HistoryEntry.report_id == photo.report_id,
        )
    )
    return [
        Box(**box)
        for after in entries
        if after and after.get("photo_id") == photo.id
        for box in after.get("boxes", [])
    ]
