"""The glossary: data validation, the cross-page translation check, the CLI and the generated page."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from kb.glossary import page, scan, terms

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "snippets" / "glossary.yaml"


def write(root: Path, rel: str, text: str) -> Path:
    p = root / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return p


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """A tiny project: the real glossary data and a few pages, consistent to begin with."""
    write(tmp_path, "snippets/glossary.yaml", DATA.read_text(encoding="utf-8"))
    write(tmp_path, "mkdocs.yml", "site_name: t\n")
    write(tmp_path, "docs/a.md", "---\nowner: x\n---\n\n# 调度\n\n空闲的 P 会进行工作窃取。\n")
    write(tmp_path, "docs/a.en.md", "# Scheduling\n\nAn idle P does work stealing.\n")
    write(tmp_path, "docs/b.md", "# 另一页\n\n本地运行队列为空时才窃取。\n")
    write(tmp_path, "docs/b.en.md", "# Another\n\nIt steals only when its local run queue is empty.\n")
    return tmp_path


def fatal(root: Path) -> list[scan.Problem]:
    return [p for p in scan.check(terms.load(root / "snippets/glossary.yaml"), root) if p.fatal]


def test_project_data_is_valid_and_covers_the_required_terms() -> None:
    # 内存序 is covered too: as the forbidden twin of 内存顺序 (the chapters write 内存顺序).
    found = terms.load(DATA)
    zh = {t.zh for t in found}
    required = {"goroutine", "调度器", "工作窃取", "抢占", "runnext", "本地运行队列", "全局运行队列", "自旋线程",
                "系统调用", "网络轮询器", "栈扩容", "异步抢占", "内存顺序"}  # fmt: skip
    assert required <= zh, required - zh
    assert "内存序" in next(t for t in found if t.zh == "内存顺序").zh_forbidden
    assert all(t.define.zh and t.define.en for t in found)


def test_consistent_pages_pass(site: Path) -> None:
    assert fatal(site) == []


def test_second_translation_in_another_page_is_flagged_with_file_and_line(site: Path) -> None:
    write(site, "docs/c.md", "# 第三页\n\n第一行。\n\n这里写成了任务窃取。\n")
    problems = fatal(site)
    assert len(problems) == 1
    p = problems[0]
    assert (p.path, p.line) == (Path("docs/c.md"), 5)
    assert "任务窃取" in p.message and "工作窃取" in p.message
    assert "docs/a.md:7" in p.message  # where the glossary's form is used: both sides are named


def test_english_variants_match_case_and_suffix_and_notebook_lines(site: Path) -> None:
    write(
        site,
        "docs/nb.py",
        """
        # ---
        # jupyter:
        #   kernelspec: {name: python3}
        # ---

        # %% [markdown] tags=["zh"]
        # # 标题
        #
        # 这是一个协程。

        # %% [markdown] tags=["en"]
        # # Title
        #
        # Task Stealing happens.

        # %%
        x = "任务窃取 in code is not prose"
        """,
    )
    problems = fatal(site)
    where = {(str(p.path), p.line) for p in problems}
    assert where == {("docs/nb.py", 9), ("docs/nb.py", 14)}, problems


def test_code_front_matter_and_ignore_marker_are_skipped_but_mermaid_is_prose(site: Path) -> None:
    write(
        site,
        "docs/d.md",
        """
        ---
        title: 任务窃取
        ---
        # 页

        `任务窃取` 在行内代码里。

        ```text
        任务窃取
        ```

        误解：“任务窃取”<!-- glossary-ignore -->

        ```mermaid
        flowchart LR
          A["任务窃取"] --> B
        ```
        """,
    )
    problems = fatal(site)
    assert [(str(p.path), p.line) for p in problems] == [("docs/d.md", 16)]


def test_longest_form_wins_within_a_term(site: Path) -> None:
    # 任务窃取 (forbidden) contains 窃取 (allowed): it must count once, as forbidden.
    matcher = scan.Matcher(terms.load(site / "snippets/glossary.yaml"))
    line = scan.Line(Path("x.md"), 1, "zh", "任务窃取")
    uses = [u for u in matcher.uses(line) if u.term == "work_stealing"]
    assert [(u.form, u.forbidden) for u in uses] == [("任务窃取", True)]


def test_missing_term_in_zh_twin_is_a_note_not_a_failure(site: Path) -> None:
    write(site, "docs/e.md", "# 页\n\n没有提到那个概念。\n")
    write(site, "docs/e.en.md", "# Page\n\nThe netpoller is mentioned.\n")
    problems = scan.check(terms.load(site / "snippets/glossary.yaml"), site)
    notes = [p for p in problems if not p.fatal]
    assert [(str(p.path), p.line) for p in notes] == [("docs/e.en.md", 3)]
    assert not [p for p in problems if p.fatal]


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ("- id: x\n  zh: 甲\n  en: a\n", "field `define`"),
        (
            "- id: x\n  zh: 甲\n  en: a\n  zh_forbidden: [甲]\n  define: {zh: 甲, en: a}\n",
            "zh_forbidden repeats",
        ),
        (
            "- id: x\n  zh: 甲\n  en: a\n  define: {zh: 甲, en: a}\n- id: y\n  zh: 乙\n  en: b\n"
            "  zh_forbidden: [甲]\n  define: {zh: 乙, en: b}\n",
            ":5: term `y`: the zh form `甲` is already listed under term `x`",
        ),
        (
            "- id: x\n  zh: 甲\n  en: a\n  define: {zh: 甲, en: a}\n- id: x\n  zh: 乙\n  en: b\n  define: {zh: 乙, en: b}\n",
            ":5: id `x` repeats the term at line 1",
        ),
        ("- id: x\n  zh: [unclosed\n", "not valid YAML"),
    ],
)
def test_bad_data_names_file_line_and_field(tmp_path: Path, entry: str, expected: str) -> None:
    path = write(tmp_path, "g.yaml", entry)
    with pytest.raises(terms.GlossaryError) as err:
        terms.load(path)
    assert str(path) in str(err.value) and expected in str(err.value)


def test_cli_exit_codes_and_output(site: Path) -> None:
    def run() -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "kb.cli", "glossary", "check", "--root", str(site)],
                              capture_output=True, text=True, timeout=120)  # fmt: skip

    ok = run()
    assert ok.returncode == 0, ok.stdout + ok.stderr
    write(site, "docs/b.md", "# 另一页\n\n本地就绪队列为空时才窃取。\n")
    bad = run()
    assert bad.returncode == 1
    assert "docs/b.md:3:" in bad.stdout and "本地运行队列" in bad.stdout
    write(site, "snippets/glossary.yaml", "- id: BAD\n")
    broken = run()
    assert broken.returncode == 1 and "Traceback" not in broken.stderr
    assert "glossary.yaml:1" in broken.stderr


def test_generated_page_lists_every_term_in_both_languages() -> None:
    found = terms.load(DATA)
    for lang in ("zh", "en"):
        text = page.render(found, lang)
        for t in found:
            assert f'<span id="{t.id}"></span>' in text
            assert (t.define.zh if lang == "zh" else t.define.en).replace("|", "\\|") in text
            for form in t.zh_forbidden:
                assert f"`{form}`" in text


def test_the_projects_pages_use_one_translation_per_term() -> None:
    """The real check over the real pages: every inconsistency is printed with file:line."""
    problems = [p for p in scan.check(terms.load(DATA), ROOT) if p.fatal]
    assert problems == [], "\n".join(str(p) for p in problems)
