"""The review pages over HTTP: the queue grouped by site with thumbnails and a bulk decision,
"and next" on a report's page, and a site's page with photos, a map and the merge."""

from __future__ import annotations

import json
import re

import pytest

from fieldaudit import report_review
from fieldaudit.models import BarrierReport, BarrierSite


@pytest.fixture
def site_with_three(make_report, make_photo):
    """Three new reports of one site (one with a photo) and a lone report 300 m away."""
    reports = [make_report(dx=i, description=f"Trin nummer {i} ved indgangen") for i in range(3)]
    make_photo(reports[0])
    lone = make_report(dx=300, created_at="2026-04-01T09:00:00+00:00")
    return reports, lone


def text_of(response) -> str:
    return response.get_data(as_text=True)


def test_queue_shows_thumbnail_text_area_and_groups_with_a_bulk_form(
    client, login, site_with_three
):
    reports, lone = site_with_three
    login("reviewer")
    page = text_of(client.get("/gennemgang/"))
    site_id = reports[0].site_id
    assert f'id="bulk-{site_id}"' in page  # one bulk form for the site with three reports
    assert f'id="bulk-{lone.site_id}"' not in page  # none for a site with one report
    assert page.count('class="queue-group"') == 2
    assert "Trin nummer 0 ved indgangen" in page
    assert re.search(r'<img src="/gennemgang/fotos/\d+/thumb', page)
    assert "3 rapporter her" in page
    # The site's reports come together, before the younger lone report.
    positions = [page.index(f'href="/gennemgang/rapporter/{r.id}"') for r in [*reports, lone]]
    assert positions == sorted(positions)


def test_bulk_verify_from_the_queue(client, login, csrf, site_with_three, db):
    reports, _ = site_with_three
    login("reviewer")
    site_id = reports[0].site_id
    response = client.post(
        f"/gennemgang/steder/{site_id}/rapporter",
        data={
            f"bulk-{site_id}-csrf_token": csrf(),
            f"bulk-{site_id}-reports": [str(reports[0].id), str(reports[2].id)],
            f"bulk-{site_id}-text": "Set ved besøg.",
            "decision": "verify",
            "from": "queue",
            "q-status": "new",
        },
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/gennemgang/?status=new&page=1")
    db.session.expire_all()
    statuses = [db.session.get(BarrierReport, r.id).status for r in reports]
    assert statuses == ["verified", "new", "verified"]
    page = text_of(client.get(response.headers["Location"]))
    assert (
        f"2 rapporter fra sted #{site_id} er bekræftet: #{reports[0].id}, #{reports[2].id}." in page
    )


def test_bulk_reject_without_a_reason_shows_the_error_in_the_group(
    client, login, csrf, site_with_three, db
):
    reports, _ = site_with_three
    login("reviewer")
    site_id = reports[0].site_id
    response = client.post(
        f"/gennemgang/steder/{site_id}/rapporter",
        data={
            f"bulk-{site_id}-csrf_token": csrf(),
            f"bulk-{site_id}-reports": [str(r.id) for r in reports],
            "decision": "reject",
            "from": "queue",
        },
    )
    assert response.status_code == 422
    page = text_of(response)
    assert 'class="error-summary"' in page and f'href="#bulk-{site_id}-text"' in page
    db.session.expire_all()
    assert {db.session.get(BarrierReport, r.id).status for r in reports} == {"new"}


def test_bulk_decision_needs_a_reviewer_and_a_known_decision(client, login, csrf, site_with_three):
    reports, _ = site_with_three
    site_id = reports[0].site_id
    data = {"csrf_token": csrf(), f"bulk-{site_id}-reports": [str(reports[0].id)]}
    data[f"bulk-{site_id}-csrf_token"] = data["csrf_token"]
    login("planner")
    url = f"/gennemgang/steder/{site_id}/rapporter"
    assert client.post(url, data={**data, "decision": "verify"}).status_code == 403
    login("reviewer")
    assert client.post(url, data={**data, "decision": "hide"}).status_code == 400
    assert client.post(url, data={**data, "decision": "verify"}).status_code == 302


def test_verify_and_next_goes_to_the_next_report_in_the_queue(
    client, login, csrf, site_with_three, db
):
    reports, lone = site_with_three
    login("reviewer")
    response = client.post(
        f"/gennemgang/rapporter/{reports[2].id}/verify",
        data={"verify-csrf_token": csrf(), "then": "next"},
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/gennemgang/rapporter/{lone.id}")
    page = text_of(client.get(response.headers["Location"]))
    assert f"Rapport #{reports[2].id} er bekræftet. Her er den næste rapport i køen." in page
    # The confirmation sits in the decisions column, not far down the page.
    assert page.index("Her er den næste rapport") < page.index('id="facts-heading"')


def test_reject_and_next_on_the_last_report_returns_to_the_queue(client, login, csrf, make_report):
    only = make_report()
    login("reviewer")
    response = client.post(
        f"/gennemgang/rapporter/{only.id}/reject",
        data={"reject-csrf_token": csrf(), "reject-reason": "Ikke en barriere.", "then": "next"},
    )
    assert response.headers["Location"].endswith("/gennemgang/")
    page = text_of(client.get("/gennemgang/"))
    assert f"Rapport #{only.id} er afvist. Der er ikke flere rapporter i køen." in page


def test_report_page_puts_decisions_before_the_evidence_and_numbers_the_candidates(
    client, login, make_report, make_photo
):
    report = make_report()
    neighbour = make_report(dx=30, description="Naboen")
    make_photo(neighbour)
    login("reviewer")
    page = text_of(client.get(f"/gennemgang/rapporter/{report.id}"))
    assert page.index('id="verify"') < page.index('id="photos-heading"')
    assert "Bekræft og næste" in page and "Afvis og næste" in page
    data = json.loads(re.search(r'id="review-map-data">(.*?)</script>', page, re.S).group(1))
    kinds = [(f["properties"]["kind"], f["properties"].get("number")) for f in data["features"]]
    assert kinds == [("here", None), ("numbered", "1")]
    assert f'<input type="radio" id="duplicate-site-{neighbour.site_id}"' in page
    assert re.search(
        r'marker-number" aria-hidden="true">1</span>\s*<img src="/gennemgang/fotos/', page
    )


def test_site_page_shows_photos_map_and_decides_the_site(client, login, csrf, site_with_three, db):
    reports, _ = site_with_three
    site_id = reports[0].site_id
    login("reviewer")
    page = text_of(client.get(f"/gennemgang/steder/{site_id}"))
    assert "Bekræft stedet" in page and "Afvis stedet" in page
    assert re.search(r'<img src="/gennemgang/fotos/\d+/thumb', page)
    data = json.loads(re.search(r'id="site-map-data">(.*?)</script>', page, re.S).group(1))
    assert [f["properties"]["number"] for f in data["features"]] == ["1", "2", "3"]
    response = client.post(
        f"/gennemgang/steder/{site_id}/rapporter",
        data={
            f"bulk-{site_id}-csrf_token": csrf(),
            f"bulk-{site_id}-reports": [str(r.id) for r in reports],
            "decision": "verify",
            "from": "site",
        },
    )
    assert response.headers["Location"].endswith(f"/gennemgang/steder/{site_id}")
    db.session.expire_all()
    assert db.session.get(BarrierSite, site_id).status == "verified"


def test_merge_two_sites_redirects_the_emptied_one(client, login, csrf, make_report, db):
    source_report, target_report = make_report(dx=40), make_report()
    source_id, target_id = source_report.site_id, target_report.site_id
    reviewer = login("reviewer")
    page = text_of(client.get(f"/gennemgang/steder/{source_id}"))
    assert f'id="merge-site-{target_id}"' in page
    response = client.post(
        f"/gennemgang/steder/{source_id}/flet",
        data={"merge-csrf_token": csrf(), "merge-target_choice": str(target_id)},
    )
    assert response.headers["Location"].endswith(f"/gennemgang/steder/{target_id}")
    db.session.expire_all()
    assert db.session.get(BarrierReport, source_report.id).site_id == target_id
    # The emptied site redirects, to staff and (once the target is public) to the public.
    moved = client.get(f"/gennemgang/steder/{source_id}")
    assert moved.status_code == 302 and moved.headers["Location"].endswith(f"/{target_id}")
    target_page = text_of(client.get(f"/gennemgang/steder/{target_id}"))
    assert f"Sted #{source_id} er lagt sammen med dette sted" in target_page
    assert f"/gennemgang/steder/{source_id}/historik" in target_page
    own = text_of(client.get(f"/gennemgang/steder/{source_id}/historik"))
    assert "Steder lagt sammen" in own and "Dublet" in own
    report_review.verify_report(db.session, target_report, reviewer)
    db.session.commit()
    public = client.get(f"/barrierer/{source_id}")
    assert public.status_code == 301 and public.headers["Location"].endswith(f"/{target_id}")


def test_merge_into_another_category_shows_why_not(client, login, csrf, make_report, db):
    step = make_report()
    surface = make_report(dx=40, category="surface", measurements={})
    login("reviewer")
    response = client.post(
        f"/gennemgang/steder/{step.site_id}/flet",
        data={"merge-csrf_token": csrf(), "merge-other_site": str(surface.site_id)},
    )
    assert response.status_code == 422
    assert "Kun steder med samme kategori kan lægges sammen" in text_of(response)
    login("planner")
    denied = client.post(
        f"/gennemgang/steder/{step.site_id}/flet",
        data={"merge-csrf_token": csrf(), "merge-other_site": str(surface.site_id)},
    )
    assert denied.status_code == 403
