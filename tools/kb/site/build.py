"""Strict MkDocs builds that never leave a complete-looking broken site behind.

The site is built into a temporary sibling folder and swapped into place only on success, so a
failed build leaves the previous site (or nothing) — never half of a new one.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mkdocs.commands.build import build as mkdocs_build
from mkdocs.config import load_config
from mkdocs.exceptions import Abort, ConfigurationError, MkDocsException, PluginError

from kb.errors import KbError


class BuildFailed(KbError):
    pass


@dataclass
class BuildResult:
    site_dir: Path
    seconds: float
    notebook_reports: list[Any]  # kb.notebooks.pipeline.Report, one per pass

    def summary(self) -> dict[str, Any]:
        """What `kb build --report` writes: total time and every executed notebook's timings."""
        executed = [o for r in self.notebook_reports for o in r.executed]
        return {
            "seconds": self.seconds,
            "notebooks": len(self.notebook_reports[0].sources) if self.notebook_reports else 0,
            "executed": [
                {"path": str(o.job.source.path), "wall": o.wall, "compute": o.compute, "overhead": o.overhead}
                for o in executed
            ],
        }


@contextlib.contextmanager
def _in_dir(path: Path) -> Iterator[None]:
    # The jieba user dictionary and pymdownx.snippets paths are relative to the working directory.
    old = Path.cwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(old)


class _Errors(logging.Handler):
    """Collects MkDocs' ERROR records: on failure they become the message, first line first."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


class _BelowError(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno < logging.ERROR


def configure_logging(verbose: bool, errors_to_console: bool = False) -> _Errors:
    logger = logging.getLogger("mkdocs")
    for handler in [h for h in logger.handlers if getattr(h, "_kb", False)]:
        logger.removeHandler(handler)
    console = logging.StreamHandler(sys.stderr)
    console.setFormatter(logging.Formatter("%(levelname)-7s -  %(message)s"))
    if not errors_to_console:
        console.addFilter(_BelowError())  # errors are reported once, by kb build, as the failure message
    errors = _Errors()
    for handler in (console, errors):
        setattr(handler, "_kb", True)  # noqa: B010  (marks our handlers for the next build to replace)
        logger.addHandler(handler)
    logger.setLevel(logging.INFO if verbose else logging.WARNING)
    # jieba (Material's Chinese segmenter) logs its dictionary loading to stderr at DEBUG level,
    # and sets that level when imported: import it first, then quiet it.
    import jieba

    jieba.setLogLevel(logging.INFO if verbose else logging.WARNING)
    return errors


def build(root: Path, site_dir: Path | None = None, *, verbose: bool = False) -> BuildResult:
    """Strict build of the project at `root` into `site_dir` (default root/site), atomically."""
    root = root.resolve()
    target = (site_dir or root / "site").resolve()
    tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    errors = configure_logging(verbose)
    started = time.perf_counter()
    try:
        with _in_dir(root):
            config = load_config(config_file=str(root / "mkdocs.yml"), site_dir=str(tmp), strict=True)
            mkdocs_build(config)
    except (PluginError, ConfigurationError) as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise BuildFailed(str(exc)) from None
    except Abort as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        detail = "\n".join(errors.messages) or str(exc)
        raise BuildFailed(f"{detail}\n(strict build failed: {exc})") from None
    except (MkDocsException, KbError) as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise BuildFailed(str(exc)) from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    old = target.with_name(f".{target.name}.old-{os.getpid()}")
    if target.exists():
        target.rename(old)
    tmp.rename(target)
    shutil.rmtree(old, ignore_errors=True)
    plugin = config.plugins.get("kb-notebooks")
    return BuildResult(target, time.perf_counter() - started, list(getattr(plugin, "reports", [])))
