"""Chapter group 2 pages (run queues and stealing, global queue and netpoller, schedule/findRunnable
and the G state machine) and their lab notebook: zh and en say the same things (same claims, same
citations, same structure), no number is typed into the prose, and the G state diagram matches the
state transitions that the pinned runtime source actually makes."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import jupytext
import pytest
from kb import external
from kb.evidence.register import load

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs" / "scheduler"
PAGES = ("runqueues-and-stealing", "global-queue-and-netpoller", "schedule-and-findrunnable")
NOTEBOOK = DOCS / "runqueue-lab.py"

REF = re.compile(r"\[\[(claim|src):([^\]|]+)(?:\|[^\]]*)?\]\]")
FENCE = re.compile(r"^(`{3,}|~{3,}).*?^\1[ \t]*$", re.M | re.S)
INLINE = re.compile(r"`[^`\n]*`")
LINK_TARGET = re.compile(r"\]\([^)]*\)")
FRONT = re.compile(r"\A---\n.*?\n---\n", re.S)
# Digits that are names, not facts: Go release names, the GOMAXPROCS setting of an experiment.
ALLOWED = re.compile(r"(Go 1\.\d+|GOMAXPROCS ?= ?\d|amd64|arm64|32 位|32-bit)")

MERMAID = re.compile(r"^```mermaid\n(.*?)^```", re.M | re.S)
STATE_ALIAS = re.compile(r'^\s*state "(_G\w+)" as (\w+)', re.M)
EDGE = re.compile(r"^\s*(\[\*\]|\w+) --> (\w+)\s*:\s*(.+)$", re.M)
# Status changes in the runtime: casgstatus(gp, old, new) and the helpers that take the old and new
# status as literal arguments.
CAS = re.compile(
    r"\b(?:casgstatus|casGFromPreempted|casGToPreemptScan)\(\s*[\w.()]+,\s*(_G\w+(?:\|_G\w+)?),\s*(_G\w+(?:\|_G\w+)?)\)"
)
CAS_TO_WAITING = re.compile(r"\bcasGToWaiting(?:ForSuspendG)?\(\s*[\w.()]+,\s*(_G\w+),")


def _pair(stem: str) -> tuple[str, str]:
    return (DOCS / f"{stem}.md").read_text(encoding="utf-8"), (DOCS / f"{stem}.en.md").read_text(
        encoding="utf-8"
    )


def _refs(text: str) -> Counter[tuple[str, str]]:
    return Counter((m.group(1), m.group(2)) for m in REF.finditer(FENCE.sub("", text)))


def _structure(text: str) -> list[str]:
    shape = []
    for line in FRONT.sub("", text).splitlines():
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
    prose = FENCE.sub("", prose)
    prose = REF.sub("", prose)
    prose = INLINE.sub("", prose)
    prose = LINK_TARGET.sub("]", prose)
    prose = ALLOWED.sub("", prose)
    prose = re.sub(r"(?m)^\s*\d+\. ", "", prose)  # ordered-list markers
    return [line.strip() for line in prose.splitlines() if re.search(r"\d", line)]


def _diagram_edges(text: str) -> dict[tuple[str, str], str]:
    """(old, new) -> label for the stateDiagram of a page, with the aliases mapped back to _G names."""
    diagrams = [d for d in MERMAID.findall(text) if d.lstrip().startswith("stateDiagram")]
    assert len(diagrams) == 1
    # mermaid ends a stateDiagram statement at ";": a label containing one is cut and its words
    # become states of their own.
    assert ";" not in diagrams[0]
    names = {alias: name for name, alias in STATE_ALIAS.findall(diagrams[0])}
    names["[*]"] = "[*]"
    return {(names[a], names[b]): label for a, b, label in EDGE.findall(diagrams[0])}


def _source_transitions() -> set[tuple[str, str]]:
    """Every (old, new) status change written literally in runtime/*.go (tests excluded); a
    `_Gscan|_Gx` target counts as `_Gx` (the scan bit is dropped by casfrom_Gscanstatus)."""
    found: set[tuple[str, str]] = set()
    for path in (external.goroot() / "src" / "runtime").glob("*.go"):
        if path.name.endswith("_test.go"):
            continue
        src = path.read_text(encoding="utf-8")
        for old, new in CAS.findall(src):
            if "|" in old or old in ("old", "s"):
                continue
            found.add((old, new.split("|")[-1]))
        for old in CAS_TO_WAITING.findall(src):
            found.add((old, "_Gwaiting"))
    return found


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


@pytest.mark.parametrize("stem", PAGES)
def test_each_page_corrects_misconceptions(stem: str) -> None:
    zh, en = _pair(stem)
    assert '!!! warning "常见误解"' in zh
    assert '!!! warning "Common misconception"' in en


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


def test_state_diagram_has_every_transition_of_the_runtime() -> None:
    source = _source_transitions()
    assert ("_Grunnable", "_Grunning") in source and len(source) >= 15  # the scan itself works
    for text in _pair("schedule-and-findrunnable"):
        edges = set(_diagram_edges(text))
        assert sorted(source - edges) == []


def test_state_diagram_edges_name_real_runtime_functions() -> None:
    runtime = "\n".join(
        p.read_text(encoding="utf-8")
        for p in (external.goroot() / "src" / "runtime").glob("*.go")
        if not p.name.endswith("_test.go")
    )
    defined = set(re.findall(r"(?m)^func (?:\([^)]*\) )?(\w+)", runtime))
    zh, en = (_diagram_edges(t) for t in _pair("schedule-and-findrunnable"))
    assert zh.keys() == en.keys()
    for label in en.values():
        names = [w for w in re.findall(r"[A-Za-z_]\w*", label) if re.search(r"[a-z][A-Z]|_|^[a-z]+\d?$", w)]
        cited = [w for w in names if w in defined]
        assert cited, f"edge label {label!r} names no runtime function"


def test_state_diagram_states_are_the_runtime_statuses() -> None:
    runtime2 = (external.goroot() / "src" / "runtime" / "runtime2.go").read_text(encoding="utf-8")
    start = runtime2.index("_Gidle = iota")
    end = re.search(r"(?m)^\s*_Gscan\s*=", runtime2[start:])
    assert end is not None
    block = runtime2[start : start + end.start()]
    statuses = {s for s in re.findall(r"(?m)^\s*(_G\w+)", block) if not s.endswith("_unused")}
    for text in _pair("schedule-and-findrunnable"):
        edges = _diagram_edges(text)
        states = {s for edge in edges for s in edge} - {"[*]"}
        assert states == statuses


def test_typed_number_check_catches_a_number() -> None:
    assert _typed_numbers("---\nowner: x\n---\n队列容量是 256。\n") == ["队列容量是 256。"]
    assert _typed_numbers("容量 [[claim:runq.capacity]],`runq [256]guintptr`。\n") == []


def test_state_check_rejects_a_semicolon_in_a_label() -> None:
    text = '```mermaid\nstateDiagram-v2\n    state "_Gidle" as A\n    A --> A: x; y\n```\n'
    with pytest.raises(AssertionError):
        _diagram_edges(text)


def test_state_check_catches_a_missing_edge() -> None:
    text = '```mermaid\nstateDiagram-v2\n    state "_Grunnable" as A\n    state "_Grunning" as B\n    A --> B: execute\n```\n'
    assert set(_diagram_edges(text)) == {("_Grunnable", "_Grunning")}
    assert _source_transitions() - set(_diagram_edges(text))
