"""Moments in FieldAudit: stored in UTC, always handed back timezone-aware, on both databases.

PostgreSQL's ``timestamptz`` answers aware datetimes; SQLite stores text and answers naive ones
(or, for an aggregate over raw SQL, the text itself). ``UTCDateTime`` is the column type of every
moment in the models, so the ORM and typed Core queries give aware UTC datetimes everywhere;
``as_utc`` does the same for a value that came through raw SQL.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


def as_utc(moment: datetime | str | None) -> datetime | None:
    """``moment`` as an aware UTC datetime; naive values and SQLite's text are taken as UTC."""
    if moment is None:
        return None
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def utc_now(now: datetime | None = None) -> datetime:
    """``now`` (the present moment if None) in UTC."""
    return (now or datetime.now(UTC)).astimezone(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A moment stored in UTC and read back aware (``timestamptz`` on PostgreSQL)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> datetime | None:
        return as_utc(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        return as_utc(value)
