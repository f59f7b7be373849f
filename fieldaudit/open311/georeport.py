"""Open311 GeoReport v2: FieldAudit's categories as services and its reports as service requests.

No Flask here: the views parse the HTTP request, call these functions and encode the result.
Field names, value types and formats follow http://wiki.open311.org/GeoReport_v2.

What the public sees of a report (at least as strict as ``visibility.report_is_public``):

* hidden reports do not exist (404, never listed);
* unreviewed reports (status ``new``; volunteers' reports stay private until Handicaprådet has
  looked at them) are never listed. Looked up by their id (the answer to a POST) or their
  token, they show only their status, category and dates: no position, text or photo;
* reviewed reports show area, status and, once accepted (verified, duplicate, planned,
  fixed, closed), the exact position, the reporter's description and the first photo that is
  not hidden. A rejected report shows no position, text or photo (the rule of
  ``status.ACCEPTED_REPORT_STATUSES``, as on its public page);
* never the reporter's identity (account, name, e-mail, device) and never internal notes: the
  ``status_notes`` carry the status label and the reason given with the latest *public* status
  change; ``updated_datetime`` is the time of the latest public history entry.

Reports follow their site's status when a planner decides (the lifecycle records that on the
report); a verified report whose site was planned, fixed or closed by other means shows the
site's status all the same.
"""

from __future__ import annotations

import math
import re
import uuid as uuid_module
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from geoalchemy2.shape import to_shape
from shapely import prepared
from shapely.ops import unary_union
from sqlalchemy import case, select
from sqlalchemy.orm import Session, aliased, selectinload

from fieldaudit import params
from fieldaudit.crs import to_wgs84
from fieldaudit.errors import Problem
from fieldaudit.models import Area, BarrierReport, BarrierSite, HistoryEntry, Photo
from fieldaudit.plain_text import clean_xml_tree, text_problem
from fieldaudit.status import ACCEPTED_REPORT_STATUSES, OPEN_STATUSES, STATUS_LABELS, Status
from fieldaudit.taxonomy import (
    CATEGORIES,
    GROUP_LABELS,
    MUNICIPALITY,
    SEVERITIES,
    Category,
    Label,
    category,
    tags_for,
)

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
JURISDICTION_ID = "herlev.dk"
AGENCY = Label("Herlev Kommune", "Herlev Municipality")
# Herlev Kommune lies inside postal district 2730 Herlev (which is larger than it), so a point
# inside the municipal boundary is in 2730. Reports may lie up to the boundary tolerance
# outside it, where another district may begin (2740, 2750, 2860, ...): those get no zipcode.
ZIPCODE = 2730
LOCAL_TIME = ZoneInfo("Europe/Copenhagen")
# "Default query limit is a span of 90 days or first 1000 requests returned, whichever is
# smallest"; a start_date/end_date range "may not span more than 90 days".
WINDOW = timedelta(days=90)
MAX_REQUESTS = 1000
MAX_IDS = 1000
# Bumped when the services or their definitions change (Service Discovery "changeset").
SERVICES_CHANGESET = "2026-11-23 16:00"

LANGUAGES = ("da", "en")

# Statuses whose reports a reviewer has accepted: their text and photos are public.
ACCEPTED_STATUSES = ACCEPTED_REPORT_STATUSES
# A verified report takes the state of its site once the site has moved on.
SITE_OVERRIDES = (Status.PLANNED.value, Status.FIXED.value, Status.CLOSED.value)

OPEN_VALUES = tuple(s.value for s in OPEN_STATUSES)
CLOSED_VALUES = tuple(s.value for s in Status if s not in OPEN_STATUSES)

# XML element names of list items (the JSON form is the same structure, Spark convention).
LIST_ITEMS = {
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
}


@dataclass(frozen=True)
class ServiceGroup:
    """A group of services (Open311 ``group``)."""

    code: str
    label: Label
    categories: tuple[str, ...]


SERVICE_GROUPS: tuple[ServiceGroup, ...] = (
    ServiceGroup(
        "access",
        Label("Niveauforskelle og adgang", "Level differences and access"),
        ("step", "missing_ramp", "steep_ramp", "missing_handrail", "kerb", "heavy_door"),
    ),
    ServiceGroup(
        "passage",
        Label("Passage og belægning", "Passage and surface"),
        ("narrow_passage", "surface", "obstacle"),
    ),
    ServiceGroup(
        "facilities", Label("Faciliteter", "Facilities"), ("toilet", "parking", "benches")
    ),
    ServiceGroup(
        "orientation",
        Label("Syn og orientering", "Sight and orientation"),
        ("tactile", "contrast", "lighting", "crossing_signal"),
    ),
    ServiceGroup(
        "information",
        Label("Hørelse, skilte og information", "Hearing, signs and information"),
        ("induction_loop", "signage", "easy_read"),
    ),
    ServiceGroup("other", Label("Andet", "Other"), ("other",)),
)
GROUP_OF_CATEGORY = {code: g for g in SERVICE_GROUPS for code in g.categories}


class Open311Error(Exception):
    """A request that cannot be answered: an HTTP status and one or more descriptions."""

    def __init__(self, status: int, *descriptions: str) -> None:
        self.status = status
        self.descriptions = list(descriptions)
        super().__init__("; ".join(descriptions))

    def as_list(self) -> list[dict[str, Any]]:
        """The Open311 error body: ``[{"code": ..., "description": ...}, ...]``."""
        return [{"code": self.status, "description": d} for d in self.descriptions]


def _t(lang: str, da: str, en: str) -> str:
    return Label(da, en).get(lang)


def language(value: str | None) -> str:
    """The language asked for with ``lang``/``locale`` ('en', 'en-GB', 'da_DK', ...); Danish by default."""
    if not value:
        return "da"
    primary = re.split(r"[-_]", value.strip().lower(), maxsplit=1)[0]
    return primary if primary in LANGUAGES else "da"


def check_jurisdiction(value: str | None, lang: str) -> None:
    """This endpoint serves one jurisdiction: any other ``jurisdiction_id`` is not found (404)."""
    if value and value.strip().lower() != JURISDICTION_ID:
        raise Open311Error(
            404,
            _t(
                lang,
                f"jurisdiction_id '{value}' findes ikke; her er kun '{JURISDICTION_ID}'.",
                f"jurisdiction_id '{value}' was not found; this endpoint serves only "
                f"'{JURISDICTION_ID}'.",
            ),
        )


# -- dates ----------------------------------------------------------------------------------


def w3_datetime(moment: datetime) -> str:
    """Format a datetime in the W3C profile of ISO 8601 with the Danish UTC offset."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(LOCAL_TIME).isoformat(timespec="seconds")


def parse_w3_datetime(value: str) -> datetime | None:
    """Parse a W3C/ISO 8601 date and time with a time zone (Z or ±hh:mm); None if it is not one.

    A '+' sent unencoded in a query string arrives as a space; it is read back as '+'. The year
    is bounded (``params.MIN_YEAR`` to ``params.MAX_YEAR``), so the 90-day window stays in range.
    """
    return params.utc_datetime(value)


def _number_text(value: float, lang: str) -> str:
    text = f"{value:g}"
    return text.replace(".", ",") if lang == "da" else text


# -- services -------------------------------------------------------------------------------


def _keywords(cat: Category, lang: str) -> str:
    other = "en" if lang == "da" else "da"
    words = [cat.label.get(other)]
    words += [t.label.get(lang) for t in cat.tags]
    words += [GROUP_LABELS[g].get(lang) for g in cat.groups]
    return ", ".join(w.lower() for w in dict.fromkeys(words))


def service(cat: Category, lang: str) -> dict[str, Any]:
    """One service (a barrier category) as in GET Service List."""
    return {
        "service_code": cat.code,
        "service_name": cat.label.get(lang),
        "description": cat.hint.get(lang),
        "metadata": True,
        "type": "realtime",
        "keywords": _keywords(cat, lang),
        "group": GROUP_OF_CATEGORY[cat.code].label.get(lang),
    }


def services(lang: str) -> list[dict[str, Any]]:
    """Every barrier category as an Open311 service."""
    return [service(c, lang) for c in CATEGORIES]


def find_service(code: str | None, lang: str) -> Category:
    """The category with ``code``; 400 when none is given, 404 when it does not exist."""
    if not code:
        raise Open311Error(400, _t(lang, "service_code mangler.", "service_code was not provided."))
    cat = category(code)
    if cat is None:
        raise Open311Error(
            404,
            _t(
                lang,
                f"service_code '{code}' findes ikke.",
                f"service_code '{code}' was not found.",
            ),
        )
    return cat


def _attribute(
    order: int,
    code: str,
    datatype: str,
    required: bool,
    description: str,
    datatype_description: str | None,
    values: Iterable[tuple[str, str]] = (),
) -> dict[str, Any]:
    return {
        "variable": True,
        "code": code,
        "datatype": datatype,
        "required": required,
        "datatype_description": datatype_description,
        "order": order,
        "description": description,
        "values": [{"key": key, "name": name} for key, name in values],
    }


def _threshold_text(cat: Category, key: str, lang: str) -> str:
    definition = cat.measurement(key)
    assert definition is not None
    unit = definition.unit
    lo, hi = _number_text(definition.minimum, lang), _number_text(definition.maximum, lang)
    text = _t(lang, f"Et tal fra {lo} til {hi} {unit}.", f"A number from {lo} to {hi} {unit}.")
    rule = definition.threshold
    if rule is not None:
        limit = _number_text(rule.limit, lang)
        if rule.kind == "max":
            text += _t(
                lang,
                f" En barriere når over {limit} {unit} ({rule.source}).",
                f" A barrier when above {limit} {unit} ({rule.source}).",
            )
        else:
            text += _t(
                lang,
                f" En barriere når under {limit} {unit} ({rule.source}).",
                f" A barrier when below {limit} {unit} ({rule.source}).",
            )
    return text


def service_definition(cat: Category, lang: str) -> dict[str, Any]:
    """The attributes of a service: severity, affected groups, tags and measurements."""
    attributes = [
        _attribute(
            1,
            "severity",
            "singlevaluelist",
            True,
            _t(lang, "Hvor alvorlig er barrieren?", "How severe is the barrier?"),
            " ".join(
                f"{i.label.get(lang)}: {i.explanation.get(lang)}" for i in SEVERITIES.values()
            ),
            [(s.value, i.label.get(lang)) for s, i in SEVERITIES.items()],
        ),
        _attribute(
            2,
            "groups",
            "multivaluelist",
            False,
            _t(lang, "Hvem rammes af barrieren?", "Who is affected by the barrier?"),
            _t(
                lang,
                "Vælg en eller flere målgrupper. Uden valg gælder kategoriens målgrupper: ",
                "Choose one or more groups. Without a choice, the category's groups apply: ",
            )
            + (", ".join(GROUP_LABELS[g].get(lang) for g in cat.groups) or "-")
            + ".",
            [(g.value, label.get(lang)) for g, label in GROUP_LABELS.items()],
        ),
        _attribute(
            3,
            "tags",
            "multivaluelist",
            False,
            _t(lang, "Hvad præciserer barrieren?", "What describes the barrier more precisely?"),
            _t(lang, "Vælg de mærker der passer.", "Choose the tags that fit."),
            [(t.code, t.label.get(lang)) for t in tags_for(cat)],
        ),
    ]
    for number, m in enumerate(cat.measurements, start=4):
        attributes.append(
            _attribute(
                number,
                m.key,
                "number",
                False,
                f"{m.label.get(lang)} ({m.unit})",
                _threshold_text(cat, m.key, lang),
            )
        )
    return {"service_code": cat.code, "attributes": attributes}


# -- service requests -----------------------------------------------------------------------


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
            errors.append(
                _t(
                    lang,
                    f"service_request_id skal være heltal fra 1 til {params.MAX_ID} adskilt af "
                    "komma.",
                    f"service_request_id must be whole numbers from 1 to {params.MAX_ID} "
                    "separated by commas.",
                )
            )
        elif len(ids) > MAX_IDS:
            errors.append(
                _t(
                    lang,
                    f"Højst {MAX_IDS} service_request_id ad gangen.",
                    f"At most {MAX_IDS} service_request_id at a time.",
                )
            )
        if errors:
            raise Open311Error(400, *errors)
        # "This overrides all other arguments."
        return RequestFilters(ids=list(dict.fromkeys(ids)))

    codes = _comma_list(args.get("service_code"))
    unknown = [c for c in codes if category(c) is None]
    if unknown:
        errors.append(
            _t(
                lang,
                f"Ukendt service_code: {', '.join(unknown)}.",
                f"Unknown service_code: {', '.join(unknown)}.",
            )
        )

    statuses = [s.lower() for s in _comma_list(args.get("status"))]
    if any(s not in ("open", "closed") for s in statuses):
        errors.append(
            _t(lang, "status skal være open eller closed.", "status must be open or closed.")
        )

    moments: dict[str, datetime | None] = {}
    for name in ("start_date", "end_date"):
        value = (args.get(name) or "").strip()
        moments[name] = parse_w3_datetime(value) if value else None
        if value and moments[name] is None:
            errors.append(
                _t(
                    lang,
                    f"{name} skal være en dato og tid i W3C-format med tidszone, "
                    f"f.eks. 2026-01-01T00:00:00Z, mellem år {params.MIN_YEAR} og "
                    f"{params.MAX_YEAR}.",
                    f"{name} must be a W3C date and time with a time zone, "
                    f"e.g. 2026-01-01T00:00:00Z, from the year {params.MIN_YEAR} to "
                    f"{params.MAX_YEAR}.",
                )
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
            _t(lang, "end_date ligger før start_date.", "end_date is before start_date."),
        )
    if end - start > WINDOW:
        raise Open311Error(
            400,
            _t(
                lang,
                "start_date og end_date må højst ligge 90 dage fra hinanden.",
                "start_date and end_date may not span more than 90 days.",
            ),
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


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


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
        updated[report_id] = _aware(moment)
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
        text += _t(
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
    created = _aware(report.created_at)
    updated = max(
        [created, _aware(report.received_at)]
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

_ATTRIBUTE = re.compile(r"^attribute\[([^\]]+)\](\[\])?$")
LIST_ATTRIBUTES = ("groups", "tags")


def _form_number(value: str) -> float | None:
    try:
        number = float(value.strip().replace(",", "."))
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def read_attributes(items: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    """Collect ``attribute[code]=v`` and ``attribute[code][]=v`` pairs by code."""
    found: dict[str, list[str]] = {}
    for key, value in items:
        match = _ATTRIBUTE.match(key)
        if match:
            found.setdefault(match.group(1), []).append(value)
    return found


def report_payload(
    form: Mapping[str, str], attributes: dict[str, list[str]], cat: Category, lang: str
) -> dict[str, Any]:
    """Turn a POST Service Request into a FieldAudit report payload (for ``check_report``)."""
    errors: list[str] = []
    lat_text, lon_text = (form.get("lat") or "").strip(), (form.get("long") or "").strip()
    if not lat_text or not lon_text:
        if form.get("address_string") or form.get("address_id"):
            errors.append(
                _t(
                    lang,
                    "Send lat og long: adresser kan ikke slås op her.",
                    "Send lat and long: addresses cannot be looked up here.",
                )
            )
        else:
            errors.append(_t(lang, "lat og long mangler.", "lat and long were not provided."))
    lat, lon = _form_number(lat_text), _form_number(lon_text)
    if lat_text and lon_text and (lat is None or lon is None):
        errors.append(_t(lang, "lat og long skal være tal.", "lat and long must be numbers."))

    known = {"severity", *LIST_ATTRIBUTES} | {m.key for m in cat.measurements}
    for code in attributes:
        if code not in known:
            errors.append(
                _t(
                    lang,
                    f"attribute[{code}] findes ikke for service_code '{cat.code}'.",
                    f"attribute[{code}] is not defined for service_code '{cat.code}'.",
                )
            )
    severity = attributes.get("severity", [None])
    if len(severity) != 1:
        errors.append(
            _t(lang, "Angiv én værdi for attribute[severity].", "Give one attribute[severity].")
        )
    measurements: dict[str, Any] = {}
    for m in cat.measurements:
        values = attributes.get(m.key)
        if not values or not values[-1].strip():
            continue
        number = _form_number(values[-1])
        if number is None:
            errors.append(
                _t(
                    lang,
                    f"attribute[{m.key}] skal være et tal.",
                    f"attribute[{m.key}] must be a number.",
                )
            )
            continue
        measurements[m.key] = {"value": number, "unit": m.unit}
    if errors:
        raise Open311Error(400, *errors)
    return {
        "uuid": str(uuid_module.uuid4()),
        "lat": lat,
        "lon": lon,
        "category": cat.code,
        "severity": severity[0],
        "groups": [v for v in attributes.get("groups", []) if v],
        "tags": [v for v in attributes.get("tags", []) if v],
        "measurements": measurements,
        "description": form.get("description") or "",
    }


_FIELD_NAMES = {
    "position": "lat/long",
    "category": "service_code",
    "severity": "attribute[severity]",
    "groups": "attribute[groups]",
    "tags": "attribute[tags]",
    "description": "description",
}


def refuse_control_characters(items: Iterable[tuple[str, str]], lang: str) -> None:
    """Refuse a POST whose fields hold control characters or NUL: 400, naming every field.

    Refused, not stripped: the client is a program that can be told (see ``plain_text``)."""
    descriptions = [
        f"{name}: {problem.message.get(lang)}"
        for name, value in items
        if (problem := text_problem(value, name)) is not None
    ]
    if descriptions:
        raise Open311Error(400, *descriptions)


def problems_as_error(problems: list[Problem], lang: str) -> Open311Error:
    """Turn FieldAudit's validation problems into one Open311 400 error."""
    descriptions = []
    for problem in problems:
        name = _FIELD_NAMES.get(problem.field, problem.field)
        if problem.field.startswith("measurements."):
            name = f"attribute[{problem.field.split('.', 1)[1]}]"
        descriptions.append(f"{name}: {problem.message.get(lang)}")
    return Open311Error(400, *descriptions)


def service_notice(lang: str) -> str:
    """What happens after a report is received."""
    return _t(
        lang,
        "Tak. Handicaprådet gennemgår rapporten; status kan følges her.",
        "Thank you. Handicaprådet will review the report; follow its status here.",
    )


# -- encodings ------------------------------------------------------------------------------


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _append(parent: ET.Element, name: str, value: Any) -> None:
    element = ET.SubElement(parent, name)
    if isinstance(value, dict):
        for key, item in value.items():
            _append(element, key, item)
    elif isinstance(value, list):
        child = LIST_ITEMS[name]
        for item in value:
            _append(element, child, item)
    else:
        element.text = _text(value)


def to_xml(root: str, value: Any, item: str | None = None) -> bytes:
    """Encode a response as Open311 XML: ``<root><item>...</item></root>`` or ``<root>...</root>``.

    ``value`` is a list of records (with ``item`` naming each) or one record; None becomes an
    empty element, booleans become true/false.
    """
    element = ET.Element(root)
    if isinstance(value, list):
        assert item is not None
        for record in value:
            _append(element, item, record)
    else:
        for key, child in value.items():
            _append(element, key, child)
    clean_xml_tree(element)  # text stored before control characters were refused, echoed input
    ET.indent(element, space="  ")
    body = ET.tostring(element, encoding="unicode", short_empty_elements=True)
    return ('<?xml version="1.0" encoding="utf-8"?>\n' + body + "\n").encode("utf-8")
