"""`kb bench build`: cold, warm and edited build times, and the execution overhead per notebook.

Runs on a copy of the project in a temporary folder, so the benchmark never touches your caches
or your site, and every build is a fresh `kb build` process, as on the command line and in CI.
"Cold" is the first build of a fresh clone: no cache at all (Go's build cache included, so Go
experiments compile the standard library first). A second row isolates the notebooks: only the
notebook cache is empty, so it shows what executing the notebooks adds to a build.
"""

from __future__ import annotations

import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from kb.notebooks import pipeline

_COPY = ("mkdocs.yml", "docs", "snippets", "casebooks", "uv.lock", "tools/kb/search")


def _copy_project(root: Path, dest: Path) -> None:
    for name in _COPY:
        src = root / name
        if src.is_dir():
            shutil.copytree(src, dest / name, ignore=shutil.ignore_patterns("*.ipynb", "__pycache__"))
        elif src.exists():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)
    (dest / "node_modules").symlink_to(root / "node_modules")


def _edit_code(nb: Path) -> None:
    text = nb.read_text(encoding="utf-8").rstrip("\n")
    nb.write_text(text + "\n_bench_edit = 1\n", encoding="utf-8")  # the last cell is a code cell


def _edit_prose(nb: Path) -> None:
    """Insert a line into the first English markdown cell (its header may carry source_hash=...)."""
    lines = nb.read_text(encoding="utf-8").splitlines(keepends=True)
    at = next(i for i, line in enumerate(lines) if line.startswith('# %% [markdown] tags=["en"]'))
    lines[at + 1 : at + 1] = ["# (edited prose)\n", "#\n"]
    nb.write_text("".join(lines), encoding="utf-8")


def _set_executor(root: Path, executor: str) -> None:
    cfg = root / "mkdocs.yml"
    text = cfg.read_text(encoding="utf-8")
    cfg.write_text(text.replace("  - kb-notebooks:\n", f"  - kb-notebooks:\n      executor: {executor}\n", 1))


def _build(proj: Path) -> tuple[float, dict[str, Any]]:
    report = proj / "build-report.json"
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "kb.cli", "build", "--report", str(report)],
        cwd=proj,
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"benchmark build failed:\n{proc.stderr}")
    return seconds, json.loads(report.read_text(encoding="utf-8"))


def _row(label: str, seconds: float, report: dict[str, Any]) -> str:
    over = [n["overhead"] for n in report["executed"]]
    extra = (
        f"; overhead per notebook: median {statistics.median(over):.2f} s, max {max(over):.2f} s"
        if over
        else ""
    )
    return f"{label:<32} {seconds:6.2f} s  executed {len(over)}/{report['notebooks']} notebooks{extra}"


def run(root: Path, keep: bool = False) -> int:
    work = Path(tempfile.mkdtemp(prefix="kb-bench-"))
    try:
        proj = work / "project"
        _copy_project(root, proj)
        sources = sorted(pipeline.find_sources(proj / "docs"))
        if not sources:
            print("no notebooks under docs/: nothing to measure")
            return 1
        print(f"{len(sources)} notebooks; each build is a fresh `kb build` process (wall time)")
        cold_s, cold = _build(proj)
        print(_row("cold (fresh clone, no caches)", cold_s, cold))
        warm_s, warm = _build(proj)
        print(_row("warm (nothing changed)", warm_s, warm))
        _edit_code(sources[0])
        edit_s, edit = _build(proj)
        print(_row("one notebook's code edited", edit_s, edit))
        _edit_prose(sources[-1])
        prose_s, prose = _build(proj)
        print(_row("prose/translation edited", prose_s, prose))
        shutil.rmtree(proj / ".cache" / "jupyter-cache")
        nb_s, nb = _build(proj)
        print(_row("notebook cache emptied only", nb_s, nb))
        shutil.rmtree(proj / ".cache" / "jupyter-cache")
        _set_executor(proj, "kernel")
        plain_s, plain = _build(proj)
        print(_row("same, plain Jupyter kernels", plain_s, plain))
        print(f"warm/cold = {warm_s / cold_s:.0%} (target <= 25%)")
        return 0
    finally:
        if keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
