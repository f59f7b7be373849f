"""Statistics for the council: counts, reports per month, times to review and fix; and the
status report for its meetings, as a page and as a PDF."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from typing import Any

from flask import render_template, send_file
from flask_babel import gettext

from fieldaudit import params, statistics
from fieldaudit.accounts.views import lang
from fieldaudit.authz import require_role
from fieldaudit.exports import pdf as pdf_export
from fieldaudit.extensions import db
from fieldaudit.permissions import STAFF
from fieldaudit.review import charts as charts_module
from fieldaudit.review.blueprint import bp
from fieldaudit.web import query
from fieldaudit.web.query import DATE, Param, query_params


def _day(name: str) -> date | None:
    return params.iso_date(query.arg(name))


STATISTICS_PARAMETERS = {
    "since": Param(DATE, ("2026-01-01",)),
    "until": Param(DATE, ("2026-12-31",)),
}


def _statistics_context() -> dict[str, Any]:
    language = lang()
    figures = statistics.compute(db.session, _day("since"), _day("until"))
    series = {
        "new": gettext("Nye rapporter"),
        "verified": gettext("Bekræftet"),
        "fixed": gettext("Udbedret"),
    }
    tables = {
        "area": statistics.counts_table(figures.by_area, language),
        "category": statistics.counts_table(figures.by_category, language),
        "group": statistics.counts_table(figures.by_group, language),
        "status": statistics.counts_table(figures.by_status, language),
        "site_status": statistics.counts_table(figures.sites_by_status, language),
    }
    titles = {
        "area": gettext("Rapporter pr. område"),
        "category": gettext("Rapporter pr. kategori"),
        "group": gettext("Rapporter pr. målgruppe"),
        "status": gettext("Rapporter pr. status"),
        "site_status": gettext("Steder pr. status"),
    }
    charts = {
        key: charts_module.bar_chart(f"chart-{key}", titles[key], rows)
        for key, rows in tables.items()
    }
    shown_periods = statistics.periods(figures.per_month, language)
    charts["month"] = charts_module.month_chart(
        "chart-month", gettext("Nye, bekræftede og udbedrede pr. måned"), shown_periods, series
    )
    return {
        "figures": figures,
        "tables": tables,
        "titles": titles,
        "charts": charts,
        "series": series,
        "periods": shown_periods,
        "since": figures.since,
        "until": figures.until,
    }


@bp.get("/statistik")
@require_role(*STAFF)
@query_params(**STATISTICS_PARAMETERS)
def statistics_page():
    """Counts, reports per month and times to review and fix, as charts and tables."""
    return render_template("review/statistics.html", **_statistics_context())


OPEN_HIGH_SHOWN = 20


def _status_report_context() -> dict[str, Any]:
    """The status report's figures and lists (the page and its PDF show the same)."""
    context = _statistics_context()
    open_high = statistics.open_high_sites(db.session, limit=OPEN_HIGH_SHOWN)
    recently_fixed = statistics.recently_fixed_sites(db.session, days=90)
    return {**context, "open_high": open_high, "recently_fixed": recently_fixed}


@bp.get("/statistik/statusrapport")
@require_role(*STAFF)
@query_params(**STATISTICS_PARAMETERS)
def status_report():
    """A printable status report for the council meeting."""
    return render_template("review/status_report.html", pdf=False, **_status_report_context())


@bp.get("/statistik/statusrapport.pdf")
@require_role(*STAFF)
@query_params(**STATISTICS_PARAMETERS)
def status_report_pdf():
    """The status report as a real PDF (text, vector charts, embedded fonts)."""
    html = render_template(
        "review/status_report_pdf.html", pdf=True, lang=lang(), **_status_report_context()
    )
    response = send_file(
        io.BytesIO(pdf_export.html_to_pdf(html)),
        mimetype="application/pdf",
        as_attachment=True,
        download_name=f"fieldaudit-statusrapport-{datetime.now(UTC):%Y-%m-%d}.pdf",
        max_age=0,
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response
