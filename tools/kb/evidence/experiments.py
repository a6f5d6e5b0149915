"""Experiments: `snippets/go/<name>/main.go`, one `package main` per measurable claim, standard
library only, printing exactly ONE JSON object on one line of stdout (anything for humans goes to
stderr). This module builds them with the pinned Go, runs them, checks that one line, and caches the
answer so an unchanged experiment on the same machine never runs twice.

Cache key (sha256 over): every file of the experiment folder (path + bytes), the Go version, the
env overrides and args given to `run`, and the machine (CPU count, kernel release). The load average
is NOT in the key (it changes every second); it is recorded with the result instead.

Programs get the environment of `kb.external.go_env()` plus `KB_GO` (absolute path of the pinned
`go`, for experiments that compile code themselves, e.g. binary size or codegen) plus `env`.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from kb import external
from kb.evidence import toolchain
from kb.evidence.errors import (
    ExperimentCompileError,
    ExperimentError,
    ExperimentExitError,
    ExperimentOutputError,
    ExperimentTimeout,
)

# go build may compile the standard library on a cold GOCACHE: minutes on a busy 2-core machine.
BUILD_TIMEOUT = 900.0
# How much of a bad output an error message quotes.
QUOTE_CHARS = 1500

_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()


def _lock_for(key: str) -> threading.Lock:
    # Two pages asking for the same experiment at once must not run it twice.
    with _locks_guard:
        return _locks.setdefault(key, threading.Lock())


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(toolchain.project_root()))
    except ValueError:
        return str(path)


def _quote(text: str) -> str:
    text = text.strip()
    if len(text) > QUOTE_CHARS:
        text = text[:QUOTE_CHARS] + f"\n... ({len(text) - QUOTE_CHARS} more characters)"
    return text or "(nothing)"


def source_hash(folder: Path) -> str:
    """sha256 over the relative path and bytes of every file in the experiment folder."""
    h = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        rel = path.relative_to(folder).as_posix()
        h.update(rel.encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def cache_key(
    folder: Path, env: Mapping[str, str] | None, args: Iterable[str] | None, go_version: str
) -> str:
    m = toolchain.machine()
    material = {
        "source": source_hash(folder),
        "go": go_version,
        "env": sorted((env or {}).items()),
        "args": list(args or []),
        "machine": [m["nproc"], m["kernel"], m["arch"]],
    }
    return hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()[:32]


def _run_group(
    cmd: list[str], *, cwd: Path, env: dict[str, str], timeout: float
) -> tuple[int | None, str, str, float]:
    """Run `cmd` in its own process group; on timeout kill the whole group (the program may have
    started children) and return returncode None with whatever was printed so far."""
    start = time.monotonic()
    proc = subprocess.Popen(
        cmd,
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        errors="replace",
        start_new_session=True,
    )
    try:
        out, err = proc.communicate(timeout=timeout)
        return proc.returncode, out, err, time.monotonic() - start
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        return None, out or "", err or "", time.monotonic() - start


def parse_one_json_line(stdout: str, *, where: str) -> dict[str, Any]:
    """The one non-empty stdout line as a JSON object, or ExperimentOutputError quoting the output."""
    lines = [line for line in stdout.splitlines() if line.strip()]
    if len(lines) != 1:
        raise ExperimentOutputError(
            f"{where}: must print exactly one JSON line on stdout, printed {len(lines)} lines:\n"
            f"{_quote(stdout)}\nPrint diagnostics to stderr and the result once, with json.Marshal."
        )
    try:
        value = json.loads(lines[0])
    except json.JSONDecodeError as exc:
        raise ExperimentOutputError(
            f"{where}: stdout is not JSON ({exc.msg} at column {exc.colno}):\n{_quote(lines[0])}"
        ) from None
    if not isinstance(value, dict):
        raise ExperimentOutputError(
            f"{where}: stdout must be one JSON object, got {type(value).__name__}: {_quote(lines[0])}"
        )
    return value


def run(
    name: str,
    *,
    env: dict[str, str] | None = None,
    args: list[str] | None = None,
    timeout: float = 120.0,
    base_dir: Path | None = None,
    cache_dir: Path | None = None,
    use_cache: bool = True,
) -> dict[str, Any]:
    """Build and run the experiment `<base_dir>/<name>/main.go`; return its one JSON object.

    - `base_dir` defaults to `snippets/go` of the project; `cache_dir` to `.cache/evidence`.
    - `env`: variables added to the program's environment (e.g. {"GODEBUG": "asyncpreemptoff=1"});
      `args`: its command-line arguments. Both are part of the cache key.
    - `timeout`: seconds the program may run (the build has its own, generous limit). On expiry its
      process group is killed.
    - The answer is cached under `cache_dir` by (folder contents, Go version, env, args, CPU count,
      kernel). `use_cache=False` forces a fresh run (the result is still stored).

    The returned dict is the program's JSON object plus one key added by the runner, `_run`:
    {"machine": {nproc, kernel, arch, loadavg}, "go": "go1.27.3", "elapsed_s": float,
     "cache": "hit" | "miss"}. Programs must not print a `_run` key themselves.

    Raises (all `KbError`, messages name the file): ExperimentCompileError (with the compiler's
    message), ExperimentOutputError (not exactly one JSON object line; quotes what was printed),
    ExperimentTimeout, ExperimentExitError (non-zero exit, with stderr), ExperimentError (no such
    experiment folder).
    """
    base = (base_dir or toolchain.go_dir()).resolve()
    folder = base / name
    main_go = folder / "main.go"
    where = _display(main_go)
    if not main_go.is_file():
        raise ExperimentError(
            f"{where}: no such experiment (expected a `package main` in {_display(folder)}/main.go)."
        )
    version = toolchain.go_version()
    key = cache_key(folder, env, args, version)
    cache_root = cache_dir or toolchain.cache_dir()
    cache_file = cache_root / f"{name}-{key}.json"
    with _lock_for(str(cache_file)):
        if use_cache and cache_file.is_file():
            try:
                stored = json.loads(cache_file.read_text())
                result: dict[str, Any] = stored["result"]
                result["_run"] = {**stored["run"], "cache": "hit"}
                return result
            except (json.JSONDecodeError, KeyError, TypeError):
                pass  # a damaged cache entry is simply recomputed
        result, run_info = _build_and_run(folder, where, env=env, args=args, timeout=timeout)
        cache_root.mkdir(parents=True, exist_ok=True)
        tmp = cache_file.with_name(f".{cache_file.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps({"result": result, "run": run_info}, sort_keys=True))
        tmp.replace(cache_file)
        result = dict(result)
        result["_run"] = {**run_info, "cache": "miss"}
        return result


def _build_and_run(
    folder: Path, where: str, *, env: dict[str, str] | None, args: list[str] | None, timeout: float
) -> tuple[dict[str, Any], dict[str, Any]]:
    go = external.which("go")
    base_env = external.go_env()
    # The Go caches live in the project (go_env() is relative to the cwd): pin them to the root so
    # a build started from another directory still reuses the compiled standard library.
    root_cache = toolchain.project_root() / ".cache" / "go"
    base_env["GOCACHE"] = os.environ.get("GOCACHE", str(root_cache / "build"))
    base_env["GOMODCACHE"] = os.environ.get("GOMODCACHE", str(root_cache / "mod"))
    sources = sorted(p.name for p in folder.glob("*.go") if not p.name.endswith("_test.go"))
    with tempfile.TemporaryDirectory(prefix="kb-exp-") as tmp:
        exe = Path(tmp) / folder.name
        # File arguments, not a package path: experiments have no go.mod of their own.
        rc, out, err, _ = _run_group(
            [str(go), "build", "-o", str(exe), *sources], cwd=folder, env=base_env, timeout=BUILD_TIMEOUT
        )
        if rc is None:
            raise ExperimentTimeout(f"{where}: `go build` did not finish within {BUILD_TIMEOUT:.0f} s.")
        if rc != 0:
            raise ExperimentCompileError(
                f"{where}: does not compile with {toolchain.go_version()}:\n{_quote(err + out)}"
            )
        run_env = {**base_env, "KB_GO": str(go), **(env or {})}
        machine_before = toolchain.machine()
        rc, out, err, elapsed = _run_group(
            [str(exe), *(args or [])], cwd=folder, env=run_env, timeout=timeout
        )
    if rc is None:
        raise ExperimentTimeout(
            f"{where}: still running after {timeout:g} s; its process group was killed. "
            f"Make the experiment finish sooner or give `run(..., timeout=...)` more time. "
            f"stderr so far:\n{_quote(err)}"
        )
    if rc != 0:
        raise ExperimentExitError(
            f"{where}: exited with status {rc}. stderr:\n{_quote(err)}\nstdout:\n{_quote(out)}"
        )
    result = parse_one_json_line(out, where=where)
    if "_run" in result:
        raise ExperimentOutputError(f"{where}: the key `_run` is reserved for the runner; rename it.")
    machine_before["loadavg_after"] = toolchain.machine()["loadavg"]
    run_info = {"machine": machine_before, "go": toolchain.go_version(), "elapsed_s": round(elapsed, 3)}
    return result, run_info


def run_many(
    requests: Iterable[tuple[str, dict[str, str] | None, list[str] | None, float]],
    *,
    workers: int = 2,
    base_dir: Path | None = None,
    cache_dir: Path | None = None,
) -> list[dict[str, Any] | ExperimentError]:
    """Run several (name, env, args, timeout) requests on `workers` threads (each runs a process);
    the answer list is in request order and holds the error instead of a result for a failure, so a
    caller can report every broken experiment at once."""
    reqs = list(requests)

    def one(req: tuple[str, dict[str, str] | None, list[str] | None, float]) -> Any:
        name, env, args, timeout = req
        try:
            return run(name, env=env, args=args, timeout=timeout, base_dir=base_dir, cache_dir=cache_dir)
        except ExperimentError as exc:
            return exc

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        return list(pool.map(one, reqs))
