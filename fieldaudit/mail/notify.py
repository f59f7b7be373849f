"""A recorded change becomes mail: ``history.record`` calls ``status_changed`` for every entry.

A public entry that gives a report a new status writes one mail to the address its reporter
left; one that gives a site a new public status writes one mail to each address following the
site or its area (an address following both gets one). The mails go into the outbox in the same
transaction as the change, so a change rolled back sends nothing.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from fieldaudit.mail import compose, outbox
from fieldaudit.mail.links import REPORT_PATH, SITE_PATH, links_for
from fieldaudit.mail.subscriptions import address_key, followers, unsubscribe_url
from fieldaudit.models import BarrierReport, BarrierSite, HistoryEntry, MailSubscription
from fieldaudit.status import PUBLIC_SITE_STATUSES, Status


def status_changed(
    session: Session,
    entry: HistoryEntry,
    report: BarrierReport | None,
    site: BarrierSite | None,
) -> int:
    """Queue the mails a history entry causes; return how many."""
    before = (entry.before or {}).get("status")
    after = (entry.after or {}).get("status")
    if not entry.public or not after or after == before or after == Status.NEW.value:
        return 0
    if report is not None:
        return _tell_reporter(session, entry, report)
    if site is not None and after in PUBLIC_SITE_STATUSES:
        return _tell_followers(session, entry, site)
    return 0


def _queue(
    session: Session,
    entry: HistoryEntry,
    subscription: MailSubscription,
    kind: str,
    category: str,
    area_name: str | None,
    link_path: str,
    target_id: int,
) -> int:
    links = links_for(session)
    lang = compose.language(subscription.language)
    status = entry.after["status"]
    values = {"id": target_id, "status": compose.status_name(status, lang), "area": area_name}
    barrier = compose.facts(
        lang,
        category,
        area_name,
        status,
        entry.reason,
        links.url(link_path, id=target_id),
        compose.text("report_link" if kind == "report" else "site_link", lang, id=target_id),
    )
    draft = compose.render(
        "status_update",
        subscription.email,
        lang,
        compose.text(f"{kind}_subject", lang, **values),
        unsubscribe_url(session, subscription),
        lead=compose.text(f"{kind}_lead", lang, area=area_name),
        barrier=barrier,
        why=compose.text("why_report" if kind == "report" else "why_follow", lang),
    )
    key = f"status:{entry.id}:{address_key(subscription.email)}"
    return int(outbox.queue(session, key, draft, entry.created_at))


def _tell_reporter(session: Session, entry: HistoryEntry, report: BarrierReport) -> int:
    area_name = report.area.name if report.area else None
    return sum(
        _queue(session, entry, s, "report", report.category, area_name, REPORT_PATH, report.id)
        for s in followers(session, report_id=report.id)
    )


def _tell_followers(session: Session, entry: HistoryEntry, site: BarrierSite) -> int:
    area_name = site.area.name if site.area else None
    queued = 0
    seen: set[str] = set()
    for kind, subscriptions in (
        ("site", followers(session, site_id=site.id)),
        ("area", followers(session, area_id=site.area_id)),
    ):
        for subscription in subscriptions:
            if subscription.email in seen:
                continue
            seen.add(subscription.email)
            queued += _queue(
                session, entry, subscription, kind, site.category, area_name, SITE_PATH, site.id
            )
    return queued
