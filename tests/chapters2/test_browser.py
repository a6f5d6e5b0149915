"""Chapter group 2 in a real browser: every mermaid diagram of the three chapters (flowcharts and the
G state diagram) is rendered to an SVG by the self-hosted mermaid, in both languages, and the pages
make no request to another host."""

from __future__ import annotations

import pytest

# page -> number of ```mermaid fences it has (the same in zh and en, see test_pages).
DIAGRAMS = {
    "scheduler/runqueues-and-stealing/": 1,
    "scheduler/global-queue-and-netpoller/": 1,
    "scheduler/schedule-and-findrunnable/": 2,
}


@pytest.mark.parametrize("lang", ["", "en/"])
@pytest.mark.parametrize("path", sorted(DIAGRAMS))
def test_every_diagram_renders(check_diagrams, site_url: str, path: str, lang: str) -> None:  # type: ignore[no-untyped-def]
    check_diagrams(f"{site_url}/{lang}{path}", DIAGRAMS[path])
