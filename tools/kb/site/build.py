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
    notebook_report: object | None  # kb.notebooks.pipeline.Report of the last pass


@contextlib.contextmanager
def _in_dir(path: Path) -> Iterator[None]:
    # The jieba user dictionary and pymdownx.snippets paths are relative to the working directory.
    old = Path.cwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(old)


def _logging(verbose: bool) -> None:
    logger = logging.getLogger("mkdocs")
    if not any(getattr(h, "_kb", False) for h in logger.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(levelname)-7s -  %(message)s"))
        handler._kb = True  # type: ignore[attr-defined]
        logger.addHandler(handler)
    logger.setLevel(logging.INFO if verbose else logging.WARNING)


def build(root: Path, site_dir: Path | None = None, *, verbose: bool = False) -> BuildResult:
    """Strict build of the project at `root` into `site_dir` (default root/site), atomically."""
    root = root.resolve()
    target = (site_dir or root / "site").resolve()
    tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    _logging(verbose)
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
        raise BuildFailed(f"strict build failed: {exc}") from None
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
    report = getattr(plugin, "last_report", None)
    return BuildResult(target, time.perf_counter() - started, report)
