"""axe-core in real Chromium: the WCAG 2.2 A/AA rules, shared by every browser test."""

from __future__ import annotations

from functools import cache
from typing import Any

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


@cache
def axe_source() -> str:
    """axe-core's script, bundled with axe-playwright-python (no npm)."""
    from axe_playwright_python.sync_playwright import Axe

    return Axe().axe_script


def axe_violations(page: Any, tags: list[str] | None = None) -> list[str]:
    """Run axe-core on the page; return one line per violation (rule and first targets)."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(axe_source())
    response = page.evaluate(
        "(tags) => axe.run(document, {runOnly: {type: 'tag', values: tags},"
        " resultTypes: ['violations']})",
        tags or WCAG_TAGS,
    )
    return [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}"
        for v in response["violations"]
    ]
