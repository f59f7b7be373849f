"""Staff digests: reviewers a daily list of new reports in the queue (in the areas each one
chose), planners a weekly list of newly verified sites. Each is on unless its person turned it
off (``DigestSetting``, the settings page and the unsubscribe link in every digest).

The job runner calls ``queue_reviewer_digests`` daily and ``queue_planner_digests`` weekly;
each digest is keyed by person and day (or ISO week), so a second run writes nothing twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from fieldaudit.mail import compose, outbox
from fieldaudit.mail.links import SETTINGS_PATH, SITE_PATH, links_for
from fieldaudit.mail.subscriptions import digest_unsubscribe_url
from fieldaudit.models import BarrierReport, BarrierSite, DigestSetting, HistoryEntry, User
from fieldaudit.permissions import holds
from fieldaudit.status import Action, Role, Status

DAY = timedelta(days=1)
WEEK = timedelta(days=7)
MAX_ITEMS = 50
REVIEW_REPORT_PATH = "/gennemgang/rapporter/{id}"
REVIEW_QUEUE_PATH = "/gennemgang/"
VERIFIED_LIST_PATH = "/barrierer?status=verified"


@dataclass(frozen=True)
class DigestItem:
    """One line of a digest."""

    title: str
    place: str
    detail: str
    link: str


def setting_for(session: Session, user: User) -> DigestSetting:
    """A user's digest settings (both on, every area, Danish, until they choose)."""
    setting = session.get(DigestSetting, user.id)
    if setting is None:
        setting = DigestSetting(
            user_id=user.id, language="da", reviewer_daily=True, planner_weekly=True, area_ids=[]
        )
    return setting


def save_setting(
    session: Session,
    user: User,
    language: str,
    reviewer_daily: bool,
    planner_weekly: bool,
    area_ids: list[int],
) -> DigestSetting:
    """Store what a staff member chose (flushes)."""
    setting = session.get(DigestSetting, user.id)
    if setting is None:
        setting = DigestSetting(user_id=user.id)
        session.add(setting)
    setting.language = compose.language(language)
    setting.reviewer_daily = reviewer_daily
    setting.planner_weekly = planner_weekly
    setting.area_ids = sorted(set(area_ids))
    session.flush()
    return setting


def _staff(session: Session, role: Role) -> list[User]:
    users = session.scalars(select(User).where(User.active.is_(True)).order_by(User.id))
    return [u for u in users if holds(u, role)]


def _utc(now: datetime | None) -> datetime:
    return (now or datetime.now(UTC)).astimezone(UTC)


def _place(area_name: str | None, lang: str) -> str:
    return area_name or compose.text("outside", lang)


@dataclass(frozen=True)
class Digest:
    """One role's digest: the role (``reviewer``/``planner``, naming its texts), how many
    things are new, the items shown, and the list it links to with that link's text."""

    role: str
    count: int
    items: list[DigestItem]
    list_path: str
    list_text: str


def _queue_digest(
    session: Session, user: User, lang: str, digest: Digest, key: str, moment: datetime
) -> int:
    """Compose one digest mail for the user and queue it once under ``key``."""
    links = links_for(session)
    role = digest.role
    draft = compose.render(
        "digest",
        user.email,
        lang,
        compose.text(f"{role}_subject", lang, count=digest.count),
        digest_unsubscribe_url(session, user.id, role),
        lead=compose.text(f"{role}_lead", lang),
        items=digest.items,
        list_url=links.url(digest.list_path),
        list_text=compose.text(digest.list_text, lang),
        settings_url=links.url(SETTINGS_PATH),
        why=compose.text("why_digest", lang, role=compose.text(f"{role}_role", lang)),
    )
    return outbox.queue(session, key, draft, moment)


def queue_reviewer_digests(session: Session, now: datetime | None = None) -> int:
    """Queue today's digest for every reviewer with new reports in their areas; return how many."""
    moment = _utc(now)
    links = links_for(session)
    new_reports = list(
        session.scalars(
            select(BarrierReport)
            .options(selectinload(BarrierReport.area))
            .where(
                BarrierReport.status == Status.NEW.value,
                BarrierReport.hidden.is_(False),
                BarrierReport.received_at >= moment - DAY,
                BarrierReport.received_at < moment,
            )
            .order_by(BarrierReport.received_at, BarrierReport.id)
        )
    )
    queued = 0
    for user in _staff(session, Role.REVIEWER):
        setting = setting_for(session, user)
        if not setting.reviewer_daily:
            continue
        areas = set(setting.area_ids or [])
        mine = [r for r in new_reports if not areas or r.area_id in areas]
        if not mine:
            continue
        lang = compose.language(setting.language)
        items = [
            DigestItem(
                title=f"{compose.category_name(r.category, lang)} #{r.id}",
                place=_place(r.area.name if r.area else None, lang),
                detail=compose.text("received", lang, date=compose.local_date(r.received_at, lang)),
                link=links.url(REVIEW_REPORT_PATH, id=r.id),
            )
            for r in mine[:MAX_ITEMS]
        ]
        day = moment.astimezone(compose.HERLEV).date().isoformat()
        digest = Digest("reviewer", len(mine), items, REVIEW_QUEUE_PATH, "reviewer_queue")
        queued += _queue_digest(
            session, user, lang, digest, f"digest:reviewer:{user.id}:{day}", moment
        )
    return queued


def queue_planner_digests(session: Session, now: datetime | None = None) -> int:
    """Queue this week's digest of newly verified sites for every planner; return how many."""
    moment = _utc(now)
    links = links_for(session)
    verified_ids = set(
        session.scalars(
            select(HistoryEntry.site_id).where(
                HistoryEntry.report_id.is_(None),
                HistoryEntry.site_id.is_not(None),
                HistoryEntry.action == Action.SITE_STATUS.value,
                HistoryEntry.created_at >= moment - WEEK,
                HistoryEntry.created_at < moment,
            )
        )
    )
    sites = [
        s
        for s in session.scalars(
            select(BarrierSite)
            .options(selectinload(BarrierSite.area))
            .where(
                BarrierSite.id.in_(verified_ids or {-1}),
                BarrierSite.status == Status.VERIFIED.value,
            )
            .order_by(BarrierSite.priority_score.desc(), BarrierSite.id)
        )
    ]
    if not sites:
        return 0
    week = moment.astimezone(compose.HERLEV).isocalendar()
    queued = 0
    for user in _staff(session, Role.PLANNER):
        setting = setting_for(session, user)
        if not setting.planner_weekly:
            continue
        lang = compose.language(setting.language)
        items = [
            DigestItem(
                title=f"{compose.category_name(s.category, lang)} #{s.id}",
                place=_place(s.area.name if s.area else None, lang),
                detail=compose.status_name(s.status, lang),
                link=links.url(SITE_PATH, id=s.id),
            )
            for s in sites[:MAX_ITEMS]
        ]
        key = f"digest:planner:{user.id}:{week.year}-W{week.week:02d}"
        digest = Digest("planner", len(sites), items, VERIFIED_LIST_PATH, "planner_list")
        queued += _queue_digest(session, user, lang, digest, key, moment)
    return queued
