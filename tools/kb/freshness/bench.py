"""`kb bench freshness`: the monthly report over a synthetic repository (SYNTHETIC data).

The repository is written with `git fast-import` (seconds instead of minutes of `git commit`) and
cached under .cache/freshness-bench/, keyed by its shape and the generator version. It spans 24
months ending 2026-11 and mixes body edits, review bumps, translation stamps, whitespace-only
edits, renames and merges, so every code path of the walk is exercised.
"""

from __future__ import annotations

import datetime as dt
import random
import statistics
import subprocess
import time
from pathlib import Path

from kb import external
from kb.freshness import report
from kb.freshness.analysis import load_history
from kb.freshness.config import Config
from kb.freshness.content import text_hash

GENERATOR = 2
END = dt.datetime(2026, 11, 30, 12, 0, tzinfo=dt.UTC)
MONTHS = 24
_WORDS = (
    "调度器 工作窃取 runqueue goroutine preemption 网络轮询 syscall handoff spinning M P G "
    "timer netpoller sysmon GC assist write barrier 栈增长"
)
LOREM = _WORDS.split(" ")


def _body(rng: random.Random, title: str, version: int) -> str:
    words = [rng.choice(LOREM) for _ in range(120)]
    lines = [" ".join(words[i : i + 12]) for i in range(0, len(words), 12)]
    return f"# {title}\n\nversion {version}\n\n" + "\n".join(lines) + "\n"


class _Writer:
    """Emits a fast-import stream."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.mark = 0

    def data(self, payload: bytes) -> None:
        self.parts.append(b"data %d\n" % len(payload) + payload + b"\n")

    def commit(
        self,
        ref: str,
        when: dt.datetime,
        msg: str,
        parent: int | None,
        merge: int | None,
        files: dict[str, str | None],
        renames: list[tuple[str, str]],
    ) -> int:
        self.mark += 1
        ts = int(when.timestamp())
        self.parts.append(f"commit {ref}\nmark :{self.mark}\n".encode())
        self.parts.append(f"author Bench <bench@example.invalid> {ts} +0000\n".encode())
        self.parts.append(f"committer Bench <bench@example.invalid> {ts} +0000\n".encode())
        self.data(msg.encode())
        if parent is not None:
            self.parts.append(f"from :{parent}\n".encode())
        if merge is not None:
            self.parts.append(f"merge :{merge}\n".encode())
        for old, new in renames:
            self.parts.append(f'R "{old}" "{new}"\n'.encode())
        for path, text in files.items():
            if text is None:
                self.parts.append(f'D "{path}"\n'.encode())
            else:
                self.parts.append(f'M 100644 inline "{path}"\n'.encode())
                self.data(text.encode())
        self.parts.append(b"\n")
        return self.mark


def generate(target: Path, commits: int, files: int, seed: int = 6) -> None:
    """A synthetic repository of `commits` first-parent commits over `files` page files."""
    rng = random.Random(seed)
    n_nb = files // 10
    n_pages = (files - n_nb) // 2
    sections = [f"s{i:02d}" for i in range(10)]
    zh: dict[int, tuple[str, int]] = {}  # page -> (path stem, version)
    w = _Writer()
    start = END - dt.timedelta(days=30 * MONTHS)
    step = (END - start) / commits
    init: dict[str, str | None] = {}
    for i in range(n_pages):
        stem = f"docs/{sections[i % 10]}/page-{i:04d}"
        zh[i] = (stem, 0)
        body = _body(rng, f"页面 {i}", 0)
        init[f"{stem}.md"] = f"---\nowner: team-{i % 7}\nreviewed: {start.date()}\n---\n{body}"
        init[f"{stem}.en.md"] = (
            f"---\nowner: team-{i % 7}\nreviewed: {start.date()}\nsource_hash: {text_hash(body)}\n---\n"
            + body.replace("页面", "Page")
        )
    for i in range(files - 2 * n_pages):
        init[f"docs/{sections[i % 10]}/nb-{i:04d}.py"] = _notebook(rng, i, start.date())
    tip = w.commit("refs/heads/main", start, "initial import", None, None, init, [])
    side_parent = None
    for c in range(1, commits):
        when = start + step * c
        i = rng.randrange(n_pages)
        stem, version = zh[i]
        body = _body(rng, f"页面 {i}", version + 1)
        roll = rng.random()
        changes: dict[str, str | None] = {}
        renames: list[tuple[str, str]] = []
        review = (when - dt.timedelta(days=rng.choice([0, 1, 3, 40]))).date()
        if roll < 0.45:
            zh[i] = (stem, version + 1)
            changes[f"{stem}.md"] = f"---\nowner: team-{i % 7}\nreviewed: {review}\n---\n{body}"
            if rng.random() < 0.6:
                changes[f"{stem}.en.md"] = (
                    f"---\nowner: team-{i % 7}\nreviewed: {review}\nsource_hash: {text_hash(body)}\n---\n"
                    + body.replace("页面", "Page")
                )
        elif roll < 0.75:
            changes[f"{stem}.md"] = f"---\nowner: team-{i % 7}\nreviewed: {review}\n---\n" + _body(
                random.Random(i * 1000 + version), f"页面 {i}", version
            ).replace("\n", "  \n")
        elif roll < 0.8:
            new = f"docs/{rng.choice(sections)}/moved-{i:04d}-{c}"
            renames = [(f"{stem}.md", f"{new}.md"), (f"{stem}.en.md", f"{new}.en.md")]
            zh[i] = (new, version)
        else:
            k = rng.randrange(files - 2 * n_pages)
            changes[f"docs/{sections[k % 10]}/nb-{k:04d}.py"] = _notebook(rng, k, review)
        if c % 40 == 0:
            # A feature branch merged with --no-ff: the change lands with the merge commit.
            side_parent = w.commit(
                "refs/heads/side", when - step / 2, "side work", tip, None, changes, renames
            )
            tip = w.commit("refs/heads/main", when, f"Merge side {c}", tip, side_parent, changes, renames)
        else:
            tip = w.commit("refs/heads/main", when, f"edit {c}", tip, None, changes, renames)
    target.mkdir(parents=True, exist_ok=True)
    git = str(external.which("git"))
    subprocess.run([git, "init", "-q", "-b", "main", str(target)], check=True)
    subprocess.run([git, "-C", str(target), "fast-import", "--quiet"], input=b"".join(w.parts), check=True)
    (target / ".kb-bench-ready").write_text(f"{GENERATOR}\n")


def _notebook(rng: random.Random, i: int, reviewed: dt.date) -> str:
    zh_cells = [" ".join(rng.choice(LOREM) for _ in range(20)) for _ in range(3)]
    parts = [
        "# ---",
        "# jupyter:",
        "#   kb:",
        f"#     owner: team-{i % 7}",
        f"#     reviewed: {reviewed}",
        f"#     reviewed_en: {reviewed}",
        "# ---",
        "",
    ]
    for n, text in enumerate(zh_cells):
        parts += ['# %% [markdown] tags=["zh"]', f"# {text}", ""]
        sh = text_hash(text) if rng.random() < 0.8 else "0" * 16
        parts += [f'# %% [markdown] tags=["en"] source_hash="{sh}"', f"# {text.upper()}", ""]
        parts += ["# %%", f"print({n} + {rng.randrange(100)})", ""]
    return "\n".join(parts)


def repository(commits: int, files: int) -> Path:
    # The stored source_hash values depend on the normalisation: key the cache by a probe hash too.
    probe = text_hash("调度器\n工作窃取 run  queue")[:8]
    target = Path.cwd() / ".cache" / "freshness-bench" / f"{commits}x{files}-g{GENERATOR}-{probe}"
    marker = target / ".kb-bench-ready"
    if not (marker.exists() and marker.read_text().strip() == str(GENERATOR)):
        if target.exists():
            import shutil

            shutil.rmtree(target)
        generate(target, commits, files)
    return target


def measure(repo: Path, month: str = "2026-11") -> tuple[float, float, dict[str, object]]:
    """(seconds for the git passes + walk, seconds for the report data + both pages, report)."""
    cfg = Config()
    t0 = time.perf_counter()
    history = load_history(repo, cfg)
    t1 = time.perf_counter()
    data = report.build(history, month, "0" * 40)
    for lang in cfg.languages:
        report.render_month(data, lang)
        report.render_changes(data, lang, cfg.docs_dir)
    t2 = time.perf_counter()
    return t1 - t0, t2 - t1, data


def run(commits: int, files: int, budget: float, repeat: int) -> int:
    t = time.perf_counter()
    repo = repository(commits, files)
    print(
        f"synthetic repository: {repo} ({commits} commits x {files} files, "
        f"ready in {time.perf_counter() - t:.1f} s)"
    )
    totals = []
    data: dict[str, object] = {}
    for _ in range(max(1, repeat)):
        walk_s, report_s, data = measure(repo)
        totals.append(walk_s + report_s)
        print(f"  git passes + walk {walk_s:.2f} s, report (12-month trend, zh+en) {report_s:.2f} s")
    best, med = min(totals), statistics.median(totals)
    cov = data.get("coverage")
    print(
        f"freshness report 2026-11: best {best:.2f} s, median {med:.2f} s (budget {budget:.1f} s); "
        f"coverage {cov}"
    )
    return 0 if med <= budget else 1
