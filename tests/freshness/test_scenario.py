"""Coverage on a backdated scenario repository: each commit's month is chosen by hand, and each
expectation below follows from the definition, not from the implementation."""

from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path

import pytest
from conftest import Repo, page, translation
from kb.errors import KbError
from kb.freshness.analysis import check, load_history
from kb.freshness.config import Config
from kb.freshness.content import text_hash
from kb.freshness.coverage import History, MonthResult, evaluate

BODY = "# 标题\n\n调度器把 goroutine 放进本地运行队列。\n第二行说明工作窃取。\n"
BODY2 = "# 标题\n\n调度器把 goroutine 放进本地运行队列，满了才放全局队列。\n第二行说明工作窃取。\n"
EN = "# Title\n\nThe scheduler puts goroutines on the local run queue.\n"


def notebook(zh2: str, en_hashes: list[str] | None) -> str:
    zh = ["中文说明一", zh2]
    hashes = en_hashes or [text_hash(t) for t in zh]
    return "\n".join(
        [
            "# ---", "# jupyter:", "#   kb:", "#     owner: nb-team", "#     reviewed: 2026-07-10",
            "#     reviewed_en: 2026-07-10", "# ---", "",
            '# %% [markdown] tags=["zh"]', f"# {zh[0]}", "",
            f'# %% [markdown] tags=["en"] source_hash="{hashes[0]}"', "# English one", "",
            "# %%", "print(1)", "",
            '# %% [markdown] tags=["zh"]', f"# {zh[1]}", "",
            f'# %% [markdown] tags=["en"] source_hash="{hashes[1]}"', "# English two", "",
        ]
    )  # fmt: skip


def build_scenario(r: Repo) -> dict[str, str]:
    shas = {}
    zh_gai = page("alice", "2026-07-10", BODY)
    files = {
        "docs/index.md": page("bob", "2026-07-10", BODY),
        "docs/调度器/概览.md": zh_gai,
        "docs/sched/moved.md": page("carol", "2026-07-10", BODY),
        "docs/sched/only-zh.md": page("carol", "2026-07-10", BODY),
        "docs/reports/old.md": "---\nfreshness: exempt\n---\n# old report\n",
        "docs/nb/demo.py": notebook("中文说明二", None),
    }
    files["docs/index.en.md"] = translation("bob", "2026-07-10", EN, files["docs/index.md"])
    files["docs/调度器/概览.en.md"] = translation("alice", "2026-07-10", EN, zh_gai)
    files["docs/sched/moved.en.md"] = translation("carol", "2026-07-10", EN, files["docs/sched/moved.md"])
    for path, text in files.items():
        r.write(path, text)
    shas["create"] = r.commit("create pages", "2026-07-10T10:00:00+00:00")

    # August: a reflow of the Chinese index, a front-matter-only edit of its translation.
    r.write("docs/index.md", page("bob", "2026-07-10", BODY.replace("。\n第二行", "。  第二行\n\n")))
    r.commit("reflow", "2026-08-05T10:00:00+00:00")
    r.write("docs/index.en.md", r.read("docs/index.en.md").replace("owner: bob", "owner: bob\ntitle: Home"))
    r.commit("title only", "2026-08-06T10:00:00+00:00")

    # A branch written in August, merged (no fast-forward) in September.
    r.git("checkout", "-q", "-b", "feature")
    r.write("docs/调度器/概览.md", page("alice", "2026-07-10", BODY2))
    shas["branch"] = r.commit("rewrite on a branch", "2026-08-20T10:00:00+00:00")
    r.git("checkout", "-q", "main")
    r.git("merge", "-q", "--no-ff", "feature", "-m", "merge feature", date="2026-09-03T10:00:00+00:00")
    shas["merge"] = r.git("rev-parse", "HEAD").strip()

    # A pure rename of a page and its translation.
    r.git("mv", "docs/sched/moved.md", "docs/sched/renamed.md")
    r.git("mv", "docs/sched/moved.en.md", "docs/sched/renamed.en.md")
    r.commit("rename", "2026-09-10T10:00:00+00:00")

    # A bulk rewrite, later listed in .git-blame-ignore-revs.
    bulk = page("bob", "2026-07-10", BODY2)
    r.write("docs/index.md", bulk)
    r.write("docs/index.en.md", translation("bob", "2026-07-10", EN + "\nbulk\n", bulk))
    shas["bulk"] = r.commit("bulk rewrite", "2026-09-12T10:00:00+00:00")
    r.write(".git-blame-ignore-revs", f"# bulk formatting\n{shas['bulk']}\n")
    r.commit("ignore bulk", "2026-09-12T11:00:00+00:00")

    # 2026-09-30 17:30 UTC is 2026-10-01 01:30 in Asia/Shanghai.
    r.write("docs/sched/only-zh.md", page("carol", "2026-07-10", BODY2))
    shas["boundary"] = r.commit("edit at the month boundary", "2026-09-30T17:30:00+00:00")

    # October: a backdated review (not counted), a fresh review (counted), a notebook cell edit.
    r.write("docs/sched/renamed.md", r.read("docs/sched/renamed.md").replace("2026-07-10", "2026-09-01"))
    r.write(
        "docs/sched/renamed.en.md", r.read("docs/sched/renamed.en.md").replace("2026-07-10", "2026-10-14")
    )
    r.commit("reviews", "2026-10-15T10:00:00+00:00")
    old = notebook("中文说明二", None)
    hashes = [text_hash("中文说明一"), text_hash("中文说明二")]
    assert old == notebook("中文说明二", hashes)
    r.write("docs/nb/demo.py", notebook("中文说明二，改了", hashes))
    r.commit("notebook cell edit", "2026-10-20T10:00:00+00:00")
    return shas


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> tuple[Repo, dict[str, str]]:
    r = Repo(tmp_path_factory.mktemp("scenario") / "repo")
    return r, build_scenario(r)


@pytest.fixture(scope="module")
def history(scenario: tuple[Repo, dict[str, str]]) -> History:
    return load_history(scenario[0].root, Config())


def status(result: MonthResult, page_: str, lang: str) -> str:
    rows = [r for r in result.rows if r.page == page_ and r.lang == lang]
    assert len(rows) == 1, (page_, lang, [(r.page, r.lang) for r in result.rows])
    return rows[0].status


def test_july_everything_created_missing_translation_counts(history: History) -> None:
    july = evaluate(history, "2026-07")
    # 5 pages (the exempt report is out), both languages: a missing translation stays in the denominator.
    assert july.coverage("zh") == (5, 5)
    assert july.coverage("en") == (4, 5)
    assert status(july, "docs/sched/only-zh.md", "en") == "missing"
    assert all(r.page != "docs/reports/old.md" for r in july.rows)


def test_chinese_file_names_are_units(history: History) -> None:
    july = evaluate(history, "2026-07")
    assert status(july, "docs/调度器/概览.md", "zh") == "covered"
    assert status(july, "docs/调度器/概览.md", "en") == "covered"
    assert {r.section for r in july.rows} == {"(root)", "调度器", "sched", "nb"}


def test_whitespace_and_front_matter_only_commits_do_not_count(history: History) -> None:
    aug = evaluate(history, "2026-08")
    assert status(aug, "docs/index.md", "zh") == "no-event"
    assert status(aug, "docs/index.md", "en") == "no-event"
    assert aug.coverage() == (0, 10)


def test_merge_counts_when_it_landed(history: History, scenario: tuple[Repo, dict[str, str]]) -> None:
    aug, sep = evaluate(history, "2026-08"), evaluate(history, "2026-09")
    assert status(aug, "docs/调度器/概览.md", "zh") == "no-event"
    assert status(sep, "docs/调度器/概览.md", "zh") == "covered"
    [row] = [r for r in sep.rows if r.page == "docs/调度器/概览.md" and r.lang == "zh"]
    assert [e.commit for e in row.events] == [scenario[1]["merge"]]
    # The branch commit itself is not on the first-parent history.
    assert scenario[1]["branch"] not in {c.sha for c in history.commits}


def test_translation_drift_with_lag_and_diff(history: History) -> None:
    sep = evaluate(history, "2026-09")
    assert status(sep, "docs/调度器/概览.md", "en") == "out-of-sync"
    [d] = [d for d in sep.drifts if d.page == "docs/调度器/概览.md"]
    assert d.status == "stale"
    # from the merge (09-03 10:00 UTC) to the end of September in Shanghai (09-30 16:00 UTC)
    assert d.lag_days == pytest.approx(27.25)
    [(_, diff)] = d.diffs
    assert "-调度器把 goroutine 放进本地运行队列。" in diff
    assert "+调度器把 goroutine 放进本地运行队列，满了才放全局队列。" in diff


def test_rename_keeps_history_and_is_not_an_event(history: History) -> None:
    sep = evaluate(history, "2026-09")
    assert status(sep, "docs/sched/renamed.md", "zh") == "no-event"
    assert status(sep, "docs/sched/renamed.md", "en") == "no-event"
    assert all(r.page != "docs/sched/moved.md" for r in sep.rows)
    state = history.states[("docs/sched/renamed.md", "zh")]
    assert next(e.kind for e in state.events) == "created"
    assert state.created.date() == dt.date(2026, 7, 10)


def test_ignored_bulk_commit(history: History, scenario: tuple[Repo, dict[str, str]]) -> None:
    sep = evaluate(history, "2026-09")
    assert status(sep, "docs/index.md", "zh") == "no-event"
    assert status(sep, "docs/index.md", "en") == "no-event"
    assert [c.sha for c in history.ignored] == [scenario[1]["bulk"]]
    # ...but its content is the new state: the translation re-stamped in it is in sync.
    assert not [d for d in sep.drifts if d.page == "docs/index.md"]


def test_timezone_boundary(history: History, scenario: tuple[Repo, dict[str, str]]) -> None:
    sep, oct_ = evaluate(history, "2026-09"), evaluate(history, "2026-10")
    assert status(sep, "docs/sched/only-zh.md", "zh") == "no-event"
    assert status(oct_, "docs/sched/only-zh.md", "zh") == "covered"
    utc = load_history(scenario[0].root, Config(timezone="UTC"))
    assert status(evaluate(utc, "2026-09"), "docs/sched/only-zh.md", "zh") == "covered"
    assert status(evaluate(utc, "2026-10"), "docs/sched/only-zh.md", "zh") == "no-event"


def test_backdated_review_not_counted_fresh_review_counted(history: History) -> None:
    oct_ = evaluate(history, "2026-10")
    assert status(oct_, "docs/sched/renamed.md", "zh") == "no-event"
    assert status(oct_, "docs/sched/renamed.md", "en") == "covered"
    kinds = {(a.path, a.kind) for a in oct_.anomalies}
    assert ("docs/sched/renamed.md", "backdated-review") in kinds


def test_notebook_cells(history: History) -> None:
    oct_ = evaluate(history, "2026-10")
    assert status(oct_, "docs/nb/demo.py", "zh") == "covered"
    assert status(oct_, "docs/nb/demo.py", "en") == "out-of-sync"
    [d] = [d for d in oct_.drifts if d.page == "docs/nb/demo.py"]
    # only the second cell drifted, and its diff shows the change
    [(label, diff)] = d.diffs
    assert "zh cell 2" in label
    assert "-中文说明二" in diff and "+中文说明二，改了" in diff


def test_check_grace_period(scenario: tuple[Repo, dict[str, str]], history: History) -> None:
    root = scenario[0].root
    now = dt.datetime(2026, 10, 25, 12, tzinfo=dt.UTC)
    problems, _ = check(root, Config(), history, now)
    fatal = {p.path for p in problems if p.fatal}
    warn = {p.path for p in problems if not p.fatal}
    assert "docs/调度器/概览.md" in fatal  # stale since 09-03: beyond 14 days
    assert "docs/sched/only-zh.md" in fatal  # translation missing since July
    assert "docs/nb/demo.py" in warn and "docs/nb/demo.py" not in fatal  # stale for 5 days only
    lenient, _ = check(root, Config(grace_days=200), history, now)
    assert not [p for p in lenient if p.fatal]


def test_shallow_clone_refused(scenario: tuple[Repo, dict[str, str]], tmp_path: Path) -> None:
    clone = tmp_path / "shallow"
    subprocess.run(
        ["git", "clone", "-q", "--depth", "1", f"file://{scenario[0].root}", str(clone)], check=True
    )
    with pytest.raises(KbError, match="shallow clone"):
        load_history(clone, Config())
