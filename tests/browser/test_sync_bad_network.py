"""The field app's outbox when the network and the server fail, in real Chromium.

A bad network: the app files N reports (some with a photo) through its own screens while the
connection drops at seeded random moments: the phone goes offline, requests are aborted before
they reach the server, and answers are lost AFTER the server committed the report (the request
is forwarded with ``route.fetch()``, then the browser is told the connection broke). At the end
the server has every report exactly once, the outbox is empty and the app says so.
``FIELDAUDIT_SYNC_REPORTS`` sets N (20 by default; the documented long run uses 100),
``FIELDAUDIT_SYNC_SEED`` the seed.

The database away: a real gunicorn whose database goes away (PostGIS: its connections are
terminated and refused while the server runs; SpatiaLite: the server is restarted on the same
port with its database file unreachable) answers 503 with Retry-After; the app keeps the reports
on the phone, obeys Retry-After, survives a reload, and delivers each report once when the
database is back, without being told to.
"""

from __future__ import annotations

import json
import os
import random
import re
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import create_engine, func, make_url, select, text

from fieldaudit.extensions import db
from fieldaudit.models import BarrierReport, Photo
from scripts.servers import Gunicorn, server_environment
from tests.browser.test_field_app import (
    OUTBOX_UUIDS,
    STATION,
    TIMEOUT_MS,
    WAITING_NONE,
    fill_category_and_severity,
    next_step,
    open_capture,
)
from tests.conftest import POSTGRES_SERVER, TEST_DB, jpeg_bytes

pytestmark = pytest.mark.browser

SYNC_REPORTS = int(os.environ.get("FIELDAUDIT_SYNC_REPORTS", "20"))
SYNC_SEED = int(os.environ.get("FIELDAUDIT_SYNC_SEED", "20261123"))
PHOTO_EVERY = 4  # every 4th report carries a photo (a multipart upload) ...
# ... whose first upload always reaches the server and always loses its answer.
# Of the report uploads while the network is bad:
ABORT_SHARE = 0.2  # aborted before they reach the server
LOST_SHARE = 0.25  # reach the server, which commits; the answer is lost on the way back
OTHER_ABORT_SHARE = 0.15  # other API calls (duplicate check, "my reports", map) aborted
FLIP_SHARE = 0.1  # at each step of the form, the phone goes offline (or back online)
ABORT_ERRORS = ("connectionreset", "connectionrefused", "internetdisconnected", "timedout")
PLACES = (
    ("Bibliotek", "surface", "low"),
    ("Byparken", "benches", "medium"),
    ("Rådhus", "heavy_door", "high"),
    ("Torv", "signage", "low"),
)
REPORTS_PATH = "/api/v1/reports"
UUID_IN_BODY = re.compile(rb'"uuid":"([0-9a-f-]{36})"')
OUTBOX_ITEMS = """() => new Promise((resolve, reject) => {
  const open = indexedDB.open("fieldaudit");
  open.onerror = () => reject(open.error);
  open.onsuccess = () => {
    const request = open.result.transaction("outbox").objectStore("outbox").getAll();
    request.onsuccess = () => resolve(request.result.map((item) => ({
      uuid: item.uuid, state: item.state, attempts: item.attempts,
      nextAttemptAt: item.nextAttemptAt, now: Date.now(),
    })));
    request.onerror = () => reject(request.error);
  };
})"""


def is_report_post(request: Any) -> bool:
    return request.method == "POST" and request.url.endswith(REPORTS_PATH)


def uuids_in(request: Any) -> set[str]:
    """The report UUID in an upload's body (JSON, or the report part of a multipart body)."""
    return {match.decode() for match in UUID_IN_BODY.findall(request.post_data_buffer or b"")}


class BadNetwork:
    """Seeded faults between the page and the server, counted by kind."""

    def __init__(self, context: Any, seed: int) -> None:
        self.context = context
        self.random = random.Random(seed)
        self.bad = True
        self.offline = False
        self.counts: Counter[str] = Counter()
        self.sent_uuids: Counter[str] = Counter()  # every report upload that reached the server
        self.stored_by_server: Counter[str] = Counter()  # uuid -> 201 answers (lost or not)
        self.told: set[str] = set()  # reports whose acceptance reached the page
        self.errors: list[str] = []

    def route(self, route: Any) -> None:
        """Decide what happens to a request (a failure of the test's own network is recorded)."""
        try:
            self._route(route)
        except Exception as error:  # shown by the test's assertion
            self.errors.append(f"{route.request.method} {route.request.url}: {error!r}")

    def _route(self, route: Any) -> None:
        request = route.request
        if not is_report_post(request):
            if self.bad and self.random.random() < OTHER_ABORT_SHARE:
                self.counts["other API call aborted"] += 1
                route.abort(self.random.choice(ABORT_ERRORS))
            else:
                route.continue_()
            return
        (uuid,) = uuids_in(request)
        multipart = b"multipart" in (request.headers.get("content-type") or "").encode()
        if uuid in self.told:
            self.counts["sent again after the app was told it was stored"] += 1
        roll = self.random.random() if self.bad else 1.0
        if multipart and self.bad and uuid not in self.sent_uuids:
            roll = ABORT_SHARE  # a photo report's first upload: committed, answer lost
        if roll < ABORT_SHARE:
            self.counts["upload aborted before the server"] += 1
            route.abort(self.random.choice(ABORT_ERRORS))
            return
        if roll < ABORT_SHARE + LOST_SHARE:
            answer = route.fetch()  # the server gets it and answers ...
            self.record(uuid, answer.status)
            kind = "new report" if answer.status == 201 else f"{answer.status}"
            self.counts[f"answer lost after commit ({kind})"] += 1
            if multipart and answer.status == 201:
                self.counts["answer lost after commit (new report with photo)"] += 1
            route.abort(self.random.choice(ABORT_ERRORS))  # ... the phone never hears it
            return
        answer = route.fetch()
        self.record(uuid, answer.status)
        route.fulfill(response=answer)

    def finished(self, request: Any) -> None:
        """The page has the whole answer to an upload (a fulfilled one may still be lost)."""
        if is_report_post(request):
            response = request.response()
            if response is not None and response.status in (200, 201):
                self.told.update(uuids_in(request))

    def record(self, uuid: str, status: int) -> None:
        self.sent_uuids[uuid] += 1
        if status == 201:
            self.stored_by_server[uuid] += 1
        self.counts[f"server answered {status}"] += 1

    def maybe_flip(self) -> None:
        """At a random moment, the phone loses (or regains) its connection."""
        if self.bad and self.random.random() < FLIP_SHARE:
            self.set_offline(not self.offline)

    def set_offline(self, offline: bool) -> None:
        if offline and not self.offline:
            self.counts["connection lost (offline)"] += 1
        self.offline = offline
        self.context.set_offline(offline)


@pytest.fixture
def phone(browser: Any, live_server: Any) -> Iterator[tuple[Any, Any]]:
    """A Pixel 7 with its service worker blocked, so every request passes the test's network."""
    devices = browser.browser_type._impl_obj._playwright.devices
    context = browser.new_context(
        **devices["Pixel 7"],
        locale="da-DK",
        geolocation=STATION,
        permissions=["geolocation"],
        base_url=live_server.url,
        service_workers="block",
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield context, page
    context.close()
    assert errors == []


def file_report(page: Any, network: BadNetwork | None, number: int, photo: bytes | None) -> str:
    """File one report through the app's screens; return its description."""
    place, category, severity = PLACES[number % len(PLACES)]
    description = f"Rapport {number} (seed {SYNC_SEED})"
    flip = network.maybe_flip if network else (lambda: None)
    page.fill("#place-search", place)
    page.locator("#place-list li:not([hidden]) label").first.click()
    flip()
    next_step(page, "h-category")
    fill_category_and_severity(page, category, severity)
    flip()
    next_step(page, "h-photos")
    if photo is not None:
        page.set_input_files(
            "#photo-pick",
            files=[{"name": f"foto-{number}.jpg", "mimeType": "image/jpeg", "buffer": photo}],
        )
        page.locator("#photo-list img").wait_for(timeout=TIMEOUT_MS)
    page.fill("#description", description)
    flip()
    next_step(page, "h-review")
    page.get_by_role("button", name="Send rapporten").click()
    page.locator("#done-title").wait_for(timeout=TIMEOUT_MS)
    flip()
    page.get_by_role("button", name="Meld en barriere mere").click()
    return description


def stored_reports(app: Any) -> list[tuple[str, str | None, int]]:
    """(uuid, description, photo count) of every report the server has."""
    with app.app_context():
        photos = (
            select(func.count(Photo.id))
            .where(Photo.report_id == BarrierReport.id)
            .scalar_subquery()
        )
        rows = db.session.execute(
            select(BarrierReport.uuid, BarrierReport.description, photos)
        ).all()
        db.session.remove()
        return [(str(uuid), description, count) for uuid, description, count in rows]


def test_reports_survive_a_bad_network_exactly_once(app, runner, phone):
    context, page = phone
    started = time.monotonic()
    network = BadNetwork(context, SYNC_SEED)
    page.route("**/api/v1/**", network.route)
    page.on("requestfinished", network.finished)
    open_capture(page)
    expected: dict[str, bool] = {}  # description -> with a photo
    for number in range(1, SYNC_REPORTS + 1):
        if number == SYNC_REPORTS // 2 + 1:
            # Halfway, the app is reopened (online, uploads may be under way): the new page
            # takes over the outbox from IndexedDB.
            network.set_offline(False)
            network.told.clear()  # an answer the old page had not read yet may be asked again
            page.reload()
            page.wait_for_selector(
                "html[data-capture-ready='true']", state="attached", timeout=TIMEOUT_MS
            )
            network.counts["app reopened"] += 1
        photo = (
            jpeg_bytes(320, 240, (number * 9 % 256, 90, 160)) if number % PHOTO_EVERY == 0 else None
        )
        expected[file_report(page, network, number, photo)] = photo is not None

    # The phone gets a good signal back (an "online" event), and the faults stop.
    network.bad = False
    network.set_offline(True)
    network.set_offline(False)
    # Within the app's own time limit for a request (60 s), whatever the network did last.
    status = page.locator("#outbox-status").filter(has_text=WAITING_NONE)
    try:
        status.wait_for(timeout=90_000)
    except Exception as error:
        left = page.evaluate(OUTBOX_ITEMS)
        sending = page.evaluate("() => document.documentElement.dataset.outboxSending || 'no'")
        raise AssertionError(
            f"outbox not empty (sending: {sending}): {left}; {network.counts}"
        ) from error
    elapsed = time.monotonic() - started

    # The server: every filed report once, nothing else.
    stored = stored_reports(app)
    uuids = [uuid for uuid, _d, _p in stored]
    assert len(stored) == SYNC_REPORTS
    assert len(set(uuids)) == len(uuids)  # none twice
    assert {d: p == 1 for _u, d, p in stored} == expected  # each with its photo, or none
    assert set(uuids) == set(network.sent_uuids)  # every upload that arrived is a stored report
    assert all(n == 1 for n in network.stored_by_server.values())  # a resend is never a 201
    # No double sends: a report the app has been told is stored is not uploaded again.
    assert network.counts["sent again after the app was told it was stored"] == 0
    # The phone: the outbox is empty, the app says so, and "my reports" lists them all.
    assert page.evaluate(OUTBOX_UUIDS) == []
    assert page.locator("#outbox-status").get_attribute("data-count") == "0"
    page.goto("/mine-rapporter")
    sent = page.locator("#sent-list .my-report")
    page.wait_for_function(
        "(n) => document.querySelectorAll('#sent-list .my-report').length === n",
        arg=SYNC_REPORTS,
        timeout=TIMEOUT_MS,
    )
    assert sent.count() == SYNC_REPORTS
    assert page.locator("#waiting-section").is_hidden()
    assert page.locator("#outbox-status").inner_text() == WAITING_NONE
    # Database and media folder agree: no second photo, no orphan or staging file.
    check = runner.invoke(args=["check", "--min-age", "0"])
    assert check.exit_code == 0, check.output
    assert check.output.startswith("0 problems")

    # Every kind of fault happened (or the test proved nothing), and the faults worked.
    assert network.errors == []
    for kind in (
        "upload aborted before the server",
        "answer lost after commit (new report)",
        "answer lost after commit (new report with photo)",
        "connection lost (offline)",
        "server answered 200",  # a resend of a committed report, recognised
    ):
        assert network.counts[kind] > 0, (kind, network.counts)
    summary = {
        "database": TEST_DB,
        "reports filed": SYNC_REPORTS,
        "with photo": sum(expected.values()),
        "stored": len(stored),
        "duplicates": len(uuids) - len(set(uuids)),
        "outbox left": len(page.evaluate(OUTBOX_UUIDS)),
        "uploads reaching the server": sum(network.sent_uuids.values()),
        "seconds": round(elapsed, 1),
        **dict(sorted(network.counts.items())),
    }
    print("\nsync under a bad network:", json.dumps(summary, ensure_ascii=False))


def test_two_open_tabs_send_each_report_once(app, browser, live_server):
    # The capture page and "my reports" open side by side; both send the outbox when the
    # connection comes back. One tab sends at a time, the other one shows the result.
    context = browser.new_context(locale="da-DK", base_url=live_server.url, service_workers="block")
    uploads: Counter[str] = Counter()  # uploads the server answered, by report UUID

    def uploaded(request: Any) -> None:
        if is_report_post(request):
            for uuid in uuids_in(request):
                uploads[uuid] += 1

    context.on("requestfinished", uploaded)
    try:
        capture = context.new_page()
        open_capture(capture)
        mine = context.new_page()
        mine.goto("/mine-rapporter")
        mine.locator("#sent-status").filter(has_text="ingen sendte").wait_for(timeout=TIMEOUT_MS)
        context.set_offline(True)
        capture.bring_to_front()  # a background tab's timers are slowed down
        descriptions = {file_report(capture, None, number, None) for number in range(1, 5)}
        capture.locator("#outbox-status").filter(has_text="4 venter på").wait_for()
        assert uploads == Counter()
        context.set_offline(False)  # "online" in both tabs
        for page in (capture, mine):
            page.locator("#outbox-status").filter(has_text=WAITING_NONE).wait_for(
                timeout=TIMEOUT_MS
            )
        mine.locator("#sent-list .my-report").nth(3).wait_for(timeout=TIMEOUT_MS)
        assert mine.locator("#waiting-section").is_hidden()
        capture.wait_for_timeout(1000)
        assert len(uploads) == 4 and set(uploads.values()) == {1}, uploads
    finally:
        context.close()
    stored = stored_reports(app)
    assert {d for _u, d, _p in stored} == descriptions and len(stored) == 4


class DatabaseOutage:
    """A real gunicorn for the test app's database, and a way to take that database away.

    PostGIS: the database stops accepting connections and its sessions are terminated while the
    server runs. SpatiaLite (a file, no server to stop): the server is restarted on the same
    port with its database in a folder that does not exist, as in
    tests/hardening/test_database_outage.py.
    """

    def __init__(self, app: Any, tmp_path: Any) -> None:
        self.config = app.config
        self.tmp_path = tmp_path
        self.server = Gunicorn(server_environment(self.config), tmp_path / "server.log")
        self.name = make_url(self.config["DATABASE_URL"]).database
        self.away = False

    def __enter__(self) -> DatabaseOutage:
        self.server.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.away:
            self.end()
        self.server.stop()

    def _postgres(self, *statements: str) -> None:
        admin = create_engine(POSTGRES_SERVER, isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as conn:
                for statement in statements:
                    conn.execute(text(statement), {"name": self.name})
        finally:
            admin.dispose()

    def _restart(self, database_url: str, log: str) -> None:
        port = self.server.port
        self.server.stop()
        env = server_environment({**self.config, "DATABASE_URL": database_url})
        self.server = Gunicorn(env, self.tmp_path / log, port=port).start()

    def begin(self) -> None:
        self.away = True
        if TEST_DB == "postgis":
            self._postgres(
                f'ALTER DATABASE "{self.name}" WITH ALLOW_CONNECTIONS false',
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = :name AND pid <> pg_backend_pid()",
            )
        else:
            gone = self.tmp_path / "no-such-folder" / "fieldaudit.sqlite"
            self._restart(f"sqlite:///{gone}", "away.log")

    def end(self) -> None:
        if TEST_DB == "postgis":
            self._postgres(f'ALTER DATABASE "{self.name}" WITH ALLOW_CONNECTIONS true')
        else:
            self._restart(self.config["DATABASE_URL"], "back.log")
        self.away = False


def wait_for(page: Any, condition: Any, what: str, timeout_s: float = 30.0) -> None:
    """Let Playwright deliver its events until ``condition()`` holds."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        page.wait_for_timeout(100)


def test_database_away_the_outbox_keeps_the_reports_and_delivers_them_once(
    app, herlev, browser, tmp_path
):
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    with DatabaseOutage(app, tmp_path) as outage:
        devices = browser.browser_type._impl_obj._playwright.devices
        context = browser.new_context(
            **devices["Pixel 7"],
            locale="da-DK",
            geolocation=STATION,
            permissions=["geolocation"],
            base_url=outage.server.url,
        )
        context.clock.install()  # time runs as usual; the test may jump it forward
        answers: list[tuple[int, str | None]] = []  # report uploads: status, Retry-After

        def answered(response: Any) -> None:
            if is_report_post(response.request):
                answers.append((response.status, response.headers.get("retry-after")))

        context.on("response", answered)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        try:
            open_capture(page)
            page.wait_for_function(
                "() => navigator.serviceWorker.controller !== null", timeout=TIMEOUT_MS
            )
            outage.begin()
            descriptions = [
                file_report(page, None, number, jpeg_bytes(320, 240) if number == 2 else None)
                for number in (1, 2, 3)
            ]
            wait_for(page, lambda: len(answers) >= 3, "three answers")
            assert answers == [(503, "30")] * 3
            status = page.locator("#outbox-status")
            status.filter(has_text="3 venter på at blive sendt.").wait_for(timeout=TIMEOUT_MS)
            items = page.evaluate(OUTBOX_ITEMS)
            waiting = {item["uuid"] for item in items}
            assert len(waiting) == 3 and all(item["state"] == "waiting" for item in items)
            # Retry-After: 30 is obeyed by every item (not the 2 s back-off of a network error).
            assert all(item["nextAttemptAt"] - item["now"] > 25_000 for item in items), items
            page.clock.fast_forward(10_000)
            page.wait_for_timeout(1500)
            assert len(answers) == 3  # nobody knocked again before the 30 s were up

            # The volunteer reopens the app while the database is away: the page comes from
            # the phone (the server would answer 503), the reports are still there and wait.
            page.reload()
            page.wait_for_selector(
                "html[data-capture-ready='true']", state="attached", timeout=TIMEOUT_MS
            )
            status.filter(has_text="3 venter på at blive sendt.").wait_for(timeout=TIMEOUT_MS)
            page.goto("/mine-rapporter")
            waiting_list = page.locator("#waiting-list .my-report")
            waiting_list.nth(2).wait_for(timeout=TIMEOUT_MS)
            assert waiting_list.count() == 3
            assert waiting_list.filter(has_text="Venter på at blive sendt").count() == 3
            assert set(page.evaluate(OUTBOX_UUIDS)) == waiting
            assert len(answers) == 3

            # The database is back. Nobody presses anything: when the 30 s are up, the app sends.
            outage.end()
            page.clock.fast_forward(40_000)
            status.filter(has_text=WAITING_NONE).wait_for(timeout=30_000)
            page.locator("#sent-list .my-report").nth(2).wait_for(timeout=TIMEOUT_MS)
            assert page.locator("#waiting-section").is_hidden()
            assert page.evaluate(OUTBOX_UUIDS) == []
            page.wait_for_timeout(1000)
            assert answers[3:] == [(201, None)] * 3  # each delivered once
        finally:
            context.close()
        assert errors == []

    stored = stored_reports(app)
    assert {uuid for uuid, _d, _p in stored} == waiting and len(stored) == 3
    assert sorted((d, p) for _u, d, p in stored) == [
        (descriptions[0], 0),
        (descriptions[1], 1),
        (descriptions[2], 0),
    ]
    check = app.test_cli_runner().invoke(args=["check", "--min-age", "0"])
    assert check.exit_code == 0, check.output
