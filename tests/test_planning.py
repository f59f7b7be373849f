"""Planners' pages: access, ranked list and filters, area statistics, plans and fixes."""

import re
import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from fieldaudit.area_stats import area_statistics, never_audited
from fieldaudit.areas import load_service_area
from fieldaudit.errors import ConflictError, ValidationError
from fieldaudit.models import Area, BarrierSite, HistoryEntry
from fieldaudit.planning.domain import (
    OPEN,
    SiteFilter,
    plan_from_text,
    ranked_sites,
    whole_number,
)
from fieldaudit.priority import score_for
from fieldaudit.report_review import verify_report
from fieldaudit.reports import check_report, store_report

# (lat, lon) inside shipped areas (approximate layers): Herlev Station and Byparken's outskirts.
STATION = (55.71890, 12.44370)

PLANNER_PAGES = [
    "/planlaegning/",
    "/planlaegning/omraader",
    "/planlaegning/eksport.csv",
    "/planlaegning/eksport.geojson",
]


@pytest.fixture
def sites(herlev, make_report_payload):
    """Three sites: a high step at the station (2 reports), a kerb there, a low sign elsewhere."""
    db = herlev
    service = load_service_area(db.session, (0, 0, 1, 1), 150)

    def add(**overrides):
        report, _ = store_report(
            db.session,
            check_report(make_report_payload(**overrides), service),
            device_token_hash=uuid.uuid4().hex,
        )
        db.session.commit()
        return report

    step = add()
    add(created_at="2026-11-21T10:00:00+01:00", description='=HYPERLINK("x")')
    kerb = add(
        category="kerb",
        severity="medium",
        lat=55.7192,
        lon=12.4441,
        measurements={"kerb_upstand": {"value": 6, "unit": "cm"}},
    )
    sign = add(
        category="signage",
        severity="low",
        lat=55.7480,
        lon=12.4200,
        measurements={},
        description="Skiltet kan ikke læses",
    )
    return {
        "step": db.session.get(BarrierSite, step.site_id),
        "kerb": db.session.get(BarrierSite, kerb.site_id),
        "sign": db.session.get(BarrierSite, sign.site_id),
    }


@pytest.mark.parametrize("url", PLANNER_PAGES)
def test_anonymous_visitors_are_sent_to_login(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert "/login" in response.headers["Location"] or "log" in response.headers["Location"]


@pytest.mark.parametrize("url", PLANNER_PAGES)
def test_volunteers_and_reviewers_are_refused(client, login, url):
    login("volunteer")
    assert client.get(url).status_code == 403


@pytest.mark.parametrize("role", ["planner", "admin"])
@pytest.mark.parametrize("url", PLANNER_PAGES)
def test_planners_and_admins_get_in(client, login, herlev, role, url):
    login(role)
    assert client.get(url).status_code == 200


def test_how_we_prioritise_is_public(client):
    page = client.get("/planlaegning/saadan-prioriterer-vi")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Sådan prioriterer vi" in text
    assert "/api/v1/priority/weights" in text
    assert "Lav alvor giver × 0,33, middel × 0,67 og høj × 1" in text  # Danish decimals
    english = client.get("/planlaegning/saadan-prioriterer-vi?lang=en").get_data(as_text=True)
    assert "How we prioritise" in english
    assert "Low severity gives × 0.33, medium × 0.67 and high × 1" in english


def test_ranked_list_shows_the_reasons(client, login, sites):
    login("planner")
    page = client.get("/planlaegning/?status=open").get_data(as_text=True)
    assert "3 steder passer til filteret" in page
    first = page.index("Trin eller dørtrin")
    assert first < page.index("Kantsten ikke sænket") < page.index("Dårlig skiltning")
    assert "høj alvor, 2 uafhængige rapporter, ved Herlev Station" in page
    assert 'id="priority-map-data"' in page
    assert "<script>" not in page  # no inline script (CSP)


def test_filters(db, sites):
    everything, total = ranked_sites(db.session, SiteFilter(status=OPEN))
    assert total == 3
    assert [s.id for s in everything] == [sites["step"].id, sites["kerb"].id, sites["sign"].id]
    station = db.session.scalar(select(Area).where(Area.name == "Herlev Station"))
    assert ranked_sites(db.session, SiteFilter(area_id=station.id, status=OPEN))[1] == 2
    assert ranked_sites(db.session, SiteFilter(category="kerb", status=OPEN))[0] == [sites["kerb"]]
    assert ranked_sites(db.session, SiteFilter(group="READ", status=OPEN))[0] == [sites["sign"]]
    assert ranked_sites(db.session, SiteFilter(group="WHEEL", status=OPEN))[1] == 2
    assert ranked_sites(db.session, SiteFilter(status="fixed"))[1] == 0
    sight = ranked_sites(db.session, SiteFilter(preset="sight", status=OPEN))[0]
    values = [score_for(s.priority_factors, "sight") for s in sight]
    assert values == sorted(values, reverse=True)


def test_presets_order_by_their_own_scores(db, sites):
    sign = sites["sign"]
    sign.priority_factors = {**sign.priority_factors, "scores": {"sight": 9999.0}}
    db.session.commit()
    assert ranked_sites(db.session, SiteFilter(preset="sight", status=OPEN))[0][0] == sign
    assert ranked_sites(db.session, SiteFilter(preset="wheelchair", status=OPEN))[0][-1] == sign


def test_filter_from_query_arguments_ignores_nonsense():
    site_filter = SiteFilter.from_args(
        {"area": "x", "category": "nope", "group": "WHEEL", "status": "?", "preset": "sight"}
    )
    assert site_filter == SiteFilter(group="WHEEL", preset="sight")
    assert site_filter.as_args() == {"group": "WHEEL", "preset": "sight"}


def test_list_pages_and_filter_form(client, login, sites):
    login("planner")
    page = client.get("/planlaegning/?category=kerb&status=open").get_data(as_text=True)
    assert "1 sted passer til filteret" in page
    assert "eksport.csv?category=kerb&amp;status=open" in page
    assert client.get("/planlaegning/?side=99&status=open").status_code == 302


def test_area_statistics_and_coverage(db, sites):
    stats = {s.name: s for s in area_statistics(db.session)}
    station = stats["Herlev Station"]
    assert station.open_count == 2
    assert station.by_category == {"step": 1, "kerb": 1}
    assert station.by_severity == {"high": 1, "medium": 1}
    assert station.score == pytest.approx(
        sites["step"].priority_score + sites["kerb"].priority_score, abs=0.02
    )
    assert station.report_count == 3
    assert station.last_audited == datetime(2026, 11, 21, 9, 0, tzinfo=UTC)
    assert station.coverage(datetime(2026, 12, 1, tzinfo=UTC)) == "recent"
    assert station.coverage(datetime(2028, 12, 1, tzinfo=UTC)) == "old"
    never = {s.name for s in never_audited(list(stats.values()))}
    assert "Herlev Station" not in never
    assert "Elverparken" in never


def test_areas_page(client, login, sites):
    login("planner")
    page = client.get("/planlaegning/omraader").get_data(as_text=True)
    assert "Herlev Station" in page
    assert "Aldrig gennemgået" in page
    assert 'id="coverage-data"' in page


def _token(page: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, "the form carries a CSRF token"
    return match.group(1)


def verified(db, site, make_user):
    """Have a reviewer verify a report of the site (and so the site), as the lifecycle requires."""
    verify_report(db.session, site.reports[0], make_user("reviewer"))
    db.session.commit()
    return site


def site_entries(db, site_id):
    """The site's own history entries (not its reports'), oldest first."""
    return db.session.scalars(
        select(HistoryEntry)
        .where(HistoryEntry.site_id == site_id, HistoryEntry.report_id.is_(None))
        .order_by(HistoryEntry.id)
    ).all()


def test_marking_planned_and_fixed_is_recorded(client, login, db, sites, make_user):
    verified(db, sites["kerb"], make_user)
    planner = login("planner")
    site_id = sites["kerb"].id
    url = f"/planlaegning/steder/{site_id}"
    page = client.get(url).get_data(as_text=True)
    assert "Hvorfor denne prioritet" in page
    year = datetime.now(UTC).year + 1
    response = client.post(
        f"{url}/planlagt", data={"year": str(year), "cost": "45.000", "csrf_token": _token(page)}
    )
    assert response.status_code == 302
    db.session.expire_all()
    site = db.session.get(BarrierSite, site_id)
    assert (site.status, site.planned_year, site.planned_cost_dkk) == ("planned", year, 45000)
    assert [r.status for r in site.reports] == ["planned"]  # the lifecycle moves reports along
    entry = site_entries(db, site_id)[-1]
    assert entry.action == "plan" and entry.actor_id == planner.id
    assert entry.before == {"status": "verified", "planned_year": None, "planned_cost_dkk": None}
    assert entry.after == {"status": "planned", "planned_year": year, "planned_cost_dkk": 45000}
    page = client.get(url).get_data(as_text=True)
    assert "Stedet er markeret som planlagt." in page
    assert "Udbedring planlagt" in page  # the action's label, not its code

    response = client.post(
        f"{url}/udbedret", data={"note": "Kantsten sænket", "csrf_token": _token(page)}
    )
    assert response.status_code == 302
    db.session.expire_all()
    site = db.session.get(BarrierSite, site_id)
    assert site.status == "fixed" and [r.status for r in site.reports] == ["fixed"]
    assert site.priority_score == 0
    history = site_entries(db, site_id)
    assert [h.action for h in history][-2:] == ["plan", "fix"]
    assert history[-1].before["status"] == "planned" and history[-1].reason == "Kantsten sænket"
    assert sites["kerb"].id not in [s.id for s in ranked_sites(db.session, SiteFilter())[0]]
    page = client.get(url).get_data(as_text=True)
    assert "Kun et sted, som Handicaprådet har bekræftet" in page  # no plan or fix form now


def test_bad_plan_is_refused_next_to_the_field(client, login, db, sites, make_user):
    verified(db, sites["step"], make_user)
    login("planner")
    url = f"/planlaegning/steder/{sites['step'].id}"
    page = client.get(url).get_data(as_text=True)
    response = client.post(
        f"{url}/planlagt", data={"year": "1999", "cost": "-5", "csrf_token": _token(page)}
    )
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert 'role="alert"' in text and 'aria-invalid="true"' in text
    assert "Skriv et årstal fra" in text and "Prisoverslaget skal være" in text
    db.session.expire_all()
    assert db.session.get(BarrierSite, sites["step"].id).status == "verified"
    assert not db.session.scalars(select(HistoryEntry).where(HistoryEntry.action == "plan")).all()


def test_an_unverified_site_cannot_be_planned(client, login, db, sites):
    login("planner")
    url = f"/planlaegning/steder/{sites['step'].id}"
    page = client.get(url).get_data(as_text=True)
    assert 'id="field-year"' not in page  # no form for what the lifecycle forbids
    year = datetime.now(UTC).year + 1
    response = client.post(f"{url}/planlagt", data={"year": str(year), "csrf_token": _token(page)})
    assert response.status_code == 409
    assert 'href="#field-status"' in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(BarrierSite, sites["step"].id).status == "new"


def test_posting_without_csrf_token_is_refused(client, login, sites):
    login("planner")
    response = client.post(f"/planlaegning/steder/{sites['step'].id}/udbedret", data={"note": "x"})
    assert response.status_code == 400


def test_unknown_site_is_404(client, login, herlev):
    login("planner")
    assert client.get("/planlaegning/steder/999999").status_code == 404


def test_plan_from_text_goes_through_the_lifecycle(db, sites, make_user):
    now = datetime(2026, 11, 20, tzinfo=UTC)
    planner = make_user("planner")
    with pytest.raises(ConflictError):  # not verified yet: the lifecycle forbids it
        plan_from_text(db.session, sites["sign"], planner, "2027", "", now=now)
    site = verified(db, sites["sign"], make_user)
    with pytest.raises(ValidationError) as error:
        plan_from_text(db.session, site, planner, "2027", "mange penge", now=now)
    assert [p.code for p in error.value.problems] == ["invalid_cost"]
    entry = plan_from_text(db.session, site, planner, "2027", " 12 500 ", now=now)
    assert entry.action == "plan" and entry.after["planned_cost_dkk"] == 12500
    assert site.planned_year == 2027
    assert site.priority_factors["evidence"]["verified"] is True  # planned implies verified


@pytest.mark.parametrize(
    ("text", "number"),
    [("45.000", 45000), ("45 000", 45000), ("2027", 2027), ("-5", -5), ("", None), ("1,5", None)],
)
def test_whole_number(text, number):
    assert whole_number(text) == number


def test_entries_of_the_old_planning_pages_are_labelled(client, login, db, sites, make_user):
    """Before the planning pages went through the lifecycle they wrote 'planned' / 'fixed'."""
    site = verified(db, sites["kerb"], make_user)
    for action, status in (("planned", "planned"), ("fixed", "fixed")):
        db.session.add(
            HistoryEntry(
                site_id=site.id,
                action=action,
                before={"status": "verified"},
                after={"status": status, "planned_year": 2027},
                public=True,
                created_at=datetime.now(UTC),
            )
        )
    db.session.commit()
    login("planner")
    page = client.get(f"/planlaegning/steder/{site.id}").get_data(as_text=True)
    assert "Udbedring planlagt" in page and "Udbedret" in page
    assert ">planned<" not in page and ">fixed<" not in page
    english = client.get(f"/planlaegning/steder/{site.id}?lang=en").get_data(as_text=True)
    assert "Repair planned" in english


@pytest.mark.parametrize(
    ("fmt", "mimetype"),
    [
        ("geojson", "application/geo+json"),
        ("csv", "text/csv"),
        ("gpkg", "application/geopackage+sqlite3"),
        ("png", "image/png"),
        ("pdf", "application/pdf"),
    ],
)
def test_export_routes_stream_files(client, login, sites, fmt, mimetype):
    login("planner")
    response = client.get(f"/planlaegning/eksport.{fmt}?category=step")
    assert response.status_code == 200
    assert response.mimetype == mimetype
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;") and f".{fmt}" in disposition
    assert len(response.data) > 100


@pytest.mark.parametrize(
    ("fmt", "content_type"),
    [
        ("csv", "text/csv; charset=utf-8"),
        ("geojson", "application/geo+json"),
        ("gpkg", "application/geopackage+sqlite3"),
    ],
)
def test_export_content_type_names_one_charset(client, login, sites, fmt, content_type):
    """The CSV export once said "text/csv; charset=utf-8; charset=utf-8"."""
    login("planner")
    response = client.get(f"/planlaegning/eksport.{fmt}?category=step")
    assert response.headers["Content-Type"] == content_type


def test_unknown_export_format_is_404(client, login, herlev):
    login("planner")
    assert client.get("/planlaegning/eksport.xls").status_code == 404
