"""Migration 0005 (revocable sessions, sign-in throttling) keeps every user and report link."""

from __future__ import annotations

from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from fieldaudit.models import BarrierReport, User


def _columns(db, table: str) -> set[str]:
    return {column["name"] for column in inspect(db.engine).get_columns(table)}


def test_0005_down_and_up_keeps_users_and_their_reports(app, db, make_user, make_report):
    reporter = make_user("volunteer")
    report = make_report(reporter=reporter)
    other = make_user("admin")
    ids = {"reporter": reporter.id, "other": other.id, "report": report.id}
    directory = app.extensions["migrate"].directory
    db.session.remove()
    try:
        downgrade(directory=directory, revision="0004")
        assert "session_token" not in _columns(db, "users")
        assert {"failed_logins", "locked_until"} <= _columns(db, "users")
        assert "login_attempts" not in inspect(db.engine).get_table_names()
    finally:
        upgrade(directory=directory)
    assert "login_attempts" in inspect(db.engine).get_table_names()
    assert not {"failed_logins", "locked_until"} & _columns(db, "users")
    # Dropping the columns did not copy the table (its ON DELETE SET NULL would have unlinked
    # the reports), and every user got a token of their own.
    assert db.session.get(BarrierReport, ids["report"]).reporter_id == ids["reporter"]
    tokens = db.session.execute(text("SELECT session_token FROM users")).scalars().all()
    assert len(tokens) == 2 and len(set(tokens)) == 2 and all(len(t) >= 40 for t in tokens)
    assert db.session.get(User, ids["other"]).get_id() in tokens
