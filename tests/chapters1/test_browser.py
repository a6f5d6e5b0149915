"""The chapter-1 pages in real Chromium: every mermaid diagram renders to an SVG (a syntax error would
leave none, or an error SVG), claims are expanded, the lab notebook shows its plot, and no page asks
another host for anything."""

from __future__ import annotations

from urllib.parse import urlparse

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# page -> mermaid diagrams it contains (the same in both languages)
DIAGRAMS = {"why-efficient": 1, "gmp-and-stacks": 2, "goroutine-creation": 2}


def _visit(browser: object, url: str, open_shadow: str) -> tuple[object, object, list[str]]:
    context = browser.new_context()  # type: ignore[attr-defined]
    context.add_init_script(open_shadow)
    page = context.new_page()
    foreign: list[str] = []
    page.on(
        "request",
        lambda r: (
            foreign.append(r.url)
            if urlparse(r.url).hostname not in ("127.0.0.1", None) and not r.url.startswith("data:")
            else None
        ),
    )
    page.goto(url)
    return context, page, foreign


@pytest.mark.parametrize("lang", ["", "en/"])
@pytest.mark.parametrize("stem", sorted(DIAGRAMS))
def test_diagrams_render_and_claims_expand(
    browser: object, site_url: str, open_shadow: str, stem: str, lang: str
) -> None:
    context, page, foreign = _visit(browser, f"{site_url}/{lang}scheduler/{stem}/", open_shadow)
    try:
        svgs = page.locator("div.mermaid svg")  # type: ignore[attr-defined]
        svgs.nth(DIAGRAMS[stem] - 1).wait_for(state="attached", timeout=20_000)
        assert svgs.count() == DIAGRAMS[stem]
        assert page.locator("div.mermaid svg[aria-roledescription=error]").count() == 0  # type: ignore[attr-defined]
        html = page.content()  # type: ignore[attr-defined]
        assert "[[claim:" not in html and "[[src:" not in html
        assert foreign == [], f"requests to other hosts: {foreign}"
    finally:
        context.close()  # type: ignore[attr-defined]


@pytest.mark.parametrize("lang", ["", "en/"])
def test_lab_notebook_shows_plot_and_results(
    browser: object, site_url: str, open_shadow: str, lang: str
) -> None:
    context, page, foreign = _visit(browser, f"{site_url}/{lang}scheduler/stacks-lab/", open_shadow)
    try:
        html = page.content()  # type: ignore[attr-defined]
        assert "simulated run order (creation index)" in html
        assert "[[claim:" not in html
        img = page.locator("img[src^='data:image/png']").first  # type: ignore[attr-defined]
        img.wait_for(state="visible", timeout=10_000)
        assert img.bounding_box()["height"] > 50
        assert foreign == [], f"requests to other hosts: {foreign}"
    finally:
        context.close()  # type: ignore[attr-defined]
