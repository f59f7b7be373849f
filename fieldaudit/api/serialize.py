"""JSON shapes of reports, sites and confirmations as the API shows them (WGS84, ISO 8601)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from flask import url_for
from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from fieldaudit.areas import area_index
from fieldaudit.crs import to_wgs84
from fieldaudit.models import BarrierReport, BarrierSite, HistoryEntry, Photo, SiteConfirmation
from fieldaudit.status import STATUS_LABELS, Status
from fieldaudit.stored_points import point_xy
from fieldaudit.taxonomy import category, judge
from fieldaudit.visibility import public_report_content_clause

COORDINATE_DECIMALS = 6


def iso(moment: datetime | None) -> str | None:
    """ISO 8601 in UTC with the offset (SQLite gives naive UTC datetimes back)."""
    if moment is None:
        return None
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).isoformat().replace("+00:00", "Z")


def lon_lat(geom: Any) -> tuple[float, float]:
    """WGS84 lon, lat of a stored EPSG:25832 point."""
    lon, lat = to_wgs84(*point_xy(geom))
    return round(lon, COORDINATE_DECIMALS), round(lat, COORDINATE_DECIMALS)


def status_json(code: str) -> dict[str, Any]:
    """A status code with its Danish and English labels."""
    try:
        label = STATUS_LABELS[Status(code)].as_dict()
    except ValueError:
        label = {"da": code, "en": code}
    return {"code": code, "label": label}


def photo_urls(photo_id: int) -> dict[str, str]:
    """The display and thumbnail URLs of a photo."""
    return {
        "url": url_for("api.photo_file", photo_id=photo_id, variant="display"),
        "thumbnail_url": url_for("api.photo_file", photo_id=photo_id, variant="thumbnail"),
    }


def measurements_json(report: BarrierReport) -> dict[str, Any]:
    """Each measured value with its unit and what it means against the Danish rule."""
    cat = category(report.category)
    result: dict[str, Any] = {}
    for key, quantity in (report.measurements or {}).items():
        entry: dict[str, Any] = {"value": quantity.get("value"), "unit": quantity.get("unit")}
        if cat is not None and cat.measurement(key) is not None:
            verdict = judge(cat, key, float(quantity.get("value", 0)))
            entry.update(broken=verdict.broken, limit=verdict.limit, source=verdict.source)
        else:
            entry.update(broken=None, limit=None, source=None)
        result[key] = entry
    return result


def public_notes(session: Session, report_ids: Iterable[int]) -> dict[int, list[dict[str, Any]]]:
    """The public history of each report: what happened, when, and the public reason."""
    ids = list(report_ids)
    notes: dict[int, list[dict[str, Any]]] = {i: [] for i in ids}
    if not ids:
        return notes
    rows = session.scalars(
        select(HistoryEntry)
        .where(HistoryEntry.report_id.in_(ids), HistoryEntry.public.is_(True))
        .order_by(HistoryEntry.created_at, HistoryEntry.id)
    )
    for entry in rows:
        after = entry.after if isinstance(entry.after, dict) else {}
        status = after.get("status") if isinstance(after.get("status"), str) else None
        notes[entry.report_id].append(
            {
                "at": iso(entry.created_at),
                "action": entry.action,
                "status": status_json(status) if status else None,
                "note": entry.reason or "",
            }
        )
    return notes


def _area(stored: BarrierReport | BarrierSite) -> dict[str, Any] | None:
    """The area of a report or site by id and name, from the in-memory area index (loading
    the relationship would read the area's polygon)."""
    session = object_session(stored)
    if stored.area_id is None or session is None:
        return None
    area = area_index(session).by_id.get(stored.area_id)
    return {"id": stored.area_id, "name": area.name} if area else None


def report_json(report: BarrierReport, notes: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """A report as the volunteer and the public may see it (no device token, no hidden photo)."""
    lon, lat = lon_lat(report.geom)
    cat = category(report.category)
    return {
        "uuid": report.uuid,
        "status": status_json(report.status),
        "status_reason": report.status_reason or "",
        "category": report.category,
        "category_label": cat.label.as_dict() if cat else {"da": report.category, "en": ""},
        "severity": report.severity,
        "groups": list(report.groups or []),
        "tags": list(report.tags or []),
        "measurements": measurements_json(report),
        "description": report.description or "",
        "lat": lat,
        "lon": lon,
        "accuracy_m": report.accuracy_m,
        "created_at": iso(report.created_at),
        "received_at": iso(report.received_at),
        "area": _area(report),
        "site_id": report.site_id,
        "reporter_name": report.reporter_name
        if report.show_name and report.reporter_name
        else None,
        "photos": [
            {"id": p.id, "width": p.width, "height": p.height, **photo_urls(p.id)}
            for p in report.photos
            if not p.hidden
        ],
        "public_notes": notes or [],
    }


def site_thumbnails(session: Session, site_ids: Iterable[int]) -> dict[int, int]:
    """The first public photo of each site (from its accepted, visible reports), by site id.

    Photos of reports not yet reviewed are never linked (nobody has checked them for faces
    or number plates yet), nor those of rejected reports.
    """
    ids = list(site_ids)
    if not ids:
        return {}
    rows = session.execute(
        select(BarrierReport.site_id, Photo.id)
        .join(Photo, Photo.report_id == BarrierReport.id)
        .where(
            BarrierReport.site_id.in_(ids),
            public_report_content_clause(),
            Photo.hidden.is_(False),
        )
        .order_by(BarrierReport.received_at, BarrierReport.id, Photo.position)
    ).all()
    first: dict[int, int] = {}
    for site_id, photo_id in rows:
        first.setdefault(site_id, photo_id)
    return first


SUMMARY_CHARS = 140


def first_line(text: str, limit: int = SUMMARY_CHARS) -> str:
    """The first non-empty line of a text, shortened to ``limit`` characters (with an ellipsis)."""
    line = next((part.strip() for part in text.splitlines() if part.strip()), "")
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


def site_summaries(session: Session, site_ids: Iterable[int]) -> dict[int, str]:
    """A line of each site's first public description (accepted reports whose content is
    public; never one under review or rejected), by site id."""
    ids = list(site_ids)
    if not ids:
        return {}
    rows = session.execute(
        select(BarrierReport.site_id, BarrierReport.description)
        .where(
            BarrierReport.site_id.in_(ids),
            public_report_content_clause(),
            BarrierReport.description.is_not(None),
            BarrierReport.description != "",
        )
        .order_by(BarrierReport.received_at, BarrierReport.id)
    ).all()
    summaries: dict[int, str] = {}
    for site_id, description in rows:
        if site_id not in summaries and first_line(description):
            summaries[site_id] = first_line(description)
    return summaries


def site_properties(site: BarrierSite, thumbnail_photo_id: int | None) -> dict[str, Any]:
    """What the field app shows of a barrier site."""
    cat = category(site.category)
    return {
        "id": site.id,
        "category": site.category,
        "category_label": cat.label.as_dict() if cat else {"da": site.category, "en": ""},
        "severity": site.severity,
        "status": status_json(site.status),
        "report_count": site.report_count,
        "confirmation_count": site.confirmation_count,
        "area_name": (area := _area(site)) and area["name"],
        "last_seen": iso(site.last_seen),
        "thumbnail_url": (
            photo_urls(thumbnail_photo_id)["thumbnail_url"] if thumbnail_photo_id else None
        ),
    }


def site_feature(site: BarrierSite, thumbnail_photo_id: int | None) -> dict[str, Any]:
    """A site as a GeoJSON Feature (WGS84)."""
    lon, lat = lon_lat(site.geom)
    return {
        "type": "Feature",
        "id": site.id,
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "properties": site_properties(site, thumbnail_photo_id),
    }


def confirmation_json(confirmation: SiteConfirmation) -> dict[str, Any]:
    """A confirmation as stored."""
    return {
        "uuid": confirmation.uuid,
        "site_id": confirmation.site_id,
        "kind": confirmation.kind,
        "created_at": iso(confirmation.created_at),
        "received_at": iso(confirmation.received_at),
    }
