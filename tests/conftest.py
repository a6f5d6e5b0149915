"""Session fixtures shared by all test areas: the real site, built once and served on 127.0.0.1, and
one Debian Chromium driven by Playwright (never a browser Playwright downloads)."""

from __future__ import annotations

import functools
import http.server
import re
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def built_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project's own site, strict-built once per test session (notebook cache shared with kb build)."""
    from kb.site.build import build

    site = tmp_path_factory.mktemp("site") / "site"
    build(ROOT, site)
    return site


@pytest.fixture(scope="session")
def site_url(built_site: Path) -> Iterator[str]:
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(built_site))

    class Quiet(handler.func):  # type: ignore[name-defined,misc]
        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Quiet, directory=str(built_site))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()


# Flags for Debian chromium as root with no network: without the background-networking ones it
# calls Google hosts at start-up (those are Chromium's requests, not a page's).
CHROMIUM_ARGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
)  # fmt: skip
# Material renders mermaid into a *closed* shadow root; tests open it to see the SVG.
OPEN_SHADOW = (
    "const o = Element.prototype.attachShadow;"
    " Element.prototype.attachShadow = function (i) { return o.call(this, {...i, mode: 'open'}); };"
)


@pytest.fixture(scope="module")  # not session: sync Playwright keeps an event loop running meanwhile
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=shutil.which("chromium") or "/usr/bin/chromium", args=list(CHROMIUM_ARGS)
        )
        yield b
        b.close()


@pytest.fixture(scope="session")
def open_shadow() -> str:
    """Init script that makes shadow roots open, so locators can see mermaid's SVG."""
    return OPEN_SHADOW


ARTIFACTS = ROOT / "test-artifacts" / "browser"


@pytest.fixture
def page(browser, open_shadow: str, request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    """A fresh page (own context, so localStorage starts empty) that records every request it makes to
    another host, fails the test if there was any, and leaves a full-page screenshot in test-artifacts/."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.add_init_script(open_shadow)
    pg = context.new_page()
    foreign: list[str] = []
    # Every request a page makes; Chromium's own start-up traffic is not a page request.
    pg.on(
        "request",
        lambda r: (
            foreign.append(r.url)
            if urlparse(r.url).hostname not in ("127.0.0.1", None) and not r.url.startswith("data:")
            else None
        ),
    )
    pg.foreign = foreign
    yield pg
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    pg.screenshot(
        path=str(ARTIFACTS / (re.sub(r"[^\w.-]+", "_", request.node.nodeid) + ".png")), full_page=True
    )
    context.close()
    assert foreign == [], f"requests to other hosts: {foreign}"


@pytest.fixture
def check_diagrams(browser, open_shadow: str):  # type: ignore[no-untyped-def]
    """check(url, expected): the page draws exactly `expected` mermaid diagrams, each a real (non-empty,
    non-error) SVG, with no script error and no request to another host."""
    from playwright.sync_api import expect

    def check(url: str, expected: int) -> None:
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
                errors.append(m.text)
                if m.type == "error" and "Failed to load resource" not in m.text
                else None
            ),
        )
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(url)
        svgs = page.locator("div.mermaid svg")
        svgs.first.wait_for(state="attached", timeout=20_000)
        # Locators pierce the (opened) shadow roots; document.querySelectorAll would not.
        expect(svgs).to_have_count(expected, timeout=20_000)
        for i in range(svgs.count()):
            box = svgs.nth(i).bounding_box()
            assert box is not None and box["height"] > 100, f"diagram {i} of {url} is empty"
            # mermaid draws a syntax error as an SVG too: it must not be one.
            assert "Syntax error" not in svgs.nth(i).inner_html()
        context.close()
        assert foreign == [], f"requests to other hosts: {foreign}"
        assert errors == [], errors

    return check
