"""From notebook sources under docs/ to executed per-language .ipynb files next to them.

Pure orchestration, no MkDocs: the plugin, `kb bench build` and the tests all call `run`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import nbformat

from kb.errors import KbError
from kb.notebooks import source as nbsource
from kb.notebooks.cache import NotebookCache, inputs_digest
from kb.notebooks.jobs import Job, NotebookExecutionError, Outcome

if TYPE_CHECKING:
    from kb.notebooks.execute import Executor
from kb.site.generated import write_if_changed

Expand = Callable[[str, str, str], str]  # (markdown, where, lang) -> markdown


@dataclass
class Settings:
    root: Path  # project root: the kernels' working directory, base of `inputs`
    docs_dir: Path
    cell_timeout: float = 120
    workers: int = 2
    executor: str = "fork"
    preload: Sequence[str] = ()
    inputs: Sequence[str] = ("uv.lock",)
    cache_dir: Path = Path(".cache/jupyter-cache")


@dataclass
class Report:
    sources: list[Path] = field(default_factory=list)
    executed: list[Outcome] = field(default_factory=list)
    cached: list[Path] = field(default_factory=list)
    written: list[Path] = field(default_factory=list)
    removed: list[Path] = field(default_factory=list)
    seconds: float = 0.0


def is_notebook_source(path: Path) -> bool:
    """Every .py under docs/ is a notebook (plain scripts belong in snippets/)."""
    return path.suffix == ".py" and not any(p.startswith((".", "_")) for p in path.parts)


def find_sources(docs_dir: Path) -> list[Path]:
    return sorted(p for p in docs_dir.rglob("*.py") if is_notebook_source(p.relative_to(docs_dir)))


def outputs_for(src: Path) -> dict[str, Path]:
    """x.py -> {"zh": x.ipynb, "en": x.en.ipynb} (mkdocs-static-i18n's suffix convention)."""
    return {"zh": src.with_suffix(".ipynb"), "en": src.with_suffix(".en.ipynb")}


def make_executor(settings: Settings) -> Executor:
    from kb.notebooks.execute import EXECUTORS  # nbclient, jupyter_client, ZeroMQ: only when needed

    cls = EXECUTORS[settings.executor]
    if settings.executor == "fork" and settings.preload:
        return cls(settings.workers, settings.preload)  # type: ignore[call-arg]
    return cls(settings.workers)


def run(settings: Settings, expand: Expand | None = None, executor: Executor | None = None) -> Report:
    """Execute stale notebooks, write both language files of every notebook, remove orphans.

    Raises NotebookExecutionError listing every failing notebook (first line: the first failure)
    and writes nothing for a notebook that failed, so no stale or broken output is published.
    """
    started = time.perf_counter()
    report = Report(sources=find_sources(settings.docs_dir))
    # The executor and its preloads are in the key too: a preload once changed what plots looked like.
    key = nbsource.digest(
        inputs_digest(settings.root, list(settings.inputs)).encode(),
        repr((settings.executor, tuple(settings.preload))).encode(),
    )
    cache = NotebookCache(settings.root / settings.cache_dir, key)
    parsed: dict[Path, nbsource.SourceNotebook] = {}
    executed: dict[Path, nbformat.NotebookNode] = {}
    jobs: list[Job] = []
    for src in report.sources:
        rel = src.relative_to(settings.root) if src.is_relative_to(settings.root) else src
        nb_source = nbsource.read(rel if rel != src else src, src.read_text(encoding="utf-8"))
        parsed[src] = nb_source
        keyed = cache.keyed(nbsource.code_only(nb_source))
        hit = cache.lookup(keyed)
        if hit is not None:
            executed[src] = hit
            report.cached.append(src)
            continue
        timeout = nb_source.nb.metadata.get("execution", {}).get("timeout", settings.cell_timeout)
        jobs.append(Job(nb_source, keyed, settings.root, float(timeout)))
    outcomes = (executor or make_executor(settings)).run(jobs) if jobs else []
    failures: list[NotebookExecutionError] = []
    for outcome in outcomes:
        src = next(s for s, p in parsed.items() if p is outcome.job.source)
        if outcome.error is not None:
            failures.append(outcome.error)
            continue
        assert outcome.nb is not None
        # nbclient rewrites the kernelspec; the cache key lives there, so put ours back.
        outcome.nb.metadata["kernelspec"] = outcome.job.nb.metadata["kernelspec"]
        cache.store(str(outcome.job.source.path), outcome.nb, outcome.wall)
        executed[src] = outcome.nb
    report.executed = outcomes
    for src, nb_source in parsed.items():
        if src not in executed:
            continue
        for lang, out in outputs_for(src).items():
            nb = nbsource.for_language(nb_source, executed[src], lang)
            if expand is not None:
                for cell in nb.cells:
                    if cell.cell_type == "markdown":
                        cell.source = expand(cell.source, str(nb_source.path), lang)
            if write_if_changed(out, nbformat.writes(nb) + "\n"):
                report.written.append(out)
    wanted = {p for src in report.sources for p in outputs_for(src).values()}
    for orphan in settings.docs_dir.rglob("*.ipynb"):
        hidden = any(p.startswith((".", "_")) for p in orphan.relative_to(settings.docs_dir).parts)
        if orphan not in wanted and not hidden:  # every .ipynb under docs/ is ours (git-ignored)
            orphan.unlink()
            report.removed.append(orphan)
    report.seconds = time.perf_counter() - started
    if failures:
        raise NotebookExecutionError("\n\n".join(str(f) for f in failures))
    return report


def check_sources(docs_dir: Path) -> list[KbError]:
    """Parse and validate every notebook source without executing it."""
    errors: list[KbError] = []
    for src in find_sources(docs_dir):
        try:
            nbsource.read(src)
        except KbError as exc:
            errors.append(exc)
    return errors
