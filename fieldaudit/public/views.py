"""The public side: the map of Herlev's areas and the public record of barriers.

What is public is decided in ``visibility`` (``report_is_public``, ``report_content_is_public``,
``site_is_public``, ``photo_is_public``) and ``history.public_history``: reviewed and not hidden; of a
rejected report only its status, public reason, category, area and date. Reporters are anonymous unless
they chose to show their name; no e-mail, account, device or internal note is ever rendered here.
"""

from __future__ import annotations

import json
import math
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    session,
    url_for,
)
from flask_babel import gettext
from flask_login import current_user
from geoalchemy2.shape import to_shape
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from fieldaudit import params, visibility
from fieldaudit.areas import area_index
from fieldaudit.extensions import db
from fieldaudit.geojson import wgs84_geometry
from fieldaudit.history import merged_into, public_history
from fieldaudit.models import (
    Area,
    BarrierReport,
    BarrierSite,
    Destination,
    HistoryEntry,
    Photo,
)
from fieldaudit.network.area_summary import GroupSummary, area_summary
from fieldaudit.photos import media_path
from fieldaudit.place_map import nearest_place, small_map
from fieldaudit.plain_text import clean_xml_tree
from fieldaudit.sites import CONFIRMATION_KINDS, add_confirmation
from fieldaudit.status import PUBLIC_SITE_STATUSES, Status
from fieldaudit.taxonomy import (
    AREA_KINDS,
    CATEGORIES,
    MUNICIPALITY,
    category,
)
from fieldaudit.web import query
from fieldaudit.web.client import client_address_key
from fieldaudit.web.i18n import select_language
from fieldaudit.web.labels import action_label, category_label, status_label
from fieldaudit.web.query import CHOICE, FLAG, ID, INT, Param, query_params

public = Blueprint("public", __name__, template_folder="templates")

PAGE_SIZE = 50
FEED_ENTRIES = 50
ATOM = "http://www.w3.org/2005/Atom"
PHOTO_VARIANTS = ("display", "thumb")


# --- the map of areas ---------------------------------------------------------------------------


@public.get("/")
def index():
    """The map of Herlev's public spaces, with the same areas as a list."""
    areas = db.session.scalars(
        select(Area).where(Area.kind != MUNICIPALITY).order_by(Area.name)
    ).all()
    kinds = {k.code: k.label for k in AREA_KINDS}
    return render_template(
        "public/index.html",
        areas=areas,
        kinds=kinds,
        tile_url=current_app.config["TILE_URL"],
    )


@public.get("/favicon.ico")
def favicon():
    """The site's icon where browsers look for it by default."""
    response = send_file(
        Path(current_app.static_folder or "") / "icons" / "favicon.ico",
        mimetype="image/vnd.microsoft.icon",
        conditional=True,
    )
    response.cache_control.public = True
    response.cache_control.max_age = 86400
    return response


# --- the public list and map of barriers ----------------------------------------------------------


MAX_PAGE = 100_000
SITE_FILTERS = {
    "status": Param(CHOICE, tuple(PUBLIC_SITE_STATUSES)),
    "area": Param(ID, ("1",)),
    "category": Param(CHOICE, tuple(c.code for c in CATEGORIES)),
    "new_look": Param(FLAG, ("1",)),
    "page": Param(INT, ("1", "2")),
}


def _site_filters() -> dict[str, Any]:
    """The list's filters; a value that is not one of the form's falls back to 'no filter'."""
    code = query.arg("category") or ""
    return {
        "status": params.choice(query.arg("status"), PUBLIC_SITE_STATUSES, ""),
        "area": params.record_id(query.arg("area")),
        "category": code if category(code) else "",
        "new_look": query.arg("new_look") == "1",
        "page": params.ascii_int(query.arg("page"), 1, MAX_PAGE) or 1,
    }


def _site_conditions(filters: dict[str, Any]) -> list[Any]:
    conditions: list[Any] = [visibility.public_site_clause()]
    if filters["status"]:
        conditions.append(BarrierSite.status == filters["status"])
    if filters["area"]:
        conditions.append(BarrierSite.area_id == filters["area"])
    if filters["category"]:
        conditions.append(BarrierSite.category == filters["category"])
    if filters["new_look"]:
        conditions.append(
            BarrierSite.status.in_([Status.VERIFIED.value, Status.PLANNED.value]),
        )
        conditions.append(BarrierSite.last_seen < visibility.new_look_before())
    return conditions


def _area_summary(area: Area | None) -> tuple[str, list[GroupSummary]]:
    """The area's meaning per group, from the station (the first destination of that kind)."""
    if area is None:
        return "", []
    station = db.session.scalar(
        select(Destination).where(Destination.kind == "station").order_by(Destination.id).limit(1)
    )
    start = None
    if station is not None:
        point = to_shape(station.geom)
        start = (point.x, point.y)
    summary = area_summary(db.session, area.id, to_shape(area.geom), start)
    return (station.name if station is not None else ""), summary


@public.get("/barrierer")
@query_params(**SITE_FILTERS)
def sites():
    """The public list (and map) of verified barriers and their status."""
    filters = _site_filters()
    conditions = _site_conditions(filters)
    total = db.session.scalar(select(func.count()).select_from(BarrierSite).where(*conditions)) or 0
    rows = db.session.scalars(
        select(BarrierSite)
        .options(selectinload(BarrierSite.area))
        .where(*conditions)
        .order_by(BarrierSite.last_seen.desc(), BarrierSite.id.desc())
        .limit(PAGE_SIZE)
        .offset((filters["page"] - 1) * PAGE_SIZE)
    ).all()
    areas = db.session.scalars(
        select(Area).where(Area.kind != MUNICIPALITY).order_by(Area.name)
    ).all()
    link_args = {
        k: ("1" if v is True else v)
        for k, v in filters.items()
        if v not in ("", None, False) and k != "page"
    }
    area = db.session.get(Area, filters["area"]) if filters["area"] else None
    station, summary = _area_summary(area)
    return render_template(
        "public/sites.html",
        sites=rows,
        total=total,
        pages=max(1, math.ceil(total / PAGE_SIZE)),
        filters=filters,
        link_args=link_args,
        areas=areas,
        categories=CATEGORIES,
        public_statuses=PUBLIC_SITE_STATUSES,
        needs_new_look=visibility.needs_new_look,
        area=area,
        station=station,
        summary=summary,
        tile_url=current_app.config["TILE_URL"],
    )


@public.get("/barrierer.geojson")
@query_params(**SITE_FILTERS)
def sites_geojson():
    """The public barriers as GeoJSON (WGS84) for the map; the same filters as the list."""
    filters = _site_filters()
    rows = db.session.scalars(
        select(BarrierSite).where(*_site_conditions(filters)).order_by(BarrierSite.id).limit(5000)
    ).all()
    features = [
        {
            "type": "Feature",
            "id": site.id,
            "geometry": wgs84_geometry(site.geom),
            "properties": {
                "status": site.status,
                "status_label": status_label(site.status),
                "category_label": category_label(site.category),
                "url": url_for("public.site", site_id=site.id),
            },
        }
        for site in rows
    ]
    response = current_app.response_class(
        json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False),
        mimetype="application/geo+json",
    )
    response.cache_control.public = True
    response.cache_control.max_age = 300
    return response


# --- one site, one report --------------------------------------------------------------------------


def _public_site_or_404(site_id: int) -> BarrierSite:
    site = db.session.get(BarrierSite, site_id)
    if site is None or not visibility.site_is_public(site):
        abort(404)
    return site


def _public_reports(site: BarrierSite) -> list[BarrierReport]:
    return list(
        db.session.scalars(
            select(BarrierReport)
            .options(selectinload(BarrierReport.photos))
            .where(BarrierReport.site_id == site.id, visibility.public_report_clause())
            .order_by(BarrierReport.created_at, BarrierReport.id)
        )
    )


def _kind_label(code: str) -> str:
    """An area kind's label in the page's language."""
    kinds = {k.code: k.label for k in AREA_KINDS}
    return kinds[code].get(select_language()) if code in kinds else code


def _confirmed_here(site_id: int) -> bool:
    return str(site_id) in session.get("confirmed_sites", {})


@public.get("/barrierer/<int:site_id>")
def site(site_id: int):
    """A barrier's public page: status, public notes, public reports and approved photos."""
    found = db.session.get(BarrierSite, site_id)
    if found is not None and found.status == Status.DUPLICATE.value:
        target_id = merged_into(db.session, found)
        target = db.session.get(BarrierSite, target_id) if target_id else None
        if target is not None and visibility.site_is_public(target):
            return redirect(url_for("public.site", site_id=target.id), 301)
    site = _public_site_or_404(site_id)
    reports = _public_reports(site)
    history = public_history(db.session, [r.id for r in reports], [site.id])
    point = to_shape(site.geom)
    index = area_index(db.session)
    return render_template(
        "public/site.html",
        site=site,
        place=nearest_place(index, point.x, point.y),
        place_map=small_map(index.areas, [(point.x, point.y)]),
        kind_label=_kind_label,
        reports=reports,
        history=history,
        cat=category(site.category),
        new_look=visibility.needs_new_look(site),
        confirmed=_confirmed_here(site.id),
        photo_is_public=visibility.photo_is_public,
        content_is_public=visibility.report_content_is_public,
    )


@public.post("/barrierer/<int:site_id>/bekraeft")
def confirm(site_id: int):
    """Anyone may say 'still there' or 'fixed now' about a public barrier (once per visit)."""
    site = _public_site_or_404(site_id)
    kind = request.form.get("kind", "")
    if kind not in CONFIRMATION_KINDS:
        flash(gettext("Vælg, om barrieren stadig er der, eller om den er udbedret."), "error")
        return redirect(url_for("public.site", site_id=site.id) + "#confirm")
    if _confirmed_here(site.id):
        flash(gettext("Tak, vi har allerede fået dit svar om denne barriere."), "success")
        return redirect(url_for("public.site", site_id=site.id) + "#confirm")
    now = datetime.now(UTC)
    user = current_user._get_current_object() if current_user.is_authenticated else None
    add_confirmation(
        db.session,
        site,
        str(uuid.uuid4()),
        kind,
        now,
        reporter_id=user.id if user else None,
        client_key=client_address_key(),
        now=now,
    )
    db.session.commit()
    confirmed = dict(session.get("confirmed_sites", {}))
    confirmed[str(site.id)] = now.date().isoformat()
    session["confirmed_sites"] = dict(list(confirmed.items())[-200:])
    flash(
        gettext("Tak! Vi har noteret, at barrieren stadig er der.")
        if kind == "still_there"
        else gettext("Tak! Vi har noteret, at barrieren er udbedret. En planlægger ser på det."),
        "success",
    )
    return redirect(url_for("public.site", site_id=site.id) + "#confirm")


@public.get("/rapporter/<int:report_id>")
def report(report_id: int):
    """A report's public page: its status, public notes and approved photos."""
    found = db.session.get(BarrierReport, report_id)
    if found is None or not visibility.report_is_public(found):
        abort(404)
    site = found.site if found.site is not None and visibility.site_is_public(found.site) else None
    history = public_history(db.session, [found.id], [])
    return render_template(
        "public/report.html",
        report=found,
        site=site,
        history=history,
        cat=category(found.category),
        content_public=visibility.report_content_is_public(found),
        photos=[p for p in found.photos if visibility.photo_is_public(p)],
    )


@public.get("/fotos/<int:photo_id>/<variant>")
def photo(photo_id: int, variant: str):
    """An approved photo of a public report (display size or thumbnail)."""
    found = db.session.get(Photo, photo_id)
    if variant not in PHOTO_VARIANTS or found is None or not visibility.photo_is_public(found):
        abort(404)
    name = found.display_name if variant == "display" else found.thumb_name
    path = media_path(current_app.config["MEDIA_DIR"], name)
    if path is None or not path.is_file():
        abort(404)
    if current_app.config["X_ACCEL_PHOTOS"]:
        # The app decided; nginx sends the file (an internal location over the media folder).
        response = current_app.response_class(mimetype="image/jpeg")
        response.headers["X-Accel-Redirect"] = current_app.config["X_ACCEL_PREFIX"] + name
    else:
        response = send_file(path, mimetype="image/jpeg", conditional=True, etag=True)
    # Short-lived, so a photo a reviewer hides disappears from caches soon.
    response.cache_control.public = True
    response.cache_control.max_age = 600
    return response


# --- Atom feeds ------------------------------------------------------------------------------------


def _iso(moment: datetime) -> str:
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _atom(
    title: str, self_url: str, page_url: str, updated: datetime, entries: list[dict[str, Any]]
) -> Response:
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed")
    feed.set("{http://www.w3.org/XML/1998/namespace}lang", select_language())
    ET.SubElement(feed, f"{{{ATOM}}}title").text = title
    ET.SubElement(feed, f"{{{ATOM}}}id").text = self_url
    ET.SubElement(feed, f"{{{ATOM}}}updated").text = _iso(updated)
    ET.SubElement(feed, f"{{{ATOM}}}link", rel="self", href=self_url)
    ET.SubElement(feed, f"{{{ATOM}}}link", rel="alternate", type="text/html", href=page_url)
    author = ET.SubElement(feed, f"{{{ATOM}}}author")
    ET.SubElement(author, f"{{{ATOM}}}name").text = "Herlev Kommune"
    for item in entries:
        entry = ET.SubElement(feed, f"{{{ATOM}}}entry")
        ET.SubElement(entry, f"{{{ATOM}}}title").text = item["title"]
        ET.SubElement(entry, f"{{{ATOM}}}id").text = item["id"]
        ET.SubElement(entry, f"{{{ATOM}}}updated").text = _iso(item["updated"])
        ET.SubElement(entry, f"{{{ATOM}}}link", rel="alternate", type="text/html", href=item["url"])
        ET.SubElement(entry, f"{{{ATOM}}}content", type="text").text = item["content"]
    body = ET.tostring(clean_xml_tree(feed), encoding="unicode", xml_declaration=False)
    response = current_app.response_class(
        '<?xml version="1.0" encoding="utf-8"?>\n' + body,
        mimetype="application/atom+xml",
    )
    response.cache_control.public = True
    response.cache_control.max_age = 300
    return response


def _feed_entries(
    history: list[HistoryEntry], site_of: dict[int, BarrierSite], report_site: dict[int, int]
) -> list[dict[str, Any]]:
    entries = []
    for item in sorted(history, key=lambda e: (e.created_at, e.id), reverse=True)[:FEED_ENTRIES]:
        site_id = report_site.get(item.report_id) if item.report_id else item.site_id
        site = site_of.get(site_id) if site_id else None
        after = item.after if isinstance(item.after, dict) else {}
        status = after.get("status") if isinstance(after.get("status"), str) else None
        title = action_label(item.action)
        if status and item.action in ("site_status",):
            title = f"{title}: {status_label(status)}"
        if site is not None:
            title = f"{title} · {category_label(site.category)} #{site.id}"
        url = (
            url_for("public.report", report_id=item.report_id, _external=True)
            if item.report_id
            else url_for("public.site", site_id=site_id, _external=True)
        )
        entries.append(
            {
                "id": f"{url_for('public.sites', _external=True)}#history-{item.id}",
                "title": title,
                "updated": item.created_at,
                "url": url,
                "content": item.reason or title,
            }
        )
    return entries


@public.get("/barrierer/<int:site_id>/feed.atom")
def site_feed(site_id: int):
    """Follow one barrier: an Atom feed of what happens to it."""
    site = _public_site_or_404(site_id)
    reports = _public_reports(site)
    history = public_history(db.session, [r.id for r in reports], [site.id])
    entries = _feed_entries(history, {site.id: site}, {r.id: site.id for r in reports})
    updated = max([site.first_seen] + [h.created_at for h in history], key=_iso)
    return _atom(
        gettext(
            "Barriere #%(id)s: %(category)s", id=site.id, category=category_label(site.category)
        ),
        url_for("public.site_feed", site_id=site.id, _external=True),
        url_for("public.site", site_id=site.id, _external=True),
        updated,
        entries,
    )


@public.get("/omraader/<int:area_id>/feed.atom")
def area_feed(area_id: int):
    """Follow an area: an Atom feed of what happens to the public barriers in it."""
    area = db.session.get(Area, area_id)
    if area is None:
        abort(404)
    site_rows = db.session.scalars(
        select(BarrierSite).where(BarrierSite.area_id == area.id, visibility.public_site_clause())
    ).all()
    site_of = {s.id: s for s in site_rows}
    report_rows = db.session.execute(
        select(BarrierReport.id, BarrierReport.site_id).where(
            BarrierReport.site_id.in_(list(site_of) or [-1]), visibility.public_report_clause()
        )
    ).all()
    report_site = {rid: sid for rid, sid in report_rows}
    history = public_history(db.session, list(report_site), list(site_of))
    updated = max([area.updated_at or area.created_at] + [h.created_at for h in history], key=_iso)
    return _atom(
        gettext("Barrierer i %(area)s", area=area.name),
        url_for("public.area_feed", area_id=area.id, _external=True),
        url_for("public.sites", area=area.id, _external=True),
        updated,
        _feed_entries(history, site_of, report_site),
    )
