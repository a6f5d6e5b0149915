"""The errata cover every statement of chapters 1-4 of the source outline, and each row's quote is on
the lines it names. Pure data checks: no Go, no MkDocs."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest
from kb.evidence import errata
from kb.evidence.errors import RegisterError
from kb.evidence.register import Erratum, load

REGISTERS = Path(__file__).resolve().parents[2] / "snippets" / "go"


@pytest.fixture(scope="module")
def rows() -> list[Erratum]:
    return load(REGISTERS).errata


@pytest.fixture(scope="module")
def source() -> list[str]:
    return errata.load_source(REGISTERS)


def _row(id: str, lines: list[int | str], quote: str) -> Erratum:
    return Erratum.model_validate(
        {
            "id": id,
            "section": "s",
            "lines": lines,
            "quote": quote,
            "verdict": "wrong",
            "fact": {"zh": "事实", "en": "fact"},
            "evidence": ["go.version"],
        }
    )


def test_every_statement_of_chapters_1_to_4_has_a_row(rows: list[Erratum], source: list[str]) -> None:
    cov = errata.check(rows, source, where=str(REGISTERS / "errata.yaml"))
    assert cov.ok, errata.describe(cov, REGISTERS)
    # The definition must leave most of the outline as statements; a rule that excluded everything
    # would make this test pass vacuously.
    non_blank = sum(1 for line in source if line.strip())
    assert len(cov.statements) > 0.7 * non_blank


def test_source_copy_is_chapters_1_to_4(source: list[str]) -> None:
    assert source[0].startswith("第一章")
    chapters = [line for line in source if line.startswith("第") and "章" in line[:4]]
    assert [c[:3] for c in chapters] == ["第一章", "第二章", "第三章", "第四章"]
    assert not any(line.startswith("第五章") for line in source)


def test_ids_are_unique_and_rows_follow_the_outline(rows: list[Erratum]) -> None:
    ids = [r.id for r in rows]
    assert len(ids) == len(set(ids))
    # Rows are ordered by section, so the generated page groups each section once.
    sections = [r.section_for("zh") for r in rows]
    # Both languages always: the English page gets English section headings.
    assert all(not isinstance(r.section, str) for r in rows)
    assert not any(re.search(r"[\u4e00-\u9fff]", r.section_for("en")) for r in rows)
    seen: list[str] = []
    for s in sections:
        if not seen or seen[-1] != s:
            assert s not in seen, f"section {s} appears in two separate runs of rows"
            seen.append(s)


def test_statement_definition() -> None:
    lines = textwrap.dedent("""\
        第一章:标题也是陈述
        数据同步机制
        | 特性 | 实现 |
        |---|---|
        | 小对象 | mcache |
        graph TD
        A[x] --> B[y]
        }

        func f() {
        编译为静态可执行文件的很长的一行标题
        """).splitlines()
    got = errata.statement_lines(lines)
    assert sorted(got) == [1, 5, 7, 10, 11]


def test_a_missing_row_is_reported(rows: list[Erratum], source: list[str]) -> None:
    # Drop the only row answering the outline's "分代式分配器" (line 12 is covered by three rows,
    # line 17 by one).
    only17 = [r for r in rows if 17 in r.lines]
    assert len(only17) == 1
    cov = errata.check([r for r in rows if r is not only17[0]], source)
    assert cov.uncovered == [17]
    message = errata.describe(cov, REGISTERS)
    assert "17" in message and "errata.yaml" in message and "mcache" in message


def test_quote_must_be_on_its_lines(source: list[str]) -> None:
    ok = _row("ok", [25], "初始大小为 64KB...stackalloc 统一管理")
    moved = _row("moved", [26], "初始大小为 64KB")
    outside = _row("outside", [len(source) + 1], "x")
    cov = errata.check([ok, moved, outside], source)
    assert len(cov.problems) == 2
    assert "`moved`" in cov.problems[0] and "初始大小为 64KB" in cov.problems[0]
    assert "`outside`" in cov.problems[1] and "lines" in cov.problems[1]


def test_quote_may_span_a_line_break(source: list[str]) -> None:
    # The outline breaks sentences across lines (32-33); whitespace and line breaks are ignored.
    cov = errata.check([_row("r", [32, 33], "所有栈内存由mheap的stackpool惰性复用")], source)
    assert cov.problems == []


def test_line_ranges() -> None:
    assert _row("r", [3, "5-7"], "q").lines == [3, 5, 6, 7]
    with pytest.raises(ValueError, match="backwards"):
        _row("r", ["7-5"], "q")


def test_bad_lines_in_the_register_name_file_and_row(tmp_path: Path) -> None:
    folder = tmp_path / "go"
    folder.mkdir()
    for name in ("constants.yaml", "claims.yaml"):
        (folder / name).write_text("[]\n")
    (folder / "errata.yaml").write_text(
        textwrap.dedent("""\
        - id: E1
          section: s
          lines: [x]
          quote: q
          verdict: wrong
          fact: {zh: 事实, en: fact}
          evidence: ["src:runtime/stack.go#stackMin"]
        """)
    )
    with pytest.raises(RegisterError, match=r"errata\.yaml: entry 0 \(id E1\): field `lines\[0\]`"):
        load(folder)
    with pytest.raises(RegisterError, match=r"errata-source\.zh\.txt: missing"):
        errata.load_source(folder)
