"""OGC API - Features (Part 1: Core, GeoJSON, OpenAPI 3.0): collections, queries and features.

No Flask here: the views parse the request into these values and encode the answers.
Only public content is served: areas, and barrier sites a reviewer has accepted (see
``public_sites``); never reports, reporters or internal notes.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from weakref import WeakKeyDictionary

import shapely
from geoalchemy2.shape import to_shape
from shapely.geometry import box
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Select, and_, exists, false, func, select
from sqlalchemy.orm import Session, selectinload

from fieldaudit import params
from fieldaudit.areas import AreaIndex, area_index
from fieldaudit.config import HERLEV_BBOX_WGS84
from fieldaudit.crs import METRIC, WGS84, reproject, transformer
from fieldaudit.geojson import area_feature, wgs84_geometry
from fieldaudit.models import Area, BarrierReport, BarrierSite
from fieldaudit.params import ParameterError
from fieldaudit.spatial import backend
from fieldaudit.status import OPEN_STATUSES, STATUS_LABELS, Status
from fieldaudit.taxonomy import SEVERITIES, Label, Severity, category
from fieldaudit.visibility import public_site_clause

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
GREGORIAN = "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"
CONFORMANCE = (
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
)
DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
MAX_OFFSET = 10_000_000  # far beyond any collection; keeps OFFSET a small integer
# Where EPSG:25832 coordinates stay meaningful (its area of use with a wide margin): a query
# box is cut to this before it is transformed, so no stored feature can lie outside it.
METRIC_DOMAIN_WGS84 = (-16.0, 30.0, 40.0, 85.0)
# About 1 km: enough points along a box edge for the curved edges in EPSG:25832.
DENSIFY_DEG = 0.01


# -- parameters -----------------------------------------------------------------------------


def check_known(args: Mapping[str, Any], allowed: tuple[str, ...]) -> None:
    """Refuse query parameters the API definition does not declare (/req/core/query-param-unknown)."""
    for name in args:
        if name not in allowed:
            raise ParameterError(name, "unknown_parameter", name=name, allowed=", ".join(allowed))


def parse_limit(value: str | None) -> int:
    """The page size: an integer from 1 to MAX_LIMIT, DEFAULT_LIMIT when not given."""
    if value is None or value == "":
        return DEFAULT_LIMIT
    limit = params.ascii_int(value, 1, MAX_LIMIT)
    if limit is None:
        raise ParameterError("limit", "invalid_limit", maximum=MAX_LIMIT)
    return limit


def parse_offset(value: str | None) -> int:
    """How many matching features to skip: an integer from 0 to MAX_OFFSET."""
    if value is None or value == "":
        return 0
    offset = params.ascii_int(value, 0, MAX_OFFSET)
    if offset is None:
        raise ParameterError("offset", "invalid_offset", maximum=MAX_OFFSET)
    return offset


def _bbox_error() -> ParameterError:
    return ParameterError("bbox", "invalid_bbox.ogc")


def parse_bbox(value: str | None) -> tuple[float, float, float, float] | None:
    """A CRS84 bounding box (4 numbers, or 6 with heights, which are ignored); None if absent."""
    if value is None:
        return None
    parts = [params.finite_number(part, -math.inf, math.inf) for part in value.split(",")]
    if None in parts:
        raise _bbox_error()
    numbers = [n for n in parts if n is not None]
    if len(numbers) == 6:
        numbers = [numbers[0], numbers[1], numbers[3], numbers[4]]
    if len(numbers) != 4 or not all(math.isfinite(n) for n in numbers):
        raise _bbox_error()
    west, south, east, north = numbers
    if not (-180 <= west <= 180 and -180 <= east <= 180 and -90 <= south <= north <= 90):
        raise _bbox_error()
    return west, south, east, north


def _datetime_error() -> ParameterError:
    return ParameterError("datetime", "invalid_datetime.ogc")


_RFC3339 = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?([Zz]|[+-][0-9]{2}:[0-9]{2})"
)


def _instant(text: str) -> datetime:
    moment = params.utc_datetime(text) if _RFC3339.fullmatch(text) else None
    if moment is None:
        raise _datetime_error()
    return moment


def parse_datetime(value: str | None) -> tuple[datetime | None, datetime | None] | None:
    """A date-time or interval as (start, end) in UTC, None meaning open; None if absent."""
    if value is None:
        return None
    text = value.strip()
    if "/" not in text:
        moment = _instant(text)
        return moment, moment
    first, _, second = text.partition("/")
    start = None if first in ("", "..") else _instant(first)
    end = None if second in ("", "..") else _instant(second)
    if (start is None and end is None) or (start and end and start > end):
        raise _datetime_error()
    return start, end


# -- spatial filter -------------------------------------------------------------------------


def query_region(bbox: tuple[float, float, float, float]) -> BaseGeometry | None:
    """The CRS84 bbox as an EPSG:25832 polygon, cut to where such coordinates mean anything.

    A box whose west edge lies east of its east edge crosses the antimeridian. None when
    nothing of the box lies where FieldAudit can hold data.
    """
    west, south, east, north = bbox
    parts = (
        [box(west, south, east, north)]
        if west <= east
        else [box(west, south, 180.0, north), box(-180.0, south, east, north)]
    )
    region = shapely.union_all(parts).intersection(box(*METRIC_DOMAIN_WGS84))
    if region.is_empty:
        return None
    return reproject(shapely.segmentize(region, DENSIFY_DEG), WGS84, METRIC)


def intersects_bbox(session: Session, geom: Any, bbox: tuple[float, float, float, float]) -> Any:
    """Rows whose geometry intersects a CRS84 bbox: the spatial index first, then exactly."""
    region = query_region(bbox)
    if region is None:
        return false()
    indexed = backend(session).bbox_filter(geom, region.bounds)
    return and_(indexed, func.ST_Intersects(geom, func.ST_GeomFromText(region.wkt, METRIC)))


# -- collections ----------------------------------------------------------------------------


def public_sites() -> Select[Any]:
    """Barrier sites the public may see: those a reviewer has verified (the lifecycle's rule),
    holding at least one report that is not hidden."""
    visible_report = exists(
        select(BarrierReport.id).where(
            BarrierReport.site_id == BarrierSite.id, BarrierReport.hidden.is_(False)
        )
    )
    return (
        select(BarrierSite)
        .where(public_site_clause(), visible_report)
        .options(selectinload(BarrierSite.area))
    )


def _rfc3339(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def site_feature(site: BarrierSite, lang: str) -> dict[str, Any]:
    """A public barrier site as a GeoJSON Feature (no reports, no people)."""
    cat = category(site.category)
    status = Status(site.status)
    severity = SEVERITIES[Severity(site.severity)]
    return {
        "type": "Feature",
        "id": site.id,
        "geometry": wgs84_geometry(site.geom),
        "properties": {
            "category": site.category,
            "category_name": cat.label.get(lang) if cat else site.category,
            "status": site.status,
            "status_name": STATUS_LABELS[status].get(lang),
            "open": status in OPEN_STATUSES,
            "severity": site.severity,
            "severity_name": severity.label.get(lang),
            "groups": ",".join(site.groups or []),
            "tags": ",".join(sorted(site.tag_counts or {})),
            "report_count": site.report_count,
            "confirmation_count": site.confirmation_count,
            "fixed_claim_count": site.fixed_claim_count,
            "first_seen": _rfc3339(site.first_seen),
            "last_seen": _rfc3339(site.last_seen),
            "area_id": site.area_id,
            "area_name": site.area.name if site.area is not None else None,
            "priority_score": round(site.priority_score or 0.0, 2),
            "planned_year": site.planned_year,
        },
    }


@dataclass(frozen=True)
class Collection:
    """A feature collection: what it is called, which rows it holds and how they look."""

    id: str
    title: Label
    description: Label
    model: Any
    query: Callable[[], Select[Any]]
    feature: Callable[[Any, str], dict[str, Any]]
    temporal: bool


COLLECTIONS: dict[str, Collection] = {
    c.id: c
    for c in (
        Collection(
            "barrier_sites",
            Label("Barrierer", "Barrier sites"),
            Label(
                "Tilgængelighedsbarrierer i Herlev Kommune, samlet fra borgernes rapporter og "
                "gennemgået af Handicaprådet. Tidsintervallet er første og seneste observation.",
                "Accessibility barriers in Herlev Municipality, merged from citizens' reports and "
                "reviewed by the Disability Council. The time interval is the first and latest "
                "observation.",
            ),
            BarrierSite,
            public_sites,
            site_feature,
            True,
        ),
        Collection(
            "areas",
            Label("Byrum og grønne områder", "Public spaces and green areas"),
            Label(
                "Parker, pladser, legepladser, stier, naturområder og kommunegrænsen. De "
                "medfølgende lag er tegnet i hånden og omtrentlige (se 'approximate').",
                "Parks, squares, playgrounds, paths, nature areas and the municipal boundary. "
                "The shipped layers are drawn by hand and approximate (see 'approximate').",
            ),
            Area,
            lambda: select(Area),
            area_feature,
            False,
        ),
    )
}


def items_statement(
    session: Session,
    collection: Collection,
    bbox: tuple[float, float, float, float] | None,
    interval: tuple[datetime | None, datetime | None] | None,
) -> Select[Any]:
    """The rows of a collection matching bbox and datetime, in a stable order."""
    stmt = collection.query()
    model = collection.model
    if bbox is not None:
        stmt = stmt.where(intersects_bbox(session, model.geom, bbox))
    if interval is not None and collection.temporal:
        # A site's time is the interval from its first to its latest observation; features
        # without a time (areas) match every datetime (/req/core/fc-time-response).
        start, end = interval
        if end is not None:
            stmt = stmt.where(model.first_seen <= end)
        if start is not None:
            stmt = stmt.where(model.last_seen >= start)
    return stmt.order_by(model.id)


def count(session: Session, stmt: Select[Any]) -> int:
    """How many rows a statement selects."""
    return session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0


# The areas' extent for each state of the areas table, as the process's area index knows it:
# ``area_index`` builds a new index when the table changes, and the old extent goes with it.
_area_extents: WeakKeyDictionary[AreaIndex, list[float]] = WeakKeyDictionary()


def _areas_extent(session: Session) -> list[float]:
    """The CRS84 bounding box of all areas (Herlev's if there are none), once per table state."""
    index = area_index(session)
    extent = _area_extents.get(index)
    if extent is None:
        shapes = [to_shape(g) for g in session.scalars(select(Area.geom))]
        if not shapes:
            extent = list(HERLEV_BBOX_WGS84)
        else:
            extent = _wgs84_bounds(*(float(v) for v in shapely.total_bounds(shapes)))
        _area_extents[index] = extent
    return list(extent)


def _wgs84_bounds(minx: float, miny: float, maxx: float, maxy: float) -> list[float]:
    bounds = transformer(METRIC, WGS84).transform_bounds(minx, miny, maxx, maxy, densify_pts=4)
    return [round(v, 6) for v in bounds]


def spatial_extent(session: Session, collection: Collection) -> list[float]:
    """The CRS84 bounding box of the collection's public features (Herlev's if it is empty)."""
    if collection.id == "areas":
        return _areas_extent(session)
    rows = collection.query().subquery()
    site = rows.c
    minx, miny, maxx, maxy = session.execute(
        select(
            func.min(func.ST_X(site.geom)),
            func.min(func.ST_Y(site.geom)),
            func.max(func.ST_X(site.geom)),
            func.max(func.ST_Y(site.geom)),
        )
    ).one()
    if minx is None:
        return list(HERLEV_BBOX_WGS84)
    return _wgs84_bounds(minx, miny, maxx, maxy)


def temporal_extent(session: Session, collection: Collection) -> list[str | None] | None:
    """The first and latest observation of the collection's public features, or None."""
    if not collection.temporal:
        return None
    rows = collection.query().subquery()
    first, last = session.execute(
        select(func.min(rows.c.first_seen), func.max(rows.c.last_seen))
    ).one()
    return [_rfc3339(first), _rfc3339(last)]


def find_feature(session: Session, collection: Collection, feature_id: str) -> Any | None:
    """The public feature with ``feature_id`` in a collection, or None."""
    number = params.record_id(feature_id)
    if number is None:
        return None
    model = collection.model
    return session.scalars(collection.query().where(model.id == number)).first()


PROPERTY_LABELS: dict[str, Label] = {
    "category": Label("Kategori (kode)", "Category (code)"),
    "category_name": Label("Kategori", "Category"),
    "status": Label("Status (kode)", "Status (code)"),
    "status_name": Label("Status", "Status"),
    "open": Label("Åben", "Open"),
    "severity": Label("Alvor (kode)", "Severity (code)"),
    "severity_name": Label("Alvor", "Severity"),
    "groups": Label("Målgrupper", "Affected groups"),
    "tags": Label("Mærker", "Tags"),
    "report_count": Label("Rapporter", "Reports"),
    "confirmation_count": Label("Bekræftelser", "Confirmations"),
    "fixed_claim_count": Label("Meldt udbedret", "Reported fixed"),
    "first_seen": Label("Først set", "First seen"),
    "last_seen": Label("Senest set", "Last seen"),
    "area_id": Label("Område (id)", "Area (id)"),
    "area_name": Label("Område", "Area"),
    "priority_score": Label("Prioritet", "Priority"),
    "planned_year": Label("Planlagt år", "Planned year"),
    "name": Label("Navn", "Name"),
    "kind": Label("Slags (kode)", "Kind (code)"),
    "kind_name": Label("Slags", "Kind"),
    "importance": Label("Vægt", "Importance"),
    "approximate": Label("Omtrentlig", "Approximate"),
    "description": Label("Beskrivelse", "Description"),
    "source": Label("Kilde", "Source"),
}


def property_label(name: str, lang: str) -> str:
    """A readable name of a feature property in ``lang`` (the key itself if unknown)."""
    label = PROPERTY_LABELS.get(name)
    return label.get(lang) if label else name
