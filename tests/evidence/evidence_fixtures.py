"""Fixtures: a tiny GOROOT and tiny registers in tmp_path, so tests can change values freely."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

STACK_GO = """\
package runtime

const (
	// stackMin is the minimum stack size.
	stackMin = {stack_min}
	fixedStack0 = stackMin
)

type stack struct {{
	lo uintptr
	hi uintptr
}}

type g struct {{
	stack       stack
	stackguard0 uintptr
	stackguard1 uintptr
}}

func malg(stacksize int32) *g {{
	return nil
}}

func (gp *g) isSystem() bool {{ return false }}

var forcegcperiod int64 = 2 * 60 * 1e9
"""


def make_goroot(root: Path, *, stack_min: int = 2048, version: str = "go1.27.3") -> Path:
    (root / "src" / "runtime").mkdir(parents=True)
    (root / "src" / "runtime" / "stack.go").write_text(STACK_GO.format(stack_min=stack_min))
    (root / "VERSION").write_text(version + "\n")
    return root


def make_registers(folder: Path, *, claims: str | None = None, constants: str | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "constants.yaml").write_text(
        constants
        or textwrap.dedent("""\
        - id: stackMin
          file: runtime/stack.go
          regexp: '(?m)^\\s*stackMin\\s*=\\s*(\\d+)'
          expected: 2048
        - id: forcegcperiod
          file: runtime/stack.go
          regexp: 'var forcegcperiod int64 = (.+)'
          expected: 2 * 60 * 1e9
        """)
    )
    (folder / "claims.yaml").write_text(
        claims
        or textwrap.dedent("""\
        - id: stack.initial_size
          statement: {zh: 初始栈大小, en: Initial stack size}
          unit: B
          evidence:
            - constant: stackMin
            - citation: runtime/stack.go#malg
        - id: gc.force_period
          statement: {zh: 强制 GC 周期, en: Forced GC period}
          unit: s
          scale: 1e-9
          evidence:
            - constant: forcegcperiod
        """)
    )
    # The outline copy: only line 25 is a statement, and row E1 answers it.
    (folder / "errata-source.zh.txt").write_text("\n" * 24 + "初始大小为 64KB(_StackMin = 64 << 10)\n")
    (folder / "errata.yaml").write_text(
        textwrap.dedent("""\
        - id: E1
          section: "2.1 栈"
          quote: 初始大小为 64KB
          verdict: wrong
          lines: [25]
          fact:
            zh: "初始栈是 [[claim:stack.initial_size]]。"
            en: "The initial stack is [[claim:stack.initial_size]]."
          evidence: [stack.initial_size, "src:runtime/stack.go#stackMin"]
        """)
    )
    return folder


@pytest.fixture
def goroot(tmp_path: Path) -> Path:
    return make_goroot(tmp_path / "goroot")


@pytest.fixture
def registers(tmp_path: Path) -> Path:
    return make_registers(tmp_path / "go")
