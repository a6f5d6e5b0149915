"""`kb freshness stamp`: mark a translation as in sync with its source as it is now.

Edits text in place (never re-dumps YAML), so comments, key order and quoting survive.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from kb.errors import KbError
from kb.freshness.config import Config
from kb.freshness.content import FrontMatterError, read_notebook, split_front_matter, text_hash
from kb.freshness.coverage import classify


def targets(path: str, config: Config) -> list[tuple[str, str]]:
    """(translation path, source path) pairs that stamping `path` updates."""
    kind = classify(path, config)
    if kind is None:
        raise KbError(f"{path}: not a page under {config.docs_dir}/ (expected .md or a notebook .py)")
    page, lang, nbmd = kind
    if nbmd == "nb":
        return [(path, path)]
    if lang == config.source_language:
        stem = page[: -len(".md")]
        return [(f"{stem}.{ln}.md", page) for ln in config.translations]
    return [(path, page)]


def _set_key(text: str, key: str, value: str) -> str:
    """Set a top-level `key: value` in a Markdown page's front matter (created if absent)."""
    line = f"{key}: {value}"
    if not text.startswith("---\n"):
        return f"---\n{line}\n---\n\n{text}"
    end = re.compile(r"^(---|\.\.\.)[ \t]*$", re.MULTILINE).search(text, 4)
    if end is None:
        raise KbError("front matter opened with `---` is never closed by a `---` line")
    block = text[4 : end.start()]
    pattern = re.compile(rf"^{re.escape(key)}[ \t]*:.*$", re.MULTILINE)
    block = pattern.sub(line, block, count=1) if pattern.search(block) else block + line + "\n"
    return "---\n" + block + text[end.start() :]


def stamp_page(root: Path, translation: str, source: str, today: dt.date | None) -> str:
    src_file, tr_file = root / source, root / translation
    if not src_file.is_file():
        raise KbError(f"{source}: the source page of {translation} does not exist")
    if not tr_file.is_file():
        raise KbError(f"{translation}: no such translation; write it first, then stamp it")
    try:
        _, body, _ = split_front_matter(src_file.read_text(encoding="utf-8"))
    except FrontMatterError as exc:
        raise KbError(f"{source}:{exc.line}: {exc}") from exc
    text = tr_file.read_text(encoding="utf-8")
    try:
        split_front_matter(text)
    except FrontMatterError as exc:
        raise KbError(f"{translation}:{exc.line}: {exc}") from exc
    h = text_hash(body)
    try:
        text = _set_key(text, "source_hash", h)
        if today is not None:
            text = _set_key(text, "reviewed", today.isoformat())
    except KbError as exc:
        raise KbError(f"{translation}:1: {exc}") from exc
    tr_file.write_text(text, encoding="utf-8")
    return h


_SH = re.compile(r'\s+source_hash=("(?:[^"\\]|\\.)*"|\S+)')


def stamp_notebook(root: Path, path: str, config: Config, today: dt.date | None) -> int:
    """Record on each translated markdown cell the hash of its source-language counterpart."""
    file = root / path
    text = file.read_text(encoding="utf-8")
    nb = read_notebook(text, config.languages)
    src = [c for c in nb.cells if c.lang == config.source_language]
    lines = text.split("\n")
    count = 0
    for lang in config.translations:
        mine = [c for c in nb.cells if c.lang == lang]
        if len(mine) != len(src):
            where = mine[len(src)].line if len(mine) > len(src) else (src[len(mine)].line if src else 1)
            raise KbError(
                f"{path}:{where}: {len(src)} {config.source_language} markdown cells but {len(mine)} {lang} "
                "cells: every cell needs its counterpart before it can be stamped"
            )
        for s, t in zip(src, mine, strict=True):
            i = t.line - 1
            lines[i] = _SH.sub("", lines[i]).rstrip() + f' source_hash="{s.hash}"'
            count += 1
        if today is not None:
            key = f"reviewed_{lang}"
            pattern = re.compile(rf"^(#\s+){key}\s*:.*$")
            hit = [n for n, line in enumerate(lines) if pattern.match(line)]
            if not hit:
                raise KbError(
                    f"{path}:1: no `{key}:` under `jupyter:` → `kb:` in the notebook header: "
                    "add it, then run again"
                )
            m = pattern.match(lines[hit[0]])
            assert m is not None
            lines[hit[0]] = f"{m.group(1)}{key}: {today.isoformat()}"
    file.write_text("\n".join(lines), encoding="utf-8")
    return count
