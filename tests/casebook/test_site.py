"""End to end: a small MkDocs + i18n site built with the kb-casebook plugin around the fixture case."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pytest
from mkdocs.commands.build import build
from mkdocs.config import load_config
from mkdocs.exceptions import Abort, PluginError

from .casebook_site import make_project

pytestmark = pytest.mark.slow


def _build(root: Path) -> float:
    cfg = make_project(root)
    cwd = os.getcwd()
    os.chdir(root)
    try:
        start = time.perf_counter()
        build(load_config(str(cfg)))
        return time.perf_counter() - start
    finally:
        os.chdir(cwd)


@pytest.fixture
def site(case_dir: Path) -> Path:
    root = case_dir.parent.parent
    text = (case_dir / "case.yaml").read_text(encoding="utf-8")
    text = text.replace(
        "en: A synthetic case used to test rendering.}", 'en: "<script>alert(1)</script> A synthetic case"}'
    )
    text = text.replace("owner: casebook-tests", 'owner: "<img src=x onerror=alert(2)>"')
    (case_dir / "case.yaml").write_text(text, encoding="utf-8")
    with (case_dir / "story.en.md").open("a", encoding="utf-8") as f:
        f.write('\n<script>alert(3)</script> {: onclick="alert(4)" }\n')
    _build(root)
    return root / "site"


def test_pages_in_both_languages_with_assets(site: Path) -> None:
    for page in ("casebooks/syn-drop-lab/index.html", "en/casebooks/syn-drop-lab/index.html"):
        html = (site / page).read_text(encoding="utf-8")
        for src in re.findall(r'<img[^>]+src="([^"]+)"', html):
            assert (site / page).parent.joinpath(src).resolve().is_file(), f"{page}: {src}"
        assert "BPF_PROG_TEST_RUN" in html and "Bad TCP" in html and "kb-flame" in html
    zh = (site / "casebooks/syn-drop-lab/index.html").read_text(encoding="utf-8")
    en = (site / "en/casebooks/syn-drop-lab/index.html").read_text(encoding="utf-8")
    assert "合成示例" in zh and "Synthetic illustration" in en  # synthetic evidence labelled in each language


def test_case_text_is_escaped(site: Path) -> None:
    en = (site / "en/casebooks/syn-drop-lab/index.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in en
    assert "alert(3)" in en and not re.search(r"<script>\s*alert", en)
    assert not re.search(r"<img[^>]*onerror", en) and not re.search(r"<[^>]*onclick", en)
    index = (site / "en/casebooks/index.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)" in index and not re.search(r"<script>\s*alert", index)


def test_index_lists_and_filters(site: Path) -> None:
    html = (site / "casebooks/index.html").read_text(encoding="utf-8")
    assert 'class="kb-case-filter"' in html
    for name in ("layer", "severity", "taxonomy", "provenance"):
        assert f'<select name="{name}">' in html
    row = re.search(r'<tr data-layer="([^"]*)" data-severity="([^"]*)"', html)
    assert row and row.groups() == ("L4 ebpf", "SEV3")
    assert 'href="syn-drop-lab/"' in html


def test_site_is_self_hosted(site: Path) -> None:
    for page in site.rglob("*.html"):
        html = page.read_text(encoding="utf-8")
        # what the browser fetches by itself: scripts, images, stylesheets (anchor links are not requests)
        assert not re.search(r'src="(https?:)?//', html), page
        assert not re.search(r'<link[^>]+href="(https?:)?//', html), page
    assert (site / "assets/casebook/d3.min.js").is_file()
    assert (site / "assets/casebook/d3-flamegraph.min.js").is_file()


def test_invalid_case_stops_the_build(case_dir: Path, caplog: pytest.LogCaptureFixture) -> None:
    text = (case_dir / "case.yaml").read_text(encoding="utf-8")
    (case_dir / "case.yaml").write_text(text.replace("severity: SEV3", "severity: SEV7"), encoding="utf-8")
    with pytest.raises((PluginError, Abort)):
        _build(case_dir.parent.parent)
    assert "casebooks/syn-drop-lab/case.yaml:7: severity:" in caplog.text
    assert "Traceback" not in caplog.text


def test_warm_build_is_fast_and_deleted_case_leaves_no_page(case_dir: Path) -> None:
    root = case_dir.parent.parent
    cold = _build(root)
    warm = _build(root)
    assert warm < cold
    page = root / "docs/casebooks/syn-drop-lab.md"
    assert page.is_file()
    import shutil

    shutil.rmtree(case_dir)
    _build(root)
    assert not page.exists()
