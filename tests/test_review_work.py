"""The council's daily review work in the domain: several reports of one site decided at once,
two sites merged into one, and the queue grouped by site with the next report to review."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from fieldaudit import report_review, review_queue, site_decisions, site_merge
from fieldaudit.errors import ConflictError, ValidationError
from fieldaudit.history import merged_into, site_history
from fieldaudit.models import BarrierReport, HistoryEntry, SiteConfirmation
from fieldaudit.permissions import PermissionDenied
from fieldaudit.sites import add_confirmation
from fieldaudit.status import Action

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def reviewer(make_user):
    return make_user("reviewer")


def entries(db, action, **where):
    stmt = select(HistoryEntry).where(HistoryEntry.action == action)
    for key, value in where.items():
        stmt = stmt.where(getattr(HistoryEntry, key) == value)
    return list(db.session.scalars(stmt.order_by(HistoryEntry.id)))


def one_site(make_report, count, dx=0.0, **payload):
    """``count`` reports a metre or two apart: one site."""
    reports = [make_report(dx=dx + i, dy=i % 2, **payload) for i in range(count)]
    assert len({r.site_id for r in reports}) == 1
    return reports


# --- several reports of one site at once ---------------------------------------------------------


def test_bulk_verify_writes_one_entry_per_report_and_verifies_the_site(db, make_report, reviewer):
    reports = one_site(make_report, 3)
    entries_made = report_review.decide_reports(
        db.session, reports, reviewer, Action.VERIFY, "Set på stedet.", now=NOW
    )
    db.session.commit()
    assert [e.report_id for e in entries_made] == [r.id for r in reports]
    assert {r.status for r in reports} == {"verified"}
    assert reports[0].site.status == "verified"
    assert len(entries(db, "verify")) == 3
    assert {e.reason for e in entries(db, "verify")} == {"Set på stedet."}
    assert len(entries(db, "site_status", site_id=reports[0].site_id)) == 1


def test_bulk_reject_needs_one_reason_and_gives_it_to_every_report(db, make_report, reviewer):
    reports = one_site(make_report, 2)
    with pytest.raises(ValidationError):
        report_review.decide_reports(db.session, reports, reviewer, Action.REJECT, "")
    report_review.decide_reports(db.session, reports, reviewer, Action.REJECT, "Ikke en barriere.")
    db.session.commit()
    assert {(r.status, r.status_reason) for r in reports} == {("rejected", "Ikke en barriere.")}
    assert reports[0].site.status == "rejected"


def test_bulk_decision_is_all_or_none(db, make_report, reviewer):
    first, second = one_site(make_report, 2)
    report_review.reject_report(db.session, second, reviewer, "Ikke en barriere.")
    report_review.verify_report(db.session, second, reviewer)
    db.session.commit()
    with pytest.raises(ConflictError):  # the second one is verified already
        report_review.decide_reports(db.session, [first, second], reviewer, Action.VERIFY)
    db.session.rollback()
    assert first.status == "new"
    assert report_review.decidable([first, second], Action.VERIFY) == [first]


def test_bulk_decision_takes_reports_of_one_site_only(db, make_report, make_user, reviewer):
    here, there = make_report(), make_report(dx=300)
    with pytest.raises(ValidationError) as raised:
        report_review.decide_reports(db.session, [here, there], reviewer, Action.VERIFY)
    assert raised.value.problems[0].code == "reports_of_several_sites"
    with pytest.raises(ValidationError):
        report_review.decide_reports(db.session, [], reviewer, Action.VERIFY)
    with pytest.raises(PermissionDenied):
        report_review.decide_reports(db.session, [here], make_user("planner"), Action.VERIFY)
    with pytest.raises(ValueError):
        report_review.decide_reports(db.session, [here], reviewer, Action.DUPLICATE)


# --- merging two sites ---------------------------------------------------------------------------


def test_merge_moves_reports_and_confirmations_and_keeps_history_on_both(db, make_report, reviewer):
    source_reports = one_site(make_report, 2, dx=40)
    target_reports = one_site(make_report, 1)
    source, target = source_reports[0].site, target_reports[0].site
    report_review.verify_report(db.session, source_reports[0], reviewer, now=NOW)
    add_confirmation(db.session, source, str(uuid.uuid4()), "still_there", NOW, now=NOW)
    db.session.commit()
    source_history = {e.id for e in site_history(db.session, source)}

    entry = site_merge.merge_sites(db.session, source, target, reviewer, "Samme trin.", now=NOW)
    db.session.commit()

    assert entry.site_id == target.id and entry.after["from_site_id"] == source.id
    assert {r.site_id for r in source_reports} == {target.id}
    assert [r.status for r in source_reports] == ["verified", "new"]  # statuses kept
    assert len(review_queue.site_reports(db.session, target)) == 3
    assert target.report_count == 1  # a public site counts its accepted reports only
    assert target.status == "verified"
    assert target.confirmation_count == 1
    assert db.session.scalar(select(SiteConfirmation.site_id)) == target.id
    assert source.status == "duplicate" and source.report_count == 0
    assert merged_into(db.session, source) == target.id
    # The source keeps every entry it had (and gains its merge), the target gains the moves.
    kept = {e.id for e in site_history(db.session, source)}
    assert {e.id for e in entries(db, "verify")} <= kept | {
        e.id for e in site_history(db.session, target)
    }
    assert source_history - {e.id for e in entries(db, "verify")} <= kept
    assert len(entries(db, "merge_site", site_id=target.id)) == 3  # two reports, one merge
    assert entries(db, "merge_site", site_id=source.id)[0].after["merged_into"] == target.id


def test_merge_refuses_other_category_itself_and_closed_sites(db, make_report, make_user, reviewer):
    step = make_report().site
    surface = make_report(dx=40, category="surface", measurements={}).site
    other_step = make_report(dx=80).site
    for target, code in (
        (surface, "merge_other_category"),
        (step, "merge_target"),
        (None, "merge_target"),
    ):
        with pytest.raises(ValidationError) as raised:
            site_merge.merge_sites(db.session, step, target, reviewer)
        assert raised.value.problems[0].code == code
    with pytest.raises(PermissionDenied):
        site_merge.merge_sites(db.session, step, other_step, make_user("planner"))
    report_review.verify_report(db.session, other_step.reports[0], reviewer)
    site_decisions.fix_site(db.session, other_step, make_user("planner"))
    db.session.commit()
    with pytest.raises(ValidationError) as raised:
        site_merge.merge_sites(db.session, step, other_step, reviewer)
    assert raised.value.problems[0].code == "merge_target_closed"
    with pytest.raises(ConflictError):  # a site a planner has decided on is not merged away
        site_merge.merge_sites(db.session, other_step, step, reviewer)


def test_verified_reports_merged_into_a_planned_site_take_its_status(
    db, make_report, make_user, reviewer
):
    planned_report, moving = make_report(), make_report(dx=40)
    planned = planned_report.site
    report_review.verify_report(db.session, planned_report, reviewer)
    report_review.verify_report(db.session, moving, reviewer)
    site_decisions.plan_site(db.session, planned, make_user("planner"), 2027, None)
    db.session.commit()
    site_merge.merge_sites(db.session, moving.site, planned, reviewer)
    db.session.commit()
    assert moving.site_id == planned.id and moving.status == "planned"
    assert planned.status == "planned" and planned.report_count == 2


def test_merge_candidates_are_nearby_open_sites_of_the_same_category(db, make_report):
    site = make_report().site
    near = make_report(dx=40).site
    make_report(dx=60, category="surface", measurements={})
    make_report(dx=400)
    found = site_merge.merge_candidates(db.session, site)
    assert [c.site.id for c in found] == [near.id]
    assert 35 < found[0].distance_m < 45


# --- the queue -----------------------------------------------------------------------------------


def test_queue_groups_reports_of_one_site_and_counts_the_others(db, make_report, make_photo):
    early = make_report(dx=200, created_at="2026-01-05T09:00:00+00:00", description="Først")
    site_a = one_site(make_report, 3, created_at="2026-02-01T09:00:00+00:00")
    late = make_report(dx=200.5, created_at="2026-03-01T09:00:00+00:00", description="Senere")
    photo = make_photo(early)
    page = review_queue.queue_page(db.session, review_queue.QueueFilter(), page_size=4)
    assert page.total == 5 and page.pages == 2
    # The site of the oldest report first, with its later report beside it.
    assert [[i.report.id for i in g.items] for g in page.groups] == [
        [early.id, late.id],
        [site_a[0].id, site_a[1].id],
    ]
    first, second = page.groups
    assert first.items[0].photo.id == photo.id and first.items[0].line == "Først"
    # Filtered by a group (matched in Python), the order is the same.
    by_group = review_queue.queue_page(db.session, review_queue.QueueFilter(group="WHEEL"), 4)
    assert [r.id for r in by_group.reports] == [r.id for r in page.reports]
    assert by_group.total == 5
    wheel = review_queue.QueueFilter(group="WHEEL")
    assert review_queue.next_in_queue(db.session, late, wheel) == site_a[0].id
    assert second.site_reports == 3 and second.others == 1


def test_one_line_cuts_long_text_at_a_word():
    text = "Trinnet  er\nhøjt " + "meget " * 40
    line = review_queue.one_line(text, 30)
    assert line.startswith("Trinnet er højt") and line.endswith("…") and len(line) <= 31
    assert review_queue.one_line(None) == ""


def test_next_in_queue_follows_the_order_and_wraps(db, make_report, reviewer):
    a = make_report(dx=0, created_at="2026-01-01T09:00:00+00:00")
    b = make_report(dx=100, created_at="2026-01-02T09:00:00+00:00")
    c = make_report(dx=200, created_at="2026-01-03T09:00:00+00:00")
    assert review_queue.next_in_queue(db.session, a) == b.id
    assert review_queue.next_in_queue(db.session, c) == a.id  # wraps round
    report_review.verify_report(db.session, a, reviewer)
    report_review.verify_report(db.session, b, reviewer)
    db.session.commit()
    assert review_queue.next_in_queue(db.session, a) == c.id  # not in the queue any more
    assert review_queue.next_in_queue(db.session, c) is None


def test_queue_filter_by_group(db, make_report):
    make_report(groups=["VIS"], category="obstacle", measurements={})
    wheel = make_report(dx=100, groups=["WHEEL"])
    page = review_queue.queue_page(db.session, review_queue.QueueFilter(group="WHEEL"))
    assert [r.id for r in page.reports] == [wheel.id]
    assert db.session.get(BarrierReport, wheel.id) is not None
