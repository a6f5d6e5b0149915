"""Coverage of the errata: which lines of chapters 1-4 of the source outline are statements, and
whether every one of them is answered by an errata row whose quote really is on the lines it names.

The outline (`snippets/go/errata-source.zh.txt`, a verbatim copy of chapters 1-4 of
shared/source/source-text.zh.txt with the same line numbers, kept only to check coverage; it is never
published) mixes prose, code listings, flattened tables and mermaid graphs. A *statement* is defined
mechanically as any non-blank line of it, except pure structure:

- a Markdown table separator (`|---|---|`) or the header row right above one;
- a mermaid directive (`graph TD`, `graph LR`);
- a line without a letter or digit (a lone `}`);
- a sub-heading label: at most 10 characters, all CJK ideographs (数据同步机制, 关键路径剖析).

Everything else — section titles (they carry claims such as "从64KB初始栈"), prose, each code line,
each table row, each mermaid edge — must be listed in the `lines` of at least one row.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from kb.evidence.errors import RegisterError
from kb.evidence.register import Erratum

SOURCE_NAME = "errata-source.zh.txt"

_SEPARATOR = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")
_MERMAID = re.compile(r"^\s*graph\s+(TD|TB|LR|RL|BT)\s*$")
_WORD = re.compile(r"\w")
_LABEL = re.compile(r"^[\u4e00-\u9fff]{1,10}$")
# Quotes elide with an ellipsis; each piece must appear on the row's lines.
_ELLIPSIS = re.compile(r"\.\.\.|…")
_SPACE = re.compile(r"\s+")


def load_source(folder: Path) -> list[str]:
    path = folder / SOURCE_NAME
    try:
        return path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise RegisterError(
            f"{path}: missing; it must hold chapters 1-4 of shared/source/source-text.zh.txt verbatim "
            "(same line numbers), so that the errata rows' `lines` can be checked."
        ) from None


def statement_lines(lines: Sequence[str]) -> dict[int, str]:
    """1-based line number -> text, for every line that is a statement (see module doc)."""
    out: dict[int, str] = {}
    for i, text in enumerate(lines):
        stripped = text.strip()
        if not stripped or _SEPARATOR.match(stripped) or _MERMAID.match(stripped):
            continue
        if i + 1 < len(lines) and _SEPARATOR.match(lines[i + 1].strip()):
            continue  # table header row
        if not _WORD.search(stripped) or _LABEL.match(stripped):
            continue
        out[i + 1] = text
    return out


def _squash(text: str) -> str:
    return _SPACE.sub("", text)


@dataclass(frozen=True)
class Coverage:
    statements: dict[int, str]
    uncovered: list[int]
    problems: list[str]  # rows whose lines are out of range or do not contain their quote

    @property
    def ok(self) -> bool:
        return not self.uncovered and not self.problems


def check(rows: Iterable[Erratum], lines: Sequence[str], *, where: str = "errata.yaml") -> Coverage:
    statements = statement_lines(lines)
    covered: set[int] = set()
    problems: list[str] = []
    for row in rows:
        outside = [n for n in row.lines if not 1 <= n <= len(lines)]
        if outside:
            problems.append(
                f"{where}: erratum `{row.id}`: field `lines`: {outside} outside 1..{len(lines)} "
                "(chapters 1-4 of the outline)."
            )
            continue
        covered.update(row.lines)
        text = _squash("".join(lines[n - 1] for n in row.lines))
        for piece in _ELLIPSIS.split(row.quote):
            if _squash(piece) and _squash(piece) not in text:
                problems.append(
                    f"{where}: erratum `{row.id}`: quote piece `{piece.strip()}` is not on its lines "
                    f"{_ranges(row.lines)}; quote the outline verbatim (elide with ...) or fix `lines`."
                )
    uncovered = sorted(set(statements) - covered)
    return Coverage(statements=statements, uncovered=uncovered, problems=problems)


def _ranges(numbers: Iterable[int]) -> str:
    """[3, 4, 5, 9] -> '3-5, 9' for messages."""
    out: list[str] = []
    for n in sorted(set(numbers)):
        if out and out[-1].split("-")[-1] == str(n - 1):
            out[-1] = f"{out[-1].split('-')[0]}-{n}"
        else:
            out.append(str(n))
    return ", ".join(out)


def describe(cov: Coverage, folder: Path) -> str:
    """One user-facing message listing what is missing, or '' when the errata are complete."""
    parts = list(cov.problems)
    if cov.uncovered:
        sample = "; ".join(f"{n}: {cov.statements[n].strip()[:40]}" for n in cov.uncovered[:8])
        parts.append(
            f"{folder / 'errata.yaml'}: {len(cov.uncovered)} statement line(s) of "
            f"{folder / SOURCE_NAME} have no errata row ({_ranges(cov.uncovered)}), e.g. {sample}. "
            "Add a row whose `lines` include them."
        )
    return "\n".join(parts)
