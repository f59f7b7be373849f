"""Waiting for an image the way a person would see it: scrolled into view, then loaded."""

from __future__ import annotations

from typing import Any

from .conftest import TIMEOUT_MS


def image_loaded(image: Any, timeout_ms: int = TIMEOUT_MS) -> bool:
    """Scroll ``image`` (a Playwright locator of one <img>) into view and wait until the browser
    has finished with it; True when it loaded (has a natural width), False when it broke.

    Checking ``img.complete`` at once races the thumbnail's request: it is fetched after the
    element is added, from a server that may be slow under load, and an image with
    ``loading="lazy"`` is not fetched at all while it is far below the viewport."""
    image.scroll_into_view_if_needed(timeout=timeout_ms)
    handle = image.element_handle(timeout=timeout_ms)
    try:
        image.page.wait_for_function("(img) => img.complete", arg=handle, timeout=timeout_ms)
        return bool(handle.evaluate("(img) => img.naturalWidth > 0"))
    finally:
        handle.dispose()
