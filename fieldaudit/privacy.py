"""Personal data (GDPR): a reporter's data export, account deletion and retention.

Reports are kept when a person leaves, because the municipality must be able to show what
happened to each barrier; what identifies the reporter is removed from them.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from fieldaudit.crs import to_wgs84
from fieldaudit.mail import outbox
from fieldaudit.mail import subscriptions as mail_follows
from fieldaudit.models import BarrierReport, HistoryEntry, SiteConfirmation, User
from fieldaudit.status import Status

CLOSED_STATUSES = (
    Status.REJECTED.value,
    Status.DUPLICATE.value,
    Status.FIXED.value,
    Status.CLOSED.value,
)


def anonymise_report(report: BarrierReport) -> None:
    """Remove everything that identifies who made a report."""
    report.reporter_id = None
    report.device_token_hash = None
    report.reporter_name = ""
    report.show_name = False


def _owned(user: User | None, device_token_hash: str | None) -> Any:
    conditions = []
    if user is not None:
        conditions.append(BarrierReport.reporter_id == user.id)
    if device_token_hash:
        conditions.append(BarrierReport.device_token_hash == device_token_hash)
    return or_(*conditions) if conditions else BarrierReport.id.is_(None)


def export_personal_data(
    session: Session, user: User | None = None, device_token_hash: str | None = None
) -> dict[str, Any]:
    """Everything FieldAudit holds about a person (an account and/or a device), as JSON."""
    reports = session.scalars(
        select(BarrierReport).where(_owned(user, device_token_hash)).order_by(BarrierReport.id)
    ).all()
    points = {
        rid: to_wgs84(x, y)
        for rid, x, y in session.execute(
            select(
                BarrierReport.id, func.ST_X(BarrierReport.geom), func.ST_Y(BarrierReport.geom)
            ).where(BarrierReport.id.in_([r.id for r in reports]))
        ).all()
    }
    confirmation_filter = []
    if user is not None:
        confirmation_filter.append(SiteConfirmation.reporter_id == user.id)
    if device_token_hash:
        confirmation_filter.append(SiteConfirmation.device_token_hash == device_token_hash)
    confirmations = (
        session.scalars(select(SiteConfirmation).where(or_(*confirmation_filter))).all()
        if confirmation_filter
        else []
    )
    return {
        "exported_at": datetime.now(UTC).isoformat(),
        "account": None
        if user is None
        else {
            "email": user.email,
            "display_name": user.display_name,
            "role": user.role,
            "created_at": user.created_at.isoformat(),
            "last_login_at": user.last_login_at.isoformat() if user.last_login_at else None,
        },
        "reports": [
            {
                "uuid": r.uuid,
                "created_at": r.created_at.isoformat(),
                "lon": round(points[r.id][0], 7),
                "lat": round(points[r.id][1], 7),
                "accuracy_m": r.accuracy_m,
                "category": r.category,
                "severity": r.severity,
                "groups": r.groups,
                "tags": r.tags,
                "measurements": r.measurements,
                "description": r.description,
                "show_name": r.show_name,
                "reporter_name": r.reporter_name,
                "status": r.status,
                "photos": [p.sha256 for p in r.photos],
            }
            for r in reports
        ],
        # Addresses following reports, barriers and areas (docs/mail.md).
        "email_follows": mail_follows.export(
            session, user.email if user is not None else None, [r.id for r in reports]
        ),
        "confirmations": [
            {
                "uuid": c.uuid,
                "site_id": c.site_id,
                "kind": c.kind,
                "created_at": c.created_at.isoformat(),
            }
            for c in confirmations
        ],
    }


def delete_account(session: Session, user: User) -> int:
    """Delete an account; its reports and confirmations stay, anonymised. Returns reports kept."""
    reports = session.scalars(select(BarrierReport).where(BarrierReport.reporter_id == user.id))
    count = 0
    report_ids = []
    for report in reports:
        anonymise_report(report)
        report_ids.append(report.id)
        count += 1
    mail_follows.forget(session, user.email, report_ids)
    for confirmation in session.scalars(
        select(SiteConfirmation).where(SiteConfirmation.reporter_id == user.id)
    ):
        confirmation.reporter_id = None
        confirmation.device_token_hash = None
    session.delete(user)
    session.flush()
    return count


def apply_retention(session: Session, days: int, now: datetime | None = None) -> int:
    """Anonymise the reporters of reports closed more than ``days`` ago; return how many.

    An address a reporter left for news of the report goes with them; sent mail is kept 30
    days (``mail.outbox.purge``)."""
    cutoff = (now or datetime.now(UTC)) - timedelta(days=days)
    last_change = (
        select(HistoryEntry.report_id, func.max(HistoryEntry.created_at).label("changed"))
        .group_by(HistoryEntry.report_id)
        .subquery()
    )
    closed_at = func.coalesce(last_change.c.changed, BarrierReport.received_at)
    identified = or_(
        BarrierReport.reporter_id.is_not(None),
        BarrierReport.device_token_hash.is_not(None),
        BarrierReport.reporter_name != "",
        BarrierReport.id.in_(mail_follows.followed_report_ids()),
    )
    reports = session.scalars(
        select(BarrierReport)
        .outerjoin(last_change, last_change.c.report_id == BarrierReport.id)
        .where(BarrierReport.status.in_(CLOSED_STATUSES), closed_at < cutoff, identified)
    ).all()
    for report in reports:
        anonymise_report(report)
    mail_follows.forget(session, None, [r.id for r in reports])
    outbox.purge(session, now)
    session.flush()
    return len(reports)
