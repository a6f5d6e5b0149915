"""`kb bench publish`: how long a publish takes, alone and racing other publishers.

The site is synthetic (N small HTML pages, labelled as such in every page) so the figure measures
the publishing machinery (fetch, mike commit, compare-and-swap push, retries), not MkDocs.
Everything happens in a temporary folder against a local bare repository.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable, Mapping
from multiprocessing.synchronize import Barrier
from pathlib import Path

from kb.publish.deploy import PublishOptions, publish

_IDENTITY = {
    "GIT_AUTHOR_NAME": "kb bench",
    "GIT_AUTHOR_EMAIL": "bench@example.invalid",
    "GIT_COMMITTER_NAME": "kb bench",
    "GIT_COMMITTER_EMAIL": "bench@example.invalid",
}


def synthetic_builder(pages: int) -> Callable[[Path, Mapping[str, str]], None]:
    def build(site_dir: Path, env: Mapping[str, str]) -> None:
        site_dir.mkdir(parents=True)
        (site_dir / "index.html").write_text("<h1>synthetic benchmark site</h1>\n", encoding="utf-8")
        for i in range(pages - 1):
            page = site_dir / f"p{i:04d}" / "index.html"
            page.parent.mkdir()
            page.write_text(f"<p>synthetic page {i} of {env.get('MIKE_DOCS_VERSION')}</p>\n" * 40, "utf-8")

    return build


def _git(*args: str) -> None:
    subprocess.run(["git", *args], check=True, capture_output=True)


def _one(clone: str, version: str, pages: int, barrier: Barrier | None) -> tuple[float, int]:
    start = 0.0

    def ready() -> None:
        nonlocal start
        if barrier is not None:
            barrier.wait()
        start = time.perf_counter()

    result = publish(
        PublishOptions(repo=Path(clone), version=version, attempts=10, backoff_seconds=0.05),
        synthetic_builder(pages),
        after_build=ready,
    )
    return time.perf_counter() - start, result.attempts


def _child(
    queue: mp.Queue[tuple[float, int]], clone: str, version: str, pages: int, barrier: Barrier
) -> None:
    queue.put(_one(clone, version, pages, barrier))


def run(pages: int = 200, publishers: int = 3) -> int:
    os.environ.update({k: os.environ.get(k, v) for k, v in _IDENTITY.items()})
    with tempfile.TemporaryDirectory(prefix="kb-bench-publish-") as tmp:
        root = Path(tmp)
        bare, src = root / "remote.git", root / "src"
        _git("init", "--quiet", "--bare", "-b", "main", str(bare))
        _git("init", "--quiet", "-b", "main", str(src))
        (src / "README").write_text("synthetic\n", encoding="utf-8")
        _git("-C", str(src), "add", "README")
        _git("-C", str(src), "commit", "--quiet", "-m", "synthetic source")
        _git("-C", str(src), "push", "--quiet", f"file://{bare}", "main")
        clones = []
        for i in range(publishers + 1):
            dest = root / f"clone{i}"
            _git("clone", "--quiet", f"file://{bare}", str(dest))
            clones.append(str(dest))

        alone, _ = _one(clones[0], "2000.01", pages, None)
        label = "one publish (fetch + mike commit + push)"
        print(f"synthetic site, {pages} pages: {label} {alone:.2f} s", flush=True)

        # fork: the barrier is shared by inheritance, so all publishers race from the same instant.
        ctx = mp.get_context("fork")
        barrier = ctx.Barrier(publishers)
        queue: mp.Queue[tuple[float, int]] = ctx.Queue()
        procs = [
            ctx.Process(target=_child, args=(queue, clones[i + 1], f"2001.{i + 1:02d}", pages, barrier))
            for i in range(publishers)
        ]
        for proc in procs:
            proc.start()
        for proc in procs:
            proc.join()
        if any(proc.exitcode != 0 for proc in procs):
            print("a publisher failed; see its traceback above")
            return 1
        results = [queue.get() for _ in procs]
        times = [t for t, _ in results]
        attempts = [a for _, a in results]
        print(
            f"{publishers} concurrent publishers: all landed; seconds each "
            f"{', '.join(f'{t:.2f}' for t in times)} (median {statistics.median(times):.2f}); "
            f"attempts {attempts}"
        )
    return 0
