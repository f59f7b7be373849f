"""The domain layer refuses bad reports with clear messages and stores good ones exactly once."""

import math
import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from fieldaudit.areas import load_service_area
from fieldaudit.config import HERLEV_BBOX_WGS84
from fieldaudit.crs import bbox_to_metric
from fieldaudit.errors import ConflictError, ValidationError
from fieldaudit.models import BarrierReport, BarrierSite
from fieldaudit.reports import check_report, store_report


@pytest.fixture
def service_area(herlev):
    return load_service_area(herlev.session, bbox_to_metric(HERLEV_BBOX_WGS84), 150.0)


def problems(payload, service_area):
    with pytest.raises(ValidationError) as caught:
        check_report(payload, service_area)
    return {p.field: p for p in caught.value.problems}


@pytest.mark.parametrize(
    ("override", "field", "code"),
    [
        ({"lat": 55.676, "lon": 12.568}, "position", "outside_area"),  # Copenhagen
        ({"lat": 55.7300, "lon": 12.3700}, "position", "outside_area"),  # just west of Herlev
        ({"lat": math.nan}, "position", "invalid_position"),
        ({"lat": 95.0}, "position", "invalid_position"),
        ({"lon": "12.44"}, "position", "invalid_position"),
        ({"category": "teleport"}, "category", "unknown_category"),
        ({"severity": "critical"}, "severity", "invalid_severity"),
        ({"severity": 3}, "severity", "invalid_severity"),
        ({"uuid": "not-a-uuid"}, "uuid", "invalid_uuid"),
        ({"groups": ["WHEEL", "ALIENS"]}, "groups", "unknown_group"),
        ({"tags": ["gravel"]}, "tags", "unknown_tag"),
        ({"accuracy_m": -3}, "accuracy_m", "invalid_accuracy"),
        ({"description": "x" * 2001}, "description", "invalid_description"),
        ({"created_at": "yesterday"}, "created_at", "invalid_time"),
        ({"created_at": "2026-11-20T10:00:00"}, "created_at", "invalid_time"),
        (
            {"measurements": {"threshold_height": {"value": 12, "unit": "m"}}},
            "measurements.threshold_height",
            "invalid_measurement",
        ),
        (
            {"measurements": {"gradient": {"value": 8, "unit": "%"}}},
            "measurements.gradient",
            "unknown_measurement",
        ),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(
    make_report_payload, service_area, override, field, code
):
    found = problems(make_report_payload(**override), service_area)
    assert found[field].code == code
    assert found[field].message.da and found[field].message.en


def test_not_an_object(service_area):
    assert problems(["a"], service_area)[""].code == "invalid_body"


def test_every_problem_is_listed_at_once(make_report_payload, service_area):
    found = problems(make_report_payload(category="x", severity="y", uuid=1), service_area)
    assert {"category", "severity", "uuid"} <= set(found)


def test_valid_report_is_normalised(make_report_payload, service_area):
    draft = check_report(make_report_payload(groups=[]), service_area)
    assert draft.groups == ["MOB", "WHEEL"]  # pre-filled from the category
    assert draft.created_at.utcoffset().total_seconds() == 0
    assert draft.measurements == {"threshold_height": {"value": 12.0, "unit": "cm"}}
    assert draft.reporter_name == ""  # no name unless the reporter chose to show it


def test_store_is_idempotent_and_conflicts_on_other_content(
    herlev, make_report_payload, service_area
):
    payload = make_report_payload()
    report, created = store_report(herlev.session, check_report(payload, service_area))
    herlev.session.commit()
    assert created and report.area.name == "Herlev Station" and report.site is not None
    again, created_again = store_report(herlev.session, check_report(payload, service_area))
    assert not created_again and again.id == report.id
    changed = {**payload, "severity": "low"}
    with pytest.raises(ConflictError):
        store_report(herlev.session, check_report(changed, service_area))
    assert herlev.session.scalar(select(func.count()).select_from(BarrierReport)) == 1
    assert herlev.session.scalar(select(func.count()).select_from(BarrierSite)) == 1


def test_a_retry_without_created_at_is_the_same_content(herlev, make_report_payload, service_area):
    """The server's fallback time is not content: a retry a second later is the same report."""
    payload = make_report_payload()
    del payload["created_at"]
    first = check_report(payload, service_area, now=datetime(2026, 11, 20, 10, 0, tzinfo=UTC))
    retry = check_report(payload, service_area, now=datetime(2026, 11, 20, 10, 1, tzinfo=UTC))
    assert first.content_hash() == retry.content_hash()
    report, created = store_report(herlev.session, first)
    again, created_again = store_report(herlev.session, retry)
    assert created and not created_again and again.id == report.id
    # What the client did send still counts: another time is other content.
    with pytest.raises(ConflictError):
        store_report(
            herlev.session,
            check_report({**payload, "created_at": "2026-11-19T10:00:00Z"}, service_area),
        )


def _site_rows(session):
    return session.execute(
        select(
            BarrierSite.id,
            BarrierSite.report_count,
            BarrierSite.severity,
            BarrierSite.priority_score,
            BarrierSite.last_seen,
            func.ST_X(BarrierSite.geom),
        ).order_by(BarrierSite.id)
    ).all()


@pytest.mark.parametrize("device", [None, "a" * 64])
def test_a_resend_changes_no_site(herlev, make_report_payload, service_area, device):
    """A resend is refused by the insert itself: the site it would join is left as it was,
    and the site it would start (the same device within 10 minutes never joins its own
    report's site) is not kept."""
    payload = make_report_payload()
    report, created = store_report(
        herlev.session, check_report(payload, service_area), device_token_hash=device
    )
    herlev.session.commit()
    before = _site_rows(herlev.session)
    again, created_again = store_report(
        herlev.session, check_report(payload, service_area), device_token_hash=device
    )
    herlev.session.commit()
    assert created and not created_again and again.id == report.id
    assert _site_rows(herlev.session) == before
    assert herlev.session.scalar(select(func.count()).select_from(BarrierReport)) == 1


def test_the_same_report_sent_twice_at_once_is_stored_once(
    app, herlev, make_report_payload, service_area
):
    """Two requests with one UUID at the same moment (two tabs, a retry racing the first
    try): each in its own session and transaction; one stores the report, the other waits
    for the unique index and answers with the stored one."""
    import threading

    draft = check_report(make_report_payload(), service_area)
    start = threading.Barrier(2)
    results: list[tuple[int, bool]] = []
    failures: list[BaseException] = []

    def send() -> None:
        with app.app_context():
            try:
                start.wait()
                report, created = store_report(herlev.session, draft, device_token_hash="b" * 64)
                results.append((report.id, created))
                herlev.session.commit()
            except BaseException as error:  # reported below, in the test's thread
                failures.append(error)
            finally:
                herlev.session.remove()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not failures, failures
    assert sorted(created for _id, created in results) == [False, True]
    assert len({report_id for report_id, _created in results}) == 1
    assert herlev.session.scalar(select(func.count()).select_from(BarrierReport)) == 1
    assert herlev.session.scalar(select(func.count()).select_from(BarrierSite)) == 1


def test_reports_of_one_place_sent_at_once_make_one_site(
    app, herlev, make_report_payload, service_area
):
    """Six phones report the same step at the same moment, four times each (different devices,
    so they may all join): each join waits for the one before it (``site_rule.join_lock_keys``),
    so there is one site, and its count holds every report (no lost update, no second site
    started beside the first)."""
    import threading
    import uuid

    start = threading.Barrier(6)
    failures: list[BaseException] = []

    def send(phone: int) -> None:
        with app.app_context():
            try:
                start.wait()
                for number in range(4):
                    payload = make_report_payload(uuid=str(uuid.uuid4()))
                    draft = check_report(payload, service_area)
                    device = f"{phone}-{number}".ljust(64, "d")
                    store_report(herlev.session, draft, device_token_hash=device)
                    herlev.session.commit()
            except BaseException as error:  # reported below, in the test's thread
                failures.append(error)
            finally:
                herlev.session.remove()

    threads = [threading.Thread(target=send, args=(phone,)) for phone in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not failures, failures
    (site,) = herlev.session.scalars(select(BarrierSite)).all()
    assert site.report_count == 24
    assert herlev.session.scalar(select(func.count()).select_from(BarrierReport)) == 24


@pytest.mark.parametrize("change", ["report", "none", "confirmed", "confirmed again"])
def test_a_join_decides_on_the_sites_as_they_are_once_it_holds_the_lock(
    app, herlev, make_report_payload, service_area, monkeypatch, change
):
    """On SpatiaLite a join reads and decides before it takes the write lock (held only for a
    second read and the writes). When another phone's report of the same place was written
    meanwhile, the join decides again from what the second read found and joins it (one site
    of two reports, not a second site beside the first). When nothing changed, the first
    decision is kept; a confirmed site's confirmations are read again under the lock, and a
    confirmation given meanwhile (the same device again the same day: not counted, so the
    candidate rows are the same, but the site was last seen then) makes it decide again, so
    the site keeps that moment. On PostGIS the join takes its locks first and decides once."""
    from sqlalchemy.orm import Session

    import fieldaudit.sites as sites
    from fieldaudit.spatial import backend

    confirmed_at = []

    def confirm(session):
        site = session.scalars(select(BarrierSite)).one()
        confirmed_at.append(datetime.now(UTC))
        sites.add_confirmation(
            session,
            site,
            str(uuid.uuid4()),
            "still_there",
            confirmed_at[-1],
            device_token_hash="confirming".ljust(64, "d"),
            now=confirmed_at[-1],
        )
        session.commit()

    if change.startswith("confirmed"):
        draft = check_report(make_report_payload(), service_area)
        store_report(herlev.session, draft, device_token_hash="old".ljust(64, "d"))
        herlev.session.commit()
        confirm(herlev.session)

    spatial = type(backend(herlev.session))
    hold = spatial.hold_join_locks
    plans = []
    plan = sites._plan
    monkeypatch.setattr(sites, "_plan", lambda *args: plans.append(1) or plan(*args))
    interleaved = []

    def hold_after_another_phone(self, connection, keys):
        if not interleaved:
            interleaved.append(1)
            if change == "report":
                with Session(herlev.engine) as other:
                    draft = check_report(make_report_payload(), service_area)
                    store_report(other, draft, device_token_hash="other".ljust(64, "d"))
                    other.commit()
            elif change == "confirmed again":
                with Session(herlev.engine) as other:
                    confirm(other)
        hold(self, connection, keys)

    monkeypatch.setattr(spatial, "hold_join_locks", hold_after_another_phone)
    draft = check_report(make_report_payload(), service_area)
    store_report(herlev.session, draft, device_token_hash="first".ljust(64, "d"))
    herlev.session.commit()
    sites_stored = herlev.session.scalars(select(BarrierSite)).all()
    assert [site.report_count for site in sites_stored] == [1 if change == "none" else 2]
    if change.startswith("confirmed"):
        (site,) = sites_stored
        assert site.confirmation_count == 1  # one device, one day
        assert site.last_seen == confirmed_at[-1]
    # The other phone's join decides once (nothing changes under it); this one decides
    # twice only where it decided before the lock and what it read changed meanwhile.
    others = 1 if change == "report" else 0
    optimistic = herlev.engine.dialect.name == "sqlite"
    changed = change in ("report", "confirmed again")
    assert len(plans) == others + (2 if optimistic and changed else 1)


def test_the_content_hash_is_the_one_stored_reports_carry():
    """A resend is told from other content by the hash stored with the report, so the hash of
    the same content never changes: it is the one of the fields as ``dataclasses.asdict`` gives
    them (how the stored hashes were made), whatever builds it now."""
    import dataclasses
    import hashlib
    import json

    from fieldaudit.reports import ReportDraft

    draft = ReportDraft(
        uuid="6f1c2d3e-4b5a-4c6d-8e7f-901a2b3c4d5e",
        x=721834.123456,
        y=6183921.987654,
        accuracy_m=4.5,
        category="step",
        severity="high",
        groups=["walking", "wheelchair"],
        tags=["entrance"],
        measurements={"step_height": {"value": 7.5, "unit": "cm"}},
        description="Trin ved indgangen — æøå",
        created_at=datetime(2026, 11, 20, 9, 30, tzinfo=UTC),
        show_name=True,
        reporter_name="Åse",
        photo_hashes=["a" * 64],
    )
    content = dataclasses.asdict(draft)
    del content["time_sent"]
    content.update(
        x=round(draft.x, 3), y=round(draft.y, 3), created_at=draft.created_at.isoformat()
    )
    encoded = json.dumps(content, sort_keys=True, ensure_ascii=False).encode()
    assert draft.content_hash() == hashlib.sha256(encoded).hexdigest()
    unsent = dataclasses.replace(draft, time_sent=False)
    assert unsent.content_hash() != draft.content_hash()  # an unsent time is not content
