"""GDPR: data export, account deletion with anonymised reports, retention."""

from datetime import UTC, datetime, timedelta

from shapely.geometry import box
from sqlalchemy import func, select

from fieldaudit.areas import ServiceArea
from fieldaudit.models import BarrierReport, HistoryEntry, User
from fieldaudit.privacy import apply_retention, delete_account, export_personal_data
from fieldaudit.reports import check_report, store_report

EVERYWHERE = ServiceArea(box(700_000, 6_170_000, 730_000, 6_200_000), 0)


def make_user(db, email="frivillig@example.dk"):
    user = User(email=email, display_name="Frida Frivillig", role="volunteer")
    db.session.add(user)
    db.session.flush()
    return user


def store(db, payload, **kwargs):
    report, _ = store_report(db.session, check_report(payload, EVERYWHERE), **kwargs)
    db.session.commit()
    return report


def test_export_contains_the_account_and_its_reports(db, make_report_payload):
    user = make_user(db)
    store(db, make_report_payload(show_name=True, reporter_name="Frida"), reporter=user)
    store(db, make_report_payload(), device_token_hash="d" * 64)
    data = export_personal_data(db.session, user=user)
    assert data["account"]["email"] == "frivillig@example.dk"
    assert len(data["reports"]) == 1 and data["reports"][0]["reporter_name"] == "Frida"
    assert 12.44 < data["reports"][0]["lon"] < 12.45
    by_device = export_personal_data(db.session, device_token_hash="d" * 64)
    assert by_device["account"] is None and len(by_device["reports"]) == 1


def test_delete_account_keeps_reports_anonymised(db, make_report_payload):
    user = make_user(db)
    report = store(db, make_report_payload(show_name=True, reporter_name="Frida"), reporter=user)
    assert delete_account(db.session, user) == 1
    db.session.commit()
    kept = db.session.get(BarrierReport, report.id)
    assert kept is not None
    assert (kept.reporter_id, kept.reporter_name, kept.show_name) == (None, "", False)
    assert db.session.scalar(select(func.count()).select_from(User)) == 0


def test_retention_anonymises_only_old_closed_reports(db, runner, make_report_payload):
    now = datetime.now(UTC)
    old_closed = store(db, make_report_payload(), device_token_hash="a" * 64)
    new_closed = store(db, make_report_payload(lat=55.7200), device_token_hash="b" * 64)
    still_open = store(db, make_report_payload(lat=55.7210), device_token_hash="c" * 64)
    for report, when in ((old_closed, now - timedelta(days=800)), (new_closed, now)):
        report.status = "fixed"
        db.session.add(HistoryEntry(report_id=report.id, action="status", created_at=when))
    still_open.received_at = now - timedelta(days=900)
    db.session.commit()
    assert apply_retention(db.session, 730) == 1
    db.session.commit()
    assert db.session.get(BarrierReport, old_closed.id).device_token_hash is None
    assert db.session.get(BarrierReport, new_closed.id).device_token_hash == "b" * 64
    assert db.session.get(BarrierReport, still_open.id).device_token_hash == "c" * 64
    result = runner.invoke(args=["retention", "--days", "0"])
    assert "1 closed reports anonymised" in result.output
