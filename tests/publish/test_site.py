"""The publishable-site rules as pure functions: index page, page count against the last build."""

from __future__ import annotations

from pathlib import Path

import pytest
from kb.publish.site import SiteRejected, count_pages, validate_site


def make_site(root: Path, pages: int, *, index: bool = True) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    if index:
        (root / "index.html").write_text("<h1>home</h1>", encoding="utf-8")
    for i in range(pages - int(index)):
        page = root / f"p{i}" / "index.html"
        page.parent.mkdir()
        page.write_text("<p>page</p>", encoding="utf-8")
    (root / "assets").mkdir()
    (root / "assets" / "app.js").write_text("//", encoding="utf-8")
    return root


def test_count_pages_counts_html_only() -> None:
    assert count_pages(["index.html", "a/index.html", "assets/x.js", "sitemap.xml", "404.html"]) == 3


def test_missing_folder_or_index_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SiteRejected, match="does not exist"):
        validate_site(tmp_path / "nope", None)
    with pytest.raises(SiteRejected, match=r"index\.html: missing or empty"):
        validate_site(make_site(tmp_path / "s", 5, index=False), None)
    empty = make_site(tmp_path / "e", 3)
    (empty / "index.html").write_text("", encoding="utf-8")
    with pytest.raises(SiteRejected, match="missing or empty"):
        validate_site(empty, None)


@pytest.mark.parametrize(
    ("pages", "previous", "ok"),
    [
        (9, 10, True),
        (8, 10, False),
        (90, 100, True),
        (89, 100, False),
        (1, 1, True),
        (3, 0, True),
        (3, None, True),
    ],
)
def test_shrink_threshold_is_ninety_percent(
    tmp_path: Path, pages: int, previous: int | None, ok: bool
) -> None:
    site = make_site(tmp_path / "s", pages)
    if ok:
        assert validate_site(site, previous).pages == pages
    else:
        with pytest.raises(SiteRejected, match="--allow-shrink"):
            validate_site(site, previous)
        assert validate_site(site, previous, allow_shrink=True).pages == pages


def test_min_ratio_is_configurable(tmp_path: Path) -> None:
    site = make_site(tmp_path / "s", 5)
    validate_site(site, 10, min_ratio=0.5)
    with pytest.raises(SiteRejected):
        validate_site(site, 10, min_ratio=0.51)
