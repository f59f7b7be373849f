"""Second review of issue 12: the duplicate check located an unreviewed report to the metre.

`under_review.within_m` (rounded up to 10 m) over a radius that followed `accuracy` (up to
5 km) let a binary search on where the answer flips find the exact position in 154 anonymous
requests. Now the answer is yes/no within 30 m of the centre of the 40 m grid cell that holds
the site, whatever the accuracy, and the endpoint is rate-limited: probing finds the cell only.
"""

from __future__ import annotations

import math

from geoalchemy2.shape import from_shape, to_shape
from shapely.geometry import Point

from fieldaudit.crs import METRIC, to_wgs84
from fieldaudit.visibility import (
    UNDER_REVIEW_CELL_M,
    UNDER_REVIEW_WITHIN_M,
    duplicate_check,
    grid_cell_centre,
)

from .test_rate_limits import limited_app  # noqa: F401  (fixture)


def _answers(db, centre: tuple[float, float]) -> list[bool]:
    """Yes/no of the duplicate check at 21 x 21 points 5 m apart around ``centre``."""
    answers = []
    for i in range(-10, 11):
        for j in range(-10, 11):
            x, y = centre[0] + 5 * i, centre[1] + 5 * j
            check = duplicate_check(db.session, "step", x, y, 30.0)
            answers.append(check.under_review_within_m is not None)
    return answers


def test_probing_finds_the_grid_cell_never_the_position(db, herlev, make_report):
    site = make_report(dx=7, dy=-3).site
    point = to_shape(site.geom)
    cell = grid_cell_centre(point.x, point.y)
    first = _answers(db, cell)
    assert any(first) and not all(first)
    # Every "yes" lies within 30 m of the cell's centre, not of the report.
    for n, yes in enumerate(first):
        i, j = divmod(n, 21)
        distance = math.hypot(5 * (i - 10), 5 * (j - 10))
        assert yes == (distance <= UNDER_REVIEW_WITHIN_M)
    # Anywhere else in the same cell, every probe answers the same: nothing more to learn.
    half = UNDER_REVIEW_CELL_M / 2 - 1
    for dx, dy in ((-half, -half), (half, half), (half, -half), (0.3, 0.2)):
        site.geom = from_shape(Point(cell[0] + dx, cell[1] + dy), srid=METRIC)
        db.session.flush()
        assert _answers(db, cell) == first


def test_the_answer_has_no_distance_and_ignores_accuracy(client, db, herlev, make_report):
    site = make_report().site
    point = to_shape(site.geom)
    cell = grid_cell_centre(point.x, point.y)
    lon, lat = to_wgs84(cell[0] + 45, cell[1])  # 45 m from the cell's centre
    url = f"/api/v1/sites/nearby?lat={lat:.6f}&lon={lon:.6f}&category=step"
    assert client.get(url).get_json()["under_review"] is None
    assert client.get(url + "&accuracy=5000").get_json()["under_review"] is None
    lon, lat = to_wgs84(cell[0] + 10, cell[1])
    near = client.get(f"/api/v1/sites/nearby?lat={lat:.6f}&lon={lon:.6f}&category=step")
    assert near.get_json()["under_review"] == {"category": "step", "within_m": 30}


def test_the_duplicate_check_is_rate_limited(limited_app, herlev):  # noqa: F811
    client = limited_app(RATELIMIT_NEARBY="3/minute").test_client()
    url = "/api/v1/sites/nearby?lat=55.7189&lon=12.4437&category=step"
    assert [client.get(url).status_code for _ in range(3)] == [200, 200, 200]
    refused = client.get(url)
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
