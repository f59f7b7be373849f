"""Every stored moment comes back aware and in UTC, on SpatiaLite and PostGIS."""

from datetime import UTC, datetime, timedelta, timezone

from sqlalchemy import func, select

from fieldaudit.models import BarrierReport
from fieldaudit.utc import as_utc

COPENHAGEN_SUMMER = timezone(timedelta(hours=2))


def test_as_utc_reads_every_form_a_database_gives():
    moment = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)
    assert as_utc(None) is None
    assert as_utc(datetime(2026, 6, 1, 10, 0)) == moment  # SQLite's naive value
    assert as_utc("2026-06-01 10:00:00.000000") == moment  # SQLite's text of an aggregate
    assert as_utc(datetime(2026, 6, 1, 12, 0, tzinfo=COPENHAGEN_SUMMER)).tzinfo is UTC


def test_a_local_moment_is_stored_as_utc_and_read_back_aware(db, make_report_payload, client):
    answer = client.post("/api/v1/reports", json=make_report_payload())
    assert answer.status_code in (200, 201)
    report = db.session.scalars(select(BarrierReport)).one()
    report.created_at = datetime(2026, 6, 1, 12, 0, tzinfo=COPENHAGEN_SUMMER)
    db.session.commit()
    db.session.expire_all()
    stored = db.session.scalars(select(BarrierReport)).one().created_at
    assert stored == datetime(2026, 6, 1, 10, 0, tzinfo=UTC) and stored.utcoffset() == timedelta(0)
    latest = db.session.scalar(select(func.max(BarrierReport.created_at)))
    assert latest == stored and latest.tzinfo is not None
