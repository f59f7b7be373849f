"""Planning handlers: parse the filter, call the domain, render or stream the export."""

from __future__ import annotations

import io
import math
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext
from flask_login import current_user
from geoalchemy2.shape import to_shape
from sqlalchemy import select

from fieldaudit import params, site_decisions, visibility
from fieldaudit.area_stats import COVERAGE_COLOURS, COVERAGE_LABELS, area_statistics, never_audited
from fieldaudit.authz import require_role
from fieldaudit.crs import to_wgs84
from fieldaudit.errors import DomainError
from fieldaudit.exports import csv as csv_export
from fieldaudit.exports import geojson as geojson_export
from fieldaudit.exports import gpkg as gpkg_export
from fieldaudit.exports.rows import area_rows, boundary, report_rows, site_rows
from fieldaudit.extensions import db
from fieldaudit.geojson import wgs84_geometry
from fieldaudit.history import site_history
from fieldaudit.map_bands import LEGEND_RULE, band_of, quantile_bands
from fieldaudit.models import Area, BarrierSite
from fieldaudit.network.profiles import PROFILES
from fieldaudit.planning import printing
from fieldaudit.planning.domain import (
    ALL,
    AWAITING,
    OPEN,
    READY,
    VIEWS,
    SiteFilter,
    can_be_planned,
    count_views,
    estimate_from_text,
    plan_from_text,
    plannability,
    ranked_sites,
    site_reports,
)
from fieldaudit.priority import (
    PRESETS,
    PRIORITY_CLASSES,
    WEIGHTS,
    explain_parts,
    published_weights,
)
from fieldaudit.status import STATUS_LABELS, Action, Role, Status
from fieldaudit.taxonomy import CATEGORIES, GROUP_LABELS, MUNICIPALITY, SEVERITIES, category
from fieldaudit.web import query
from fieldaudit.web.i18n import select_language
from fieldaudit.web.query import CHOICE, ID, INT, Param, query_params

MAX_PAGE = 100_000
# The ranked list's filters (SiteFilter.from_args), shared by the list and its exports.
FILTER_PARAMETERS = {
    "area": Param(ID, ("1",)),
    "category": Param(CHOICE, ("step",)),
    "group": Param(CHOICE, ("WHEEL",)),
    "status": Param(CHOICE, ("ready", "awaiting", "open", "all", "verified")),
    "preset": Param(CHOICE, ("balanced",)),
}

planning = Blueprint("planning", __name__, template_folder="templates")

PER_PAGE = 25
EXPORT_FORMATS = {
    "geojson": (geojson_export.MEDIA_TYPE, "geojson"),
    "csv": (csv_export.MEDIA_TYPE, "csv"),
    "gpkg": (gpkg_export.MEDIA_TYPE, "gpkg"),
    "png": ("image/png", "png"),
    "pdf": ("application/pdf", "pdf"),
}


def _choices(lang: str) -> dict[str, Any]:
    """What the filter form offers."""
    areas = db.session.scalars(
        select(Area).where(Area.kind != MUNICIPALITY).order_by(Area.name)
    ).all()
    return {
        "areas": areas,
        "categories": [(c.code, c.label.get(lang)) for c in CATEGORIES],
        "groups": [(g.value, label.get(lang)) for g, label in GROUP_LABELS.items()],
        "statuses": [(s.value, STATUS_LABELS[s].get(lang)) for s in Status],
        "presets": [(p.code, p.label.get(lang)) for p in PRESETS.values()],
        "open_value": OPEN,
        "all_value": ALL,
        "ready_value": READY,
        "awaiting_value": AWAITING,
    }


def _page_number() -> int:
    return params.ascii_int(query.arg("side"), 1, MAX_PAGE) or 1


def _map_points(rows: list[Any], bands: list[Any]) -> list[dict[str, Any]]:
    return [
        {
            "rank": r.rank,
            "lat": r.lat,
            "lon": r.lon,
            "class": band_of(bands, r.score).number,
            "label": f"{r.rank}. {r.category_label}" + (f" · {r.area}" if r.area else ""),
            "url": url_for("planning.site", site_id=r.site_id),
        }
        for r in rows
    ]


@planning.get("/")
@require_role(Role.PLANNER)
@query_params(**FILTER_PARAMETERS, side=Param(INT, ("1", "2")))
def index():
    """The ranked list of sites (with a map of the same page), filters and export links."""
    lang = select_language()
    site_filter = SiteFilter.from_args(query.declared_args())
    page = _page_number()
    sites, total = ranked_sites(
        db.session, site_filter, limit=PER_PAGE, offset=(page - 1) * PER_PAGE
    )
    pages = max(1, math.ceil(total / PER_PAGE))
    if page > pages and total:
        return redirect(url_for("planning.index", **site_filter.as_args(), side=pages))
    rows = site_rows(
        db.session, sites, site_filter.preset, lang, first_rank=(page - 1) * PER_PAGE + 1
    )
    bands = quantile_bands([r.score for r in rows])
    return render_template(
        "planning/index.html",
        site_filter=site_filter,
        filter_text=site_filter.describe(db.session, lang),
        rows=rows,
        total=total,
        page=page,
        pages=pages,
        map_points=_map_points(rows, bands),
        bands=bands,
        band_numbers={r.site_id: band_of(bands, r.score).number for r in rows},
        band_rule=LEGEND_RULE.get(lang),
        plan_notes={
            r.site_id: (plannability(r.status).get(lang), can_be_planned(r.status)) for r in rows
        },
        views=[
            (
                view,
                label.get(lang),
                count,
                url_for("planning.index", **replace(site_filter, status=view).as_args()),
            )
            for (view, label), count in zip(
                VIEWS.items(), count_views(db.session, site_filter).values(), strict=True
            )
        ],
        exports=_export_links(site_filter),
        **_choices(lang),
    )


def _export_links(site_filter: SiteFilter) -> list[tuple[str, str, str]]:
    args = site_filter.as_args()
    return [
        ("geojson", gettext("GeoJSON (WGS84)"), url_for("planning.export", fmt="geojson", **args)),
        (
            "csv",
            gettext("CSV (engelske kolonnenavne)"),
            url_for("planning.export", fmt="csv", **args),
        ),
        (
            "csv",
            gettext("CSV (danske kolonnenavne)"),
            url_for("planning.export", fmt="csv", kolonner="da", **args),
        ),
        (
            "gpkg",
            gettext("GeoPackage (EPSG:25832) til QGIS"),
            url_for("planning.export", fmt="gpkg", **args),
        ),
        (
            "png",
            gettext("Prioriteret kort, PNG (A4)"),
            url_for("planning.export", fmt="png", **args),
        ),
        (
            "pdf",
            gettext("Prioriteret kort, PDF (A4)"),
            url_for("planning.export", fmt="pdf", **args),
        ),
    ]


@planning.get("/omraader")
@require_role(Role.PLANNER)
@query_params(preset=FILTER_PARAMETERS["preset"])
def areas():
    """Statistics per area and the coverage map for planning audit walks."""
    lang = select_language()
    preset = params.choice(query.arg("preset"), PRESETS, "balanced")
    stats = area_statistics(db.session, preset)
    now = datetime.now(UTC)
    geometries = {
        a.id: wgs84_geometry(a.geom)
        for a in db.session.scalars(select(Area).where(Area.kind != MUNICIPALITY))
    }
    coverage = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": geometries[s.area_id],
                "properties": {
                    "name": s.name,
                    "coverage": s.coverage(now),
                    "colour": COVERAGE_COLOURS[s.coverage(now)],
                    "label": COVERAGE_LABELS[s.coverage(now)].get(lang),
                },
            }
            for s in stats
            if s.area_id in geometries
        ],
    }
    return render_template(
        "planning/areas.html",
        stats=stats,
        never=never_audited(stats),
        now=now,
        coverage=coverage,
        coverage_labels={k: v.get(lang) for k, v in COVERAGE_LABELS.items()},
        coverage_colours=COVERAGE_COLOURS,
        category_labels={c.code: c.label.get(lang) for c in CATEGORIES},
        severity_labels={s.value: i.label.get(lang) for s, i in SEVERITIES.items()},
        severities=[s.value for s in SEVERITIES],
        preset=preset,
        presets=[(p.code, p.label.get(lang)) for p in PRESETS.values()],
    )


def _load_site(site_id: int) -> BarrierSite:
    site = db.session.get(BarrierSite, site_id)
    if site is None:
        abort(404)
    return site


def _render_site(site: BarrierSite, errors: list[Any] | None = None, status: int = 200):
    lang = select_language()
    (row,) = site_rows(db.session, [site], lang=lang)
    cat = category(site.category)
    actions = site_decisions.site_actions(site)
    reports = site_reports(db.session, site)
    return (
        render_template(
            "planning/site.html",
            site=site,
            row=row,
            category_label=cat.label.get(lang) if cat else site.category,
            reasons=explain_parts(site.priority_factors or {}, lang),
            factors=site.priority_factors or {},
            history=site_history(db.session, site),
            errors=errors or [],
            lang=lang,
            this_year=datetime.now(UTC).year,
            form=request.form,
            can_plan=Action.PLAN in actions,
            can_fix=Action.FIX in actions,
            plan_note=plannability(site.status).get(lang),
            reports=[
                (
                    report,
                    visibility.report_content_is_public(report),
                    [p for p in report.photos if visibility.photo_is_public(p)],
                )
                for report in reports
            ],
            site_map=_site_map(row, reports),
        ),
        status,
    )


def _site_map(row: Any, reports: list[Any]) -> dict[str, Any]:
    """The site and its reports' positions for the site page's map (WGS84)."""
    points = []
    for number, report in enumerate(reports, start=1):
        shape = to_shape(report.geom)
        lon, lat = to_wgs84(shape.x, shape.y)
        points.append({"n": number, "lat": lat, "lon": lon, "status": report.status})
    return {"site": {"lat": row.lat, "lon": row.lon, "rank": row.rank}, "reports": points}


@planning.get("/steder/<int:site_id>")
@require_role(Role.PLANNER)
def site(site_id: int):
    """One site: why it ranks where it does, its history, and the plan and fix forms."""
    return _render_site(_load_site(site_id))


def _decide(site_id: int, decide: Callable[[BarrierSite, Any], object], message: str):
    """Apply a planner's decision through the lifecycle; commit, or show what was wrong."""
    site = _load_site(site_id)
    try:
        decide(site, current_user._get_current_object())
    except DomainError as error:
        db.session.rollback()
        return _render_site(_load_site(site_id), error.problems, error.status)
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("planning.site", site_id=site_id))


@planning.post("/steder/<int:site_id>/planlagt")
@require_role(Role.PLANNER)
def plan(site_id: int):
    """Mark a site planned for a year, at a cost in DKK."""
    return _decide(
        site_id,
        lambda site, user: plan_from_text(
            db.session, site, user, request.form.get("year", ""), request.form.get("cost", "")
        ),
        gettext("Stedet er markeret som planlagt."),
    )


@planning.post("/steder/<int:site_id>/prisoverslag")
@require_role(Role.PLANNER)
def estimate(site_id: int):
    """Set an open site's cost estimate in DKK without planning it (for the what-if)."""
    return _decide(
        site_id,
        lambda site, user: estimate_from_text(db.session, site, user, request.form.get("cost", "")),
        gettext("Prisoverslaget er gemt."),
    )


@planning.post("/steder/<int:site_id>/udbedret")
@require_role(Role.PLANNER)
def fix(site_id: int):
    """Mark a site fixed, with an optional note."""
    return _decide(
        site_id,
        lambda site, user: site_decisions.fix_site(
            db.session, site, user, request.form.get("note", "")
        ),
        gettext("Stedet er markeret som udbedret."),
    )


@planning.get("/eksport.<fmt>")
@require_role(Role.PLANNER)
@query_params(**FILTER_PARAMETERS, kolonner=Param(CHOICE, ("da", "en")))
def export(fmt: str):
    """The current filter's sites as GeoJSON, CSV, GeoPackage, or a printable map (PNG/PDF)."""
    if fmt not in EXPORT_FORMATS:
        abort(404)
    lang = select_language()
    site_filter = SiteFilter.from_args(query.declared_args())
    sites, _total = ranked_sites(db.session, site_filter)
    rows = site_rows(db.session, sites, site_filter.preset, lang)
    now = datetime.now(UTC)
    filter_text = site_filter.describe(db.session, lang)
    if fmt == "geojson":
        data = geojson_export.sites_geojson_bytes(
            rows,
            {
                "filter": site_filter.as_args(),
                "description": filter_text,
                "exported": now.isoformat(timespec="seconds"),
            },
        )
    elif fmt == "csv":
        data = csv_export.sites_csv_bytes(rows, danish=query.arg("kolonner") == "da")
    elif fmt == "gpkg":
        data = gpkg_export.geopackage_bytes(
            rows,
            report_rows(db.session, [r.site_id for r in rows]),
            area_rows(db.session, site_filter.preset),
        )
    else:
        focus = None
        if site_filter.area_id is not None and (area := db.session.get(Area, site_filter.area_id)):
            focus = to_shape(area.geom)
        make = printing.priority_map_png if fmt == "png" else printing.priority_map_pdf
        data = make(
            rows,
            area_rows(db.session, site_filter.preset),
            boundary(db.session),
            filter_text,
            now.date(),
            lang=lang,
            focus=focus,
        )
    mimetype, suffix = EXPORT_FORMATS[fmt]
    response = send_file(
        io.BytesIO(data),
        mimetype=mimetype,
        as_attachment=True,
        download_name=f"fieldaudit-prioriteter-{now:%Y-%m-%d}.{suffix}",
        max_age=0,
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


@planning.get("/saadan-prioriterer-vi")
def how():
    """The priority formula and its weights in plain Danish (public)."""
    lang = select_language()
    return render_template(
        "planning/how.html",
        weights=WEIGHTS,
        presets=list(PRESETS.values()),
        classes=PRIORITY_CLASSES,
        severities=SEVERITIES,
        group_labels={g.value: label.get(lang) for g, label in GROUP_LABELS.items()},
        published=published_weights(),
        network_profiles=list(PROFILES.values()),  # issue 16: fieldaudit/network/profiles.py
        network_spacing=current_app.config["NETWORK_SPACING_M"],
        lang=lang,
    )
