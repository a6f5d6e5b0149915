"""The built case pages in Debian chromium: the self-hosted flame view draws, the index filter filters,
and no request leaves the local server."""

from __future__ import annotations

import functools
import http.server
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from kb.casebook.structure.scaffold import new_case
from mkdocs.commands.build import build
from mkdocs.config import load_config

from .casebook_site import make_project

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def served(case_dir: Path) -> Iterator[str]:
    root = case_dir.parent.parent
    new_case(root / "casebooks", "other-case")  # a second case (draft, taxonomy other-case) to filter out
    cfg = make_project(root)
    cwd = os.getcwd()
    os.chdir(root)
    try:
        build(load_config(str(cfg)))
    finally:
        os.chdir(cwd)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root / "site"))
    handler.log_message = lambda *a, **k: None  # type: ignore[method-assign]
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{srv.server_address[1]}"
    finally:
        srv.shutdown()


def test_flame_view_and_filter_offline(served: str, browser) -> None:  # type: ignore[no-untyped-def]
    # the session's Debian Chromium (tests/conftest.py): one sync Playwright per process
    context = browser.new_context()
    page = context.new_page()
    errors: list[str] = []
    foreign: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: foreign.append(r.url) if not r.url.startswith(served) else None)
    page.goto(f"{served}/en/casebooks/syn-drop-lab/")
    page.wait_for_selector(".kb-flame svg rect", timeout=15000)
    before = page.locator(".kb-flame svg rect").count()
    page.locator(".kb-flame-buttons button").nth(1).click()  # "after": gc appears, tcp_retransmit goes
    page.wait_for_function("document.querySelector('.kb-flame').textContent.includes('gc')", timeout=5000)
    assert "tcp_retransmit" not in (page.locator(".kb-flame").text_content() or "")
    assert before > 0
    page.goto(f"{served}/casebooks/")
    rows = page.locator("#kb-case-table tbody tr:not([hidden])")
    assert rows.count() == 2
    page.select_option("select[name=taxonomy]", "tcp")
    assert rows.count() == 1
    assert "syn-drop-lab" in (rows.first.inner_html() or "")
    page.select_option("select[name=severity]", "SEV3")
    assert page.locator(".kb-case-count").text_content() == "1"
    context.close()
    assert errors == [] and foreign == []
