"""A report's page: the evidence (facts, text, measurements judged against thresholds, photos,
map) beside the decisions, which stay in view; every action; "and next" to the next report."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user

from fieldaudit import permissions, report_review, review_queue, visibility
from fieldaudit.accounts.forms import option
from fieldaudit.accounts.views import apply_problems, lang
from fieldaudit.authz import require_role
from fieldaudit.crs import to_wgs84
from fieldaudit.errors import DomainError
from fieldaudit.extensions import db
from fieldaudit.geojson import wgs84_geometry
from fieldaudit.history import add_note, full_history
from fieldaudit.models import BarrierReport, BarrierSite
from fieldaudit.permissions import REVIEWERS
from fieldaudit.review.blueprint import bp, report_or_404
from fieldaudit.review.forms import (
    CorrectForm,
    DuplicateForm,
    HideForm,
    NoteForm,
    RedactForm,
    RejectForm,
    VerifyForm,
)
from fieldaudit.sites import coordinates
from fieldaudit.status import STATUS_LABELS, Action, Status
from fieldaudit.taxonomy import GROUP_LABELS, SEVERITIES, category, judge, tags_for

REPORT_FORMS = {
    "verify": VerifyForm,
    "reject": RejectForm,
    "duplicate": DuplicateForm,
    "correct": CorrectForm,
    "note": NoteForm,
    "hide": HideForm,
}
REPORT_ACTIONS = (*REPORT_FORMS, "show")


def _photo_forms(report: BarrierReport, failed: dict[str, Any]) -> dict[int, dict[str, Any]]:
    forms: dict[int, dict[str, Any]] = {}
    for photo in report.photos:
        hide_prefix = f"photo-{photo.id}-hide"
        redact_prefix = f"photo-{photo.id}-redact"
        forms[photo.id] = {
            "hide": failed.get(hide_prefix) or HideForm(prefix=hide_prefix, formdata=None),
            "redact": failed.get(redact_prefix) or RedactForm(prefix=redact_prefix, formdata=None),
        }
    return forms


def _detail_forms(report: BarrierReport, failed: dict[str, Any]) -> dict[str, Any]:
    forms = {
        prefix: failed.get(prefix) or form_class(prefix=prefix, formdata=None)
        for prefix, form_class in REPORT_FORMS.items()
    }
    correct = forms["correct"]
    correct.fill_choices(lang())
    if "correct" not in failed:
        correct.category.data = report.category
        correct.severity.data = report.severity
        correct.groups.data = list(report.groups or [])
        correct.tags.data = list(report.tags or [])
    return forms


def _measurements(report: BarrierReport) -> list[dict[str, Any]]:
    cat = category(report.category)
    rows = []
    for key, quantity in (report.measurements or {}).items():
        definition = cat.measurement(key) if cat else None
        value = float(quantity.get("value", 0)) if isinstance(quantity, dict) else float(quantity)
        verdict = judge(cat, key, value) if cat and definition else None
        rows.append({"key": key, "definition": definition, "value": value, "verdict": verdict})
    return rows


def report_point(report: BarrierReport) -> tuple[float, float]:
    """The report's position as WGS84 (lon, lat)."""
    ((_, x, y),) = coordinates(db.session, BarrierReport.geom, BarrierReport.id == report.id)
    return to_wgs84(x, y)


def numbered_site(site: BarrierSite, number: int, label: str) -> dict[str, Any]:
    """A site as a numbered marker of a review map."""
    return {
        "type": "Feature",
        "geometry": wgs84_geometry(site.geom),
        "properties": {"kind": "numbered", "number": str(number), "label": label},
    }


def _map_data(report: BarrierReport, nearby: list[visibility.NearbySite]) -> dict[str, Any]:
    """The map's GeoJSON: the report, and the nearby sites numbered as in the duplicate list.
    The template writes it with ``tojson`` (names may hold markup)."""
    lon, lat = report_point(report)
    here = {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "properties": {
            "kind": "here",
            "label": gettext("Rapport #%(id)s", id=report.id),
        },
    }
    features = [here] + [
        numbered_site(n.site, i, f"{i}: #{n.site.id}") for i, n in enumerate(nearby, start=1)
    ]
    if report.area is not None:  # outlined over the other areas, named in its tooltip
        features.append(
            {
                "type": "Feature",
                "geometry": wgs84_geometry(report.area.geom),
                "properties": {"kind": "area", "label": report.area.name},
            }
        )
    return {"type": "FeatureCollection", "features": features}


def render_detail(report: BarrierReport, failed: dict[str, Any] | None = None, status: int = 200):
    """The report page with every action; ``failed`` holds a submitted form with its errors."""
    failed = failed or {}
    nearby = report_review.nearby_sites(db.session, report)
    forms = _detail_forms(report, failed)
    forms["duplicate"].site_choice.choices = [
        option(str(n.site.id), f"#{n.site.id}") for n in nearby
    ]
    cat = category(report.category)
    language = lang()
    return (
        render_template(
            "review/detail.html",
            report=report,
            cat=cat,
            forms=forms,
            photo_forms=_photo_forms(report, failed),
            measurements=_measurements(report),
            nearby=nearby,
            nearby_photos=review_queue.first_photos(db.session, [n.site.id for n in nearby]),
            history=full_history(db.session, report),
            map_data=_map_data(report, nearby),
            point=report_point(report),
            new_look=report.site is not None and visibility.needs_new_look(report.site),
            statuses=STATUS_LABELS,
            groups=GROUP_LABELS,
            severities=SEVERITIES,
            tag_labels={t.code: t.label.get(language) for t in tags_for(cat)} if cat else {},
            can=lambda action: permissions.may(current_user, action),
            Action=Action,
            Status=Status,
        ),
        status,
    )


@bp.get("/rapporter/<int:report_id>")
@require_role(*REVIEWERS)
def report(report_id: int):
    """A report with map, photos, measurements, nearby sites, history and every action."""
    return render_detail(report_or_404(report_id))


def done(report: BarrierReport, message: str):
    """Commit, confirm and show the report again (the page focuses the confirmation)."""
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("review.report", report_id=report.id))


def _done_then_next(report: BarrierReport, following: int | None, verified: bool):
    """Commit and go on to the next report in the queue (or the queue, when it is empty)."""
    db.session.commit()
    if verified:
        message = gettext("Rapport #%(id)s er bekræftet.", id=report.id)
    else:
        message = gettext("Rapport #%(id)s er afvist.", id=report.id)
    if following is None:
        empty = gettext("Der er ikke flere rapporter i køen.")
        flash(f"{message} {empty}", "success")
        return redirect(url_for("review.queue"))
    then = gettext("Her er den næste rapport i køen.")
    flash(f"{message} {then}", "success")
    return redirect(url_for("review.report", report_id=following))


def _decide(report: BarrierReport, action: str, form: Any, user: Any):
    """Verify or reject, then show the report again or go on to the next one."""
    following = None
    then_next = request.form.get("then") == "next"
    if then_next:
        following = review_queue.next_in_queue(db.session, report)
    if action == "verify":
        report_review.verify_report(db.session, report, user, form.note.data or "")
    else:
        report_review.reject_report(db.session, report, user, form.reason.data or "")
    if then_next:
        return _done_then_next(report, following, action == "verify")
    if action == "verify":
        return done(report, gettext("Rapporten er bekræftet."))
    return done(report, gettext("Rapporten er afvist."))


def _act(report: BarrierReport, action: str, form: Any, user: Any):
    if action in ("verify", "reject"):
        return _decide(report, action, form, user)
    if action == "duplicate":
        target_id = form.target_id()
        target = db.session.get(BarrierSite, target_id) if target_id else None
        report_review.mark_duplicate(db.session, report, user, target, form.reason.data or "")
        site = target.id if target else ""
        return done(report, gettext("Rapporten er flettet ind i sted #%(site)s.", site=site))
    if action == "correct":
        entry = report_review.correct_report(
            db.session,
            report,
            user,
            category_code=form.category.data,
            severity=form.severity.data,
            groups=list(form.groups.data or []),
            tags=list(form.tags.data or []),
            reason=form.reason.data or "",
        )
        return done(
            report, gettext("Rettelsen er gemt.") if entry else gettext("Intet var ændret.")
        )
    if action == "note":
        public = form.visibility.data == "public"
        add_note(db.session, user, form.text.data or "", public, report=report)
        return done(report, gettext("Noten er gemt."))
    hidden = action == "hide"
    report_review.set_report_hidden(db.session, report, user, hidden, form.reason.data or "")
    if hidden:
        return done(report, gettext("Rapporten er skjult for offentligheden."))
    return done(report, gettext("Rapporten vises igen offentligt."))


@bp.post("/rapporter/<int:report_id>/<action>")
@require_role(*REVIEWERS)
def act(report_id: int, action: str):
    """One action on a report (Post/Redirect/Get)."""
    report = report_or_404(report_id)
    if action not in REPORT_ACTIONS:
        abort(404)
    prefix = "hide" if action in ("hide", "show") else action
    form = REPORT_FORMS[prefix](prefix=prefix)
    if isinstance(form, CorrectForm):
        form.fill_choices(lang())
    if isinstance(form, DuplicateForm):
        form.site_choice.choices = []
    if not form.validate():
        return render_detail(report, {prefix: form}, 422)
    try:
        return _act(report, action, form, current_user._get_current_object())
    except DomainError as error:
        db.session.rollback()
        if error.status == 403:
            abort(403)
        apply_problems(form, error)
        return render_detail(report, {prefix: form}, 409 if error.status == 409 else 422)
