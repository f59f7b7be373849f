"""A site's page for reviewers and planners: its reports with photos, a map, verifying or
rejecting the site, merging it into another site, and the planners' decisions."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext
from flask_login import current_user

from fieldaudit import permissions, report_review, review_queue, site_decisions, visibility
from fieldaudit.accounts.forms import option
from fieldaudit.accounts.views import apply_problems
from fieldaudit.authz import require_role
from fieldaudit.crs import to_wgs84
from fieldaudit.errors import DomainError
from fieldaudit.extensions import db
from fieldaudit.history import add_note, merged_into, site_history
from fieldaudit.models import BarrierReport, BarrierSite
from fieldaudit.permissions import REVIEWERS, STAFF
from fieldaudit.review.blueprint import bp, site_or_404
from fieldaudit.review.forms import (
    FixForm,
    MergeForm,
    NoteForm,
    PlanForm,
    ReasonForm,
    bulk_form,
)
from fieldaudit.review.report_page import numbered_site
from fieldaudit.site_merge import MergeCandidate, merge_candidates, merge_sites
from fieldaudit.sites import coordinates
from fieldaudit.status import STATUS_LABELS, Action
from fieldaudit.taxonomy import GROUP_LABELS, SEVERITIES, category

SITE_FORMS = {
    "plan": PlanForm,
    "fix": FixForm,
    "close": ReasonForm,
    "reopen": ReasonForm,
    "note": NoteForm,
}
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _map_data(
    site: BarrierSite, reports: list[BarrierReport], candidates: list[MergeCandidate]
) -> dict[str, Any]:
    """The site's reports numbered as in its list, the merge candidates lettered."""
    points = {
        rid: to_wgs84(x, y)
        for rid, x, y in coordinates(
            db.session, BarrierReport.geom, BarrierReport.site_id == site.id
        )
    }
    features: list[dict[str, Any]] = []
    for number, report in enumerate(reports, start=1):
        if report.id in points:
            features.append(
                {
                    "type": "Feature",
                    "geometry": {"type": "Point", "coordinates": list(points[report.id])},
                    "properties": {
                        "kind": "numbered",
                        "number": str(number),
                        "label": f"{number}: " + gettext("Rapport #%(id)s", id=report.id),
                    },
                }
            )
    for letter, candidate in zip(LETTERS, candidates, strict=False):
        feature = numbered_site(candidate.site, 0, f"{letter}: #{candidate.site.id}")
        feature["properties"].update(kind="other", number=letter)
        features.append(feature)
    return {"type": "FeatureCollection", "features": features}


def _forms(site: BarrierSite, reports: list[BarrierReport], failed: dict[str, Any]):
    forms: dict[str, Any] = {
        name: failed.get(f"site-{name}") or form_class(prefix=f"site-{name}", formdata=None)
        for name, form_class in SITE_FORMS.items()
    }
    if "site-plan" not in failed:
        forms["plan"].year.data = site.planned_year
        forms["plan"].cost.data = site.planned_cost_dkk
    forms["bulk"] = failed.get("bulk") or bulk_form(site, reports)
    if "bulk" not in failed:
        forms["bulk"].reports.data = [
            r.id for r in report_review.decidable(reports, Action.VERIFY)
        ] or [r.id for r in report_review.decidable(reports, Action.REJECT)]
    forms["merge"] = failed.get("merge") or MergeForm(prefix="merge", formdata=None)
    return forms


def render_site(site: BarrierSite, failed: dict[str, Any] | None = None, status: int = 200):
    """The staff page of a site: its reports, map, history and the reviewers' and planners'
    actions; ``failed`` holds a submitted form with its errors."""
    failed = failed or {}
    reports = review_queue.site_reports(db.session, site)
    candidates = merge_candidates(db.session, site) if reports else []
    forms = _forms(site, reports, failed)
    history = site_history(db.session, site)
    merged_from = [
        e.after["from_site_id"]
        for e in history
        if e.action == Action.MERGE_SITE.value
        and e.site_id == site.id
        and "from_site_id" in e.after
    ]
    forms["merge"].target_choice.choices = [
        option(str(c.site.id), f"#{c.site.id}") for c in candidates
    ]
    return (
        render_template(
            "review/site.html",
            site=site,
            cat=category(site.category),
            reports=reports,
            candidates=list(zip(LETTERS, candidates, strict=False)),
            candidate_photos=review_queue.first_photos(db.session, [c.site.id for c in candidates]),
            decidable={
                "verify": report_review.decidable(reports, Action.VERIFY),
                "reject": report_review.decidable(reports, Action.REJECT),
            },
            map_data=_map_data(site, reports, candidates),
            forms=forms,
            history=history,
            merged_from=merged_from,
            actions=site_decisions.site_actions(site),
            can=lambda action: permissions.may(current_user, action),
            can_note=permissions.may_note_site(current_user),
            new_look=visibility.needs_new_look(site),
            merged_into=merged_into(db.session, site),
            statuses=STATUS_LABELS,
            severities=SEVERITIES,
            groups=GROUP_LABELS,
            Action=Action,
        ),
        status,
    )


@bp.get("/steder/<int:site_id>")
@require_role(*STAFF)
def site(site_id: int):
    """A barrier site for reviewers and planners; a merged site redirects to where it went."""
    found = site_or_404(site_id)
    target = merged_into(db.session, found)
    if target is not None and db.session.get(BarrierSite, target) is not None:
        flash(
            gettext(
                "Sted #%(old)s er lagt sammen med dette sted, sted #%(new)s.",
                old=found.id,
                new=target,
            ),
            "success",
        )
        return redirect(url_for("review.site", site_id=target))
    return render_site(found)


@bp.get("/steder/<int:site_id>/historik")
@require_role(*STAFF)
def merged_site(site_id: int):
    """A site as it is, without the redirect: a merged site's own history."""
    return render_site(site_or_404(site_id))


@bp.post("/steder/<int:site_id>/flet")
@require_role(*REVIEWERS)
def merge(site_id: int):
    """Merge this site into another one: its reports move, it redirects there from now on."""
    source = site_or_404(site_id)
    form = MergeForm(prefix="merge")
    form.target_choice.choices = []
    if not form.validate():
        return render_site(source, {"merge": form}, 422)
    target_id = form.target_id()
    target = db.session.get(BarrierSite, target_id) if target_id else None
    try:
        merge_sites(
            db.session, source, target, current_user._get_current_object(), form.reason.data or ""
        )
    except DomainError as error:
        db.session.rollback()
        if error.status == 403:
            abort(403)
        apply_problems(form, error)
        return render_site(source, {"merge": form}, 409 if error.status == 409 else 422)
    db.session.commit()
    flash(
        gettext(
            "Sted #%(old)s er lagt sammen med sted #%(new)s; rapporterne er flyttet hertil.",
            old=source.id,
            new=target.id,
        ),
        "success",
    )
    return redirect(url_for("review.site", site_id=target.id))


def _site_decision(site: BarrierSite, action: str, form: Any, user: Any) -> str:
    if action == "plan":
        note = form.note.data or ""
        site_decisions.plan_site(db.session, site, user, form.year.data, form.cost.data, note)
        return gettext("Udbedringen er planlagt.")
    if action == "fix":
        site_decisions.fix_site(db.session, site, user, form.note.data or "")
        return gettext("Stedet er markeret som udbedret.")
    if action == "close":
        site_decisions.close_site(db.session, site, user, form.reason.data or "")
        return gettext("Stedet er lukket uden handling.")
    if action == "reopen":
        site_decisions.reopen_site(db.session, site, user, form.reason.data or "")
        return gettext("Stedet er genåbnet.")
    public = form.visibility.data == "public"
    add_note(db.session, user, form.text.data or "", public, site=site)
    return gettext("Noten er gemt.")


@bp.post("/steder/<int:site_id>/<action>")
@require_role(*STAFF)
def site_act(site_id: int, action: str):
    """A planner's decision on a site, or a note."""
    site = site_or_404(site_id)
    if action not in SITE_FORMS:
        abort(404)
    user = current_user._get_current_object()
    if action == "note":
        if not permissions.may_note_site(user):
            abort(403)
    elif not permissions.may(user, Action(action)):
        abort(403)
    prefix = f"site-{action}"
    form = SITE_FORMS[action](prefix=prefix)
    if not form.validate():
        return render_site(site, {prefix: form}, 422)
    try:
        message = _site_decision(site, action, form, user)
    except DomainError as error:
        db.session.rollback()
        apply_problems(form, error)
        return render_site(site, {prefix: form}, 409 if error.status == 409 else 422)
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("review.site", site_id=site.id))
