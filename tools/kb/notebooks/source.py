"""Read a bilingual percent-format notebook and split it into one notebook per language.

jupytext parses the cells; we additionally record the line where each cell starts in the .py file,
because every error message must point at `file:line`, and jupytext does not keep line numbers.
"""

from __future__ import annotations

import copy
import datetime
import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

import jupytext
import nbformat

from kb.errors import KbError

LANGUAGES = ("zh", "en")
# jupytext's percent cell marker; a cell starts on the line after it.
_MARKER = re.compile(r"^# %%(?!%)")


class NotebookSourceError(KbError):
    """A notebook source that cannot be published as it is."""


@dataclass(frozen=True)
class CellOrigin:
    """Where a cell comes from: its 1-based line in the .py file and its index among code cells."""

    index: int  # position among all cells
    marker_line: int  # line of `# %%`
    code_number: int | None  # 1-based among code cells, None for markdown

    @property
    def first_line(self) -> int:
        return self.marker_line + 1


@dataclass(frozen=True)
class SourceNotebook:
    path: Path  # as given (relative to the project root in messages)
    nb: nbformat.NotebookNode
    origins: tuple[CellOrigin, ...]

    def code_cell_origin(self, code_number: int) -> CellOrigin:
        for origin in self.origins:
            if origin.code_number == code_number:
                return origin
        raise KeyError(code_number)


def read(path: Path, text: str | None = None) -> SourceNotebook:
    """Parse `path` (percent format), attach line numbers, give cells deterministic ids, validate."""
    if text is None:
        text = path.read_text(encoding="utf-8")
    try:
        nb = jupytext.reads(text, fmt="py:percent")
    except Exception as exc:  # jupytext raises many types; all mean "not a percent notebook"
        raise NotebookSourceError(f"{path}: not a jupytext percent-format notebook: {exc}") from exc
    # The YAML header may hold dates (e.g. `reviewed: 2026-12-03` for kb freshness); notebooks are
    # JSON, so keep them as the ISO strings they were written as.
    nb.metadata = nbformat.from_dict(json.loads(json.dumps(nb.metadata, default=_iso)))
    markers = [n for n, line in enumerate(text.splitlines(), start=1) if _MARKER.match(line)]
    if len(markers) != len(nb.cells):
        raise NotebookSourceError(
            f"{path}:1: found {len(nb.cells)} cells but {len(markers)} `# %%` markers: start every cell, "
            "the first one included, with a `# %%` line"
        )
    origins = []
    code_number = 0
    for index, (cell, line) in enumerate(zip(nb.cells, markers, strict=True)):
        # Deterministic ids: jupytext draws random ones, which would change the executed files on
        # every build and make the live preview rebuild forever.
        cell["id"] = f"cell-{index}"
        if cell.cell_type == "code":
            code_number += 1
            origins.append(CellOrigin(index, line, code_number))
        else:
            origins.append(CellOrigin(index, line, None))
    source = SourceNotebook(path, nb, tuple(origins))
    _check_languages(source)
    return source


def _iso(value: object) -> str:
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} in notebook metadata is not JSON: {value!r}")


def _lang_of(cell: nbformat.NotebookNode) -> str | None:
    tags = [t for t in cell.get("metadata", {}).get("tags", []) if t in LANGUAGES]
    return tags[0] if len(tags) == 1 else None


def _check_languages(source: SourceNotebook) -> None:
    """Every markdown cell is tagged with exactly one language, and each run of markdown cells
    between two code cells holds as many zh cells as en cells, in the same kinds of content."""
    run: list[tuple[str, CellOrigin]] = []

    def close_run() -> None:
        counts = {lang: [o for lang_, o in run if lang_ == lang] for lang in LANGUAGES}
        if len(counts["zh"]) != len(counts["en"]):
            more, fewer = ("zh", "en") if len(counts["zh"]) > len(counts["en"]) else ("en", "zh")
            orphan = counts[more][len(counts[fewer])]
            raise NotebookSourceError(
                f"{source.path}:{orphan.marker_line}: this {more} markdown cell has no {fewer} counterpart "
                f'before the next code cell: add a `# %% [markdown] tags=["{fewer}"]` cell'
            )
        run.clear()

    for cell, origin in zip(source.nb.cells, source.origins, strict=True):
        if cell.cell_type == "markdown":
            lang = _lang_of(cell)
            if lang is None:
                raise NotebookSourceError(
                    f"{source.path}:{origin.marker_line}: markdown cell must be tagged with exactly one of "
                    f'{", ".join(LANGUAGES)}: write `# %% [markdown] tags=["zh"]` or tags=["en"]'
                )
            run.append((lang, origin))
        elif cell.cell_type == "code":
            close_run()
    close_run()


def code_only(source: SourceNotebook) -> nbformat.NotebookNode:
    """The notebook that is executed and cached: code cells only, so prose edits never re-execute."""
    nb = copy.deepcopy(source.nb)
    nb.cells = [c for c in nb.cells if c.cell_type == "code"]
    return nb


def for_language(
    source: SourceNotebook, executed_code: nbformat.NotebookNode, lang: str
) -> nbformat.NotebookNode:
    """The page for `lang`: its markdown cells interleaved with the executed code cells."""
    nb = copy.deepcopy(source.nb)
    code_cells = iter(executed_code.cells)
    cells = []
    for cell in nb.cells:
        if cell.cell_type == "code":
            executed = copy.deepcopy(next(code_cells))
            executed["id"] = cell["id"]
            cells.append(executed)
        elif _lang_of(cell) == lang:
            cell.metadata["tags"] = [t for t in cell.metadata.get("tags", []) if t not in LANGUAGES]
            if not cell.metadata["tags"]:
                del cell.metadata["tags"]
            cells.append(cell)
    nb.cells = cells
    nb.metadata.pop("jupytext", None)
    nb.metadata.setdefault("language_info", {"name": "python"})
    return nb


def digest(*parts: bytes) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(hashlib.sha256(part).digest())
    return h.hexdigest()
