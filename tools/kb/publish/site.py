"""What a publishable site is: an index page and no fewer pages than the last published build.

An empty or half-written site is the worst thing a publisher can ship (it replaces every reader's
page with nothing), so the check runs on the built folder before mike writes a single object.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from kb.errors import KbError

DEFAULT_MIN_RATIO = 0.9


class SiteRejected(KbError):
    """The built site must not be published as it is."""


@dataclass(frozen=True)
class SiteSummary:
    pages: int
    files: int
    bytes: int


def count_pages(html_paths: list[str] | list[Path]) -> int:
    """Pages are the HTML files of a build: the one measure that is the same in a folder and in a tree."""
    return sum(1 for p in html_paths if str(p).endswith(".html"))


def summarize(site_dir: Path) -> SiteSummary:
    files = [p for p in site_dir.rglob("*") if p.is_file()]
    return SiteSummary(
        pages=count_pages([p.relative_to(site_dir).as_posix() for p in files]),
        files=len(files),
        bytes=sum(p.stat().st_size for p in files),
    )


def validate_site(
    site_dir: Path,
    previous_pages: int | None,
    *,
    allow_shrink: bool = False,
    min_ratio: float = DEFAULT_MIN_RATIO,
) -> SiteSummary:
    """Refuse a site without index.html, without pages, or shrunk below `min_ratio` of the last build."""
    if not site_dir.is_dir():
        raise SiteRejected(f"{site_dir}: the built site folder does not exist; the build wrote nothing.")
    index = site_dir / "index.html"
    if not index.is_file() or index.stat().st_size == 0:
        raise SiteRejected(
            f"{index}: missing or empty; a site without a home page is not published. "
            "Check the build output above, fix the build and run `kb publish` again."
        )
    summary = summarize(site_dir)
    if previous_pages is not None and previous_pages > 0 and not allow_shrink:
        floor = math.ceil(previous_pages * min_ratio)
        if summary.pages < floor:
            raise SiteRejected(
                f"{site_dir}: {summary.pages} pages, but the last published build had {previous_pages} "
                f"(at least {floor} = {min_ratio:.0%} expected). If pages were removed on purpose, "
                "run `kb publish --allow-shrink`."
            )
    return summary
