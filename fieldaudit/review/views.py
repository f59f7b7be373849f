"""The review area for Handicaprådet: the queue, a report's page with every action, sites.

Handlers are thin: load the object (404), check the role (302 to sign in / 403), parse the form,
call the domain (``report_review``, ``site_decisions``, ``history``), commit once, redirect (Post/Redirect/Get). A form with errors is shown again
(422) with each error next to its field and in a summary.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    send_file,
    url_for,
)
from flask_babel import gettext
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from fieldaudit import (
    params,
    permissions,
    redaction,
    report_review,
    site_decisions,
    visibility,
)
from fieldaudit.accounts.forms import option
from fieldaudit.accounts.views import apply_problems, lang
from fieldaudit.authz import has_role, require_role
from fieldaudit.config import private_originals_dir
from fieldaudit.crs import to_wgs84
from fieldaudit.errors import DomainError
from fieldaudit.extensions import db
from fieldaudit.geojson import wgs84_geometry
from fieldaudit.history import add_note, full_history, merged_into, site_history
from fieldaudit.models import Area, BarrierReport, BarrierSite, Photo
from fieldaudit.permissions import REVIEWERS, STAFF
from fieldaudit.photos import media_path
from fieldaudit.review.forms import (
    CorrectForm,
    DuplicateForm,
    FixForm,
    HideForm,
    NoteForm,
    PlanForm,
    ReasonForm,
    RedactForm,
    RejectForm,
    VerifyForm,
)
from fieldaudit.sites import coordinates
from fieldaudit.status import STATUS_LABELS, Action, Role, Status
from fieldaudit.taxonomy import (
    CATEGORIES,
    GROUP_LABELS,
    MUNICIPALITY,
    SEVERITIES,
    Group,
    Severity,
    category,
    judge,
    tags_for,
)
from fieldaudit.web import query
from fieldaudit.web.query import CHOICE, DATE, ID, INT, Param, query_params

bp = Blueprint("review", __name__, template_folder="templates", url_prefix="/gennemgang")

PAGE_SIZE = 25


# --- the queue ---------------------------------------------------------------------------------


MAX_PAGE = 100_000


@dataclass
class QueueFilter:
    """The queue's filters, read from the query string (unknown values are ignored)."""

    status: str = Status.NEW.value
    area: int | None = None
    category: str = ""
    group: str = ""
    severity: str = ""
    since: date | None = None
    until: date | None = None
    page: int = 1

    @classmethod
    def from_args(cls, args: Any) -> QueueFilter:
        """Parse the query string."""

        status = args.get("status", Status.NEW.value)
        area = args.get("area", "")
        page = args.get("page", "1")
        return cls(
            status=status if status in {s.value for s in Status} | {""} else Status.NEW.value,
            area=params.record_id(area),
            category=args.get("category", "") if category(args.get("category", "")) else "",
            group=args.get("group", "") if args.get("group") in {g.value for g in Group} else "",
            severity=args.get("severity", "")
            if args.get("severity") in {s.value for s in Severity}
            else "",
            since=params.iso_date(args.get("since")),
            until=params.iso_date(args.get("until")),
            page=params.ascii_int(page, 1, MAX_PAGE) or 1,
        )

    def args(self, **changes: Any) -> dict[str, Any]:
        """The filters as query arguments (for links to other pages)."""
        values = {
            "status": self.status,
            "area": self.area or "",
            "category": self.category,
            "group": self.group,
            "severity": self.severity,
            "since": self.since.isoformat() if self.since else "",
            "until": self.until.isoformat() if self.until else "",
            "page": self.page,
        }
        values.update(changes)
        return {k: v for k, v in values.items() if v not in ("", None)}

    def conditions(self) -> list[Any]:
        """SQL conditions of the filters."""
        found: list[Any] = []
        if self.status:
            found.append(BarrierReport.status == self.status)
        if self.area:
            found.append(BarrierReport.area_id == self.area)
        if self.category:
            found.append(BarrierReport.category == self.category)
        if self.severity:
            found.append(BarrierReport.severity == self.severity)
        if self.since:
            found.append(BarrierReport.created_at >= datetime.combine(self.since, time(), UTC))
        if self.until:
            end = datetime.combine(self.until + timedelta(days=1), time(), UTC)
            found.append(BarrierReport.created_at < end)
        return found


def _matches_group(report: BarrierReport, group: str) -> bool:
    return not group or group in (report.groups or [])


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
    """Reports to review, oldest first, with filters and pages."""
    filters = QueueFilter.from_args(query.declared_args())
    stmt = (
        select(BarrierReport)
        .options(selectinload(BarrierReport.area), selectinload(BarrierReport.photos))
        .where(*filters.conditions())
        .order_by(BarrierReport.created_at, BarrierReport.id)
    )
    if filters.group:
        # Groups are a JSON list: filter in Python over the (already filtered) ids.
        rows = db.session.execute(
            select(BarrierReport.id, BarrierReport.groups)
            .where(*filters.conditions())
            .order_by(BarrierReport.created_at, BarrierReport.id)
        ).all()
        ids = [rid for rid, groups in rows if filters.group in (groups or [])]
        total = len(ids)
        page_ids = ids[(filters.page - 1) * PAGE_SIZE : filters.page * PAGE_SIZE]
        by_id = {
            r.id: r for r in db.session.scalars(stmt.where(BarrierReport.id.in_(page_ids or [-1])))
        }
        reports = [by_id[i] for i in page_ids if i in by_id]
    else:
        total = (
            db.session.scalar(
                select(func.count()).select_from(BarrierReport).where(*filters.conditions())
            )
            or 0
        )
        reports = list(
            db.session.scalars(stmt.limit(PAGE_SIZE).offset((filters.page - 1) * PAGE_SIZE))
        )
    pages = max(1, math.ceil(total / PAGE_SIZE))
    areas = db.session.scalars(
        select(Area).where(Area.kind != MUNICIPALITY).order_by(Area.name)
    ).all()
    now = datetime.now(UTC)
    return render_template(
        "review/queue.html",
        reports=reports,
        filters=filters,
        total=total,
        pages=pages,
        areas=areas,
        categories=CATEGORIES,
        groups=GROUP_LABELS,
        severities=SEVERITIES,
        statuses=STATUS_LABELS,
        new_look={
            r.id: r.site is not None and visibility.needs_new_look(r.site, now) for r in reports
        },
    )


# --- one report ----------------------------------------------------------------------------------


def _report_or_404(report_id: int) -> BarrierReport:
    report = db.session.get(BarrierReport, report_id)
    if report is None:
        abort(404)
    return report


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
    language = lang()
    forms: dict[str, Any] = {}
    for prefix, form_class in (
        ("verify", VerifyForm),
        ("reject", RejectForm),
        ("duplicate", DuplicateForm),
        ("correct", CorrectForm),
        ("note", NoteForm),
        ("hide", HideForm),
    ):
        forms[prefix] = failed.get(prefix) or form_class(prefix=prefix, formdata=None)
    correct = forms["correct"]
    correct.fill_choices(language)
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


def _point(report: BarrierReport) -> tuple[float, float]:
    ((_, x, y),) = coordinates(db.session, BarrierReport.geom, BarrierReport.id == report.id)
    return to_wgs84(x, y)


def _map_data(report: BarrierReport, nearby: list[visibility.NearbySite]) -> dict[str, Any]:
    """The small map's GeoJSON; the template writes it with ``tojson`` (names may hold markup)."""
    lon, lat = _point(report)
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [lon, lat]},
            "properties": {"kind": "report", "label": f"#{report.id}"},
        }
    ]
    for candidate in nearby:
        features.append(
            {
                "type": "Feature",
                "geometry": wgs84_geometry(candidate.site.geom),
                "properties": {"kind": "site", "label": f"#{candidate.site.id}"},
            }
        )
    if report.area is not None:
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
    language = lang()
    return (
        render_template(
            "review/detail.html",
            report=report,
            cat=category(report.category),
            forms=forms,
            photo_forms=_photo_forms(report, failed),
            measurements=_measurements(report),
            nearby=nearby,
            history=full_history(db.session, report),
            map_data=_map_data(report, nearby),
            point=_point(report),
            new_look=report.site is not None and visibility.needs_new_look(report.site),
            statuses=STATUS_LABELS,
            groups=GROUP_LABELS,
            severities=SEVERITIES,
            tag_labels={t.code: t.label.get(language) for t in tags_for(category(report.category))}
            if category(report.category)
            else {},
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
    return render_detail(_report_or_404(report_id))


def _done(report: BarrierReport, message: str, anchor: str = ""):
    db.session.commit()
    flash(message, "success")
    return redirect(
        url_for("review.report", report_id=report.id) + (f"#{anchor}" if anchor else "")
    )


REPORT_ACTIONS = ("verify", "reject", "duplicate", "correct", "note", "hide", "show")


@bp.post("/rapporter/<int:report_id>/<action>")
@require_role(*REVIEWERS)
def act(report_id: int, action: str):
    """One action on a report (Post/Redirect/Get)."""
    report = _report_or_404(report_id)
    if action not in REPORT_ACTIONS:
        abort(404)
    prefix = "hide" if action in ("hide", "show") else action
    form_class = {
        "verify": VerifyForm,
        "reject": RejectForm,
        "duplicate": DuplicateForm,
        "correct": CorrectForm,
        "note": NoteForm,
        "hide": HideForm,
    }[prefix]
    form = form_class(prefix=prefix)
    if isinstance(form, CorrectForm):
        form.fill_choices(lang())
    if isinstance(form, DuplicateForm):
        form.site_choice.choices = []
    if not form.validate():
        return render_detail(report, {prefix: form}, 422)
    user = current_user._get_current_object()
    try:
        if action == "verify":
            report_review.verify_report(db.session, report, user, form.note.data or "")
            return _done(report, gettext("Rapporten er bekræftet."), "status")
        if action == "reject":
            report_review.reject_report(db.session, report, user, form.reason.data or "")
            return _done(report, gettext("Rapporten er afvist."), "status")
        if action == "duplicate":
            target_id = form.target_id()
            target = db.session.get(BarrierSite, target_id) if target_id else None
            report_review.mark_duplicate(db.session, report, user, target, form.reason.data or "")
            return _done(
                report,
                gettext(
                    "Rapporten er flettet ind i sted #%(site)s.", site=target.id if target else ""
                ),
                "status",
            )
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
            message = gettext("Rettelsen er gemt.") if entry else gettext("Intet var ændret.")
            return _done(report, message, "correct")
        if action == "note":
            add_note(
                db.session,
                user,
                form.text.data or "",
                form.visibility.data == "public",
                report=report,
            )
            return _done(report, gettext("Noten er gemt."), "history")
        hidden = action == "hide"
        report_review.set_report_hidden(db.session, report, user, hidden, form.reason.data or "")
        message = (
            gettext("Rapporten er skjult for offentligheden.")
            if hidden
            else gettext("Rapporten vises igen offentligt.")
        )
        return _done(report, message, "visibility")
    except DomainError as error:
        db.session.rollback()
        if error.status == 403:
            abort(403)
        apply_problems(form, error)
        return render_detail(report, {prefix: form}, 409 if error.status == 409 else 422)


# --- photos --------------------------------------------------------------------------------------


def _photo_or_404(photo_id: int) -> Photo:
    photo = db.session.get(Photo, photo_id)
    if photo is None:
        abort(404)
    return photo


@bp.get("/fotos/<int:photo_id>/<variant>")
@require_role(*REVIEWERS)
def photo_file(photo_id: int, variant: str):
    """A photo for reviewers, hidden ones too; the private original only for administrators."""
    photo = _photo_or_404(photo_id)
    if variant == "display":
        path = media_path(current_app.config["MEDIA_DIR"], photo.display_name)
    elif variant == "thumb":
        path = media_path(current_app.config["MEDIA_DIR"], photo.thumb_name)
    elif variant == "original":
        if not has_role(current_user, Role.ADMIN):
            abort(403)
        path = (
            media_path(private_originals_dir(current_app.config), photo.original_name)
            if photo.original_name
            else None
        )
    else:
        abort(404)
    if path is None or not path.is_file():
        abort(404)
    response = send_file(path, mimetype="image/jpeg", conditional=True, etag=True)
    response.cache_control.private = True
    response.cache_control.no_store = True
    return response


PHOTO_ACTIONS = ("hide", "show", "redact")


@bp.post("/fotos/<int:photo_id>/<action>")
@require_role(*REVIEWERS)
def photo_act(photo_id: int, action: str):
    """Hide, show again or black out part of a photo."""
    photo = _photo_or_404(photo_id)
    if action not in PHOTO_ACTIONS:
        abort(404)
    report = photo.report
    user = current_user._get_current_object()
    anchor = f"photo-{photo.id}"
    if action in ("hide", "show"):
        prefix = f"photo-{photo.id}-hide"
        form = HideForm(prefix=prefix)
        if not form.validate():
            return render_detail(report, {prefix: form}, 422)
        try:
            report_review.set_photo_hidden(
                db.session, photo, user, action == "hide", form.reason.data or ""
            )
        except DomainError as error:
            db.session.rollback()
            apply_problems(form, error)
            return render_detail(report, {prefix: form}, 422)
        message = (
            gettext("Fotoet er skjult for offentligheden.")
            if action == "hide"
            else gettext("Fotoet vises igen offentligt.")
        )
        return _done(report, message, anchor)
    prefix = f"photo-{photo.id}-redact"
    form = RedactForm(prefix=prefix)
    if not form.validate():
        return render_detail(report, {prefix: form}, 422)
    try:
        box = redaction.box_from_percent(
            float(form.left.data),
            float(form.top.data),
            float(form.width.data),
            float(form.height.data),
        )
        result = report_review.redact_photo(
            db.session,
            photo,
            user,
            [box],
            current_app.config["MEDIA_DIR"],
            private_originals_dir(current_app.config),
            form.reason.data or "",
        )
    except DomainError as error:
        db.session.rollback()
        apply_problems(form, error)
        return render_detail(report, {prefix: form}, 422)
    try:
        db.session.commit()
    except Exception:
        db.session.rollback()
        redaction.discard_new(current_app.config["MEDIA_DIR"], result)
        raise
    redaction.discard_obsolete(result)
    flash(gettext("Det valgte område er sløret. Originalen er gemt privat."), "success")
    return redirect(url_for("review.report", report_id=report.id) + f"#{anchor}")


# --- sites (reviewers and planners) ----------------------------------------------------------------


def _site_or_404(site_id: int) -> BarrierSite:
    site = db.session.get(BarrierSite, site_id)
    if site is None:
        abort(404)
    return site


SITE_FORMS = {
    "plan": PlanForm,
    "fix": FixForm,
    "close": ReasonForm,
    "reopen": ReasonForm,
    "note": NoteForm,
}


def render_site(site: BarrierSite, failed: dict[str, Any] | None = None, status: int = 200):
    """The staff page of a site: its reports, history and the planners' actions."""
    failed = failed or {}
    forms = {
        name: failed.get(f"site-{name}") or form_class(prefix=f"site-{name}", formdata=None)
        for name, form_class in SITE_FORMS.items()
    }
    if "site-plan" not in failed:
        forms["plan"].year.data = site.planned_year
        forms["plan"].cost.data = site.planned_cost_dkk
    reports = db.session.scalars(
        select(BarrierReport)
        .where(BarrierReport.site_id == site.id)
        .order_by(BarrierReport.created_at, BarrierReport.id)
    ).all()
    return (
        render_template(
            "review/site.html",
            site=site,
            cat=category(site.category),
            reports=reports,
            forms=forms,
            history=site_history(db.session, site),
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
    """A barrier site for reviewers and planners."""
    return render_site(_site_or_404(site_id))


@bp.post("/steder/<int:site_id>/<action>")
@require_role(*STAFF)
def site_act(site_id: int, action: str):
    """A planner's decision on a site, or a note."""
    site = _site_or_404(site_id)
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
        if action == "plan":
            site_decisions.plan_site(
                db.session, site, user, form.year.data, form.cost.data, form.note.data or ""
            )
            message = gettext("Udbedringen er planlagt.")
        elif action == "fix":
            site_decisions.fix_site(db.session, site, user, form.note.data or "")
            message = gettext("Stedet er markeret som udbedret.")
        elif action == "close":
            site_decisions.close_site(db.session, site, user, form.reason.data or "")
            message = gettext("Stedet er lukket uden handling.")
        elif action == "reopen":
            site_decisions.reopen_site(db.session, site, user, form.reason.data or "")
            message = gettext("Stedet er genåbnet.")
        else:
            add_note(
                db.session, user, form.text.data or "", form.visibility.data == "public", site=site
            )
            message = gettext("Noten er gemt.")
    except DomainError as error:
        db.session.rollback()
        apply_problems(form, error)
        return render_site(site, {prefix: form}, 409 if error.status == 409 else 422)
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("review.site", site_id=site.id) + "#status")
