"""Scheduled jobs: what is due runs once (also with two runners at once), results are recorded,
a failure is shown to admins (escaped), and the backup job only runs where it applies."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from flask_babel import refresh
from sqlalchemy import select
from sqlalchemy.orm import Session

from fieldaudit import jobs
from fieldaudit.models import JobRun

NOW = datetime(2026, 12, 6, 2, 0, tzinfo=UTC)


def counting_job(name: str, calls: list[str], interval=timedelta(days=1), fail=False, pause=0.0):
    """A job that records each call (and may fail or take a while)."""
    done = threading.Event()

    def run(session, config, now):
        calls.append(name)
        if pause:
            done.wait(pause)
        if fail:
            raise RuntimeError("<b>disk full</b> & more")
        return f"{name} done"

    return jobs.Job(name, interval, run, {"da": name, "en": name})


def test_due_jobs_run_once_and_their_results_are_recorded(app, db):
    calls: list[str] = []
    registry = (counting_job("a", calls), counting_job("b", calls, interval=timedelta(hours=1)))
    outcomes = jobs.run_due(db.session, app.config, now=NOW, jobs=registry)
    assert [(o.name, o.status) for o in outcomes] == [("a", "ok"), ("b", "ok")]
    assert calls == ["a", "b"]
    # Twenty minutes later nothing is due; two hours later the hourly job is.
    later = jobs.run_due(db.session, app.config, now=NOW + timedelta(minutes=20), jobs=registry)
    assert [o.status for o in later] == ["skipped", "skipped"]
    jobs.run_due(db.session, app.config, now=NOW + timedelta(hours=2), jobs=registry)
    assert calls == ["a", "b", "b"]
    row = db.session.get(JobRun, "b")
    db.session.refresh(row)
    assert (row.status, row.run_count, row.summary, row.lease_owner) == ("ok", 2, "b done", None)
    assert jobs.aware(row.started_at) == NOW + timedelta(hours=2)
    assert jobs.aware(row.finished_at) >= jobs.aware(row.started_at)


def test_a_job_of_the_timer_s_interval_runs_once_per_tick(app, db):
    """A 10-minute job (the timer's own interval) is not due again when a second runner starts
    just after the first has finished it, and is due on the timer's next tick, a little early."""
    calls: list[str] = []
    registry = (counting_job("often", calls, interval=timedelta(minutes=10)),)
    jobs.run_due(db.session, app.config, now=NOW, jobs=registry)
    second = jobs.run_due(db.session, app.config, now=NOW + timedelta(seconds=5), jobs=registry)
    assert [o.status for o in second] == ["skipped"] and calls == ["often"]
    tick = jobs.run_due(db.session, app.config, now=NOW + timedelta(minutes=9), jobs=registry)
    assert [o.status for o in tick] == ["ok"] and calls == ["often", "often"]
    # A daily job is still due ten minutes early (no drift with the timer).
    daily = (counting_job("daily", calls),)
    jobs.run_due(db.session, app.config, now=NOW, jobs=daily)
    early = NOW + timedelta(hours=23, minutes=51)
    assert [o.status for o in jobs.run_due(db.session, app.config, now=early, jobs=daily)] == ["ok"]


def test_a_failed_job_is_recorded_and_retried_sooner(app, db):
    calls: list[str] = []
    registry = (counting_job("broken", calls, fail=True),)
    [outcome] = jobs.run_due(db.session, app.config, now=NOW, jobs=registry)
    assert outcome.status == "failed"
    row = db.session.scalars(select(JobRun)).one()
    assert row.status == "failed" and "disk full" in row.error and "Traceback" in row.error
    assert row.lease_until is None
    retry = jobs.run_due(db.session, app.config, now=NOW + timedelta(hours=1), jobs=registry)
    assert [o.status for o in retry] == ["failed"] and len(calls) == 2


def test_two_runners_at_once_run_each_job_once(app, db):
    calls: list[str] = []
    registry = (counting_job("slow", calls, pause=0.5), counting_job("quick", calls))
    results: list[list[jobs.Outcome]] = []
    errors: list[BaseException] = []
    start = threading.Barrier(3)
    engine = db.engine

    def runner():
        with Session(engine) as session:
            start.wait()
            try:
                results.append(jobs.run_due(session, app.config, now=NOW, jobs=registry))
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)

    threads = [threading.Thread(target=runner) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors
    assert sorted(calls) == ["quick", "slow"]
    statuses = sorted(o.status for outcomes in results for o in outcomes)
    assert statuses == ["ok", "ok"] + ["skipped"] * 4
    assert {r.name: r.run_count for r in db.session.scalars(select(JobRun))} == {
        "slow": 1,
        "quick": 1,
    }


def test_a_live_lease_blocks_even_force_and_an_expired_one_is_taken_over(app, db):
    calls: list[str] = []
    job = counting_job("leased", calls)
    assert jobs.claim(db.session, job, NOW, "dead-runner")  # a runner that then died
    assert jobs.run_due(db.session, app.config, NOW, force=True, jobs=(job,))[0].status == "skipped"
    after_lease = NOW + job.lease + timedelta(minutes=1)
    assert jobs.run_due(db.session, app.config, after_lease, jobs=(job,))[0].status == "ok"
    assert calls == ["leased"]


def test_the_shipped_jobs_run(app, db, runner, tmp_path):
    result = runner.invoke(args=["jobs", "run"])
    assert result.exit_code == 0, result.output
    names = {line.split()[0]: line.split()[1] for line in result.output.splitlines()}
    assert names == {  # no BACKUP_DIR set
        "rescore": "ok",
        "network-impact": "ok",  # no network loaded: nothing to compute
        "retention": "ok",
        "check": "ok",
        "digest-reviewers": "ok",
        "digest-planners": "ok",
    }
    listed = runner.invoke(args=["jobs", "list"]).output
    assert "rescore" in listed and "ok" in listed and "backup" not in listed
    again = runner.invoke(args=["jobs", "run"]).output
    # Right after: nothing is due, not even network-impact (it runs at every tick of the
    # 10-minute timer: test_a_job_of_the_timer_s_interval_runs_once_per_tick).
    assert again.split().count("skipped") == 6
    assert runner.invoke(args=["jobs", "run", "--job", "nope"]).exit_code != 0


def test_the_check_job_fails_on_a_problem(app, db, runner):
    from pathlib import Path

    orphan = Path(app.config["MEDIA_DIR"]) / "photos" / "ab" / ("ab" + "0" * 62 + ".jpg")
    orphan.parent.mkdir(parents=True)
    orphan.write_bytes(b"not a photo of any row")
    import os

    os.utime(orphan, (0, 0))  # old enough to count as abandoned
    result = runner.invoke(args=["jobs", "run", "--job", "check"])
    assert result.exit_code == 1 and "failed" in result.output
    assert "orphan" in db.session.get(JobRun, "check").error


def test_backup_job_on_spatialite_with_a_folder(app, db, tmp_path):
    config = {**app.config, "BACKUP_DIR": str(tmp_path / "backups"), "BACKUP_KEEP": 2}
    if jobs.sqlite_database(config) is None:
        assert not jobs.backup_applies(config)  # PostGIS: pg_dump, not this job
        return
    for day in range(3):
        jobs.run_due(db.session, config, now=NOW + timedelta(days=day), only="backup")
    archives = sorted(p.name for p in (tmp_path / "backups").iterdir())
    assert archives == ["fieldaudit-20261207T020000Z.tar.gz", "fieldaudit-20261208T020000Z.tar.gz"]


def test_admin_page_shows_jobs_and_an_escaped_error(app, db, client, login):
    calls: list[str] = []
    jobs.run_job(db.session, counting_job("check", calls, fail=True), app.config, NOW, "me")
    assert client.get("/konto/drift").status_code in (302, 401, 403)
    login("reviewer")
    assert client.get("/konto/drift").status_code == 403
    login("admin")
    page = client.get("/konto/drift").get_data(as_text=True)
    assert "Planlagte opgaver" in page and "rescore" in page and "Fejlede" in page
    assert "&lt;b&gt;disk full&lt;/b&gt; &amp; more" in page and "<b>disk full" not in page
    assert "Ikke kørt endnu" in page  # rescore has not run
    refresh()  # the test's app context cached the Danish catalogue
    english = client.get("/konto/drift?lang=en").get_data(as_text=True)
    assert "Scheduled jobs" in english and "Failed" in english


def test_the_digest_jobs_queue_mail_once_a_day_and_once_a_week(
    app, db, runner, make_report, make_user
):
    from sqlalchemy import func, select

    from fieldaudit.models import MailMessage

    make_user("reviewer", email="raadet@example.org")
    make_report()
    result = runner.invoke(args=["jobs", "run", "--job", "digest-reviewers"])
    assert result.exit_code == 0 and "1 reviewer digests queued" in result.output, result.output
    assert db.session.scalar(select(func.count()).select_from(MailMessage)) == 1
    assert "skipped" in runner.invoke(args=["jobs", "run", "--job", "digest-reviewers"]).output
