"""Source citations: `[[src:runtime/proc.go#findRunnable]]` in a page becomes a link to the line of
that identifier in GOROOT/src of the pinned release, at the release tag on GitHub.

Identifier forms (all looked up in the one file named):
- `name`          func, or a const/var/type declared alone or inside a `const (`/`var (`/`type (` group
- `Type.method`   method with receiver Type or *Type (generic receivers too)
- `Type.field`    field of `type Type struct {...}`
- no `#...`       the file itself (line 1)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from kb.evidence.errors import CitationError

SRC_REF = re.compile(r"\[\[src:(?P<file>[\w./\-]+)(?:#(?P<ident>[\w.]+))?(?:\|(?P<label>[^\]]+))?\]\]")


@dataclass(frozen=True)
class Citation:
    file: str
    ident: str | None
    line: int


@cache
def _lines(path: Path) -> tuple[str, ...]:
    return tuple(path.read_text(encoding="utf-8", errors="replace").splitlines())


@cache  # pages cite the same few hundred identifiers ~1,600 times per build
def _find(lines: tuple[str, ...], ident: str) -> int | None:
    """1-based line of `ident` in the Go source `lines`, or None."""
    if "." in ident:
        recv, _, member = ident.partition(".")
        method = re.compile(
            rf"^func\s*\(\s*\w*\s*\*?{re.escape(recv)}(\[[^\]]*\])?\s*\)\s*{re.escape(member)}\s*[\[(]"
        )
        for i, line in enumerate(lines):
            if method.match(line):
                return i + 1
        start = re.compile(rf"^(type\s+|\t){re.escape(recv)}(\[[^\]]*\])?\s+struct\s*\{{")
        field = re.compile(rf"^\s+(\w+\s*,\s*)*{re.escape(member)}\b(\s*,\s*\w+)*\s+\S")
        for i, line in enumerate(lines):
            if start.match(line):
                depth = 0
                for j in range(i, len(lines)):
                    if j > i and depth == 1 and field.match(lines[j]):
                        return j + 1
                    depth += lines[j].count("{") - lines[j].count("}")
                    if depth <= 0 and j > i:
                        break
        return None
    name = re.escape(ident)
    top = re.compile(rf"^(func\s+{name}\s*[\[(]|(const|var|type)\s+{name}\b)")
    group_start = re.compile(r"^(const|var|type)\s*\($")
    grouped = re.compile(rf"^\t(\w+\s*,\s*)*{name}\b")
    in_group = False
    for i, line in enumerate(lines):
        if top.match(line):
            return i + 1
        if group_start.match(line):
            in_group = True
        elif in_group and line.startswith(")"):
            in_group = False
        elif in_group and grouped.match(line):
            return i + 1
    return None


def resolve(goroot: Path, file: str, ident: str | None, *, where: str) -> Citation:
    """Line of `ident` in GOROOT/src/`file`; CitationError naming page, file and identifier."""
    path = goroot / "src" / file
    if ".." in Path(file).parts or not path.is_file():
        raise CitationError(f"{where}: cites `{file}`, which is not a file under {goroot / 'src'}.")
    if ident is None:
        return Citation(file, None, 1)
    line = _find(_lines(path), ident)
    if line is None:
        raise CitationError(
            f"{where}: cites `{file}#{ident}`, but no func/method/const/var/type/field `{ident}` is "
            f"declared in {path}. Fix the identifier, or the file it lives in."
        )
    return Citation(file, ident, line)
