"""The queue of reports to review, grouped by site, and deciding on several reports of one site
at once (from the queue or from the site's page)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import ngettext
from flask_login import current_user

from fieldaudit import report_review, review_queue, visibility
from fieldaudit.accounts.views import lang
from fieldaudit.areas import named_areas
from fieldaudit.authz import require_role
from fieldaudit.errors import DomainError
from fieldaudit.extensions import db
from fieldaudit.permissions import REVIEWERS
from fieldaudit.review.blueprint import bp, site_or_404
from fieldaudit.review.forms import BulkForm, bulk_form
from fieldaudit.review.site_page import render_site
from fieldaudit.review_queue import QueueFilter, QueuePage
from fieldaudit.status import STATUS_LABELS, Action, Status
from fieldaudit.taxonomy import CATEGORIES, GROUP_LABELS, SEVERITIES
from fieldaudit.web import query
from fieldaudit.web.query import CHOICE, DATE, ID, INT, Param, query_params

DECISIONS = {"verify": Action.VERIFY, "reject": Action.REJECT}


def _bulk_forms(page: QueuePage, failed: dict[int, BulkForm]) -> dict[int, BulkForm]:
    forms: dict[int, BulkForm] = {}
    for group in page.groups:
        if group.site is None or len(group.items) < 2:
            continue
        forms[group.site.id] = failed.get(group.site.id) or bulk_form(
            group.site, [item.report for item in group.items]
        )
        if group.site.id not in failed:
            forms[group.site.id].reports.data = [
                r.id
                for r in report_review.decidable(
                    [item.report for item in group.items], Action.VERIFY
                )
            ]
    return forms


def render_queue(
    filters: QueueFilter, failed: dict[int, BulkForm] | None = None, status: int = 200
):
    """The queue page; ``failed`` holds a bulk form with its errors, by site id."""
    page = review_queue.queue_page(db.session, filters)
    areas = named_areas(db.session)
    return (
        render_template(
            "review/queue.html",
            page=page,
            filters=filters,
            total=page.total,
            pages=page.pages,
            bulk_forms=_bulk_forms(page, failed or {}),
            areas=areas,
            categories=CATEGORIES,
            groups=GROUP_LABELS,
            severities=SEVERITIES,
            statuses=STATUS_LABELS,
            new_look={
                r.id: r.site is not None and visibility.needs_new_look(r.site) for r in page.reports
            },
        ),
        status,
    )


@bp.get("/")
@require_role(*REVIEWERS)
@query_params(
    status=Param(CHOICE, tuple(s.value for s in Status)),
    area=Param(ID, ("1",)),
    category=Param(CHOICE, ("step",)),
    group=Param(CHOICE, ("WHEEL",)),
    severity=Param(CHOICE, ("high",)),
    since=Param(DATE, ("2026-01-01",)),
    until=Param(DATE, ("2026-12-31",)),
    page=Param(INT, ("1",)),
)
def queue():
    """Reports to review, oldest first and grouped by site, with filters and pages."""
    return render_queue(QueueFilter.from_args(query.declared_args()))


def _posted_filters() -> QueueFilter:
    return QueueFilter.from_args(
        {k.removeprefix("q-"): v for k, v in request.form.items() if k.startswith("q-")}
    )


@bp.post("/steder/<int:site_id>/rapporter")
@require_role(*REVIEWERS)
def bulk_decide(site_id: int):
    """Verify or reject the chosen reports of one site with one text (from the queue or the
    site's page, whichever the form came from)."""
    site = site_or_404(site_id)
    decision = DECISIONS.get(request.form.get("decision", ""))
    if decision is None:
        abort(400)
    from_site = request.form.get("from") == "site"
    reports = review_queue.site_reports(db.session, site)
    form = bulk_form(site, reports, request.form)
    chosen_ids = set(form.reports.data or [])

    def again(status: int):
        if from_site:
            return render_site(site, {"bulk": form}, status)
        return render_queue(_posted_filters(), {site.id: form}, status)

    if not form.validate():
        return again(422)
    chosen = [r for r in reports if r.id in chosen_ids]
    user = current_user._get_current_object()
    try:
        report_review.decide_reports(db.session, chosen, user, decision, form.text.data or "")
    except DomainError as error:
        db.session.rollback()
        if error.status == 403:
            abort(403)
        for problem in error.problems:  # the domain calls the text "reason" or "note"
            message = problem.message.get(lang())
            if problem.field in ("reason", "note"):
                form.text.errors = [*form.text.errors, message]
            else:
                form.form_errors.append(message)
        return again(409 if error.status == 409 else 422)
    db.session.commit()
    ids = ", ".join(f"#{r.id}" for r in chosen)
    if decision == Action.VERIFY:
        message = ngettext(
            "%(num)s rapport fra sted #%(site)s er bekræftet: %(ids)s.",
            "%(num)s rapporter fra sted #%(site)s er bekræftet: %(ids)s.",
            len(chosen),
            site=site.id,
            ids=ids,
        )
    else:
        message = ngettext(
            "%(num)s rapport fra sted #%(site)s er afvist: %(ids)s.",
            "%(num)s rapporter fra sted #%(site)s er afvist: %(ids)s.",
            len(chosen),
            site=site.id,
            ids=ids,
        )
    flash(message, "success")
    if from_site:
        return redirect(url_for("review.site", site_id=site.id))
    return redirect(url_for("review.queue", **_posted_filters().args()))
