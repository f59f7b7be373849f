"""Reading values from URLs: query parameters and path segments, checked before anything uses them.

No Flask here: the views pass the raw text (``fieldaudit.web.query`` reads it from the request).
Every number is ASCII digits within bounds (``'²'.isdigit()`` is True but ``int('²')`` fails, and
an id beyond the databases' integers is an error in PostgreSQL), every datetime has a time zone
and a year from MIN_YEAR to MAX_YEAR (so converting it to UTC, or adding a window of days, stays
within what Python and the databases represent). A value that breaks a rule raises
``ParameterError`` (HTTP 400) with a problem from the catalogue (``fieldaudit.problems``), or a lenient reader returns the
caller's default.
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection
from datetime import UTC, date, datetime
from typing import Any

from fieldaudit.errors import DomainError
from fieldaudit.problems import problem

MAX_ID = 2**31 - 1  # the databases' integer keys: a larger id cannot exist
MIN_YEAR = 1900
MAX_YEAR = 2999
MAX_DIGITS = 18  # any bounded integer of the app fits; longer text is refused before int()

_DIGITS = re.compile(rf"[0-9]{{1,{MAX_DIGITS}}}")
_NUMBER = re.compile(r"[+-]?([0-9]{1,15}(\.[0-9]{0,15})?|\.[0-9]{1,15})([eE][+-]?[0-9]{1,3})?")
_DATETIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,9})?)?"
    r"([Zz]|[+-][0-9]{2}:?[0-9]{2})"
)


class ParameterError(DomainError):
    """A query parameter or path segment with a value that cannot be used (HTTP 400)."""

    status = 400

    def __init__(self, parameter: str, key: str, /, **values: Any) -> None:
        found = problem(parameter, key, **values)
        self.parameter = parameter
        self.code = found.code
        self.message = found.message
        super().__init__(found)


# -- lenient readers: None when the text is not a usable value ------------------------------


def ascii_int(text: str | None, minimum: int, maximum: int) -> int | None:
    """An integer written in ASCII digits from ``minimum`` to ``maximum``; else None."""
    if text is None or not _DIGITS.fullmatch(text):
        return None
    number = int(text)
    return number if minimum <= number <= maximum else None


def record_id(text: str | None) -> int | None:
    """A database id (1 to MAX_ID in ASCII digits), or None: no row can have another."""
    return ascii_int(text, 1, MAX_ID)


def finite_number(text: str | None, minimum: float, maximum: float) -> float | None:
    """A decimal number (no NaN, no infinity, no hex or Unicode digits) within bounds; else None."""
    if text is None or not _NUMBER.fullmatch(text.strip()):
        return None
    number = float(text)
    return number if math.isfinite(number) and minimum <= number <= maximum else None


def utc_datetime(text: str | None) -> datetime | None:
    """An ISO 8601 / RFC 3339 date and time with a time zone, in UTC; None if it is not one.

    The year must lie from MIN_YEAR to MAX_YEAR, so the conversion cannot leave the range
    Python can represent. A '+' sent unencoded in a query string arrives as a space and is
    read back as '+'.
    """
    if text is None:
        return None
    cleaned = re.sub(r" ([0-9]{2}:?[0-9]{2})$", r"+\1", text.strip())
    if not _DATETIME.fullmatch(cleaned) or not MIN_YEAR <= int(cleaned[:4]) <= MAX_YEAR:
        return None
    try:
        moment = datetime.fromisoformat(cleaned.upper().replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.astimezone(UTC)


def iso_date(text: str | None) -> date | None:
    """A date written YYYY-MM-DD with a year from MIN_YEAR to MAX_YEAR; else None."""
    if text is None or not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
        return None
    if not MIN_YEAR <= int(text[:4]) <= MAX_YEAR:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def choice(text: str | None, choices: Collection[str], default: str) -> str:
    """``text`` if it is one of ``choices``, else ``default``."""
    return text if text is not None and text in choices else default


# -- strict readers: ParameterError (400) when a given value cannot be used -----------------


def integer(text: str | None, name: str, minimum: int, maximum: int, default: int) -> int:
    """An integer from ``minimum`` to ``maximum`` in ASCII digits; ``default`` when absent."""
    if text is None or text == "":
        return default
    number = ascii_int(text, minimum, maximum)
    if number is None:
        raise ParameterError(name, "invalid_parameter", name=name, minimum=minimum, maximum=maximum)
    return number


def moment(text: str | None, name: str) -> datetime | None:
    """A date and time with a time zone (UTC); None when absent, ParameterError when invalid."""
    if text is None or text.strip() == "":
        return None
    found = utc_datetime(text)
    if found is None:
        raise ParameterError(
            name, "invalid_datetime", name=name, min_year=MIN_YEAR, max_year=MAX_YEAR
        )
    return found
