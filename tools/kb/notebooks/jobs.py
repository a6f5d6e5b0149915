"""What is executed and what comes back: plain data, importable without the Jupyter machinery.

Kept apart from execute.py so that a build with nothing to execute never imports nbclient,
jupyter_client and ZeroMQ.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from kb.errors import KbError
from kb.notebooks.source import SourceNotebook


class NotebookExecutionError(KbError):
    """A code cell failed; str() starts with `docs/x.py:42: code cell 3 ('...'): Error: message`."""


@dataclass
class Job:
    source: SourceNotebook
    nb: nbformat.NotebookNode  # code cells only, keyed for the cache
    cwd: Path
    timeout: float  # per cell, seconds


@dataclass
class Outcome:
    job: Job
    nb: nbformat.NotebookNode | None = None
    error: NotebookExecutionError | None = None
    wall: float = 0.0  # from asking for a kernel to the kernel being gone
    compute: float = 0.0  # the notebook's own cells, as timed by the kernel's replies
    cell_times: list[float] = field(default_factory=list)

    @property
    def overhead(self) -> float:
        return max(self.wall - self.compute, 0.0)
