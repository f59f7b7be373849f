"""Statistics for Handicaprådet: counts, months, medians, SVG charts and the status report."""

from datetime import UTC, date, datetime, timedelta

import pytest

from fieldaudit import report_review, site_decisions, statistics
from fieldaudit.history import record
from fieldaudit.review.charts import bar_chart, month_chart
from fieldaudit.status import Action

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def reviewed(db, make_report, make_user):
    """Three reports: one verified after 2 days and fixed after 10, one rejected after 4, one new."""
    reviewer, planner = make_user("reviewer"), make_user("planner")
    fixed = make_report(groups=["WHEEL", "VIS"])
    rejected = make_report(dx=300, category="surface", measurements={}, severity="low")
    waiting = make_report(dx=600)
    report_review.verify_report(db.session, fixed, reviewer, now=T0 + timedelta(days=2))
    report_review.reject_report(
        db.session, rejected, reviewer, "Ikke fundet", now=T0 + timedelta(days=4)
    )
    site_decisions.fix_site(db.session, fixed.site, planner, now=T0 + timedelta(days=10))
    db.session.commit()
    return fixed, rejected, waiting


def test_counts_and_medians(db, reviewed):
    figures = statistics.compute(db.session, now=T0 + timedelta(days=30))
    assert figures.total_reports == 3
    assert {c.code: c.count for c in figures.by_category} == {"step": 2, "surface": 1}
    assert {c.code: c.count for c in figures.by_status} == {"fixed": 1, "rejected": 1, "new": 1}
    # explicit groups of the fixed report, the category's groups for the others
    assert {c.code: c.count for c in figures.by_group} == {"WHEEL": 3, "VIS": 2, "MOB": 2}
    assert figures.reviewed == 2
    assert figures.median_days_to_review == pytest.approx(3.0)
    assert figures.fixed_reports == 1
    assert figures.median_days_to_fix == pytest.approx(10.0)
    assert {c.code: c.count for c in figures.sites_by_status}["fixed"] == 1


def test_per_month(db, reviewed):
    figures = statistics.compute(db.session, now=datetime(2026, 5, 15, tzinfo=UTC))
    months = {m.month: m for m in figures.per_month}
    assert list(months) == ["2026-03", "2026-04", "2026-05"]
    assert (months["2026-03"].new, months["2026-03"].verified, months["2026-03"].fixed) == (3, 1, 1)
    assert months["2026-04"].new == 0


def test_period_limits_the_reports(db, reviewed, make_report):
    make_report(dx=900, created_at="2025-06-01T10:00:00+00:00")
    assert statistics.compute(db.session).total_reports == 4
    limited = statistics.compute(db.session, since=date(2026, 1, 1), until=date(2026, 12, 31))
    assert limited.total_reports == 3


def test_empty_database(db):
    figures = statistics.compute(db.session)
    assert figures.total_reports == 0 and figures.per_month == []
    assert figures.median_days_to_review is None and figures.median_days_to_fix is None


def test_charts_are_svg_with_title_and_no_style_or_script():
    chart = str(bar_chart("c1", "Rapporter <pr.> kategori", [("Trin", 3), ("Grus & sten", 0)]))
    assert chart.startswith("<svg") and 'role="img"' in chart
    assert '<title id="c1-title">Rapporter &lt;pr.&gt; kategori</title>' in chart
    assert "Grus &amp; sten: 0" in chart
    assert "style=" not in chart and "<script" not in chart
    months = [statistics.Month("2026-03", 3, 1, 1), statistics.Month("2026-04", 0, 0, 0)]
    chart = str(
        month_chart("c2", "Pr. måned", months, {"new": "Nye", "verified": "B", "fixed": "U"})
    )
    assert chart.count("<rect") == 6 and "2026-04" in chart and "style=" not in chart


def test_statistics_pages(client, db, reviewed, login):
    login("planner")
    page = client.get("/gennemgang/statistik")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert text.count("<svg") == 6 and "<table" in text
    assert "Trin eller dørtrin" in text
    report = client.get("/gennemgang/statistik/statusrapport?since=2026-01-01")
    assert report.status_code == 200
    assert "Statusrapport" in report.get_data(as_text=True) or "statusrapport" in report.get_data(
        as_text=True
    )
    assert client.get("/gennemgang/statistik?since=not-a-date").status_code == 200


def test_print_stylesheet_exists(app):
    from pathlib import Path

    css = (Path(app.static_folder) / "css" / "app.css").read_text(encoding="utf-8")
    assert "@media print" in css


def test_fixes_recorded_by_the_planning_pages_count_too(db, make_report, make_user):
    report = make_report()
    report_review.verify_report(db.session, report, make_user("reviewer"), now=T0)
    report.site.status = "fixed"
    record(
        db.session,
        Action.FIX,
        make_user("planner"),
        site=report.site,
        now=T0 + timedelta(days=6),
    ).action = "fixed"
    db.session.commit()
    figures = statistics.compute(db.session, now=T0 + timedelta(days=30))
    assert figures.median_days_to_fix == pytest.approx(6.0)
    assert sum(m.fixed for m in figures.per_month) == 1
