"""claims.expand: values, statements, languages, code left alone, errors naming page and id."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from evidence_fixtures import make_goroot
from kb.evidence import claims
from kb.evidence.claims import ClaimResult, Evaluator, EvidenceResult
from kb.evidence.errors import CitationError, ClaimError
from kb.evidence.register import Claim, Expect


@pytest.fixture
def ev(goroot: Path, registers: Path) -> Evaluator:
    return Evaluator(folder=registers, goroot=goroot, go_version="go1.27.3")


def test_value_statement_and_language(ev: Evaluator) -> None:
    zh = claims.expand(
        "栈 [[claim:stack.initial_size]]，[[claim:stack.initial_size|statement]]",
        where="docs/a.md",
        evaluator=ev,
    )
    assert zh == "栈 2048 B，初始栈大小"
    en = claims.expand(
        "[[claim:stack.initial_size|statement]]: [[claim:gc.force_period]]",
        where="docs/a.en.md",
        evaluator=ev,
    )
    assert en == "Initial stack size: 120 s"
    assert (
        claims.expand("[[claim:gc.force_period|raw]]", where="x", lang="en", evaluator=ev) == "120000000000"
    )


def test_value_follows_the_source(registers: Path, tmp_path: Path) -> None:
    other = Evaluator(
        folder=registers, goroot=make_goroot(tmp_path / "g2", stack_min=4096), go_version="go1.28"
    )
    with pytest.raises(ClaimError) as err:
        claims.expand("[[claim:stack.initial_size]]", where="docs/p.md", evaluator=other)
    assert (
        "docs/p.md" in str(err.value) and "stack.initial_size" in str(err.value) and "4096" in str(err.value)
    )


def test_unknown_id_names_page_and_id(ev: Evaluator) -> None:
    with pytest.raises(ClaimError) as err:
        claims.expand("text [[claim:stack.nope]] more", where="docs/scheduler/x.md", evaluator=ev)
    assert "docs/scheduler/x.md" in str(err.value) and "`stack.nope`" in str(err.value)
    assert "stack.initial_size" in str(err.value)  # a near miss is suggested


def test_unknown_part(ev: Evaluator) -> None:
    with pytest.raises(ClaimError, match=r"docs/p\.md: .*\|median\]\].*not a timing"):
        claims.expand("[[claim:stack.initial_size|median]]", where="docs/p.md", evaluator=ev)
    with pytest.raises(ClaimError, match="unknown part"):
        claims.expand("[[claim:stack.initial_size|colour]]", where="docs/p.md", evaluator=ev)


def test_code_and_escapes_are_left_alone(ev: Evaluator) -> None:
    text = textwrap.dedent("""\
        `[[claim:nope]]` and \\[[claim:nope]]

        ```yaml
        value: [[claim:nope]]
        ```
        real: [[claim:stack.initial_size]]
        """)
    out = claims.expand(text, where="docs/p.md", evaluator=ev)
    assert out.count("[[claim:nope]]") == 3 and "real: 2048 B" in out


def test_citation_link(ev: Evaluator, goroot: Path) -> None:
    out = claims.expand(
        "see [[src:runtime/stack.go#malg]] or [[src:runtime/stack.go#g.stackguard0|the guard]]",
        where="docs/p.md",
        evaluator=ev,
    )
    lines = (goroot / "src/runtime/stack.go").read_text().splitlines()
    malg = next(i for i, line in enumerate(lines, 1) if line.startswith("func malg"))
    assert f"https://github.com/golang/go/blob/go1.27.3/src/runtime/stack.go#L{malg}" in out
    assert "[the guard](" in out
    with pytest.raises(CitationError, match=r"docs/p\.md: cites `runtime/stack\.go#nope`"):
        claims.expand("[[src:runtime/stack.go#nope]]", where="docs/p.md", evaluator=ev)


def test_timing_shows_spread_never_one_number() -> None:
    claim = Claim.model_validate(
        {
            "id": "t",
            "statement": {"zh": "切换", "en": "switch"},
            "unit": "ns",
            "evidence": [{"experiment": "x", "field": "f", "expect": {"min": 1, "max": 1000}}],
        }
    )
    r = ClaimResult(
        claim,
        [EvidenceResult("experiment", "x", True)],
        {"min": 116.2, "median": 134.0, "max": 190.7, "n": 15},
        {"nproc": 2, "loadavg": [0.5]},
    )
    en = claims.format_value(r, "en")
    assert en.startswith("median 134 ns (min 116, max 191") and "15 runs" in en and "2 CPUs" in en
    assert "最小 116" in claims.format_value(r, "zh")


def test_expect_checks() -> None:
    assert claims.check_expect(Expect(min=1, max=10), 5) is None
    assert "above" in (claims.check_expect(Expect(min=1, max=10), 11) or "")
    assert "median 50" in (claims.check_expect(Expect(max=10), {"min": 1, "median": 50, "max": 90}) or "")
    assert claims.check_expect(Expect(equals=True), True) is None
    assert claims.check_expect(Expect(min=0), "x") is not None


def test_errata_and_claims_pages(ev: Evaluator) -> None:
    from kb.evidence import pages

    results = ev.evaluate_all()
    page = pages.claims_page(
        results,
        lang="en",
        pages={"stack.initial_size": ["docs/a.md"]},
        go="go1.27.3",
        machine={"nproc": 2, "kernel": "k", "arch": "x86_64"},
    )
    assert "| 2048 B |" in page and "`docs/a.md`" in page and "✅ verified" in page
    errata = pages.errata_page(ev.register.errata, lang="zh", evaluator=ev, go="go1.27.3")
    assert "初始栈是 2048 B。" in errata and "错误" in errata and "runtime/stack.go" in errata
    assert "E1<br><small>L25</small>" in errata
