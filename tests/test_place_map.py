"""Where a barrier is (issue 17): the nearest named place, the small tile-free map, the
"already reported?" line of text, the page descriptions and the favicon."""

from __future__ import annotations

import re

import pytest
from shapely.geometry import MultiPolygon, Polygon, box

from fieldaudit import report_review
from fieldaudit.areas import AreaFeature, AreaIndex, AreaShape, upsert_area
from fieldaudit.crs import to_metric
from fieldaudit.place_map import MAP_HALF_WIDTH_M, nearest_place, small_map, svg_path

X0, Y0 = to_metric(12.4437, 55.7189)  # Herlev Station


def shape(name: str, kind: str, geometry, area_id: int) -> AreaShape:
    return AreaShape(area_id, name, kind, geometry)


@pytest.fixture
def index() -> AreaIndex:
    return AreaIndex(
        [
            shape("Byparken", "park", box(X0 - 100, Y0 - 100, X0 + 100, Y0 + 100), 1),
            shape("Legepladsen", "playground", box(X0 - 10, Y0 - 10, X0 + 10, Y0 + 10), 2),
            shape("Torvet", "square", box(X0 + 400, Y0, X0 + 500, Y0 + 100), 3),
            shape("Herlev Kommune", "municipality", box(X0 - 5000, Y0 - 5000, X0 + 5000, Y0), 4),
        ]
    )


def test_the_nearest_place_is_the_smallest_area_around_or_the_nearest_one(index):
    assert nearest_place(index, X0, Y0).name == "Legepladsen"
    inside = nearest_place(index, X0 + 50, Y0)
    assert (inside.name, inside.kind, inside.inside) == ("Byparken", "park", True)
    outside = nearest_place(index, X0 + 350, Y0 + 50)
    assert (outside.name, outside.distance_m, outside.inside) == ("Torvet", 50.0, False)
    # The municipal boundary is never a named place.
    far = nearest_place(index, X0, Y0 - 3000)
    assert far.name != "Herlev Kommune" and far.distance_m > 2800
    assert nearest_place(AreaIndex([]), X0, Y0) is None


def test_the_small_map_holds_the_areas_around_one_point_at_a_sensible_scale(index):
    drawn = small_map(index.areas, [(X0, Y0)])
    assert drawn.width == 2 * MAP_HALF_WIDTH_M  # one point never zooms in to nothing
    assert drawn.markers == [(drawn.width / 2, drawn.height / 2)]
    names = [a.name for a in drawn.areas]
    assert names == ["Byparken", "Legepladsen"]  # Torvet lies outside the window; big first
    park = drawn.areas[0]
    numbers = [float(n) for n in re.findall(r"-?[\d.]+", park.path)]
    assert all(0 <= n <= drawn.width for n in numbers)
    # North is up: the park's top edge (Y0 + 100) is 100 m above the marker.
    assert drawn.height / 2 - 100 in numbers
    # A name that would sit on the marker moves below it.
    playground = drawn.areas[1]
    assert playground.label_y > drawn.height / 2 + 25


def test_the_small_map_widens_to_hold_points_far_apart(index):
    drawn = small_map(index.areas, [(X0, Y0), (X0 + 1000, Y0 + 10)])
    assert drawn.width >= 1300
    assert all(0 < x < drawn.width and 0 < y < drawn.height for x, y in drawn.markers)


def test_svg_paths_keep_holes_and_every_polygon():
    ring = Polygon(box(0, 0, 10, 10).exterior.coords, [box(2, 2, 4, 4).exterior.coords])
    path = svg_path(MultiPolygon([ring, box(20, 0, 30, 10)]), 0, 10)
    assert path.count("M") == 3 and path.count("Z") == 3
    assert path.startswith("M10 10L10 0")  # y is flipped: 0 at the top


@pytest.fixture
def park(db):
    area, _ = upsert_area(
        db.session,
        AreaFeature(
            "Stationsparken", "park", MultiPolygon([box(X0 - 300, Y0 - 300, X0 + 300, Y0 + 300)])
        ),
    )
    db.session.commit()
    return area


def test_the_public_barrier_page_says_where_it_is_with_a_map(client, db, park, make_public_report):
    report = make_public_report()
    page = client.get(f"/barrierer/{report.site_id}").get_data(as_text=True)
    assert "Barrieren ligger i området Stationsparken (park)." in page
    assert re.search(r'<svg viewBox="0 0 600 360" role="img" aria-labelledby="place-caption"', page)
    assert page.count('class="place-marker"') == 1
    assert '<meta name="description" content="Trin eller dørtrin ved Stationsparken.' in page


def test_the_place_in_english(client, db, park, make_public_report):
    report = make_public_report()
    english = client.get(f"/barrierer/{report.site_id}?lang=en").get_data(as_text=True)
    assert "The barrier is in the area Stationsparken (park)." in english


def test_a_barrier_outside_every_area_names_the_nearest_with_its_distance(
    client, db, park, make_public_report
):
    report = make_public_report(dx=450)
    page = client.get(f"/barrierer/{report.site_id}").get_data(as_text=True)
    assert "Barrieren ligger ca. 150 m fra området Stationsparken (park)." in page


def test_feed_links_are_explained(client, db, park, make_public_report):
    report = make_public_report()
    for url in (f"/barrierer/{report.site_id}", f"/barrierer?area={park.id}"):
        page = client.get(url).get_data(as_text=True)
        assert "Hvad er et feed?" in page and "feedlæser" in page, url


def test_every_public_page_has_a_description_and_an_icon(client, herlev):
    for url in ("/", "/barrierer", "/indberet", "/mine-rapporter", "/hjaelp"):
        response = client.get(url)
        assert response.status_code == 200, url
        page = response.get_data(as_text=True)
        description = re.search(r'<meta name="description" content="([^"]{50,160})">', page)
        assert description, url
        assert 'rel="icon" href="/favicon.ico"' in page, url
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.mimetype == "image/vnd.microsoft.icon"
    assert icon.data[:4] == b"\x00\x00\x01\x00"
    icon.close()


def test_the_duplicate_check_gives_a_line_of_public_text_only(
    client, db, park, make_report, make_public_report, make_user
):
    shown = make_public_report(description="\n  Trin på 12 cm ved indgangen.\nAnden linje.")
    near = client.get(
        "/api/v1/sites/nearby", query_string={"lat": 55.7189, "lon": 12.4437, "category": "step"}
    ).get_json()
    assert [s["summary"] for s in near["sites"]] == ["Trin på 12 cm ved indgangen."]
    # A rejected report's text is never told, even when its site is public.
    reviewer = make_user("reviewer")
    other = make_report(description="Privat tekst om en nabo")
    assert other.site_id == shown.site_id
    report_review.reject_report(db.session, other, reviewer, "Ikke en barriere")
    db.session.commit()
    long = make_public_report(dx=5, description="x" * 400)
    assert long.site_id == shown.site_id
    near = client.get(
        "/api/v1/sites/nearby", query_string={"lat": 55.7189, "lon": 12.4437, "category": "step"}
    ).get_json()
    assert [s["summary"] for s in near["sites"]] == ["Trin på 12 cm ved indgangen."]
