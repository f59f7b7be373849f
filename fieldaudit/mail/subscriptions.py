"""Who follows what by e-mail, and the addresses as personal data.

* A reporter may leave an address with a report (``follow_report``): stored with the report,
  never shown, used only for that report's changes.
* Anyone may follow a public barrier site or an area: ``request_follow`` only queues a
  confirmation mail (nothing is stored); the signed link in it stores the follow
  (``confirm_follow``). Every mail carries a one-click unsubscribe link (``unsubscribe``) that
  deletes the row, so following nothing leaves no address behind.
* Export, deletion and retention of addresses (``privacy`` calls these).
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session

from fieldaudit.errors import ValidationError
from fieldaudit.mail import compose, outbox
from fieldaudit.mail.links import (
    AREA_PATH,
    CONFIRM_PATH,
    SITE_PATH,
    UNSUBSCRIBE_PATH,
    links_for,
)
from fieldaudit.models import (
    Area,
    BarrierReport,
    BarrierSite,
    DigestSetting,
    MailSubscription,
    User,
)
from fieldaudit.plain_text import clean_text
from fieldaudit.problems import problem

MAX_EMAIL = 254
EMAIL_PATTERN = re.compile(r"^[^@\s<>\"',;]+@[^@\s<>\"',;]+\.[^@\s<>\"',;]+$")


def check_address(value: Any, field_name: str = "email") -> str:
    """An e-mail address as stored (trimmed, lower case); raise ValidationError if it is not one."""
    if not isinstance(value, str):
        raise ValidationError(problem(field_name, "invalid_email"))
    address = value.strip().lower()
    if clean_text(address) != address or len(address) > MAX_EMAIL:
        address = ""
    if not EMAIL_PATTERN.match(address):
        raise ValidationError(problem(field_name, "invalid_email"))
    return address


def address_key(email: str) -> str:
    """A short fingerprint of an address (in tokens and idempotency keys; never the address)."""
    return hashlib.sha256(email.lower().encode()).hexdigest()[:24]


def _now(now: datetime | None) -> datetime:
    return (now or datetime.now(UTC)).astimezone(UTC)


def unsubscribe_url(session: Session, subscription: MailSubscription) -> str:
    """The one-click unsubscribe link of a subscription."""
    links = links_for(session)
    token = links.unsubscribe_token(["sub", subscription.id, address_key(subscription.email)])
    return links.url(UNSUBSCRIBE_PATH, token=token)


def digest_unsubscribe_url(session: Session, user_id: int, kind: str) -> str:
    """The one-click link that turns off one of a staff member's digests."""
    links = links_for(session)
    return links.url(UNSUBSCRIBE_PATH, token=links.unsubscribe_token(["digest", user_id, kind]))


def follow_report(
    session: Session,
    report: BarrierReport,
    email: str,
    lang: str,
    now: datetime | None = None,
) -> MailSubscription:
    """A reporter's address for news about their report (flushes)."""
    subscription = MailSubscription(
        email=email,
        language=compose.language(lang),
        kind="report",
        report_id=report.id,
        created_at=_now(now),
    )
    session.add(subscription)
    session.flush()
    return subscription


def _what(session: Session, kind: str, target_id: int, lang: str) -> str:
    if kind == "site":
        site = session.get(BarrierSite, target_id)
        name = compose.category_name(site.category, lang) if site else ""
        return compose.text("barrier_n", lang, id=target_id, category=name)
    area = session.get(Area, target_id)
    return compose.text("area_n", lang, area=area.name if area else "")


def request_follow(
    session: Session,
    email: str,
    lang: str,
    kind: str,
    target_id: int,
    now: datetime | None = None,
) -> bool:
    """Queue the confirmation mail of a follow (at most one a day per address and target).

    Nothing is stored about the address but that mail (the outbox forgets it after 30 days)."""
    if kind not in ("site", "area"):
        raise ValueError(kind)
    moment = _now(now)
    lang = compose.language(lang)
    links = links_for(session)
    token = links.confirm_token({"e": email, "k": kind, "t": target_id, "l": lang})
    what = _what(session, kind, target_id, lang)
    draft = compose.render(
        "confirm_follow",
        email,
        lang,
        compose.text("confirm_subject", lang, what=what),
        None,
        what=what,
        confirm_url=links.url(CONFIRM_PATH, token=token),
    )
    key = f"confirm:{kind}:{target_id}:{address_key(email)}:{moment.date().isoformat()}"
    return outbox.queue(session, key, draft, moment)


def confirm_follow(
    session: Session, token: str, now: datetime | None = None
) -> MailSubscription | None:
    """Store the follow a confirmation link asks for (once); None if the link is not valid or
    what it follows no longer exists."""
    follow = links_for(session).read_confirm_token(token)
    if follow is None or follow.get("k") not in ("site", "area"):
        return None
    kind, target_id, email = follow["k"], follow.get("t"), follow.get("e")
    if not isinstance(target_id, int) or not isinstance(email, str):
        return None
    model = BarrierSite if kind == "site" else Area
    if session.get(model, target_id) is None:
        return None
    column = MailSubscription.site_id if kind == "site" else MailSubscription.area_id
    existing = session.scalar(
        select(MailSubscription).where(
            MailSubscription.kind == kind, column == target_id, MailSubscription.email == email
        )
    )
    if existing is not None:
        return existing
    subscription = MailSubscription(
        email=email,
        language=compose.language(follow.get("l")),
        kind=kind,
        site_id=target_id if kind == "site" else None,
        area_id=target_id if kind == "area" else None,
        created_at=_now(now),
    )
    session.add(subscription)
    session.flush()
    return subscription


def follow_path(subscription: MailSubscription) -> str:
    """The public page of what a subscription follows."""
    if subscription.kind == "site":
        return SITE_PATH.format(id=subscription.site_id)
    if subscription.kind == "area":
        return AREA_PATH.format(id=subscription.area_id)
    return f"/rapporter/{subscription.report_id}"


def unsubscribe(session: Session, token: str) -> bool | None:
    """End what an unsubscribe link names: delete the subscription or turn off the digest.

    True when something ended, False when it had already ended, None for a forged link."""
    what = links_for(session).read_unsubscribe_token(token)
    if not what or len(what) != 3:
        return None
    if what[0] == "sub":
        subscription = session.get(MailSubscription, what[1])
        if subscription is None or address_key(subscription.email) != what[2]:
            return False
        session.delete(subscription)
        session.flush()
        return True
    if what[0] == "digest" and what[2] in ("reviewer", "planner"):
        if session.get(User, what[1]) is None:
            return False  # the account is gone, and its digests with it
        setting = session.get(DigestSetting, what[1])
        if setting is None:
            setting = DigestSetting(user_id=what[1], language="da", area_ids=[])
            session.add(setting)
        column = "reviewer_daily" if what[2] == "reviewer" else "planner_weekly"
        changed = getattr(setting, column) is not False
        setattr(setting, column, False)
        session.flush()
        return changed
    return None


def followers(session: Session, **target: int | None) -> list[MailSubscription]:
    """The subscriptions of one report, site or area (``report_id=``, ``site_id=``, ``area_id=``)."""
    ((name, value),) = target.items()
    if value is None:
        return []
    column = getattr(MailSubscription, name)
    return list(session.scalars(select(MailSubscription).where(column == value)))


# --- personal data -------------------------------------------------------------------------


def _of(email: str | None, report_ids: list[int]) -> list[Any]:
    conditions = []
    if email:
        conditions.append(func.lower(MailSubscription.email) == email.lower())
    if report_ids:
        conditions.append(MailSubscription.report_id.in_(report_ids))
    return conditions


def export(session: Session, email: str | None, report_ids: list[int]) -> list[dict[str, Any]]:
    """The follows of an address and of a person's reports (the personal-data download)."""
    conditions = _of(email, report_ids)
    if not conditions:
        return []
    rows = session.scalars(
        select(MailSubscription).where(or_(*conditions)).order_by(MailSubscription.id)
    )
    return [
        {
            "email": s.email,
            "follows": s.kind,
            "page": follow_path(s),
            "language": s.language,
            "created_at": s.created_at.isoformat(),
        }
        for s in rows
    ]


def forget(session: Session, email: str | None, report_ids: list[int]) -> int:
    """Delete the follows of an address and of reports, and the unsent mail to the address."""
    conditions = _of(email, report_ids)
    if not conditions:
        return 0
    result = session.execute(
        delete(MailSubscription)
        .where(or_(*conditions))
        .execution_options(synchronize_session=False)
    )
    if email:
        for message in outbox.for_recipient(session, email):
            session.delete(message)
    session.flush()
    return result.rowcount or 0


def followed_report_ids():
    """A subquery of the reports someone follows (retention treats the address as identity)."""
    return select(MailSubscription.report_id).where(MailSubscription.report_id.is_not(None))
