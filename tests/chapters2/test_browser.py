"""Chapter group 2 in a real browser: every mermaid diagram of the three chapters (flowcharts and the
G state diagram) is rendered to an SVG by the self-hosted mermaid, in both languages, and the pages
make no request to another host."""

from __future__ import annotations

from urllib.parse import urlparse

import pytest
from playwright.sync_api import expect

# page -> number of ```mermaid fences it has (the same in zh and en, see test_pages).
DIAGRAMS = {
    "scheduler/runqueues-and-stealing/": 1,
    "scheduler/global-queue-and-netpoller/": 1,
    "scheduler/schedule-and-findrunnable/": 2,
}


@pytest.mark.parametrize("lang", ["", "en/"])
@pytest.mark.parametrize("path", sorted(DIAGRAMS))
def test_every_diagram_renders(browser, site_url: str, path: str, lang: str, open_shadow: str) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.add_init_script(open_shadow)
    page = context.new_page()
    foreign: list[str] = []
    page.on(
        "request",
        lambda r: foreign.append(r.url) if urlparse(r.url).hostname not in ("127.0.0.1", None) else None,
    )
    errors: list[str] = []
    # Script errors only: failed resource loads are the site's business (tests/foundation).
    page.on(
        "console",
        lambda m: (
            errors.append(m.text) if m.type == "error" and "Failed to load resource" not in m.text else None
        ),
    )
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{site_url}/{lang}{path}")
    svgs = page.locator("div.mermaid svg")
    svgs.first.wait_for(state="attached", timeout=20_000)
    # Locators pierce the (opened) shadow roots; document.querySelectorAll would not.
    expect(svgs).to_have_count(DIAGRAMS[path], timeout=20_000)
    for i in range(svgs.count()):
        box = svgs.nth(i).bounding_box()
        assert box is not None and box["height"] > 100, f"diagram {i} of {path} is empty"
        # mermaid draws a syntax error as an SVG too: it must not be one.
        assert "Syntax error" not in svgs.nth(i).inner_html()
    context.close()
    assert foreign == [], f"requests to other hosts: {foreign}"
    assert errors == [], errors
