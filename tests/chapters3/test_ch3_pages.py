"""Chapters-3 pages: both languages state the same facts (the same claims and source citations, in
the same numbers) and each carries a common-misconceptions box; the lab notebook pairs its cells."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = [
    "channels-parking-waking",
    "syscalls-and-handoff",
    "gc-and-scheduler",
    "preemption",
    "atomics-and-memory-order",
]
REF = re.compile(r"\[\[(claim|src):([^\]|]+)(?:\|[^\]]*)?\]\]")


def refs(text: str) -> Counter[str]:
    return Counter(f"{kind}:{ident}" for kind, ident in REF.findall(text))


@pytest.mark.parametrize("page", PAGES)
def test_zh_and_en_cite_the_same_evidence(page: str) -> None:
    zh = (ROOT / "docs/scheduler" / f"{page}.md").read_text(encoding="utf-8")
    en = (ROOT / "docs/scheduler" / f"{page}.en.md").read_text(encoding="utf-8")
    assert refs(zh), f"{page}.md cites no claim or source"
    assert refs(zh) == refs(en), (
        f"{page}: zh and en cite different evidence: {(refs(zh) - refs(en)) + (refs(en) - refs(zh))}"
    )


@pytest.mark.parametrize("page", PAGES)
def test_misconception_box_in_both_languages(page: str) -> None:
    zh = (ROOT / "docs/scheduler" / f"{page}.md").read_text(encoding="utf-8")
    en = (ROOT / "docs/scheduler" / f"{page}.en.md").read_text(encoding="utf-8")
    assert '!!! warning "常见误解"' in zh
    assert '!!! warning "Common misconception"' in en


def test_refs_counter_sees_a_difference() -> None:
    # The comparison above must be able to fail.
    assert refs("[[claim:a]] [[src:x.go#f|t]]") != refs("[[claim:a]]")


def test_lab_markdown_cells_are_paired() -> None:
    for lab in ("syscall-lab.py", "parking-lab.py"):
        text = (ROOT / "docs/scheduler" / lab).read_text(encoding="utf-8")
        tags = re.findall(r'^# %% \[markdown\] tags=\["(zh|en)"\]', text, re.M)
        assert tags and tags == ["zh", "en"] * (len(tags) // 2), lab
