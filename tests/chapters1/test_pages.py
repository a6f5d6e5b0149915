"""Chapter group 1 pages (why-efficient, gmp-and-stacks, goroutine-creation) and their lab notebook:
the zh and en versions say the same things (same claims, same citations, same structure), and no
number is typed into the prose: numbers reach the reader only through [[claim:...]]."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import jupytext
import pytest
from kb.evidence.register import load

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs" / "scheduler"
PAGES = ("why-efficient", "gmp-and-stacks", "goroutine-creation")
NOTEBOOK = DOCS / "stacks-lab.py"

REF = re.compile(r"\[\[(claim|src):([^\]|]+)(?:\|[^\]]*)?\]\]")
FENCE = re.compile(r"^(`{3,}|~{3,}).*?^\1[ \t]*$", re.M | re.S)
INLINE = re.compile(r"`[^`\n]*`")
LINK_TARGET = re.compile(r"\]\([^)]*\)")
# A misconception box states the wrong claim (with its wrong numbers) before the fact.
MISCONCEPTION = re.compile(r"(误解:|Misconception:).*?(?=事实:|Fact:)", re.S)
FRONT = re.compile(r"\A---\n.*?\n---\n", re.S)
# Digits that are names or structure, not facts: platforms, Go release dates, the GOMAXPROCS setting
# of an experiment, section/part numbers, "1/N" (N from a claim), size class 0, kernel32.
ALLOWED = re.compile(
    r"(amd64|arm64|x86|\b(32|64)[- ]?(bit|位)|Go 1\.\d+|GOMAXPROCS ?[=>] ?\d|kernel32|"
    r"第 \d+ (节|部分)|section \d|Part \d|\b1/|0 号|class 0|\bg0\b|2 的幂|power of two|^#+ \d+\.)",
    re.M,
)


def _pair(stem: str) -> tuple[str, str]:
    return (DOCS / f"{stem}.md").read_text(encoding="utf-8"), (DOCS / f"{stem}.en.md").read_text(
        encoding="utf-8"
    )


def _refs(text: str) -> Counter[tuple[str, str]]:
    return Counter((m.group(1), m.group(2)) for m in REF.finditer(FENCE.sub("", text)))


def _structure(text: str) -> list[str]:
    body = FRONT.sub("", text)
    shape = []
    for line in body.splitlines():
        if line.startswith("#"):
            shape.append(line.split(" ", 1)[0])
        elif line.startswith("!!! "):
            shape.append("admonition")
        elif line.startswith("```mermaid"):
            shape.append("mermaid")
        elif line.startswith("|"):
            shape.append("row")
    return shape


def _typed_numbers(text: str) -> list[str]:
    prose = FRONT.sub("", text)
    prose = MISCONCEPTION.sub("", prose)
    prose = FENCE.sub("", prose)
    prose = REF.sub("", prose)
    prose = INLINE.sub("", prose)
    prose = LINK_TARGET.sub("]", prose)
    prose = ALLOWED.sub("", prose)
    prose = re.sub(r"(?m)^\s*\d+\. ", "", prose)  # ordered-list markers
    return [line.strip() for line in prose.splitlines() if re.search(r"\d", line)]


@pytest.mark.parametrize("stem", PAGES)
def test_zh_and_en_cite_the_same_claims_and_sources(stem: str) -> None:
    zh, en = _pair(stem)
    assert _refs(zh) == _refs(en)


@pytest.mark.parametrize("stem", PAGES)
def test_zh_and_en_have_the_same_structure(stem: str) -> None:
    zh, en = _pair(stem)
    assert _structure(zh) == _structure(en)


@pytest.mark.parametrize("stem", PAGES)
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_no_number_is_typed_into_the_prose(stem: str, lang: str) -> None:
    text = _pair(stem)[0 if lang == "zh" else 1]
    assert _typed_numbers(text) == []


def test_every_claim_used_exists_in_the_register() -> None:
    ids = set(load(ROOT / "snippets" / "go").claims)
    used = set()
    for stem in PAGES:
        for text in _pair(stem):
            used |= {ident for kind, ident in _refs(text) if kind == "claim"}
    assert used and used <= ids, sorted(used - ids)


def test_notebook_cells_pair_up_and_cite_the_same_claims() -> None:
    nb = jupytext.read(NOTEBOOK)
    md = [c for c in nb.cells if c.cell_type == "markdown"]
    zh = [c for c in md if "zh" in c.metadata.get("tags", [])]
    en = [c for c in md if "en" in c.metadata.get("tags", [])]
    assert len(zh) == len(en) == len(md) // 2
    for a, b in zip(zh, en, strict=True):
        assert _refs(a.source) == _refs(b.source)


def test_typed_number_check_catches_a_number() -> None:
    # The check above must be able to fail: a bare figure in prose is reported.
    assert _typed_numbers("---\nowner: x\n---\n栈从 2048 字节开始。\n") == ["栈从 2048 字节开始。"]
    assert _typed_numbers("栈从 [[claim:stack.initial_size]] 开始,`stackMin = 2048`。\n") == []


@pytest.mark.parametrize("stem", PAGES)
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_sequence_diagram_messages_have_no_semicolon(stem: str, lang: str) -> None:
    # Mermaid ends a sequence-diagram statement at ';', silently breaking the diagram in the browser.
    text = _pair(stem)[0 if lang == "zh" else 1]
    for block in re.findall(r"```mermaid\n(.*?)```", text, re.S):
        if block.lstrip().startswith("sequenceDiagram"):
            assert [ln for ln in block.splitlines() if ";" in ln] == []
