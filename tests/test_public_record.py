"""The public record's questions (fieldaudit/public_record.py) asked without HTTP: the list's
filters and pages, the map's sites, one barrier's page, a merged site's way on, the feeds."""

from __future__ import annotations

import pytest
from shapely.geometry import MultiPolygon, box

from fieldaudit import public_record, site_merge
from fieldaudit.areas import AreaFeature, named_areas, upsert_area
from fieldaudit.crs import to_metric
from fieldaudit.public_record import SiteFilter


@pytest.fixture
def park(db):
    x, y = to_metric(12.4437, 55.7189)
    area, _ = upsert_area(
        db.session,
        AreaFeature(
            "Stationsparken", "park", MultiPolygon([box(x - 300, y - 300, x + 300, y + 300)])
        ),
    )
    db.session.commit()
    return area


def test_the_list_shows_public_sites_by_filter_and_page(db, park, make_report, make_public_report):
    step = make_public_report()
    surface = make_public_report(dx=200, category="surface", measurements={})
    outside = make_public_report(dx=2000)
    waiting = make_report(dx=400)
    everything = public_record.site_list(db.session, SiteFilter())
    shown = {s.id for s in everything.sites}
    assert shown == {step.site_id, surface.site_id, outside.site_id}
    assert waiting.site_id not in shown
    assert (everything.total, everything.pages, everything.area) == (3, 1, None)
    assert [a.name for a in everything.areas] == [a.name for a in named_areas(db.session)]

    in_park = public_record.site_list(db.session, SiteFilter(area=park.id))
    assert {s.id for s in in_park.sites} == {step.site_id, surface.site_id}
    assert in_park.area is not None and in_park.area.id == park.id
    steps = public_record.site_list(db.session, SiteFilter(area=park.id, category="step"))
    assert [s.id for s in steps.sites] == [step.site_id]
    assert public_record.site_list(db.session, SiteFilter(status="fixed")).total == 0

    first = public_record.site_list(db.session, SiteFilter(), page_size=2)
    second = public_record.site_list(db.session, SiteFilter(page=2), page_size=2)
    assert (first.pages, len(first.sites), len(second.sites)) == (2, 2, 1)
    assert {s.id for s in first.sites + second.sites} == shown
    assert {s.id for s in public_record.map_sites(db.session, SiteFilter(area=park.id))} == {
        step.site_id,
        surface.site_id,
    }


def test_link_args_name_only_the_chosen_filters():
    assert SiteFilter().link_args() == {}
    chosen = SiteFilter(status="verified", area=7, new_look=True, page=3)
    assert chosen.link_args() == {"status": "verified", "area": 7, "new_look": "1"}


def test_one_barrier_its_page_and_its_feed(db, park, make_report, make_public_report, make_user):
    report = make_public_report()
    site = public_record.public_site(db.session, report.site_id)
    assert site is not None
    page = public_record.site_page(db.session, site)
    assert [r.id for r in page.reports] == [report.id]
    assert page.place is not None and page.place.name == "Stationsparken"
    assert page.history and all(h.public for h in page.history)
    followed = public_record.site_feed_history(db.session, site)
    assert followed.report_site == {report.id: site.id}
    area_feed = public_record.area_feed_history(db.session, park)
    assert set(area_feed.site_of) == {site.id}
    assert {h.id for h in followed.history} <= {h.id for h in area_feed.history}

    waiting = make_report(dx=400)
    assert public_record.public_site(db.session, waiting.site_id) is None
    assert public_record.public_report(db.session, waiting.id) is None
    assert public_record.public_report(db.session, report.id) is not None


def test_a_merged_site_leads_to_the_public_site_it_went_into(
    db, park, make_public_report, make_user
):
    kept = make_public_report()
    merged = make_public_report(dx=30)
    kept_id, merged_id = kept.site_id, merged.site_id
    assert kept_id != merged_id
    source = public_record.public_site(db.session, merged_id)
    target = public_record.public_site(db.session, kept_id)
    assert public_record.merged_public_site(db.session, merged_id) is None
    reviewer = make_user("reviewer", email="m@example.org")
    site_merge.merge_sites(db.session, source, target, reviewer)
    db.session.commit()
    assert public_record.public_site(db.session, merged_id) is None  # a duplicate now
    assert public_record.merged_public_site(db.session, merged_id) == kept_id
    assert public_record.merged_public_site(db.session, kept_id) is None
