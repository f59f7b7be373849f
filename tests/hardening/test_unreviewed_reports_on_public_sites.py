"""Second review of issue 12: unreviewed reports changed public sites and their priority.

Six anonymous reports (status new) at a verified site's position raised its severity, groups,
report count, last seen and score (75 -> 1,425, first of 140 sites), though nobody had reviewed
them. A site's public aggregates and score now come from its reviewed reports once it has any;
an unreviewed report counts when the council accepts it.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select

from fieldaudit import report_review
from fieldaudit.models import BarrierReport, BarrierSite
from fieldaudit.site_rebuild import rebuild

ALL_GROUPS = ["WHEEL", "MOB", "VIS", "HEAR", "COG", "READ", "ALLERGY"]


def _site(db, site_id: int) -> BarrierSite:
    db.session.expire_all()
    return db.session.get(BarrierSite, site_id)


def _public_facts(site: BarrierSite) -> tuple:
    return (
        site.severity,
        tuple(site.groups),
        site.report_count,
        site.last_seen,
        round(site.priority_score, 6),
        site.geom is not None,
    )


def _flood(client, make_report_payload, count: int = 6) -> list[str]:
    uuids = []
    for n in range(count):
        payload = make_report_payload(
            uuid=str(uuid.uuid4()),
            severity="high",
            groups=ALL_GROUPS,
            tags=["no_alternative_route"],
            measurements={"threshold_height": {"value": 40, "unit": "cm"}},
            lat=55.71890 + n * 0.00001,
            created_at="2026-11-21T10:00:00+01:00",
        )
        response = client.post("/api/v1/reports", json=payload)
        assert response.status_code == 201, response.get_json()
        uuids.append(payload["uuid"])
    return uuids


def test_unreviewed_reports_do_not_change_a_public_site(
    client, db, herlev, make_public_report, make_report_payload, make_user
):
    site_id = make_public_report(severity="low", groups=["MOB"], measurements={}, tags=[]).site_id
    before = _public_facts(_site(db, site_id))
    uuids = _flood(client, make_report_payload)
    site = _site(db, site_id)
    joined = db.session.scalars(select(BarrierReport).where(BarrierReport.uuid.in_(uuids))).all()
    assert {r.site_id for r in joined} == {site_id}  # they did join the site
    assert _public_facts(site) == before
    assert site.status == "verified"
    # The rebuild of every site gives the same answer as the report-by-report path.
    rebuild(db.session)
    db.session.commit()
    assert _public_facts(_site(db, site_id)) == before
    # Once the council accepts one, it counts.
    report_review.verify_report(db.session, joined[0], make_user("reviewer"))
    db.session.commit()
    site = _site(db, site_id)
    assert site.report_count == 2
    assert set(site.groups) == set(ALL_GROUPS)
    assert site.priority_score > before[4]


def test_a_new_site_counts_its_unreviewed_reports_for_the_council(
    client, db, herlev, make_report_payload
):
    """A site nobody has reviewed yet (not public) still sums its reports for the queue."""
    _flood(client, make_report_payload, count=3)
    sites = db.session.scalars(select(BarrierSite)).all()
    assert len(sites) == 1
    assert sites[0].report_count == 3
    assert sites[0].severity == "high"
