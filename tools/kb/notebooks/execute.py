"""Execute notebooks in parallel, each in its own fresh kernel, and turn failures into one line.

Executors plug in behind one small interface (as in jupyter-cache): `KernelExecutor` starts a normal
Jupyter kernel per notebook, `ForkExecutor` forks it from a warm zygote (see forkserver.py). Both
run through nbclient, so what a notebook sees is the same; only the start-up cost differs.
"""

from __future__ import annotations

import abc
import asyncio
import concurrent.futures
import contextlib
import copy
import re
import tempfile
import time
from collections.abc import Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import nbformat
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

from kb.errors import KbError
from kb.notebooks.forkserver import DEFAULT_PRELOAD, ForkServer
from kb.notebooks.jobs import Job, NotebookExecutionError, Outcome

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_CELL_LINE = re.compile(r"Cell In\[\d+\], line (\d+)")


def _first_line(source: str) -> str:
    for line in source.splitlines():
        if line.strip():
            text = line.strip()
            return text if len(text) <= 60 else text[:57] + "..."
    return ""


def _cell_seconds(cell: nbformat.NotebookNode) -> float:
    timing = cell.get("metadata", {}).get("execution", {})
    try:
        start = datetime.fromisoformat(timing["iopub.execute_input"].replace("Z", "+00:00"))
        end = datetime.fromisoformat(timing["shell.execute_reply"].replace("Z", "+00:00"))
    except (KeyError, ValueError):
        return 0.0
    return max((end - start).total_seconds(), 0.0)


def describe_failure(
    job: Job, executed: nbformat.NotebookNode, code_number: int, exc: BaseException, kernel_log: str = ""
) -> str:
    """The error text: first line `file:line: code cell N ('first line'): Error: message`."""
    origin = job.source.code_cell_origin(code_number)
    cell = executed.cells[code_number - 1]
    where = f"code cell {code_number} ({_first_line(cell.source)!r})"
    line = origin.first_line
    detail = ""
    if isinstance(exc, CellExecutionError):
        # The kernel's own traceback (from the error output), without nbclient's preamble.
        error_outputs = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        tb = "\n".join(error_outputs[-1]["traceback"]) if error_outputs else (exc.traceback or "")
        tb = _ANSI.sub("", tb)
        hits = _CELL_LINE.findall(tb)
        if hits:
            line = origin.first_line + int(hits[-1]) - 1
        head = f"{exc.ename}: {exc.evalue}"
        detail = tb
    elif isinstance(exc, CellTimeoutError):
        head = f"CellTimeoutError: the cell did not finish within {job.timeout:g} s (per-cell timeout)"
        detail = (
            "Make the cell faster, or raise the limit for this notebook in its header: "
            "`# execution: {timeout: 600}` under `jupyter:`."
        )
    elif isinstance(exc, DeadKernelError):
        head = "DeadKernelError: the kernel died while running this cell"
        detail = "Kernel output (last lines):\n" + "\n".join(kernel_log.splitlines()[-20:])
    else:
        head = f"{type(exc).__name__}: {exc}"
    return f"{job.source.path}:{line}: {where}: {head}\n{detail}".rstrip()


class Executor(abc.ABC):
    """Runs jobs, at most `workers` at a time, each in a kernel of its own."""

    def __init__(self, workers: int = 2) -> None:
        self.workers = workers

    @abc.abstractmethod
    def kernel_manager(self, job: Job) -> AsyncKernelManager: ...

    @contextlib.contextmanager
    def session(self) -> Iterator[None]:
        """Resources shared by one batch of jobs (e.g. the fork server)."""
        yield

    def run(self, jobs: Sequence[Job]) -> list[Outcome]:
        if not jobs:
            return []
        with self.session():
            try:
                asyncio.get_running_loop()
            except RuntimeError:
                return asyncio.run(self._run_all(jobs))
            # Called from code that already runs an event loop (a Jupyter kernel, Playwright's sync
            # API): asyncio.run would refuse, so run our loop in a thread of its own.
            with concurrent.futures.ThreadPoolExecutor(1) as pool:
                return pool.submit(asyncio.run, self._run_all(jobs)).result()

    async def _run_all(self, jobs: Sequence[Job]) -> list[Outcome]:
        gate = asyncio.Semaphore(self.workers)

        async def one(job: Job) -> Outcome:
            async with gate:
                return await self._run_one(job)

        return list(await asyncio.gather(*(one(j) for j in jobs)))

    async def _run_one(self, job: Job) -> Outcome:
        nb = copy.deepcopy(job.nb)
        km = self.kernel_manager(job)
        current = {"index": 0}

        def on_cell_start(cell: Any, cell_index: int) -> None:
            current["index"] = cell_index

        client = NotebookClient(
            nb,
            km=km,
            timeout=job.timeout,
            allow_errors=False,
            record_timing=True,
            kernel_name="python3",
            resources={"metadata": {"path": str(job.cwd)}},
            on_cell_start=on_cell_start,
            shutdown_kernel="immediate",
        )
        outcome = Outcome(job)
        started = time.perf_counter()
        try:
            await client.async_execute()
            outcome.nb = nb
        except (CellExecutionError, CellTimeoutError, DeadKernelError) as exc:
            log = ""
            with contextlib.suppress(Exception):
                log = Path(km.provisioner.process.log).read_text(errors="replace")  # type: ignore[union-attr]
            outcome.error = NotebookExecutionError(describe_failure(job, nb, current["index"] + 1, exc, log))
        finally:
            with contextlib.suppress(Exception):
                if km.has_kernel:
                    await km.shutdown_kernel(now=True)
        outcome.wall = time.perf_counter() - started
        outcome.cell_times = [_cell_seconds(c) for c in nb.cells]
        outcome.compute = sum(outcome.cell_times)
        if outcome.nb is not None:
            for cell in outcome.nb.cells:  # timings would make every execution's output differ
                cell.metadata.pop("execution", None)
        return outcome


class KernelExecutor(Executor):
    """A normal Jupyter kernel per notebook (Popen of `python -m ipykernel_launcher`)."""

    def kernel_manager(self, job: Job) -> AsyncKernelManager:
        return AsyncKernelManager(kernel_name="python3")


class ForkExecutor(Executor):
    """A kernel per notebook, forked from a zygote that pre-imported the heavy modules."""

    def __init__(self, workers: int = 2, preload: Sequence[str] = DEFAULT_PRELOAD) -> None:
        super().__init__(workers)
        self.preload = tuple(preload)
        self._server: ForkServer | None = None
        self._logs = ""

    @contextlib.contextmanager
    def session(self) -> Iterator[None]:
        with (
            tempfile.TemporaryDirectory(prefix="kb-kernels-") as logs,
            ForkServer.start(self.preload) as server,
        ):
            self._server, self._logs = server, logs
            try:
                yield
            finally:
                self._server = None

    def kernel_manager(self, job: Job) -> AsyncKernelManager:
        assert self._server is not None, "kernel_manager() outside session()"
        km = AsyncKernelManager(kernel_name="python3")
        spec = copy.copy(km.kernel_spec)
        if spec is None:
            raise KbError("no `python3` Jupyter kernel in this environment: run `./dev setup` (ipykernel)")
        spec.metadata = {
            **spec.metadata,
            "kernel_provisioner": {
                "provisioner_name": "kb-forkserver",
                "config": {"socket_path": self._server.socket_path, "log_dir": self._logs},
            },
        }
        km._kernel_spec = spec
        km.client_class = "kb.notebooks.forkserver.QuickReadyClient"
        return km


EXECUTORS: dict[str, type[Executor]] = {"fork": ForkExecutor, "kernel": KernelExecutor}
