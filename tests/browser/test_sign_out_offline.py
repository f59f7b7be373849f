"""The phone keeps no signed-in page after sign-out (issue 12, second review, finding 7).

The service worker stored ``/indberet`` and ``/mine-rapporter`` whatever their
``Cache-Control: no-store`` said, each with the signed-in user's e-mail and navigation: after
signing out, offline (or on a slow network) the next person saw the previous user's copy. Now
the stored shell is the anonymous page, nothing marked no-store or private is kept, sign-out
answers ``Clear-Site-Data: "cache"`` and the outbox in IndexedDB survives it.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.test_field_app import (
    OUTBOX_UUIDS,
    TIMEOUT_MS,
    file_report_from_place,
    open_capture,
    phone,  # noqa: F401  (the fixture)
    reports,
    wait_until_all_sent,
)
from tests.browser.test_review import sign_in

pytestmark = pytest.mark.browser

EMAIL = "frivillig.privat@herlev.dk"
# Every HTML page in Cache Storage, with its URL.
CACHED_PAGES = """async () => {
  const pages = [];
  for (const name of await caches.keys()) {
    const cache = await caches.open(name);
    for (const request of await cache.keys()) {
      const response = await cache.match(request);
      if ((response.headers.get("Content-Type") || "").startsWith("text/html")) {
        pages.push(request.url + "\\n" + (await response.text()));
      }
    }
  }
  return pages;
}"""


def no_previous_user(page: Any) -> None:
    html = page.content()
    assert EMAIL not in html
    assert "Log ud" not in html


def test_after_sign_out_the_offline_app_shows_no_previous_user(app, phone, make_user):  # noqa: F811
    context, page = phone
    make_user("volunteer", email=EMAIL)
    sign_in(page, EMAIL)
    open_capture(page)
    page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=TIMEOUT_MS)
    assert EMAIL in page.content()  # the signed-in page names its user
    page.goto("/mine-rapporter")
    page.wait_for_load_state()
    assert EMAIL in page.content()

    # A report waits in the outbox: the server cannot be reached for it yet.
    context.route("**/api/v1/reports", lambda route: route.abort())
    open_capture(page)
    file_report_from_place(page, "Bibliotek", "surface", "low")
    page.locator("#outbox-status").filter(has_text="1 venter på at blive sendt.").wait_for()
    waiting = page.evaluate(OUTBOX_UUIDS)
    assert len(waiting) == 1

    page.get_by_role("button", name="Meld en barriere mere").click()
    # The raw headers, as the browser's network stack got them (the sign-out POST passes the
    # service worker, so Playwright's own response events show only the page it led to).
    devtools = context.new_cdp_session(page)
    devtools.send("Network.enable")
    raw: list[dict[str, Any]] = []
    devtools.on("Network.responseReceivedExtraInfo", lambda event: raw.append(event))
    page.get_by_role("button", name="Log ud").click()
    page.wait_for_url("**/")
    signed_out = [event["headers"] for event in raw if event.get("statusCode") == 302]
    assert [headers.get("Clear-Site-Data") for headers in signed_out] == ['"cache"']
    page.wait_for_load_state()

    context.set_offline(True)
    open_capture(page)  # the stored shell: the capture form works offline
    page.locator("#place-search").wait_for(state="attached", timeout=TIMEOUT_MS)
    no_previous_user(page)
    page.goto("/mine-rapporter")
    page.wait_for_load_state()
    no_previous_user(page)
    stored = page.evaluate(CACHED_PAGES)
    assert stored and not [text.split("\n", 1)[0] for text in stored if EMAIL in text]
    assert page.evaluate(OUTBOX_UUIDS) == waiting  # sign-out kept the reports not yet sent

    context.set_offline(False)
    context.unroute("**/api/v1/reports")
    open_capture(page)
    wait_until_all_sent(page)
    assert [report.uuid for report in reports(app)] == waiting
