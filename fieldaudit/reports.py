"""Barrier reports: checking what a device sends and storing it exactly once."""

from __future__ import annotations

import hashlib
import json
import math
import uuid as uuid_module
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Float, bindparam, select
from sqlalchemy.orm import Session, make_transient_to_detached

from fieldaudit.areas import ServiceArea, area_for_point
from fieldaudit.crs import to_metric
from fieldaudit.errors import ConflictError, Problem, ValidationError
from fieldaudit.models import BarrierReport, User
from fieldaudit.plain_text import text_problem
from fieldaudit.problems import problem
from fieldaudit.sites import NewReportRow, join_new_report
from fieldaudit.spatial import backend
from fieldaudit.status import Status
from fieldaudit.stored_points import point_element
from fieldaudit.taxonomy import Group, Severity, category, tags_for
from fieldaudit.utc import utc_now

MAX_DESCRIPTION = 2000
MAX_NAME = 120
MAX_ACCURACY_M = 5000.0
CLOCK_SKEW = timedelta(days=1)


@dataclass(frozen=True)
class ReportDraft:
    """A checked report, ready to store; coordinates in EPSG:25832."""

    uuid: str
    x: float
    y: float
    accuracy_m: float | None
    category: str
    severity: str
    groups: list[str]
    tags: list[str]
    measurements: dict[str, dict[str, Any]]
    description: str
    created_at: datetime
    show_name: bool
    reporter_name: str
    photo_hashes: list[str] = field(default_factory=list)
    time_sent: bool = True  # False when created_at is the server's fallback (arrival) time

    def content_hash(self) -> str:
        """A fingerprint of what the client sent, so a resubmission can be told from a different
        report. The server's fallback time is not content: a retry of a report sent without
        ``created_at`` is the same report."""
        # The fields as they are (``asdict`` would deep-copy every list and dict first).
        content = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "time_sent"}
        content["x"] = round(self.x, 3)
        content["y"] = round(self.y, 3)
        content["created_at"] = self.created_at.isoformat() if self.time_sent else None
        encoded = json.dumps(content, sort_keys=True, ensure_ascii=False).encode()
        return hashlib.sha256(encoded).hexdigest()


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _string_list(value: Any) -> list[str] | None:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        return None
    return list(dict.fromkeys(value))


def parse_uuid(value: Any) -> str | None:
    """Return the canonical form of a UUID string, or None if it is not one."""
    if not isinstance(value, str):
        return None
    try:
        return str(uuid_module.UUID(value))
    except ValueError:
        return None


def parse_timestamp(value: Any) -> datetime | None:
    """Parse an ISO 8601 timestamp with a time zone; None if it is not one."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        return None
    return moment.astimezone(UTC)


def check_created_at(value: Any, now: datetime, problems: list[Problem]) -> datetime:
    """When a phone says something happened: ``now`` if it does not say; if the time is not
    ISO 8601 with a time zone or lies more than a day ahead, a problem is added (and ``now``)."""
    if value is None:
        return now
    moment = parse_timestamp(value)
    if moment is None or moment > now + CLOCK_SKEW:
        problems.append(problem("created_at", "invalid_time"))
        return now
    return moment


def check_report(
    payload: Any, service_area: ServiceArea, now: datetime | None = None
) -> ReportDraft:
    """Check a report as sent by a device; raise ValidationError listing every problem."""
    now = now or datetime.now(UTC)
    if not isinstance(payload, dict):
        raise ValidationError(problem("", "invalid_body.report"))
    problems: list[Problem] = []

    report_uuid = parse_uuid(payload.get("uuid"))
    if report_uuid is None:
        problems.append(problem("uuid", "invalid_uuid.report"))

    x = y = 0.0
    lat, lon = _number(payload.get("lat")), _number(payload.get("lon"))
    if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180):
        problems.append(problem("position", "invalid_position"))
    else:
        x, y = to_metric(lon, lat)
        if not service_area.contains(x, y):
            problems.append(problem("position", "outside_area"))

    accuracy = payload.get("accuracy_m")
    if accuracy is not None:
        accuracy = _number(accuracy)
        if accuracy is None or not 0 <= accuracy <= MAX_ACCURACY_M:
            problems.append(problem("accuracy_m", "invalid_accuracy", max_m=MAX_ACCURACY_M))

    code = payload.get("category")
    cat = category(code) if isinstance(code, str) else None
    if cat is None:
        problems.append(problem("category", "unknown_category"))

    severity = payload.get("severity")
    if severity not in {s.value for s in Severity}:
        problems.append(problem("severity", "invalid_severity"))

    groups = _string_list(payload.get("groups"))
    known_groups = {g.value for g in Group}
    if groups is None or not set(groups) <= known_groups:
        problems.append(problem("groups", "unknown_group"))
        groups = []
    if not groups and cat is not None:
        groups = [g.value for g in cat.groups]

    tags = _string_list(payload.get("tags"))
    allowed_tags = {t.code for t in tags_for(cat)} if cat else set()
    if tags is None or (cat is not None and not set(tags) <= allowed_tags):
        problems.append(problem("tags", "unknown_tag"))
        tags = []

    measurements = _check_measurements(payload.get("measurements"), cat, problems)

    description = payload.get("description", "")
    if not isinstance(description, str) or len(description) > MAX_DESCRIPTION:
        problems.append(problem("description", "invalid_description", max_chars=MAX_DESCRIPTION))
        description = ""
    if cat is not None and cat.code == "other" and not description.strip():
        problems.append(problem("description", "description_required"))

    created_at = check_created_at(payload.get("created_at"), now, problems)

    show_name = payload.get("show_name", False)
    reporter_name = payload.get("reporter_name", "")
    if (
        not isinstance(show_name, bool)
        or not isinstance(reporter_name, str)
        or len(reporter_name) > MAX_NAME
    ):
        problems.append(problem("reporter_name", "invalid_name", max_chars=MAX_NAME))
        show_name, reporter_name = False, ""
    problems += _control_characters({"description": description, "reporter_name": reporter_name})

    if problems:
        raise ValidationError(problems)
    assert report_uuid is not None and cat is not None and isinstance(severity, str)
    return ReportDraft(
        uuid=report_uuid,
        x=x,
        y=y,
        accuracy_m=accuracy,
        category=cat.code,
        severity=severity,
        groups=sorted(groups or []),
        tags=sorted(tags or []),
        measurements=measurements,
        description=description.strip(),
        created_at=created_at,
        show_name=show_name,
        reporter_name=reporter_name.strip() if show_name else "",
        time_sent=payload.get("created_at") is not None,
    )


def _control_characters(fields: dict[str, Any]) -> list[Problem]:
    """Text with control characters is refused, naming the field (see ``plain_text``)."""
    return [p for name, value in fields.items() if (p := text_problem(value, name)) is not None]


def _check_measurements(raw: Any, cat: Any, problems: list[Problem]) -> dict[str, dict[str, Any]]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        problems.append(problem("measurements", "invalid_measurements"))
        return {}
    result: dict[str, dict[str, Any]] = {}
    for key, quantity in raw.items():
        definition = cat.measurement(key) if cat is not None and isinstance(key, str) else None
        if definition is None:
            problems.append(problem(f"measurements.{key}", "unknown_measurement"))
            continue
        value = _number(quantity.get("value")) if isinstance(quantity, dict) else _number(quantity)
        unit = (
            quantity.get("unit", definition.unit) if isinstance(quantity, dict) else definition.unit
        )
        if (
            value is None
            or unit != definition.unit
            or not definition.minimum <= value <= definition.maximum
        ):
            problems.append(
                problem(
                    f"measurements.{key}",
                    "invalid_measurement",
                    label=definition.label,
                    minimum=definition.minimum,
                    maximum=definition.maximum,
                    unit=definition.unit,
                )
            )
            continue
        result[key] = {"value": value, "unit": definition.unit}
    return result


def find_report(session: Session, report_uuid: str) -> BarrierReport | None:
    """Return the report with a device UUID, or None."""
    return session.scalar(select(BarrierReport).where(BarrierReport.uuid == report_uuid))


def resent_report(session: Session, draft: ReportDraft) -> BarrierReport | None:
    """The stored report with the draft's UUID (a resend), None if there is none;
    ConflictError if its content differs from the draft's."""
    existing = find_report(session, draft.uuid)
    if existing is not None and existing.content_hash != draft.content_hash():
        raise ConflictError(problem("uuid", "uuid_conflict.report"))
    return existing


_table = BarrierReport.__table__
# Every column a new report's row gives, as a parameter named ``report_`` and the column's name
# (the id is the database's; the site is ``to_site`` and the position two numbers,
# ``report_x`` and ``report_y``). Not the column's own name: SQLAlchemy adds a parameter that
# is named as a column to an INSERT's or UPDATE's columns, and the site's statements, with
# columns of the same names, may run with the same parameters.
REPORT_VALUES = tuple(c.name for c in _table.columns if c.name not in ("id", "geom", "site_id"))
_insert_once: dict[str, Any] = {}


def _insert_once_statement(session: Session) -> Any:
    """INSERT of one report that the unique index on ``uuid`` lets through once:
    ``ON CONFLICT (uuid) DO NOTHING RETURNING id`` (no row: the UUID is stored already). Every
    value is a named parameter, so the statement can also be part of a larger one
    (``sites.join_new_report`` writes the report and its site in one where it can)."""
    spatial = backend(session)
    stmt = _insert_once.get(spatial.name)
    if stmt is None:
        position = (bindparam(f"report_{axis}", type_=Float) for axis in "xy")
        values = {
            name: bindparam(f"report_{name}", type_=_table.c[name].type) for name in REPORT_VALUES
        }
        values.update(
            geom=spatial.point(*position),
            site_id=bindparam("to_site", type_=_table.c.site_id.type),
        )
        stmt = _insert_once[spatial.name] = (
            spatial.insert(_table)
            .values(values)
            .on_conflict_do_nothing(index_elements=["uuid"])
            .returning(_table.c.id)
        )
    return stmt


def store_report(
    session: Session,
    draft: ReportDraft,
    reporter: User | None = None,
    device_token_hash: str | None = None,
) -> tuple[BarrierReport, bool]:
    """Store a checked report once; return it and whether it was new.

    The same UUID with the same content returns the stored report; the same UUID with other
    content raises ConflictError. The caller commits.

    The idempotency check is the insert itself: the report is written as one Core statement
    with ``ON CONFLICT (uuid) DO NOTHING`` (``sites.join_new_report`` decides its site and
    writes the site around it); only when the UUID is stored already (a resend, rare) is
    the stored report read. So a new report costs no read by UUID and no pass through the
    ORM's unit of work, and a resend changes nothing.
    """
    digest = draft.content_hash()
    area = area_for_point(session, draft.x, draft.y)
    values: dict[str, Any] = {
        "uuid": draft.uuid,
        "content_hash": digest,
        "accuracy_m": draft.accuracy_m,
        "category": draft.category,
        "severity": draft.severity,
        "groups": draft.groups,
        "tags": draft.tags,
        "measurements": draft.measurements,
        "description": draft.description,
        "created_at": draft.created_at,
        "received_at": utc_now(),
        "reporter_id": reporter.id if reporter else None,
        "status": Status.NEW.value,
        "status_reason": "",
        "hidden": False,
        "device_token_hash": device_token_hash,
        "show_name": draft.show_name,
        "reporter_name": draft.reporter_name,
        "area_id": area.id if area else None,
        "duplicate_of_site_id": None,
    }
    report = BarrierReport(geom=point_element(draft.x, draft.y), **values)
    params = {f"report_{name}": values[name] for name in REPORT_VALUES}
    params.update(report_x=draft.x, report_y=draft.y)
    row = NewReportRow(_insert_once_statement(session), params)
    written = join_new_report(session, report, draft.x, draft.y, row)
    if written is None:  # the UUID is stored already
        existing = resent_report(session, draft)
        if existing is None:  # the other writer's transaction was undone after all
            return store_report(session, draft, reporter, device_token_hash)
        return existing, False
    # The row as written: persistent in the session without reading it back.
    report.site_id, report.id = written
    report.photos = []  # known empty: attach_photos adds to it, serialising reads no query
    make_transient_to_detached(report)
    session.add(report)
    return report, True
