"""Open311 service requests as the public may see them: the filters of a search, the search, and
a report written as a service request (the visibility rules are in georeport's docstring)."""

from __future__ import annotations

import uuid as uuid_module
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from geoalchemy2.shape import to_shape
from shapely import prepared
from shapely.ops import unary_union
from sqlalchemy import case, select
from sqlalchemy.orm import Session, aliased, selectinload

from fieldaudit import params
from fieldaudit.crs import to_wgs84
from fieldaudit.models import Area, BarrierReport, BarrierSite, HistoryEntry, Photo
from fieldaudit.open311.georeport import (
    ACCEPTED_STATUSES,
    AGENCY,
    CLOSED_VALUES,
    LOCAL_TIME,
    MAX_IDS,
    MAX_REQUESTS,
    OPEN_VALUES,
    SITE_OVERRIDES,
    WINDOW,
    ZIPCODE,
    Open311Error,
    parse_w3_datetime,
    text_in,
    w3_datetime,
)
from fieldaudit.problems import message
from fieldaudit.status import OPEN_STATUSES, STATUS_LABELS, Status
from fieldaudit.taxonomy import (
    MUNICIPALITY,
    category,
)
from fieldaudit.utc import as_utc


@dataclass(frozen=True)
class RequestFilters:
    """The parsed filters of GET Service Requests."""

    ids: list[int] | None = None
    service_codes: list[str] = field(default_factory=list)
    start: datetime | None = None
    end: datetime | None = None
    statuses: list[str] = field(default_factory=list)


def _comma_list(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def parse_request_filters(args: Mapping[str, str], now: datetime, lang: str) -> RequestFilters:
    """Read service_request_id, service_code, start_date, end_date and status (400 if invalid)."""
    errors: list[str] = []
    raw_ids = _comma_list(args.get("service_request_id"))
    if raw_ids:
        ids = [i for i in map(params.record_id, raw_ids) if i is not None]
        if len(ids) != len(raw_ids):
            errors.append(message("open311_invalid_request_ids", max_id=params.MAX_ID).get(lang))
        elif len(ids) > MAX_IDS:
            errors.append(message("open311_too_many_request_ids", max_ids=MAX_IDS).get(lang))
        if errors:
            raise Open311Error(400, *errors)
        # "This overrides all other arguments."
        return RequestFilters(ids=list(dict.fromkeys(ids)))

    codes = _comma_list(args.get("service_code"))
    unknown = [c for c in codes if category(c) is None]
    if unknown:
        errors.append(message("open311_unknown_service_codes", codes=", ".join(unknown)).get(lang))

    statuses = [s.lower() for s in _comma_list(args.get("status"))]
    if any(s not in ("open", "closed") for s in statuses):
        errors.append(message("open311_invalid_status").get(lang))

    moments: dict[str, datetime | None] = {}
    for name in ("start_date", "end_date"):
        value = (args.get(name) or "").strip()
        moments[name] = parse_w3_datetime(value) if value else None
        if value and moments[name] is None:
            errors.append(
                message(
                    "open311_invalid_date",
                    name=name,
                    min_year=params.MIN_YEAR,
                    max_year=params.MAX_YEAR,
                ).get(lang)
            )
    if errors:
        raise Open311Error(400, *errors)

    start, end = moments["start_date"], moments["end_date"]
    if start is None and end is None:
        end = now
        start = now - WINDOW
    elif start is None:
        assert end is not None
        start = end - WINDOW
    elif end is None:
        end = start + WINDOW
    if end < start:
        raise Open311Error(
            400,
            message("open311_dates_reversed").get(lang),
        )
    if end - start > WINDOW:
        raise Open311Error(
            400,
            message("open311_dates_too_far_apart").get(lang),
        )
    return RequestFilters(
        service_codes=list(dict.fromkeys(codes)),
        start=start,
        end=end,
        statuses=list(dict.fromkeys(statuses)),
    )


def _public_status_expression(site: Any) -> Any:
    return case(
        (
            (BarrierReport.status == Status.VERIFIED.value) & site.status.in_(SITE_OVERRIDES),
            site.status,
        ),
        else_=BarrierReport.status,
    )


def find_requests(session: Session, filters: RequestFilters) -> list[tuple[BarrierReport, str]]:
    """The public reports matching the filters, newest first, with their public status.

    Looked up by id, unreviewed reports are included (they are shown without details);
    otherwise only reviewed reports are listed. Hidden reports never are.
    """
    site = aliased(BarrierSite)
    public_status = _public_status_expression(site).label("public_status")
    stmt = (
        select(BarrierReport, public_status)
        .outerjoin(site, site.id == BarrierReport.site_id)
        .where(BarrierReport.hidden.is_(False))
        .options(selectinload(BarrierReport.area))
    )
    if filters.ids is not None:
        stmt = stmt.where(BarrierReport.id.in_(filters.ids))
    else:
        stmt = stmt.where(BarrierReport.status != Status.NEW.value)
        if filters.service_codes:
            stmt = stmt.where(BarrierReport.category.in_(filters.service_codes))
        if filters.start is not None:
            stmt = stmt.where(BarrierReport.created_at >= filters.start)
        if filters.end is not None:
            stmt = stmt.where(BarrierReport.created_at <= filters.end)
        if filters.statuses and set(filters.statuses) != {"open", "closed"}:
            wanted = OPEN_VALUES if filters.statuses == ["open"] else CLOSED_VALUES
            stmt = stmt.where(public_status.in_(wanted))
    stmt = stmt.order_by(BarrierReport.created_at.desc(), BarrierReport.id.desc()).limit(
        MAX_REQUESTS
    )
    return [(report, status) for report, status in session.execute(stmt).all()]


def find_request_by_token(session: Session, token: str) -> BarrierReport | None:
    """The visible report whose device UUID is ``token``, or None."""
    try:
        canonical = str(uuid_module.UUID(token))
    except ValueError:
        return None
    return session.scalar(
        select(BarrierReport).where(
            BarrierReport.uuid == canonical, BarrierReport.hidden.is_(False)
        )
    )


@dataclass(frozen=True)
class PublicExtras:
    """What a request record needs beyond the report row, fetched in bulk."""

    updated: dict[int, datetime]
    reasons: dict[int, str]
    photos: dict[int, Photo]
    planned_years: dict[int, int]
    zipcodes: dict[int, int]


def load_extras(session: Session, reports: list[BarrierReport]) -> PublicExtras:
    """History dates, public status reasons, first visible photos and planned years of reports."""
    ids = [r.id for r in reports]
    site_ids = {r.site_id for r in reports if r.site_id is not None}
    if not ids:
        return PublicExtras({}, {}, {}, {}, {})
    # Only public entries: internal notes, hiding and redactions leave no trace here. Site
    # decisions reach the report as entries of its own (the lifecycle records them).
    updated: dict[int, datetime] = {}
    reasons: dict[int, str] = {}
    for report_id, moment, after, reason in session.execute(
        select(
            HistoryEntry.report_id,
            HistoryEntry.created_at,
            HistoryEntry.after,
            HistoryEntry.reason,
        )
        .where(HistoryEntry.report_id.in_(ids), HistoryEntry.public.is_(True))
        .order_by(HistoryEntry.created_at, HistoryEntry.id)
    ):
        updated[report_id] = as_utc(moment)
        if isinstance(after, dict) and "status" in after:
            # Why the status is what it is: the reason given with the latest change.
            reasons[report_id] = reason
    photos: dict[int, Photo] = {}
    for photo in session.scalars(
        select(Photo)
        .where(Photo.report_id.in_(ids), Photo.hidden.is_(False))
        .order_by(Photo.position, Photo.id)
    ):
        photos.setdefault(photo.report_id, photo)
    planned_years: dict[int, int] = {}
    if site_ids:
        for site_id, year in session.execute(
            select(BarrierSite.id, BarrierSite.planned_year).where(
                BarrierSite.id.in_(site_ids), BarrierSite.planned_year.is_not(None)
            )
        ):
            planned_years[site_id] = year
    return PublicExtras(updated, reasons, photos, planned_years, _zipcodes(session, reports))


def _zipcodes(session: Session, reports: list[BarrierReport]) -> dict[int, int]:
    """The zip code of each report inside the stored municipal boundary (see ZIPCODE)."""
    shapes = [
        to_shape(g) for g in session.scalars(select(Area.geom).where(Area.kind == MUNICIPALITY))
    ]
    if not shapes:
        return {}
    municipality = prepared.prep(unary_union(shapes))
    return {r.id: ZIPCODE for r in reports if municipality.contains(to_shape(r.geom))}


def _status_notes(status: Status, reason: str | None, year: int | None, lang: str) -> str:
    text = STATUS_LABELS[status].get(lang)
    if status == Status.NEW:
        text += text_in(
            lang,
            " - venter på gennemgang af Handicaprådet.",
            " - awaiting review by Handicaprådet.",
        )
    if status == Status.PLANNED and year:
        text += f" ({year})"
    if reason:
        text += f": {reason}"
    return text


def public_request(
    report: BarrierReport,
    status_value: str,
    extras: PublicExtras,
    lang: str,
    media_url: Callable[[Photo], str],
) -> dict[str, Any]:
    """A report as an Open311 service request, showing only what the public may see."""
    status = Status(status_value)
    reviewed = Status(report.status) != Status.NEW
    accepted = Status(report.status) in ACCEPTED_STATUSES
    cat = category(report.category)
    year = extras.planned_years.get(report.site_id) if report.site_id is not None else None
    created = as_utc(report.created_at)
    updated = max(
        [created, as_utc(report.received_at)]
        + ([extras.updated[report.id]] if report.id in extras.updated else [])
    )
    lat = lon = None
    if accepted:
        point = to_shape(report.geom)
        lon, lat = to_wgs84(point.x, point.y)
        lat, lon = round(lat, 7), round(lon, 7)
    photo = extras.photos.get(report.id) if accepted else None
    expected = None
    if status == Status.PLANNED and year:
        expected = w3_datetime(datetime(year, 12, 31, 23, 59, 59, tzinfo=LOCAL_TIME))
    address = None
    if reviewed:
        address = AGENCY.get(lang)
        if report.area is not None:
            address = f"{report.area.name}, {address}"
    return {
        "service_request_id": report.id,
        "status": "open" if status in OPEN_STATUSES else "closed",
        "status_notes": _status_notes(
            status, extras.reasons.get(report.id) if reviewed else None, year, lang
        ),
        "service_name": cat.label.get(lang) if cat else report.category,
        "service_code": report.category,
        "description": (report.description or None) if accepted else None,
        "agency_responsible": AGENCY.get(lang),
        "service_notice": None,
        "requested_datetime": w3_datetime(created),
        "updated_datetime": w3_datetime(updated),
        "expected_datetime": expected,
        "address": address,
        "address_id": None,
        "zipcode": extras.zipcodes.get(report.id) if reviewed else None,
        "lat": lat,
        "long": lon,
        "media_url": media_url(photo) if photo is not None else None,
    }


# -- POST Service Request -------------------------------------------------------------------
