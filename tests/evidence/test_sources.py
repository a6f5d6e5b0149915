"""Source constants (drift against a fixture GOROOT), citations, register validation, --goroot."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from evidence_fixtures import make_goroot, make_registers
from kb.evidence import checks, citations, constants
from kb.evidence.claims import Evaluator
from kb.evidence.errors import CitationError, RegisterError
from kb.evidence.register import load


def _docs(tmp_path: Path) -> Path:
    docs = tmp_path / "docs"
    (docs / "a").mkdir(parents=True)
    (docs / "a" / "page.md").write_text("栈 [[claim:stack.initial_size]]\n")
    (docs / "a" / "page.en.md").write_text("Stack [[claim:stack.initial_size]]\n")
    (docs / "other.md").write_text("nothing here `[[claim:stack.initial_size]]` (code)\n")
    return docs


def test_constants_hold_on_matching_goroot(goroot: Path, registers: Path, tmp_path: Path) -> None:
    reg = load(registers)
    assert checks.constant_drift(reg, goroot, checks.usage(_docs(tmp_path))) == []


def test_constant_drift_names_constant_expected_found_and_pages(registers: Path, tmp_path: Path) -> None:
    drifted = make_goroot(tmp_path / "goroot-next", stack_min=4096)
    reg = load(registers)
    problems = checks.constant_drift(reg, drifted, checks.usage(_docs(tmp_path)))
    assert len(problems) == 1
    msg = problems[0]
    assert "`stackMin`" in msg and "expected `2048`" in msg and "found `4096`" in msg
    assert "stack.initial_size" in msg
    assert "docs/a/page.md" in msg and "docs/a/page.en.md" in msg
    assert "docs/other.md" not in msg  # a reference inside inline code is not a use


def test_vanished_constant_fails(registers: Path, tmp_path: Path) -> None:
    root = make_goroot(tmp_path / "goroot-gone")
    stack = root / "src" / "runtime" / "stack.go"
    stack.write_text(stack.read_text().replace("stackMin = 2048", "minStack = 2048"))
    problems = checks.constant_drift(load(registers), root, {})
    assert len(problems) == 1 and "found nothing" in problems[0] and "no longer matches" in problems[0]


def test_numeric_go_expressions() -> None:
    assert constants.numeric("10 * 1000 * 1000") == 10_000_000
    assert constants.numeric("2 * 60 * 1e9") == 120_000_000_000
    assert constants.numeric("64 << 10") == 65536
    assert constants.numeric("_SIGURG") is None


def test_compare_reports_changed_claims(registers: Path, tmp_path: Path) -> None:
    ref = Evaluator(folder=registers, goroot=make_goroot(tmp_path / "a"), go_version="go1.27.3")
    other_root = make_goroot(tmp_path / "b", stack_min=8192)
    stack = other_root / "src" / "runtime" / "stack.go"
    stack.write_text(stack.read_text().replace("func malg(", "func malgNew("))
    other = Evaluator(folder=registers, goroot=other_root, go_version="go1.28")
    changes = {(c.claim, c.evidence.split()[0], c.before, c.after) for c in checks.compare(ref, other)}
    assert ("stack.initial_size", "constant", "2048", "8192") in changes
    assert ("stack.initial_size", "citation", "present", "(gone)") in changes
    assert not any(c[0] == "gc.force_period" for c in changes)


@pytest.mark.parametrize(
    ("ident", "needle"),
    [
        ("malg", "func malg("),
        ("g.isSystem", "func (gp *g) isSystem"),
        ("g.stackguard1", "stackguard1 uintptr"),
        ("stackMin", "stackMin = "),
        ("fixedStack0", "fixedStack0 ="),
        ("stack", "type stack struct"),
        ("forcegcperiod", "var forcegcperiod"),
    ],
)
def test_citation_resolves_to_declaring_line(goroot: Path, ident: str, needle: str) -> None:
    cit = citations.resolve(goroot, "runtime/stack.go", ident, where="docs/p.md")
    line = (goroot / "src/runtime/stack.go").read_text().splitlines()[cit.line - 1]
    assert needle in line


def test_citation_in_pinned_goroot() -> None:
    from kb.evidence import toolchain

    root = toolchain.goroot()
    cit = citations.resolve(root, "runtime/proc.go", "findRunnable", where="docs/p.md")
    assert (
        (root / "src/runtime/proc.go").read_text().splitlines()[cit.line - 1].startswith("func findRunnable(")
    )
    url = toolchain.source_url(cit.file, cit.line)
    assert (
        url == f"https://github.com/golang/go/blob/{toolchain.go_version()}/src/runtime/proc.go#L{cit.line}"
    )


@pytest.mark.parametrize(
    ("file", "ident", "expected"),
    [
        ("runtime/stack.go", "noSuchThing", ["docs/p.md", "runtime/stack.go", "noSuchThing"]),
        ("runtime/stack.go", "g.noField", ["docs/p.md", "g.noField"]),
        ("runtime/nope.go", "malg", ["docs/p.md", "runtime/nope.go"]),
    ],
)
def test_unknown_citation_names_page_file_identifier(
    goroot: Path, file: str, ident: str, expected: list[str]
) -> None:
    with pytest.raises(CitationError) as err:
        citations.resolve(goroot, file, ident, where="docs/p.md")
    for part in expected:
        assert part in str(err.value)


def test_malformed_claim_names_file_and_field_path(tmp_path: Path) -> None:
    folder = make_registers(
        tmp_path / "go",
        claims=textwrap.dedent("""\
        - id: ok.claim
          statement: {zh: 好, en: ok}
          evidence: [{constant: stackMin}]
        - id: bad.claim
          statement: {zh: 坏, en: bad}
          evidence:
            - experiment: stack_initial
              field: x
              expect: {min: 10, max: 1}
        """),
    )
    with pytest.raises(RegisterError) as err:
        load(folder)
    msg = str(err.value)
    assert str(folder / "claims.yaml") in msg
    assert "entry 1 (id bad.claim)" in msg and "evidence[0].expect" in msg and "min 10" in msg


def test_missing_statement_language_and_unknown_key(tmp_path: Path) -> None:
    folder = make_registers(
        tmp_path / "go",
        claims=textwrap.dedent("""\
        - id: c
          statement: {zh: 只有中文}
          evidence: [{constant: stackMin}]
          colour: red
        """),
    )
    with pytest.raises(RegisterError) as err:
        load(folder)
    assert "statement.en" in str(err.value) and "colour" in str(err.value)


def test_bad_regexp_and_unknown_constant_reference(tmp_path: Path) -> None:
    folder = make_registers(tmp_path / "go", constants="- {id: x, file: a.go, regexp: '(', expected: 1}\n")
    with pytest.raises(RegisterError, match=r"constants\.yaml: entry 0 \(id x\): field `regexp`"):
        load(folder)
    folder = make_registers(
        tmp_path / "go2", claims="- {id: c, statement: {zh: a, en: b}, evidence: [{constant: nope}]}\n"
    )
    with pytest.raises(
        RegisterError, match=r"claim `c`: field `evidence\[0\]\.constant`: unknown constant `nope`"
    ):
        load(folder)


def test_yaml_syntax_error_has_line(tmp_path: Path) -> None:
    folder = make_registers(tmp_path / "go")
    (folder / "errata.yaml").write_text("- id: a\n  quote: [unclosed\n")
    with pytest.raises(RegisterError, match=r"errata\.yaml:\d+: not valid YAML"):
        load(folder)


def test_project_registers_load_and_hold() -> None:
    """The real registers validate and every constant matches the pinned GOROOT."""
    from kb.evidence import toolchain

    reg = load(toolchain.go_dir())
    assert len(reg.constants) >= 26 and reg.claims and reg.errata
    assert checks.constant_drift(reg, toolchain.goroot(), {}) == []
