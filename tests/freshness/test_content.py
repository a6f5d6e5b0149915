from __future__ import annotations

import datetime as dt

import jupytext
import pytest
from hypothesis import given
from hypothesis import strategies as st
from kb.freshness.content import (
    FrontMatterError,
    notebook_facts,
    page_facts,
    parse_cell_header,
    split_front_matter,
    text_hash,
)
from kb.freshness.gitlog import parse_log


def test_whitespace_and_reflow_do_not_change_the_hash() -> None:
    assert text_hash("a  b\n\nc") == text_hash("a b c")
    assert text_hash("调度器把 goroutine\n放进队列") == text_hash("调度器把 goroutine 放进队\n列")
    # but words joined or split in Latin text, or any visible character, do
    assert text_hash("run queue") != text_hash("runqueue")
    assert text_hash("队列。") != text_hash("队列，")


@given(st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=60))
def test_hash_ignores_surrounding_whitespace(s: str) -> None:
    assert text_hash(s) == text_hash(f"  \n{s}\n\t ")


def test_front_matter_split_and_errors() -> None:
    meta, body, line = split_front_matter("---\nowner: a\nreviewed: 2026-11-02\n---\n# T\n")
    assert meta == {"owner": "a", "reviewed": dt.date(2026, 11, 2)}
    assert body == "# T\n" and line == 5
    with pytest.raises(FrontMatterError) as info:
        split_front_matter("---\nowner: [a\n---\nbody")
    assert info.value.line >= 2
    with pytest.raises(FrontMatterError, match="never closed"):
        split_front_matter("---\nowner: a\n")


def test_front_matter_only_edit_keeps_body_hash() -> None:
    a = page_facts("---\nowner: a\n---\n# T\n", "zh", "zh")
    b = page_facts("---\nowner: b\ntitle: x\n---\n# T\n", "zh", "zh")
    assert a.body_hash == b.body_hash and a.owner != b.owner


def test_translation_records_source_hash() -> None:
    f = page_facts("---\nowner: a\nreviewed: 2026-11-02\nsource_hash: abc\n---\nbody", "en", "zh")
    assert f.synced_to == "abc" and f.sync_key is None and f.reviewed == dt.date(2026, 11, 2)


NB = """# ---
# jupyter:
#   kb:
#     owner: team
#     reviewed: 2026-11-01
#     reviewed_en: 2026-11-03
# ---

# %% [markdown] tags=["zh"]
# # 标题
# 说明

# %% [markdown] tags=["en"] source_hash="0123456789abcdef"
# # Title

# %%
x = 1
"""


def test_notebook_facts_match_jupytext() -> None:
    facts = notebook_facts(NB, ("zh", "en"), "zh")
    assert facts["zh"].reviewed == dt.date(2026, 11, 1)
    assert facts["en"].reviewed == dt.date(2026, 11, 3)
    assert facts["en"].owner == "team"
    assert facts["zh"].sync_key == (text_hash("# 标题\n说明"),)
    assert facts["en"].synced_to == ("0123456789abcdef",)
    assert facts["zh"].title == "标题"
    # the lead's notebook reader (jupytext) sees the same cells and keeps our cell metadata
    nb = jupytext.reads(NB, fmt="py:percent")
    md = [c for c in nb.cells if c.cell_type == "markdown"]
    assert md[0].source == facts["zh"].cells[0].text
    assert md[1].metadata["source_hash"] == "0123456789abcdef"
    assert nb.metadata["kb"]["owner"] == "team"


def test_cell_header() -> None:
    assert parse_cell_header(' [markdown] tags=["en"] source_hash="ab"') == (
        "markdown",
        {"tags": ["en"], "source_hash": "ab"},
    )
    assert parse_cell_header("")[0] == "code"


def test_parse_log_handles_renames_and_chinese_paths() -> None:
    raw = (
        "\x1e" + "a" * 40 + "\x1f1790000000\x1f" + "b" * 40 + "\x1fme\x1fmsg\0\n"
        ":100644 100644 " + "1" * 40 + " " + "2" * 40 + " R090\0docs/旧.md\0docs/新.md\0"
        ":000000 100644 " + "0" * 40 + " " + "3" * 40 + " A\0docs/x.md\0"
    ).encode()
    [c] = parse_log(raw)
    assert c.timestamp == 1790000000 and c.parents == ("b" * 40,)
    assert [(ch.status, ch.old_path, ch.new_path) for ch in c.changes] == [
        ("R", "docs/旧.md", "docs/新.md"),
        ("A", "docs/x.md", "docs/x.md"),
    ]
