"""Issue 12, hole 6: anyone could raise a site's priority with "still there" confirmations.

Twelve anonymous confirmations with fresh UUIDs doubled a site's score. Now a site counts one
confirmation per account, else device token, else client address per day, and confirmations
without an account add at most ``evidence_anonymous_confirmations_max`` to the evidence factor.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from fieldaudit.models import BarrierSite
from fieldaudit.priority import WEIGHTS
from fieldaudit.sites import add_confirmation

ATTACKER = "203.0.113.7"
DEVICE = "attacker-device-token-0123456789abcdef"
PER_CONFIRMATION = WEIGHTS.evidence_per_confirmation * WEIGHTS.verified_factor


def _confirm(client, site_id: int, address: str, token: str | None = None):
    body = {
        "uuid": str(uuid.uuid4()),
        "kind": "still_there",
        "created_at": datetime.now(UTC).isoformat(),
    }
    headers = {"X-Device-Token": token} if token else {}
    response = client.post(
        f"/api/v1/sites/{site_id}/confirmations",
        json=body,
        headers=headers,
        environ_base={"REMOTE_ADDR": address},
    )
    assert response.status_code == 201, response.get_json()
    return response


def _evidence(db, site_id: int) -> tuple[int, float]:
    db.session.expire_all()
    site = db.session.get(BarrierSite, site_id)
    return site.confirmation_count, site.priority_factors["evidence"]["factor"]


@pytest.fixture
def public_site(db, herlev, make_public_report):
    """A verified site with one report (evidence 1 × 1.25)."""
    return make_public_report(measurements={}).site_id


def test_twelve_anonymous_confirmations_from_one_address_count_once(client, db, public_site):
    _, before = _evidence(db, public_site)
    for _ in range(12):
        _confirm(client, public_site, ATTACKER)
    counted, after = _evidence(db, public_site)
    assert counted == 1
    assert after - before == pytest.approx(PER_CONFIRMATION)


def test_twelve_confirmations_from_one_device_token_count_once(client, db, public_site):
    _, before = _evidence(db, public_site)
    for n in range(12):  # a new address each time (mobile networks change them), one device
        _confirm(client, public_site, f"198.51.100.{n + 1}", DEVICE)
    counted, after = _evidence(db, public_site)
    assert counted == 1
    assert after - before == pytest.approx(PER_CONFIRMATION)


def test_a_confirmation_the_next_day_counts_again(db, herlev, make_public_report):
    site = make_public_report(measurements={}).site
    today = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    for moment in (today, today + timedelta(hours=2), today + timedelta(days=1)):
        add_confirmation(
            db.session, site, str(uuid.uuid4()), "still_there", moment, client_key="k", now=moment
        )
        db.session.commit()
    assert site.confirmation_count == 2
    # Days are Herlev's: 23.30 and 00.30 Danish time (22.30 and 23.30 UTC) are two days.
    other = make_public_report(dx=200, measurements={}).site
    for moment in (datetime(2026, 12, 3, 22, 30, tzinfo=UTC), datetime(2026, 12, 3, 23, 30)):
        moment = moment.replace(tzinfo=UTC)
        add_confirmation(db.session, other, str(uuid.uuid4()), "still_there", moment, now=moment)
        db.session.commit()
    assert other.confirmation_count == 2


def test_what_anonymous_confirmations_add_is_capped(client, db, public_site, make_user, login):
    _, before = _evidence(db, public_site)
    for n in range(12):  # twelve made-up devices from twelve addresses: all counted, capped
        _confirm(client, public_site, f"192.0.2.{n + 1}", f"fresh-device-{n:02d}-{'x' * 24}")
    counted, after = _evidence(db, public_site)
    assert counted == 12
    cap = WEIGHTS.evidence_anonymous_confirmations_max * WEIGHTS.verified_factor
    assert after - before == pytest.approx(cap)
    # People with an account count in full, beyond the cap.
    for _ in range(2):
        login("volunteer")
        _confirm(client, public_site, ATTACKER, DEVICE)
    counted, with_accounts = _evidence(db, public_site)
    assert counted == 14
    assert with_accounts - after == pytest.approx(2 * PER_CONFIRMATION)
    site = db.session.get(BarrierSite, public_site)
    assert site.anonymous_confirmation_count == 12
    assert site.priority_factors["evidence"]["anonymous_confirmations"] == 12


def test_the_public_page_counts_one_address_once_a_day(app, db, public_site, csrf, client):
    for _ in range(3):  # a new browser session each time: the session's "once per visit" is gone
        client.delete_cookie("session")
        response = client.post(
            f"/barrierer/{public_site}/bekraeft",
            data={"kind": "still_there", "csrf_token": csrf()},
            environ_base={"REMOTE_ADDR": ATTACKER},
        )
        assert response.status_code == 302
    assert _evidence(db, public_site)[0] == 1


def test_the_explanation_page_and_the_published_weights_say_so(client):
    danish = client.get("/planlaegning/saadan-prioriterer-vi").get_data(as_text=True)
    assert "højst én bekræftelse om dagen fra den samme konto, telefon eller internetadresse" in (
        danish
    )
    assert "uden konto lægger tilsammen højst 30" in danish
    english = client.get("/planlaegning/saadan-prioriterer-vi?lang=en").get_data(as_text=True)
    assert "confirmations without an account add at most 30" in english
    weights = client.get("/api/v1/priority/weights").get_json()["weights"]
    assert weights["evidence_anonymous_confirmations_max"] == 0.3
