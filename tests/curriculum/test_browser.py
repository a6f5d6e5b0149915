"""Progress checkboxes in a real Chromium: ticked boxes survive a reload and a language switch,
and the curriculum pages request nothing from other hosts."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_ticked_box_survives_reload_and_language_switch(page, site_url: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{site_url}/curriculum/m2-gmp-and-stacks/")
    box = page.locator('input[data-kb-progress="m2"]').first
    box.wait_for(state="visible")
    assert not box.is_checked()
    box.check()
    page.reload()
    page.wait_for_load_state("load")
    assert page.locator('input[data-kb-progress="m2"]').first.is_checked()
    # The path page (English this time) shows the same record: one box ticked of seven.
    page.goto(f"{site_url}/en/curriculum/")
    page.wait_for_load_state("load")
    assert page.locator('input[data-kb-progress="m2"]').first.is_checked()
    assert not page.locator('input[data-kb-progress="m1"]').first.is_checked()
    assert page.locator("[data-kb-progress-done]").first.inner_text() == "1"
    assert page.locator("[data-kb-progress-total]").first.inner_text() == "7"
    stored = page.evaluate("() => window.localStorage.getItem('kb-curriculum:m2')")
    assert stored == "done"
    assert page.foreign == [], f"requests to other hosts: {page.foreign}"


def test_untick_and_reset_clear_the_record(page, site_url: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{site_url}/curriculum/")
    page.locator('input[data-kb-progress="m1"]').first.check()
    page.locator('input[data-kb-progress="m3"]').first.check()
    assert page.locator("[data-kb-progress-done]").first.inner_text() == "2"
    page.locator('input[data-kb-progress="m3"]').first.uncheck()
    page.reload()
    page.wait_for_load_state("load")
    assert page.locator('input[data-kb-progress="m1"]').first.is_checked()
    assert not page.locator('input[data-kb-progress="m3"]').first.is_checked()
    page.locator("[data-kb-progress-reset]").first.click()
    page.reload()
    page.wait_for_load_state("load")
    assert not page.locator('input[data-kb-progress="m1"]').first.is_checked()
    assert page.locator("[data-kb-progress-done]").first.inner_text() == "0"
    assert page.foreign == [], f"requests to other hosts: {page.foreign}"


@pytest.mark.parametrize(
    "path", ["curriculum/exercises-runqueues/", "en/curriculum/m7-preemption-gc-atomics/"]
)
def test_curriculum_pages_make_no_foreign_requests(page, site_url: str, path: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{site_url}/{path}")
    page.wait_for_load_state("networkidle")
    # A self-check answer opens (pymdownx.details renders <details>).
    details = page.locator("details").first
    if path.startswith("en/curriculum/m"):
        details.locator("summary").click()
        assert details.evaluate("d => d.open")
    assert page.foreign == [], f"requests to other hosts: {page.foreign}"
