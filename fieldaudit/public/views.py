"""The public side: the map of Herlev's areas and the public record of barriers.

What is public is decided in ``visibility`` (``report_is_public``, ``report_content_is_public``,
``site_is_public``, ``photo_is_public``) and ``history.public_history``: reviewed and not hidden; of a
rejected report only its status, public reason, category, area and date. Reporters are anonymous unless
they chose to show their name; no e-mail, account, device or internal note is ever rendered here.
"""

from __future__ import annotations

import json
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

from fieldaudit import params, public_record, visibility
from fieldaudit.areas import named_areas
from fieldaudit.extensions import db
from fieldaudit.geojson import wgs84_geometry
from fieldaudit.history import public_history
from fieldaudit.models import Area, BarrierSite, HistoryEntry
from fieldaudit.photos import media_path
from fieldaudit.plain_text import clean_xml_tree
from fieldaudit.public_record import SiteFilter
from fieldaudit.sites import CONFIRMATION_KINDS, add_confirmation
from fieldaudit.status import PUBLIC_SITE_STATUSES
from fieldaudit.taxonomy import AREA_KINDS, CATEGORIES, category
from fieldaudit.web import query
from fieldaudit.web.client import client_address_key
from fieldaudit.web.i18n import select_language
from fieldaudit.web.labels import action_label, category_label, status_label
from fieldaudit.web.query import CHOICE, FLAG, ID, INT, Param, query_params

public = Blueprint("public", __name__, template_folder="templates")

FEED_ENTRIES = 50
ATOM = "http://www.w3.org/2005/Atom"
PHOTO_VARIANTS = ("display", "thumb")


# --- the map of areas ---------------------------------------------------------------------------


@public.get("/")
def index():
    """The map of Herlev's public spaces, with the same areas as a list."""
    kinds = {k.code: k.label for k in AREA_KINDS}
    return render_template(
        "public/index.html",
        areas=named_areas(db.session),
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


def _site_filters() -> SiteFilter:
    """The list's filters; a value that is not one of the form's falls back to 'no filter'."""
    code = query.arg("category") or ""
    return SiteFilter(
        status=params.choice(query.arg("status"), PUBLIC_SITE_STATUSES, ""),
        area=params.record_id(query.arg("area")),
        category=code if category(code) else "",
        new_look=query.arg("new_look") == "1",
        page=params.ascii_int(query.arg("page"), 1, MAX_PAGE) or 1,
    )


@public.get("/barrierer")
@query_params(**SITE_FILTERS)
def sites():
    """The public list (and map) of verified barriers and their status."""
    filters = _site_filters()
    found = public_record.site_list(db.session, filters)
    return render_template(
        "public/sites.html",
        sites=found.sites,
        total=found.total,
        pages=found.pages,
        filters=filters,
        link_args=filters.link_args(),
        areas=found.areas,
        categories=CATEGORIES,
        public_statuses=PUBLIC_SITE_STATUSES,
        needs_new_look=visibility.needs_new_look,
        area=found.area,
        station=found.station,
        summary=found.summary,
        tile_url=current_app.config["TILE_URL"],
    )


@public.get("/barrierer.geojson")
@query_params(**SITE_FILTERS)
def sites_geojson():
    """The public barriers as GeoJSON (WGS84) for the map; the same filters as the list."""
    rows = public_record.map_sites(db.session, _site_filters())
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
    site = public_record.public_site(db.session, site_id)
    if site is None:
        abort(404)
    return site


def _kind_label(code: str) -> str:
    """An area kind's label in the page's language."""
    kinds = {k.code: k.label for k in AREA_KINDS}
    return kinds[code].get(select_language()) if code in kinds else code


def _confirmed_here(site_id: int) -> bool:
    return str(site_id) in session.get("confirmed_sites", {})


@public.get("/barrierer/<int:site_id>")
def site(site_id: int):
    """A barrier's public page: status, public notes, public reports and approved photos."""
    target_id = public_record.merged_public_site(db.session, site_id)
    if target_id is not None:
        return redirect(url_for("public.site", site_id=target_id), 301)
    page = public_record.site_page(db.session, _public_site_or_404(site_id))
    site = page.site
    return render_template(
        "public/site.html",
        site=site,
        place=page.place,
        place_map=page.place_map,
        kind_label=_kind_label,
        reports=page.reports,
        history=page.history,
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
    found = public_record.public_report(db.session, report_id)
    if found is None:
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
    found = public_record.public_photo(db.session, photo_id)
    if variant not in PHOTO_VARIANTS or found is None:
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
    followed = public_record.site_feed_history(db.session, site)
    entries = _feed_entries(followed.history, followed.site_of, followed.report_site)
    updated = max([site.first_seen] + [h.created_at for h in followed.history], key=_iso)
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
    followed = public_record.area_feed_history(db.session, area)
    history = followed.history
    updated = max([area.updated_at or area.created_at] + [h.created_at for h in history], key=_iso)
    return _atom(
        gettext("Barrierer i %(area)s", area=area.name),
        url_for("public.area_feed", area_id=area.id, _external=True),
        url_for("public.sites", area=area.id, _external=True),
        updated,
        _feed_entries(history, followed.site_of, followed.report_site),
    )
