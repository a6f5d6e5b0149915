"""Case text is shown as text: raw HTML and Markdown extensions that reach beyond text are neutralised.

Why not html.escape everything: prose fields and stories are Markdown (emphasis, `code`, lists,
fences, mermaid), and Python-Markdown already escapes `<` inside code. Outside code, raw HTML
(`<script>`), attribute lists (`{: onclick=...}`, enabled site-wide by attr_list), snippet includes
(`--8<--`, which would read files) and javascript:/data: link targets are the ways text could become
markup or script, so exactly those are escaped. Python-Markdown has no sanitiser option.
"""

from __future__ import annotations

import html
import re

_FENCE_OPEN = re.compile(r"^(\s*)(`{3,}|~{3,})")
_CODE_SPAN = re.compile(r"(`+)(.+?)\1", re.DOTALL)
_BAD_LINK = re.compile(r"\]\(\s*(javascript|data|vbscript):", re.IGNORECASE)


def _escape_plain(text: str) -> str:
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = text.replace("{", "&#123;").replace("}", "&#125;")
    return _BAD_LINK.sub(lambda m: "]&#40;" + m.group(1) + ":", text)


def _escape_inline(text: str) -> str:
    out: list[str] = []
    pos = 0
    for m in _CODE_SPAN.finditer(text):
        out.append(_escape_plain(text[pos : m.start()]))
        out.append(m.group(0))  # Markdown escapes code spans itself
        pos = m.end()
    out.append(_escape_plain(text[pos:]))
    return "".join(out)


def markdown_text(text: str) -> str:
    """Markdown whose raw HTML, attribute lists, snippet includes and script links show as text."""
    out: list[str] = []
    fence: str | None = None
    para: list[str] = []

    def flush() -> None:
        if para:
            out.append(_escape_inline("".join(para)))
            para.clear()

    for line in text.splitlines(keepends=True):
        m = _FENCE_OPEN.match(line)
        if fence is None and m:
            flush()
            fence = m.group(2)[0] * len(m.group(2))
            out.append(_escape_plain(line) if "{" in line else line)
            continue
        if fence is not None:
            out.append(line)
            if line.strip().startswith(fence) and line.strip().strip(fence[0]) == "":
                fence = None
            continue
        if line.startswith(">"):
            # a blockquote marker is Markdown, not HTML: keep it, escape the rest of the line
            flush()
            stripped = line.lstrip(">")
            out.append(line[: len(line) - len(stripped)] + _escape_inline(stripped))
            continue
        para.append(line)
    flush()
    return "".join(out)


def inline(text: str) -> str:
    """One-line text for a table cell or heading: escaped, pipes and newlines neutralised."""
    return markdown_text(" ".join(text.split())).replace("|", "\\|")


def attr(text: str) -> str:
    """Text for an HTML attribute value or element body."""
    return html.escape(text, quote=True)
