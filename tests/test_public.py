"""The public record: what is shown, what is not, feeds, confirmations, and the leak scan."""

from __future__ import annotations

import re
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from shapely.geometry import MultiPolygon, box
from sqlalchemy import select

from fieldaudit import redaction, report_review, site_decisions, visibility
from fieldaudit.areas import AreaFeature, upsert_area
from fieldaudit.crs import to_metric
from fieldaudit.history import add_note
from fieldaudit.models import SiteConfirmation
from fieldaudit.photos import media_path

ATOM = "{http://www.w3.org/2005/Atom}"


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


@pytest.fixture
def reviewer(make_user):
    return make_user("reviewer", email="leak-reviewer@example.org", display_name="LeakReviewerName")


def test_unreviewed_and_hidden_reports_are_not_public(client, db, park, make_report, reviewer):
    new = make_report()
    assert client.get(f"/rapporter/{new.id}").status_code == 404
    assert client.get(f"/barrierer/{new.site_id}").status_code == 404
    report_review.verify_report(db.session, new, reviewer)
    db.session.commit()
    assert client.get(f"/rapporter/{new.id}").status_code == 200
    assert client.get(f"/barrierer/{new.site_id}").status_code == 200
    report_review.set_report_hidden(db.session, new, reviewer, True, "Personfølsomt")
    db.session.commit()
    assert client.get(f"/rapporter/{new.id}").status_code == 404


def test_public_list_shows_verified_sites_with_status(client, db, park, make_report, reviewer):
    verified = make_report(description="Højt trin ved kiosken")
    report_review.verify_report(db.session, verified, reviewer)
    waiting = make_report(dx=200, category="surface", measurements={}, description="Grus")
    db.session.commit()
    page = client.get("/barrierer").get_data(as_text=True)
    assert f"/barrierer/{verified.site_id}" in page
    assert f"/barrierer/{waiting.site_id}" not in page
    assert "Bekræftet" in page
    assert f"/barrierer/{waiting.site_id}" not in client.get("/barrierer?status=new").get_data(
        as_text=True
    )
    geojson = client.get("/barrierer.geojson").get_json()
    assert [f["id"] for f in geojson["features"]] == [verified.site_id]
    assert geojson["features"][0]["properties"]["status"] == "verified"


def test_site_page_shows_status_plan_and_public_notes(
    client, db, park, make_report, reviewer, make_user
):
    report = make_report()
    report_review.verify_report(db.session, report, reviewer)
    planner = make_user("planner")
    site_decisions.plan_site(db.session, report.site, planner, 2027, 80_000, "Ny rampe i 2027.")
    add_note(db.session, reviewer, "Offentlig note om stedet", True, site=report.site)
    add_note(db.session, reviewer, "Intern note om stedet", False, site=report.site)
    db.session.commit()
    page = client.get(f"/barrierer/{report.site_id}").get_data(as_text=True)
    assert "Planlagt" in page and "2027" in page
    assert "Ny rampe i 2027." in page and "Offentlig note om stedet" in page
    assert "Intern note om stedet" not in page
    assert "80" not in re.sub(r"\d{3,}", "", page) or "80.000" not in page  # no cost in public
    report_page = client.get(f"/rapporter/{report.id}").get_data(as_text=True)
    assert "Planlagt" in report_page and "Anonym" in report_page


def test_reporter_name_only_when_chosen(client, db, park, make_report, reviewer):
    shown = make_report(show_name=True, reporter_name="Synlig Navnesen")
    hidden = make_report(dx=1)
    hidden.reporter_name = "Skjult Navnesen"  # stored, but the reporter did not choose to show it
    for report in (shown, hidden):
        report_review.verify_report(db.session, report, reviewer)
    db.session.commit()
    page = client.get(f"/barrierer/{shown.site_id}").get_data(as_text=True)
    assert "Synlig Navnesen" in page and "Skjult Navnesen" not in page
    assert "Skjult Navnesen" not in client.get(f"/rapporter/{hidden.id}").get_data(as_text=True)


def test_only_approved_photos_are_served(client, db, park, make_report, make_photo, reviewer):
    report = make_report()
    visible = make_photo(report, colour=(10, 200, 10))
    hidden = make_photo(report, colour=(10, 10, 200))
    assert client.get(f"/fotos/{visible.id}/thumb").status_code == 404  # not reviewed yet
    report_review.verify_report(db.session, report, reviewer)
    report_review.set_photo_hidden(db.session, hidden, reviewer, True, "Ansigt")
    db.session.commit()
    response = client.get(f"/fotos/{visible.id}/display")
    assert response.status_code == 200 and response.mimetype == "image/jpeg"
    response.close()
    assert client.get(f"/fotos/{hidden.id}/display").status_code == 404
    assert client.get(f"/fotos/{visible.id}/original").status_code == 404
    page = client.get(f"/barrierer/{report.site_id}").get_data(as_text=True)
    assert f"/fotos/{visible.id}/thumb" in page and f"/fotos/{hidden.id}/" not in page


def test_merged_site_redirects_to_the_site_it_was_merged_into(
    client, db, park, make_report, reviewer
):
    target = make_report()
    report_review.verify_report(db.session, target, reviewer)
    duplicate = make_report(dx=40)
    old_site_id = duplicate.site_id
    report_review.verify_report(db.session, duplicate, reviewer)
    report_review.mark_duplicate(db.session, duplicate, reviewer, target.site)
    db.session.commit()
    response = client.get(f"/barrierer/{old_site_id}")
    assert response.status_code == 301
    assert response.headers["Location"].endswith(f"/barrierer/{target.site_id}")
    report_page = client.get(f"/rapporter/{duplicate.id}").get_data(as_text=True)
    assert "Dublet" in report_page and f"/barrierer/{target.site_id}" in report_page


def test_atom_feeds(client, db, park, make_report, reviewer):
    report = make_report()
    report_review.verify_report(db.session, report, reviewer, note="Set og målt.")
    add_note(db.session, reviewer, "Kun internt", False, report=report)
    db.session.commit()
    for url in (f"/barrierer/{report.site_id}/feed.atom", f"/omraader/{park.id}/feed.atom"):
        response = client.get(url)
        assert response.status_code == 200
        assert response.mimetype == "application/atom+xml"
        feed = ET.fromstring(response.data)
        contents = [e.findtext(f"{ATOM}content") for e in feed.iter(f"{ATOM}entry")]
        assert "Set og målt." in contents
        assert all("Kun internt" not in (c or "") for c in contents)
        assert feed.find(f"{ATOM}link[@rel='self']") is not None
    assert client.get(f"/barrierer/{report.site_id + 1000}/feed.atom").status_code == 404
    assert client.get("/omraader/999999/feed.atom").status_code == 404


def test_confirmations_from_the_public_page(client, db, park, make_report, reviewer, csrf):
    report = make_report()
    report_review.verify_report(db.session, report, reviewer)
    db.session.commit()
    url = f"/barrierer/{report.site_id}/bekraeft"
    assert client.post(url, data={"kind": "still_there"}).status_code == 400  # no CSRF token
    response = client.post(url, data={"kind": "still_there", "csrf_token": csrf()})
    assert response.status_code == 302
    page = client.get(f"/barrierer/{report.site_id}").get_data(as_text=True)
    assert "Tak! Vi har noteret, at barrieren stadig er der." in page
    # Once per visit.
    client.post(url, data={"kind": "fixed_now", "csrf_token": csrf()})
    kinds = db.session.scalars(select(SiteConfirmation.kind)).all()
    assert kinds == ["still_there"]
    db.session.expire_all()
    assert report.site.confirmation_count == 1


def test_site_needing_a_new_look_is_marked(client, db, park, make_report, reviewer):
    report = make_report(created_at="2021-01-10T10:00:00+00:00")
    report_review.verify_report(db.session, report, reviewer)
    db.session.commit()
    assert visibility.needs_new_look(report.site)
    assert "Trænger til et nyt kig" in client.get("/barrierer").get_data(as_text=True)
    assert "trænger til et nyt kig" in client.get(f"/barrierer/{report.site_id}").get_data(
        as_text=True
    )
    listed = client.get("/barrierer?new_look=1").get_data(as_text=True)
    assert f"/barrierer/{report.site_id}" in listed


# --- nothing hidden, internal or identifying leaks -------------------------------------------


@pytest.fixture
def secrets_world(app, db, park, make_user, make_report, make_photo, reviewer, tmp_path):
    """Public content next to everything that must never be public; returns the secrets."""
    reporter = make_user(
        "volunteer", email="leak-reporter@example.org", display_name="LeakReporterAccount"
    )
    device = "d" * 64
    public = make_report(reporter=reporter, device=device, description="Trin ved indgangen")
    public.reporter_name = "LeakUnchosenName"  # stored, but show_name is false
    visible = make_photo(public, colour=(20, 160, 20))
    hidden_photo = make_photo(public, colour=(20, 20, 160))
    redacted = make_photo(public, colour=(160, 160, 20))
    report_review.verify_report(db.session, public, reviewer, note="PublicNoteOK")
    add_note(db.session, reviewer, "LeakInternalReportNote", False, report=public)
    add_note(db.session, reviewer, "LeakInternalSiteNote", False, site=public.site)
    report_review.set_photo_hidden(db.session, hidden_photo, reviewer, True, "LeakHidePhotoReason")
    original_display = redacted.display_name
    result = report_review.redact_photo(
        db.session,
        redacted,
        reviewer,
        [redaction.box_from_percent(0, 0, 50, 50)],
        app.config["MEDIA_DIR"],
        tmp_path / "private",
        "LeakRedactReason",
    )
    hidden_report = make_report(dx=2, description="LeakHiddenReportText", device=device)
    report_review.verify_report(db.session, hidden_report, reviewer)
    report_review.set_report_hidden(
        db.session, hidden_report, reviewer, True, "LeakHideReportReason"
    )
    make_report(dx=3, description="LeakUnreviewedText", reporter=reporter)
    rejected = make_report(dx=500, description="Afvist tekst")
    report_review.reject_report(db.session, rejected, reviewer, "Findes ikke")
    db.session.commit()
    redaction.discard_obsolete(result)
    secrets = {
        "leak-reporter@example.org",
        "LeakReporterAccount",
        "LeakUnchosenName",
        "leak-reviewer@example.org",
        "LeakReviewerName",
        device,
        "LeakInternalReportNote",
        "LeakInternalSiteNote",
        "LeakHidePhotoReason",
        "LeakRedactReason",
        "LeakHiddenReportText",
        "LeakHideReportReason",
        "LeakUnreviewedText",
        "device_token",
        "reporter_id",
        "actor_id",
        "original_name",
        Path(hidden_photo.display_name).stem,
        Path(hidden_photo.thumb_name).stem,
        Path(original_display).stem,
    }
    forbidden_bytes = [
        media_path(app.config["MEDIA_DIR"], hidden_photo.display_name).read_bytes(),
        media_path(app.config["MEDIA_DIR"], hidden_photo.thumb_name).read_bytes(),
        (tmp_path / "private" / original_display).read_bytes(),
    ]
    return {
        "secrets": secrets,
        "bytes": forbidden_bytes,
        "public_report": public,
        "visible_photo": visible,
        "ids": {
            "report_id": [public.id, hidden_report.id, rejected.id, public.id + 100],
            "site_id": [public.site_id, hidden_report.site_id, rejected.site_id],
            "area_id": [park.id],
            "photo_id": [visible.id, hidden_photo.id, redacted.id],
            "report_uuid": [public.uuid, hidden_report.uuid],
            "token": [public.uuid, hidden_report.uuid],
            "request_id": [str(public.id), str(hidden_report.id), str(rejected.id)],
            "feature_id": [str(public.site_id), str(hidden_report.site_id)],
            "collection_id": ["barrier_sites", "areas"],
            "variant": ["display", "thumb", "thumbnail", "original"],
            "fmt": ["json", "xml"],
            "code": ["step"],
        },
    }


PUBLIC_QUERIES = {
    "public.sites": ["", "status=new", "status=rejected", "status=duplicate", "new_look=1"],
    "public.sites_geojson": ["", "status=new", "status=rejected"],
    "api.sites_in_bbox": ["bbox=12.39,55.70,12.46,55.76"],
    "api.nearby_sites": ["lat=55.7189&lon=12.4437&category=step&radius=500"],
    "open311.request_list": ["", "status=open", "status=closed"],
    "ogc.items": ["", "limit=1000"],
}
STAFF_PREFIXES = ("/gennemgang", "/konto/brugere", "/planlaegning", "/static", "/vendor")


def _expand(rule: str, arguments: set[str], ids: dict[str, list]) -> list[str]:
    urls = [rule]
    for name in sorted(arguments):
        expanded = []
        for url in urls:
            pattern = re.compile(r"<(?:[^<>]*:)?" + re.escape(name) + r">")
            expanded += [pattern.sub(str(value), url) for value in ids[name]]
        urls = expanded
    return urls


def test_nothing_hidden_internal_or_identifying_leaks(app, client, secrets_world):
    """Every public GET route (pages, feeds, photos, JSON APIs) with every object's id."""
    ids = secrets_world["ids"]
    urls = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.rule.startswith(STAFF_PREFIXES):
            continue
        if rule.endpoint in ("open311.unknown", "accounts.invitation"):
            continue
        unknown = set(rule.arguments) - set(ids)
        assert not unknown, f"Tell the leak scan which values to use for {unknown} ({rule.rule})"
        for url in _expand(rule.rule, set(rule.arguments), ids):
            urls += [f"{url}?{q}" if q else url for q in PUBLIC_QUERIES.get(rule.endpoint, [""])]
    assert len(urls) > 40
    seen_public_note = False
    for url in urls:
        response = client.get(url)
        data = response.get_data()
        response.close()
        if response.status_code == 302 and "/konto/log-ind" in response.headers["Location"]:
            continue  # not public
        assert response.status_code < 500, url
        for blob in secrets_world["bytes"]:
            assert data != blob, f"{url} serves a hidden photo or a private original"
        text = data.decode("utf-8", errors="ignore")
        leaked = [s for s in secrets_world["secrets"] if s in text]
        assert not leaked, f"{url} shows {leaked}"
        seen_public_note = seen_public_note or "PublicNoteOK" in text
    assert seen_public_note  # the scan did see public content


def test_the_public_side_of_the_scanned_world(client, secrets_world):
    report = secrets_world["public_report"]
    page = client.get(f"/barrierer/{report.site_id}").get_data(as_text=True)
    assert "Trin ved indgangen" in page and "PublicNoteOK" in page
    assert f"/fotos/{secrets_world['visible_photo'].id}/thumb" in page
