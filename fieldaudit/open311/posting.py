"""A posted Open311 service request read into FieldAudit's report payload, and its problems
turned into Open311 errors."""

from __future__ import annotations

import math
import re
import uuid as uuid_module
from collections.abc import Iterable, Mapping
from typing import Any

from fieldaudit.errors import Problem
from fieldaudit.open311.georeport import (
    Open311Error,
    text_in,
)
from fieldaudit.plain_text import text_problem
from fieldaudit.problems import message
from fieldaudit.taxonomy import (
    Category,
)

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
            errors.append(message("open311_address_not_supported").get(lang))
        else:
            errors.append(message("open311_missing_position").get(lang))
    lat, lon = _form_number(lat_text), _form_number(lon_text)
    if lat_text and lon_text and (lat is None or lon is None):
        errors.append(message("open311_position_not_numbers").get(lang))

    known = {"severity", *LIST_ATTRIBUTES} | {m.key for m in cat.measurements}
    for code in attributes:
        if code not in known:
            errors.append(
                message("open311_unknown_attribute", attribute=code, code=cat.code).get(lang)
            )
    severity = attributes.get("severity", [None])
    if len(severity) != 1:
        errors.append(message("open311_one_severity").get(lang))
    measurements: dict[str, Any] = {}
    for m in cat.measurements:
        values = attributes.get(m.key)
        if not values or not values[-1].strip():
            continue
        number = _form_number(values[-1])
        if number is None:
            errors.append(message("open311_attribute_not_number", attribute=m.key).get(lang))
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
    return text_in(
        lang,
        "Tak. Handicaprådet gennemgår rapporten; status kan følges her.",
        "Thank you. Handicaprådet will review the report; follow its status here.",
    )


# -- encodings ------------------------------------------------------------------------------
