"""What one version of a page says about freshness: front matter, body hash, notebook cells.

Pure functions over text. A page is `docs/**/x.md` (Chinese, the source language) or
`docs/**/x.en.md` (its translation); a notebook is a jupytext percent-format `docs/**/x.py` holding
both languages. The body hash ignores the front matter and collapses whitespace, so reflowing a
paragraph or editing metadata is not a content change.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any

import yaml

# libyaml parses a small front matter block in ~30 us against ~220 us for the pure-Python loader;
# a report parses thousands of blobs, so the C loader matters for the 2 s budget.
_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

HASH_LEN = 16
_FM_END = re.compile(r"^(---|\.\.\.)[ \t]*$", re.MULTILINE)
_CELL_MARKER = re.compile(r"^# %%(?!%)(.*)$")
# `key=value` pairs in a jupytext cell header, values being JSON (strings, lists, numbers).
_CELL_META = re.compile(r'(\w+)=("(?:[^"\\]|\\.)*"|\[[^\]]*\]|\S+)')


# Chinese has no spaces between words, so reflowing a Chinese paragraph puts line breaks between
# two ideographs; whitespace between two CJK characters (ideographs, CJK punctuation, full-width
# forms) is therefore dropped rather than collapsed to one space.
_CJK = "\u2e80-\u2fff\u3000-\u303f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef"
_CJK_GAP = re.compile(f"(?<=[{_CJK}]) (?=[{_CJK}])")


def normalise(text: str) -> str:
    """Whitespace collapsed (and dropped between CJK characters): reflowed or re-indented text
    hashes the same."""
    return _CJK_GAP.sub("", " ".join(text.split()))


def text_hash(text: str) -> str:
    """The content hash a translation records as `source_hash` (16 hex digits of SHA-256)."""
    return hashlib.sha256(normalise(text).encode("utf-8")).hexdigest()[:HASH_LEN]


class FrontMatterError(ValueError):
    """Front matter that is not a YAML mapping; `line` is 1-based in the file."""

    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.line = line


def split_front_matter(text: str) -> tuple[dict[str, Any], str, int]:
    """(front matter mapping, body, line where the body starts) of a Markdown page."""
    if not text.startswith("---"):
        return {}, text, 1
    first_nl = text.find("\n")
    if first_nl < 0 or text[:first_nl].strip() != "---":
        return {}, text, 1
    end = _FM_END.search(text, first_nl + 1)
    if end is None:
        raise FrontMatterError("front matter opened with `---` is never closed by a `---` line", 1)
    raw = text[first_nl + 1 : end.start()]
    body_start = end.end() + 1
    meta = _load_mapping(raw, first_line=2)
    return meta, text[body_start:], text.count("\n", 0, body_start) + 1


def _load_mapping(raw: str, first_line: int) -> dict[str, Any]:
    try:
        meta = yaml.load(raw, Loader=_Loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = first_line + (mark.line if mark is not None else 0)
        raise FrontMatterError(
            f"front matter is not valid YAML: {getattr(exc, 'problem', exc)}", line
        ) from exc
    if meta is None:
        return {}
    if not isinstance(meta, dict):
        raise FrontMatterError("front matter must be a YAML mapping of `key: value` lines", first_line)
    return meta


def as_date(value: Any) -> dt.date | None:
    """A `reviewed:` value as a date; None when absent or not an ISO date."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


@dataclass(frozen=True)
class Cell:
    """A markdown cell of a notebook: its language, text, hash, recorded source hash, header line."""

    lang: str
    text: str
    hash: str
    source_hash: str | None
    line: int


@dataclass(frozen=True)
class UnitFacts:
    """What one version of one (page, language) says.

    `sync_key` is what a translation must record to be in sync with this source version; for a
    translation `synced_to` is what it records. Pages: the body hash / `source_hash`. Notebooks:
    the tuple of zh markdown cell hashes / the tuple of en cells' `source_hash` values.
    """

    owner: str | None
    reviewed: dt.date | None
    reviewed_raw: Any
    body_hash: str
    sync_key: Any
    synced_to: Any
    exempt: bool
    title: str | None
    error: str | None = None
    error_line: int = 0
    cells: tuple[Cell, ...] = field(default=())
    body: str = field(default="", compare=False, repr=False)


def _title(body: str, meta: dict[str, Any]) -> str | None:
    if isinstance(meta.get("title"), str):
        return str(meta["title"])
    for line in body.splitlines():
        if line.startswith("# "):
            return line[2:].strip()
    return None


def _exempt(meta: dict[str, Any]) -> bool:
    return str(meta.get("freshness", "")).strip().lower() in {"exempt", "archived"}


def page_facts(text: str, lang: str, source_lang: str) -> UnitFacts:
    """Facts of a Markdown page in `lang`; bad front matter yields facts with `error` set."""
    try:
        meta, body, _ = split_front_matter(text)
        error, error_line = None, 0
    except FrontMatterError as exc:
        meta, body = {}, text
        error, error_line = str(exc), exc.line
    h = text_hash(body)
    owner = meta.get("owner")
    sh = meta.get("source_hash")
    return UnitFacts(
        owner=str(owner) if owner else None,
        reviewed=as_date(meta.get("reviewed")),
        reviewed_raw=meta.get("reviewed"),
        body_hash=h,
        sync_key=h if lang == source_lang else None,
        synced_to=(str(sh) if sh is not None else None) if lang != source_lang else None,
        exempt=_exempt(meta),
        title=_title(body, meta),
        error=error,
        error_line=error_line,
        body=body,
    )


@dataclass(frozen=True)
class Notebook:
    meta: dict[str, Any]  # the `kb:` mapping under `jupyter:` in the jupytext header
    cells: tuple[Cell, ...]  # markdown cells with a language tag
    code: tuple[str, ...]  # code cell sources
    error: str | None
    error_line: int


def _uncomment(lines: list[str]) -> str:
    out = []
    for line in lines:
        if line.startswith("# "):
            out.append(line[2:])
        elif line.startswith("#"):
            out.append(line[1:])
        else:
            out.append(line)
    return "\n".join(out).strip("\n")


def parse_cell_header(rest: str) -> tuple[str, dict[str, Any]]:
    """('markdown'|'code'|..., metadata) of a `# %%` line's remainder, as jupytext reads it."""
    rest = rest.strip()
    kind = "code"
    m = re.match(r"(.*?)\[(\w+)\]", rest)
    if m:
        kind = m.group(2)
        rest = rest[m.end() :]
    meta: dict[str, Any] = {}
    for key, value in _CELL_META.findall(rest):
        try:
            meta[key] = json.loads(value)
        except ValueError:
            meta[key] = value
    return kind, meta


def read_notebook(text: str, languages: tuple[str, ...]) -> Notebook:
    """Split a percent-format notebook into tagged markdown cells and code cells (no jupytext:
    this runs on thousands of historical blobs and needs only cell boundaries and headers)."""
    lines = text.split("\n")
    meta: dict[str, Any] = {}
    error, error_line = None, 0
    start = 0
    if lines and lines[0].rstrip() == "# ---":
        for i in range(1, len(lines)):
            if lines[i].rstrip() == "# ---":
                try:
                    header = _load_mapping(_uncomment(lines[1:i]), first_line=2)
                    kb = (header.get("jupyter") or {}).get("kb") or {}
                    meta = kb if isinstance(kb, dict) else {}
                except (FrontMatterError, AttributeError) as exc:
                    error, error_line = f"notebook header: {exc}", getattr(exc, "line", 1)
                start = i + 1
                break
    cells: list[Cell] = []
    code: list[str] = []
    current: tuple[str, dict[str, Any], int] | None = None
    body: list[str] = []

    def close() -> None:
        if current is None:
            return
        kind, cmeta, line = current
        if kind == "markdown":
            tags = (
                [t for t in cmeta.get("tags", []) if t in languages]
                if isinstance(cmeta.get("tags"), list)
                else []
            )
            text_ = _uncomment(body)
            sh = cmeta.get("source_hash")
            cells.append(
                Cell(
                    tags[0] if len(tags) == 1 else "", text_, text_hash(text_), str(sh) if sh else None, line
                )
            )
        elif kind == "code":
            code.append("\n".join(body).strip("\n"))

    for n in range(start, len(lines)):
        m = _CELL_MARKER.match(lines[n])
        if m:
            close()
            kind, cmeta = parse_cell_header(m.group(1))
            current = (kind, cmeta, n + 1)
            body = []
        elif current is not None:
            body.append(lines[n])
    close()
    return Notebook(meta, tuple(cells), tuple(code), error, error_line)


def notebook_facts(text: str, languages: tuple[str, ...], source_lang: str) -> dict[str, UnitFacts]:
    """Facts of each language of a notebook. Its body in a language is that language's markdown
    cells plus the shared code cells; `reviewed` is the source language's review date and
    `reviewed_<lang>` a translation's; `owner_<lang>` may override `owner`."""
    nb = read_notebook(text, languages)
    code_text = "\n".join(nb.code)
    src_cells = tuple(c for c in nb.cells if c.lang == source_lang)
    out = {}
    for lang in languages:
        mine = tuple(c for c in nb.cells if c.lang == lang)
        key = "reviewed" if lang == source_lang else f"reviewed_{lang}"
        owner = nb.meta.get(f"owner_{lang}") or nb.meta.get("owner")
        out[lang] = UnitFacts(
            owner=str(owner) if owner else None,
            reviewed=as_date(nb.meta.get(key)),
            reviewed_raw=nb.meta.get(key),
            body_hash=text_hash("\n".join(c.text for c in mine) + "\n" + code_text),
            sync_key=tuple(c.hash for c in src_cells) if lang == source_lang else None,
            synced_to=tuple(c.source_hash for c in mine) if lang != source_lang else None,
            exempt=_exempt(nb.meta),
            title=_title(mine[0].text, {}) if mine else None,
            error=nb.error,
            error_line=nb.error_line,
            cells=mine,
        )
    return out
