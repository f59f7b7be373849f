"""Fixtures shared by the browser tests."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

TIMEOUT_MS = 20_000


@pytest.fixture
def desk(browser: Any, live_server: Any) -> Iterator[Any]:
    """A laptop-sized page on the live server; fails the test on any script error."""
    context = browser.new_context(
        locale="da-DK", base_url=live_server.url, viewport={"width": 1280, "height": 900}
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.set_default_timeout(TIMEOUT_MS)
    yield page
    context.close()
    assert errors == []
