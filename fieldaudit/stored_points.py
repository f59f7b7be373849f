"""Points as the database stores them: EPSG:25832 EWKB, made and read without a geometry library.

A report or a site is a point. Building a shapely ``Point`` only to turn it into WKB, and
parsing that WKB again to read its coordinates, cost more than the rest of a report's
handling of its position; a point's EWKB is 25 bytes that ``struct`` writes and reads. The
element made here is what GeoAlchemy's ``from_shape(Point(x, y), srid=METRIC, extended=True)``
would give, and anything else (another geometry, another encoding) is read with shapely.
"""

from __future__ import annotations

import struct
from typing import Any

from geoalchemy2.elements import WKBElement
from geoalchemy2.shape import to_shape

from fieldaudit.crs import METRIC

# Little-endian EWKB of a 2D point with an SRID: byte order 1, type 1 | 0x20000000 (SRID
# follows), the SRID, then x and y as doubles.
_EWKB_POINT = struct.Struct("<BIIdd")
_POINT_WITH_SRID = 0x20000001


def point_element(x: float, y: float, srid: int = METRIC) -> WKBElement:
    """A point as a GeoAlchemy element holding its EWKB (exact coordinates)."""
    data = _EWKB_POINT.pack(1, _POINT_WITH_SRID, srid, float(x), float(y))
    return WKBElement(data, srid=srid, extended=True)


def point_xy(geom: Any) -> tuple[float, float]:
    """The x and y of a stored point (an element from the database or ``point_element``)."""
    data = getattr(geom, "data", None)
    if isinstance(data, bytes | memoryview) and len(data) == _EWKB_POINT.size:
        order, kind, _srid, x, y = _EWKB_POINT.unpack(data)
        if order == 1 and kind == _POINT_WITH_SRID:
            return x, y
    point = to_shape(geom)
    return point.x, point.y
