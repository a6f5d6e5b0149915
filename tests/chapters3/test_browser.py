"""Chapter group 3 in a real browser: every mermaid diagram (flowcharts and sequence diagrams) is rendered
to an SVG by the self-hosted mermaid, in both languages, the pages make no request to another host, and
the two lab notebooks show their output tables."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

# page -> number of ```mermaid fences it has (the same in zh and en).
DIAGRAMS = {
    "scheduler/channels-parking-waking/": 2,
    "scheduler/syscalls-and-handoff/": 1,
    "scheduler/gc-and-scheduler/": 1,
    "scheduler/preemption/": 1,
}


@pytest.mark.parametrize("lang", ["", "en/"])
@pytest.mark.parametrize("path", sorted(DIAGRAMS))
def test_every_diagram_renders(check_diagrams, site_url: str, path: str, lang: str) -> None:  # type: ignore[no-untyped-def]
    check_diagrams(f"{site_url}/{lang}{path}", DIAGRAMS[path])


@pytest.mark.parametrize("lang", ["", "en/"])
@pytest.mark.parametrize(
    ("path", "header"),
    [
        ("scheduler/syscall-lab/", "entersyscallblock: b waits"),
        ("scheduler/parking-lab/", "other waits (ms)"),
    ],
)
def test_lab_shows_its_tables(browser, site_url: str, path: str, header: str, lang: str) -> None:  # type: ignore[no-untyped-def]
    page = browser.new_page()
    page.goto(f"{site_url}/{lang}{path}")
    # The executed notebook's stdout (not just its source) is on the page.
    expect(page.locator(".jp-OutputArea-output pre", has_text=header).first).to_be_visible(timeout=20_000)
    page.close()
