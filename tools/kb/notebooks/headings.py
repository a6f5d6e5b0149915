"""Heading ids and the table of contents of a rendered notebook page.

mkdocs-jupyter derives heading ids with an ASCII-only slugify, so Chinese headings get `id=""`:
TOC links break, and Material's search worker fails for every Chinese query site-wide. We give
notebook headings the same ids as Markdown pages (pymdownx.slugs, unicode, lower case), unique
within the page, and rebuild the TOC from the HTML that is actually published.
"""

from __future__ import annotations

import html
import re
from typing import Any

from mkdocs.structure.toc import TableOfContents, get_toc
from pymdownx.slugs import slugify

_slug = slugify(case="lower")
_HEADING = re.compile(r"<h([1-6])(\s[^>]*)?>(.*?)</h\1>", re.S)
_ID = re.compile(r'\sid="[^"]*"')
_ANCHOR = re.compile(r'<a class="anchor-link" href="#[^"]*">')
_TAGS = re.compile(r"<[^>]+>")


def fix_headings(content: str, toc_depth: int = 6) -> tuple[str, TableOfContents]:
    """Return the content with unicode, unique heading ids, and the matching TOC."""
    seen: dict[str, int] = {}
    flat: list[dict[str, Any]] = []

    def replace(match: re.Match[str]) -> str:
        level, attrs, inner = int(match.group(1)), match.group(2) or "", match.group(3)
        text = html.unescape(_TAGS.sub("", _ANCHOR.sub("", inner))).replace("¶", "").strip()
        base = _slug(text, "-") or f"section-{len(flat) + 1}"
        n = seen.get(base, 0)
        seen[base] = n + 1
        hid = base if n == 0 else f"{base}_{n}"
        inner = _ANCHOR.sub(f'<a class="anchor-link" href="#{html.escape(hid)}">', inner)
        attrs = _ID.sub("", attrs)
        if level <= toc_depth:
            flat.append({"level": level, "id": hid, "name": html.escape(text), "children": []})
        return f'<h{level} id="{html.escape(hid)}"{attrs}>{inner}</h{level}>'

    fixed = _HEADING.sub(replace, content)
    return fixed, get_toc(_nest(flat))  # type: ignore[arg-type]  # _TocToken is a TypedDict of these keys


def _nest(flat: list[dict[str, Any]]) -> list[dict[str, Any]]:
    root: list[dict[str, Any]] = []
    stack: list[dict[str, Any]] = []
    for item in flat:
        while stack and stack[-1]["level"] >= item["level"]:
            stack.pop()
        (stack[-1]["children"] if stack else root).append(item)
        stack.append(item)
    return root
