"""Real Debian Chromium, driven by Playwright, against the built site served on 127.0.0.1."""

from __future__ import annotations

from urllib.parse import urlparse

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.mark.parametrize("path", ["scheduler/gmp-overview/", "en/scheduler/gmp-overview/"])
def test_mermaid_diagrams_become_svg(page, site_url: str, path: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{site_url}/{path}")
    svgs = page.locator("div.mermaid svg")
    svgs.first.wait_for(state="attached", timeout=20_000)
    assert svgs.count() == 2
    assert page.locator("div.mermaid svg").first.bounding_box()["height"] > 50


@pytest.mark.parametrize(
    ("start", "lang", "expected"),
    [
        ("scheduler/gmp-overview/", "English", "/en/scheduler/gmp-overview/"),
        ("en/scheduler/gmp-overview/", "中文", "/scheduler/gmp-overview/"),
        ("scheduler/runqueue-demo/", "English", "/en/scheduler/runqueue-demo/"),
        ("en/scheduler/runqueue-demo/", "中文", "/scheduler/runqueue-demo/"),
    ],
)
def test_language_switch_keeps_the_page(page, site_url: str, start: str, lang: str, expected: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{site_url}/{start}")
    page.locator(".md-header .md-select").first.hover()
    page.get_by_role("link", name=lang, exact=True).click()
    page.wait_for_load_state()
    assert urlparse(page.url).path == expected


@pytest.mark.parametrize(
    ("start", "query", "expected"),
    [("", "调度器", "/scheduler/"), ("en/", "work stealing", "/en/scheduler/")],
)
def test_search_finds_the_page_in_its_language(
    page, site_url: str, start: str, query: str, expected: str
) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{site_url}/{start}")
    box = page.locator("input.md-search__input")
    box.click()
    box.fill(query)
    box.press("End")  # Chinese typed programmatically needs one more key event before search reacts
    results = page.locator(".md-search-result__item a")
    results.first.wait_for(timeout=20_000)
    hrefs = [urlparse(h).path for h in results.evaluate_all("els => els.map(e => e.href)")]
    assert any(h.startswith(expected) for h in hrefs), hrefs


def test_notebook_plot_is_visible(page, site_url: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{site_url}/scheduler/runqueue-demo/")
    img = page.locator(".jp-RenderedImage img").first
    img.scroll_into_view_if_needed()
    assert img.is_visible()
    assert img.evaluate("i => i.complete && i.naturalWidth") > 100
    graph = page.locator(".jp-RenderedSVG img").first  # the graphviz output
    graph.scroll_into_view_if_needed()
    assert graph.is_visible()
    assert graph.evaluate("i => i.complete && i.naturalWidth") > 100
