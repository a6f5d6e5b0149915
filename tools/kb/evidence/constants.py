"""Source constants: values the site relies on, read from GOROOT/src with a regexp (group 1)."""

from __future__ import annotations

import ast
import operator
import re
from dataclasses import dataclass
from pathlib import Path

from kb.evidence.register import Constant


@dataclass(frozen=True)
class ConstantResult:
    constant: Constant
    found: str | None  # None: the file or the pattern vanished
    line: int | None
    problem: str | None  # None when found == expected

    @property
    def ok(self) -> bool:
        return self.problem is None


def check(constant: Constant, goroot: Path) -> ConstantResult:
    """Read one constant from `goroot`/src and compare it with the expected value (as text, with
    whitespace normalised, so `10*1000` and `10 * 1000` are equal)."""
    path = goroot / "src" / constant.file
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ConstantResult(constant, None, None, f"file {path} does not exist")
    match = re.search(constant.regexp, text)
    if match is None:
        return ConstantResult(constant, None, None, f"pattern `{constant.regexp}` no longer matches {path}")
    found = match.group(1).strip()
    line = text.count("\n", 0, match.start(1)) + 1
    if _norm(found) != _norm(constant.expected):
        return ConstantResult(constant, found, line, f"{path}:{line} has `{found}`")
    return ConstantResult(constant, found, line, None)


def _norm(text: str) -> str:
    return re.sub(r"\s+", "", text)


_OPS = {
    ast.Mult: operator.mul,
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Div: operator.truediv,
    ast.LShift: operator.lshift,
    ast.FloorDiv: operator.floordiv,
}


def numeric(text: str) -> float | int | None:
    """The number a Go constant expression such as `10 * 1000 * 1000`, `2 * 60 * 1e9`, `64 << 10`
    or `1e6` denotes; None if it is not plain arithmetic on literals (e.g. `_SIGURG`).
    Written by hand because only these few literal operators occur and eval() must not be used."""

    def ev(node: ast.AST) -> float | int:
        if isinstance(node, ast.Expression):
            return ev(node.body)
        if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
            return node.value
        if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
            return _OPS[type(node.op)](ev(node.left), ev(node.right))
        raise ValueError(text)

    try:
        value = ev(ast.parse(text.strip(), mode="eval"))
    except (SyntaxError, ValueError, ZeroDivisionError):
        return None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value
