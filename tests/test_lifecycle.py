"""The review lifecycle: transitions, roles, history, site status, duplicates, photos."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select

from fieldaudit import permissions, redaction, report_review, site_decisions, visibility
from fieldaudit.errors import ConflictError, ValidationError
from fieldaudit.history import add_note, merged_into, public_history
from fieldaudit.models import BarrierSite, HistoryEntry
from fieldaudit.permissions import PermissionDenied
from fieldaudit.photos import media_path
from fieldaudit.status import Action

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def reviewer(make_user):
    return make_user("reviewer")


@pytest.fixture
def planner(make_user):
    return make_user("planner")


def history(db, **where):
    stmt = select(HistoryEntry).order_by(HistoryEntry.id)
    for key, value in where.items():
        stmt = stmt.where(getattr(HistoryEntry, key) == value)
    return db.session.scalars(stmt).all()


@pytest.mark.parametrize(
    ("role", "action", "allowed"),
    [
        ("volunteer", Action.VERIFY, False),
        ("reviewer", Action.VERIFY, True),
        ("planner", Action.VERIFY, False),
        ("admin", Action.VERIFY, True),
        ("reviewer", Action.PLAN, False),
        ("planner", Action.PLAN, True),
        ("planner", Action.FIX, True),
        ("admin", Action.CLOSE, True),
        ("volunteer", Action.HIDE_PHOTO, False),
        ("reviewer", Action.REDACT_PHOTO, True),
    ],
)
def test_roles(make_user, role, action, allowed):
    assert permissions.may(make_user(role), action) is allowed


def test_inactive_user_may_nothing(make_user):
    assert not permissions.may(make_user("admin", active=False), Action.VERIFY)


def test_verify_makes_the_site_verified_and_is_recorded(db, make_report, reviewer):
    report = make_report()
    assert report.site.status == "new"
    report_review.verify_report(db.session, report, reviewer, note="Set på stedet.", now=NOW)
    db.session.commit()
    assert report.status == "verified" and report.site.status == "verified"
    (entry,) = history(db, action="verify")
    assert entry.actor_id == reviewer.id and entry.public
    assert entry.before == {"status": "new"} and entry.after == {"status": "verified"}
    assert entry.reason == "Set på stedet."
    (site_entry,) = history(db, action="site_status")
    assert site_entry.site_id == report.site_id and site_entry.after == {"status": "verified"}


def test_volunteer_and_planner_cannot_verify(db, make_report, make_user):
    report = make_report()
    for role in ("volunteer", "planner"):
        with pytest.raises(PermissionDenied):
            report_review.verify_report(db.session, report, make_user(role))
    assert report.status == "new"


def test_reject_needs_a_reason(db, make_report, reviewer):
    report = make_report()
    with pytest.raises(ValidationError) as error:
        report_review.reject_report(db.session, report, reviewer, "  ")
    assert error.value.first.field == "reason"
    report_review.reject_report(db.session, report, reviewer, "Trinnet er fjernet.", now=NOW)
    assert report.status == "rejected" and report.status_reason == "Trinnet er fjernet."
    assert report.site.status == "rejected"


def test_rejected_report_can_be_verified_again_but_not_rejected_twice(db, make_report, reviewer):
    report = make_report()
    report_review.reject_report(db.session, report, reviewer, "Forkert sted.")
    with pytest.raises(ConflictError):
        report_review.reject_report(db.session, report, reviewer, "Igen.")
    report_review.verify_report(db.session, report, reviewer)
    assert report.status == "verified" and report.site.status == "verified"


def test_site_stays_verified_while_one_report_is_verified(db, make_report, reviewer):
    first = make_report()
    second = make_report(dx=2)
    assert first.site_id == second.site_id
    report_review.verify_report(db.session, first, reviewer)
    report_review.reject_report(db.session, second, reviewer, "Dobbelt indsendt.")
    assert first.site.status == "verified"
    assert first.site.report_count == 1


def test_duplicate_merges_the_report_into_the_target_site(db, make_report, reviewer):
    target_report = make_report()
    report_review.verify_report(db.session, target_report, reviewer)
    target = target_report.site
    duplicate = make_report(dx=30)  # too far to merge automatically
    old_site = duplicate.site
    assert old_site.id != target.id
    report_review.mark_duplicate(db.session, duplicate, reviewer, target, "Samme trin.", now=NOW)
    db.session.commit()
    assert duplicate.status == "duplicate"
    assert duplicate.site_id == target.id and duplicate.duplicate_of_site_id == target.id
    assert target.report_count == 2 and target.status == "verified"
    assert old_site.report_count == 0 and old_site.status == "duplicate"
    assert merged_into(db.session, old_site) == target.id
    (entry,) = history(db, action="duplicate")
    assert entry.before["site_id"] == old_site.id and entry.after["site_id"] == target.id
    assert history(db, action="merged_in")[0].site_id == target.id


def test_duplicate_needs_another_open_site(db, make_report, reviewer):
    report = make_report()
    with pytest.raises(ValidationError):
        report_review.mark_duplicate(db.session, report, reviewer, report.site)
    with pytest.raises(ValidationError):
        report_review.mark_duplicate(db.session, report, reviewer, None)


def test_correction_keeps_before_and_after(db, make_report, reviewer):
    report = make_report(groups=["WHEEL"])
    entry = report_review.correct_report(
        db.session,
        report,
        reviewer,
        severity="medium",
        groups=["WHEEL", "MOB"],
        tags=["no_alternative_route"],
        reason="Målt igen.",
    )
    assert entry.before == {"severity": "high", "groups": ["WHEEL"], "tags": []}
    assert entry.after == {
        "severity": "medium",
        "groups": ["MOB", "WHEEL"],
        "tags": ["no_alternative_route"],
    }
    assert report.site.severity == "medium"
    assert report.site.tag_counts == {"no_alternative_route": 1}
    assert report_review.correct_report(db.session, report, reviewer, severity="medium") is None


def test_category_correction_moves_the_report_to_a_site_of_that_category(db, make_report, reviewer):
    report = make_report()
    old_site = report.site
    entry = report_review.correct_report(db.session, report, reviewer, category_code="surface")
    assert report.category == "surface" and report.site.category == "surface"
    assert report.site_id != old_site.id
    assert report.measurements == {}  # the step height does not fit a surface
    assert entry.before["category"] == "step" and entry.after["site_id"] == report.site_id
    assert old_site.status == "duplicate"


def test_correction_refuses_unknown_values(db, make_report, reviewer):
    report = make_report()
    with pytest.raises(ValidationError) as error:
        report_review.correct_report(
            db.session, report, reviewer, severity="huge", groups=["X"], tags=["nope"]
        )
    assert {p.field for p in error.value.problems} == {"severity", "groups", "tags"}


def test_notes_public_and_internal(db, make_report, reviewer, planner):
    report = make_report()
    add_note(db.session, reviewer, "Intern bemærkning", False, report=report)
    add_note(db.session, reviewer, "Offentlig bemærkning", True, report=report)
    add_note(db.session, planner, "Budget i 2027", False, site=report.site)
    with pytest.raises(PermissionDenied):
        add_note(db.session, planner, "Nej", True, report=report)
    public = public_history(db.session, [report.id], [report.site_id])
    assert [e.reason for e in public if e.action == "note"] == ["Offentlig bemærkning"]


def test_hide_report_and_photo_are_internal(db, make_report, make_photo, reviewer):
    report = make_report()
    photo = make_photo(report)
    report_review.verify_report(db.session, report, reviewer)
    assert visibility.report_is_public(report) and visibility.photo_is_public(photo)
    report_review.set_photo_hidden(db.session, photo, reviewer, True, "Ansigt")
    assert not visibility.photo_is_public(photo)
    report_review.set_report_hidden(db.session, report, reviewer, True, "Personoplysninger")
    assert not visibility.report_is_public(report)
    entries = history(db, report_id=report.id)
    assert {e.action for e in entries if not e.public} == {"hide_photo", "hide_report"}
    assert report_review.set_report_hidden(db.session, report, reviewer, True) is None


def test_new_reports_are_not_public(db, make_report):
    report = make_report()
    assert not visibility.report_is_public(report)
    assert not visibility.site_is_public(report.site)


def test_planner_plans_fixes_and_reports_follow(db, make_report, reviewer, planner):
    report = make_report()
    report_review.verify_report(db.session, report, reviewer)
    site = report.site
    with pytest.raises(PermissionDenied):
        site_decisions.plan_site(db.session, site, reviewer, 2027)
    with pytest.raises(ValidationError) as error:
        site_decisions.plan_site(db.session, site, planner, 1999, cost_dkk=-5, now=NOW)
    assert {p.field for p in error.value.problems} == {"year", "cost"}
    site_decisions.plan_site(db.session, site, planner, 2027, 45_000, now=NOW)
    assert site.status == "planned" and site.planned_year == 2027
    assert site.planned_cost_dkk == 45_000 and report.status == "planned"
    site_decisions.fix_site(db.session, site, planner, "Rampe bygget.", now=NOW)
    assert site.status == "fixed" and report.status == "fixed"
    (fix,) = history(db, action="fix")
    assert fix.before == {"status": "planned"} and fix.after == {"status": "fixed"}
    with pytest.raises(ConflictError):
        site_decisions.fix_site(db.session, site, planner)
    site_decisions.reopen_site(db.session, site, planner, "Stadig et trin.")
    assert site.status == "verified" and report.status == "verified"


def test_close_needs_reason_and_a_verified_site(db, make_report, reviewer, planner):
    report = make_report()
    with pytest.raises(ConflictError):
        site_decisions.close_site(db.session, report.site, planner, "Privat grund.")
    report_review.verify_report(db.session, report, reviewer)
    with pytest.raises(ValidationError):
        site_decisions.close_site(db.session, report.site, planner, "")
    site_decisions.close_site(db.session, report.site, planner, "Privat grund.")
    assert report.site.status == "closed" and report.site.status_reason == "Privat grund."


def test_review_does_not_undo_a_planners_decision(db, make_report, reviewer, planner):
    report = make_report()
    report_review.verify_report(db.session, report, reviewer)
    site_decisions.plan_site(db.session, report.site, planner, NOW.year + 1, now=NOW)
    second = make_report(dx=1)
    assert second.site_id == report.site_id
    report_review.reject_report(db.session, second, reviewer, "Dublet af samme person.")
    assert report.site.status == "planned"


def test_needs_new_look_after_four_years(db, make_report):
    site = make_report().site
    site.status = "verified"
    site.last_seen = NOW - timedelta(days=4 * 365 + 2)
    assert visibility.needs_new_look(site, NOW)
    site.last_seen = NOW - timedelta(days=3 * 365)
    assert not visibility.needs_new_look(site, NOW)
    site.last_seen = NOW - timedelta(days=5 * 365)
    site.status = "fixed"
    assert not visibility.needs_new_look(site, NOW)


def test_derived_status():
    assert report_review.derived_status(["new", "verified"]) == "verified"
    assert report_review.derived_status(["new", "rejected"]) == "new"
    assert report_review.derived_status(["rejected", "rejected"]) == "rejected"
    assert report_review.derived_status(["duplicate"]) == "new"
    assert report_review.derived_status([]) == "duplicate"


def test_nearby_sites_are_duplicate_candidates(db, make_report):
    report = make_report()
    near = make_report(dx=25, category="surface", measurements={})
    far = make_report(dx=500)
    found = [n.site.id for n in report_review.nearby_sites(db.session, report)]
    assert near.site_id in found and far.site_id not in found
    assert report.site_id not in found


# --- redaction ---------------------------------------------------------------------------------


def test_redaction_blacks_out_and_keeps_the_original_privately(
    app, db, make_report, make_photo, reviewer, tmp_path
):
    report = make_report()
    photo = make_photo(report, colour=(250, 250, 250))
    media = Path(app.config["MEDIA_DIR"])
    private = tmp_path / "private"
    old_display, old_thumb = photo.display_name, photo.thumb_name
    box = redaction.box_from_percent(10, 20, 30, 40)
    result = report_review.redact_photo(
        db.session, photo, reviewer, [box], media, private, "Nummerplade"
    )
    db.session.commit()
    redaction.discard_obsolete(result)
    assert photo.redacted and photo.display_name != old_display
    assert photo.original_name == old_display
    assert not media_path(media, old_display).exists()
    assert not media_path(media, old_thumb).exists()
    assert (private / old_display).exists()
    assert not str(private).startswith(str(media))
    with Image.open(media_path(media, photo.display_name)) as image:
        width, height = image.size
        assert image.getpixel((int(width * 0.25), int(height * 0.4))) < (20, 20, 20)
        assert image.getpixel((int(width * 0.8), int(height * 0.8))) > (230, 230, 230)
    with Image.open(media_path(media, photo.thumb_name)) as thumb:
        assert thumb.getpixel((int(thumb.width * 0.25), int(thumb.height * 0.4))) < (20, 20, 20)
    (entry,) = history(db, action="redact_photo")
    assert not entry.public and entry.after["boxes"][0]["left"] == 0.1

    # A second redaction keeps the first original, and removes the intermediate version.
    middle = photo.display_name
    result = report_review.redact_photo(
        db.session, photo, reviewer, [redaction.box_from_percent(60, 60, 10, 10)], media, private
    )
    db.session.commit()
    redaction.discard_obsolete(result)
    assert photo.original_name == old_display
    assert not media_path(media, middle).exists()
    with Image.open(private / old_display) as original:
        assert original.getpixel((int(original.width * 0.25), int(original.height * 0.4))) > (
            230,
            230,
            230,
        )


def test_redaction_never_removes_files_shared_with_another_photo(
    app, db, make_report, make_photo, reviewer, tmp_path
):
    first = make_photo(make_report())
    second = make_photo(make_report(dx=100))  # the same picture in another report
    assert first.display_name == second.display_name
    media = Path(app.config["MEDIA_DIR"])
    result = report_review.redact_photo(
        db.session,
        first,
        reviewer,
        [redaction.box_from_percent(0, 0, 50, 50)],
        media,
        tmp_path / "private",
    )
    db.session.commit()
    redaction.discard_obsolete(result)
    assert media_path(media, second.display_name).exists()
    assert media_path(media, second.thumb_name).exists()


@pytest.mark.parametrize(
    ("values", "fields"),
    [
        ((-1, 0, 10, 10), {"left"}),
        ((0, 100, 10, 10), {"top"}),
        ((0, 0, 0, 200), {"width", "height"}),
    ],
)
def test_redaction_box_is_checked(values, fields):
    with pytest.raises(ValidationError) as error:
        redaction.box_from_percent(*values)
    assert {p.field for p in error.value.problems} == fields


def test_box_pixels_stay_inside_the_image():
    box = redaction.box_from_percent(90, 90, 50, 50)
    assert box.pixels(100, 100) == (90, 90, 99, 99)


def test_only_reviewers_redact(db, make_report, make_photo, planner, app, tmp_path):
    photo = make_photo(make_report())
    with pytest.raises(PermissionDenied):
        report_review.redact_photo(
            db.session,
            photo,
            planner,
            [redaction.box_from_percent(0, 0, 10, 10)],
            app.config["MEDIA_DIR"],
            tmp_path,
        )
    assert not photo.redacted


def test_sites_are_not_lost(db, make_report, reviewer):
    report = make_report()
    report_review.verify_report(db.session, report, reviewer)
    assert db.session.get(BarrierSite, report.site_id) is not None


def test_a_decided_site_is_rescored(db, make_user, make_report):
    from fieldaudit.report_review import verify_report
    from fieldaudit.site_decisions import close_site

    reviewer, planner = make_user("reviewer"), make_user("planner")
    report = make_report()
    verify_report(db.session, report, reviewer)
    site = report.site
    assert site.priority_score > 0
    close_site(db.session, site, planner, "Privat grund; kommunen kan ikke gøre noget.")
    assert site.priority_score == 0  # closed sites do not rank
