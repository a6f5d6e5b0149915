"""Every page of the site, both languages, in real Chromium: nothing from other hosts, no broken
requests, no script errors, and every mermaid diagram drawn."""

from __future__ import annotations

import re
import time
from pathlib import Path
from urllib.parse import urlparse

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

_DIAGRAM = re.compile(r'<(?:pre|div) class="mermaid"')


def site_pages(site: Path) -> list[str]:
    pages = []
    for html in sorted(site.rglob("index.html")):
        rel = html.parent.relative_to(site).as_posix()
        if rel.startswith(("assets", "search")):
            continue
        pages.append("" if rel == "." else f"{rel}/")
    return pages


def test_every_page_loads_clean(browser, built_site: Path, site_url: str, open_shadow: str) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.add_init_script(open_shadow)
    page = context.new_page()
    problems: list[str] = []
    current = {"path": ""}

    def on_request(request) -> None:  # type: ignore[no-untyped-def]
        host = urlparse(request.url).hostname
        if host not in ("127.0.0.1", None) and not request.url.startswith("data:"):
            problems.append(f"{current['path']}: request to another host: {request.url}")

    def on_response(response) -> None:  # type: ignore[no-untyped-def]
        # Material looks for a sitemap next to each hreflang alternate that mkdocs-static-i18n emits
        # per page; those 404s are same-host probes with no effect on the page.
        if response.status >= 400 and not response.url.endswith("/sitemap.xml"):
            problems.append(f"{current['path']}: HTTP {response.status} for {response.url}")

    page.on("request", on_request)
    page.on("response", on_response)
    page.on("pageerror", lambda exc: problems.append(f"{current['path']}: script error: {exc}"))
    pages = site_pages(built_site)
    assert len(pages) > 40 and "en/" in pages
    for path in pages:
        current["path"] = path
        page.goto(f"{site_url}/{path}", wait_until="load")
        expected = len(_DIAGRAM.findall((built_site / path / "index.html").read_text(encoding="utf-8")))
        if expected:
            # Material draws into (our opened) shadow roots: Playwright locators pierce them, querySelector doesn't.
            svgs = page.locator("div.mermaid svg")
            deadline = time.monotonic() + 20
            while svgs.count() < expected and time.monotonic() < deadline:
                page.wait_for_timeout(100)
            if svgs.count() < expected:
                problems.append(f"{path}: {svgs.count()} of {expected} diagrams drawn")
            if page.get_by_text("Syntax error in text").count():
                problems.append(f"{path}: a mermaid diagram has a syntax error")
    context.close()
    assert not problems, "\n".join(problems)
