"""CSV export for spreadsheets: UTF-8 with BOM (Excel), WGS84 and EPSG:25832 coordinates.

The Danish variant is what Excel with Danish settings opens straight into columns: Danish
column names, ";" between cells and a decimal comma. The English one uses "," and ".".

Cells that a spreadsheet would run as a formula (starting with = + - @, tab or carriage
return) are prefixed with an apostrophe (OWASP's advice against CSV injection); numbers are
written as numbers.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from fieldaudit.exports.rows import SiteRow
from fieldaudit.taxonomy import GROUP_LABELS, Group

COPENHAGEN = ZoneInfo("Europe/Copenhagen")

# A bare media type: Werkzeug's ``mimetype=`` adds "; charset=utf-8" to every text/* type (given
# "text/csv; charset=utf-8" it answered "text/csv; charset=utf-8; charset=utf-8").
MEDIA_TYPE = "text/csv"
BOM = "\ufeff"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

# (field, English column, Danish column)
COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("rank", "rank", "rang"),
    ("site_id", "site_id", "sted_id"),
    ("score", "priority_score", "prioritet"),
    ("priority_class", "priority_class", "prioritetsklasse"),
    ("category", "category", "kategori_kode"),
    ("category_label", "category_label", "kategori"),
    ("severity", "severity", "alvor_kode"),
    ("severity_label", "severity_label", "alvor"),
    ("status", "status", "status_kode"),
    ("status_label", "status_label", "status"),
    ("area", "area", "område"),
    ("groups", "groups", "målgrupper"),
    ("report_count", "reports", "rapporter"),
    ("confirmation_count", "confirmations", "bekræftelser"),
    ("no_alternative_route", "no_alternative_route", "ingen_anden_vej"),
    ("planned_year", "planned_year", "planlagt_år"),
    ("planned_cost_dkk", "planned_cost_dkk", "planlagt_pris_kr"),
    ("first_seen", "first_seen", "først_set"),
    ("last_seen", "last_seen", "sidst_set"),
    ("lat", "lat", "bredde"),
    ("lon", "lon", "længde"),
    ("easting", "easting_25832", "øst_25832"),
    ("northing", "northing_25832", "nord_25832"),
    ("explanation", "explanation", "begrundelse"),
)


def safe_cell(value: Any, danish: bool = False) -> Any:
    """A value as a CSV cell: formula-like text neutralised, booleans and lists readable."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return ("ja" if value else "nej") if danish else ("yes" if value else "no")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return repr(value).replace(".", ",") if danish else value
    if isinstance(value, list | tuple):
        value = " ".join(str(v) for v in value)
    if isinstance(value, datetime):
        value = moment_cell(value, danish)
    elif hasattr(value, "isoformat"):
        value = value.isoformat()
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def moment_cell(moment: datetime, danish: bool = False) -> str:
    """A stored (UTC) time to the second: Copenhagen local time in Danish, ISO 8601 UTC else."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    if danish:
        return aware.astimezone(COPENHAGEN).strftime("%Y-%m-%d %H:%M:%S")
    return aware.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def group_names(codes: Sequence[str], danish: bool = False) -> str:
    """Affected groups by name in Danish ('kørestolsbrugere, ...'), as codes in English."""
    if not danish:
        return " ".join(codes)
    return ", ".join(
        GROUP_LABELS[Group(code)].da if code in Group.__members__ else code for code in codes
    )


def _cell(row: SiteRow, field: str, danish: bool) -> Any:
    value = getattr(row, field)
    if field == "groups":
        value = group_names(value, danish)
    return safe_cell(value, danish)


def header(danish: bool = False) -> list[str]:
    """The column names in English or Danish."""
    return [da if danish else en for _field, en, da in COLUMNS]


def sites_csv(rows: Sequence[SiteRow], danish: bool = False) -> str:
    """The sites as CSV text starting with a BOM (CRLF line ends; Danish: ';' and 0,5)."""
    out = io.StringIO()
    out.write(BOM)
    writer = csv.writer(out, delimiter=";" if danish else ",", lineterminator="\r\n")
    writer.writerow(header(danish))
    for row in rows:
        writer.writerow([_cell(row, field, danish) for field, _en, _da in COLUMNS])
    return out.getvalue()


def sites_csv_bytes(rows: Sequence[SiteRow], danish: bool = False) -> bytes:
    """The CSV encoded as UTF-8 (with its BOM)."""
    return sites_csv(rows, danish).encode("utf-8")
