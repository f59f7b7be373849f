"""Count what a report costs a person on a phone: taps, and key presses with the keyboard alone.

Builds a throw-away SpatiaLite database with Herlev's areas, serves the app on loopback and
drives /indberet in real Chromium (Debian's, through Playwright, as tests/browser/conftest.py
launches it) emulating a Pixel 7 at Herlev Station with location allowed:

- taps: the shortest complete report: the position ("Brug min position"), a category, the
  severity, send; every tap on the screen is counted (each "Næste" too).
- key presses: a keyboard-only report with a measurement and a description, from the page's
  first Tab (the skip link) to "Send rapporten". Every key counts: Tab, Enter, Space, arrows and
  each typed character. The report is the one tests/browser/test_field_app.py makes with the
  keyboard: the library's position by GPS, "Mangler rampe", the severity "Middel", a level
  difference of 20 cm and the description "Tre trin og ingen rampe.".

The driver does what the page asks: Tab until the control it needs has the focus, Enter to
continue where the page lets Enter continue (in a field; else Tab on to the next field or to
"Næste"), Enter in the last step's field where the form sends on Enter (``data-enter-sends``;
else Tab to "Send rapporten"), and it waits for the report to reach the server. Run: ``.venv/bin/python scripts/measure_flow.py``; the figures go
into docs/field-flow.md. Goal: at most 8 taps and 40 key presses.
"""

from __future__ import annotations

import os
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

STATION = {"latitude": 55.71890, "longitude": 12.44370, "accuracy": 8}
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
DESCRIPTION = "Tre trin og ingen rampe."
MEASUREMENT = "20"
GOAL_TAPS = 8
GOAL_KEYS = 40
TIMEOUT_MS = 20_000
MAX_TABS = 200


class Counter:
    """Presses keys and taps on the page, counting each."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.taps = 0
        self.moves = 0  # Tab, Enter, Space, arrows
        self.typed = 0

    def tap(self, selector: str) -> None:
        self.page.locator(selector).first.tap()
        self.taps += 1

    def press(self, key: str) -> None:
        self.page.keyboard.press(key)
        self.moves += 1

    def type(self, text: str) -> None:
        self.page.keyboard.type(text)
        self.typed += len(text)

    def active(self) -> dict[str, str]:
        return self.page.evaluate(
            "() => { const e = document.activeElement;"
            " return {id: e.id, tag: e.tagName, type: e.type || '', name: e.name || ''}; }"
        )

    def tab_to(self, wanted: Any) -> None:
        """Tab until ``wanted(active)`` holds (or the element with that id has the focus)."""
        test = wanted if callable(wanted) else (lambda active: active["id"] == wanted)
        for _ in range(MAX_TABS):
            if test(self.active()):
                return
            self.press("Tab")
        raise AssertionError(f"Tab never reached {wanted}")


def step(page: Any) -> str:
    return page.evaluate("document.getElementById('capture-form').dataset.step || ''")


def wait_for_step(page: Any, name: str) -> None:
    page.wait_for_function(
        "(name) => { const s = document.querySelector(`[data-step='${name}']`);"
        " return s && !s.hidden; }",
        arg=name,
        timeout=TIMEOUT_MS,
    )


def enter_continues(page: Any) -> bool:
    """Whether this version of the app continues on Enter in a field (issue 17)."""
    return page.evaluate(
        "() => 'err_outside' in JSON.parse(document.getElementById('field-config').textContent)"
        ".strings"
    )


def enter_sends(page: Any) -> bool:
    """Whether Enter in a field of the last step sends (as in any form; the form says so)."""
    return page.evaluate("document.getElementById('capture-form').dataset.enterSends === 'true'")


def in_field(active: dict[str, str]) -> bool:
    return active["tag"] == "INPUT" and active["type"] not in ("file", "button", "submit")


def keyboard_next(counter: Counter, following: str, enter_ok: bool) -> None:
    """Continue to the step ``following`` as a keyboard user would: Enter in a field where the
    page lets Enter continue, else Tab on to the next such field or to "Næste"."""
    counter.tab_to(lambda active: (enter_ok and in_field(active)) or active["id"] == "step-next")
    counter.press("Enter")
    wait_for_step(counter.page, following)


def keyboard_send(counter: Counter) -> None:
    """Send from the review step: Enter in its field where Enter sends, else on the button."""
    sends = enter_sends(counter.page)
    counter.tab_to(
        lambda active: (
            (sends and in_field(active) and active["type"] not in ("radio", "checkbox"))
            or active["id"] == "send-report"
        )
    )
    counter.press("Enter")


def wait_until_sent(page: Any) -> None:
    page.locator("#done-title").wait_for(timeout=TIMEOUT_MS)
    page.wait_for_function(
        "() => document.getElementById('outbox-status').dataset.count === '0'",
        timeout=TIMEOUT_MS,
    )


def taps_for_shortest_report(page: Any) -> int:
    """Position by GPS, the first category, the severity, send: every tap counted."""
    counter = Counter(page)
    counter.tap("#use-gps")
    page.locator("#position-status").filter(has_text="8 m").wait_for(timeout=TIMEOUT_MS)
    counter.tap("#step-next")
    wait_for_step(page, "category")
    counter.tap("label[for='cat-step']")
    counter.tap("#step-next")
    wait_for_step(page, "severity")
    if not page.locator("input[name='severity']:checked").count():
        counter.tap("label[for='sev-medium']")
    for following in ("details", "photos", "review"):
        counter.tap("#step-next")
        wait_for_step(page, following)
    counter.tap("#send-report")
    wait_until_sent(page)
    return counter.taps


def keys_for_keyboard_report(page: Any) -> tuple[int, int]:
    """The keyboard-only report: (keys to move and choose, characters typed)."""
    counter = Counter(page)
    enter_ok = enter_continues(page)
    counter.press("Tab")  # the skip link
    counter.press("Enter")
    counter.tab_to("use-gps")
    counter.press("Enter")
    page.locator("#position-status").filter(has_text="8 m").wait_for(timeout=TIMEOUT_MS)
    keyboard_next(counter, "category", enter_ok)
    counter.tab_to(lambda active: active["name"] == "category")
    while not page.locator("#cat-missing_ramp").is_checked():
        counter.press("ArrowRight")
    keyboard_next(counter, "severity", enter_ok)
    counter.tab_to(lambda active: active["name"] == "severity")
    while not page.locator("#sev-medium").is_checked():
        counter.press("ArrowDown")
    keyboard_next(counter, "details", enter_ok)
    counter.tab_to("m-level_difference")
    counter.type(MEASUREMENT)
    keyboard_next(counter, "photos", enter_ok)
    counter.tab_to("description")
    counter.type(DESCRIPTION)
    keyboard_next(counter, "review", enter_ok)
    keyboard_send(counter)
    wait_until_sent(page)
    return counter.moves, counter.typed


def serve(app: Any) -> tuple[Any, str]:
    import logging

    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.WARNING)

    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}"


def measure(url: str) -> tuple[int, int, int]:
    from playwright.sync_api import sync_playwright

    executable = os.environ.get("FIELDAUDIT_CHROMIUM", "/usr/bin/chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        results = []
        for run in (taps_for_shortest_report, keys_for_keyboard_report):
            context = browser.new_context(
                **playwright.devices["Pixel 7"],
                locale="da-DK",
                geolocation=STATION,
                permissions=["geolocation"],
                base_url=url,
            )
            page = context.new_page()
            page.set_default_timeout(TIMEOUT_MS)
            page.goto("/indberet")
            page.wait_for_selector("html[data-capture-ready='true']", state="attached")
            results.append(run(page))
            context.close()
        browser.close()
    taps = results[0]
    moves, typed = results[1]
    return taps, moves, typed


def main() -> None:
    """Print the taps and the key presses."""
    from flask_migrate import upgrade

    from fieldaudit import create_app
    from fieldaudit.area_import import import_areas, read_area_file
    from fieldaudit.cli import herlev_files
    from fieldaudit.extensions import db

    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(
            {
                "DATABASE_URL": f"sqlite:///{tmp}/flow.sqlite",
                "MEDIA_DIR": f"{tmp}/media",
                "TILE_URL": "",
                "SECRET_KEY": "measure-flow",
            }
        )
        with app.app_context():
            upgrade(directory=app.extensions["migrate"].directory)
            for path in herlev_files(app.config["DATA_DIR"]):
                import_areas(db.session, read_area_file(path))
            db.session.commit()
        server, url = serve(app)
        try:
            taps, moves, typed = measure(url)
        finally:
            server.shutdown()
            with app.app_context():
                db.engine.dispose()
    print(f"taps for the shortest complete report: {taps} (goal <= {GOAL_TAPS})")
    print(
        f"key presses for a keyboard-only report: {moves + typed} "
        f"({moves} to move and choose, {typed} typed; goal <= {GOAL_KEYS})"
    )


if __name__ == "__main__":
    main()
