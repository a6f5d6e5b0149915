"""`kb evidence` (check the register, or compare it with another GOROOT) and `kb bench evidence`."""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from kb.evidence import checks, claims, errata, toolchain
from kb.evidence.errors import EvidenceError


def register(commands: Any, bench: Any) -> None:
    p = commands.add_parser(
        "evidence",
        help="check every Go claim; --goroot DIR: which claims another Go release changes",
    )
    p.add_argument("--goroot", type=Path, help="compare the register's source evidence with this GOROOT")
    p.add_argument("--fresh", action="store_true", help="ignore the experiment cache (re-run everything)")
    p.add_argument("--workers", type=int, default=2)
    p.set_defaults(handler=_evidence)

    b = bench.add_parser("evidence", help="time the whole evidence suite: cold (empty caches) and cached")
    b.add_argument("--runs", type=int, default=3, help="cached runs to time")
    b.add_argument(
        "--cold-go",
        action="store_true",
        help="also start from an empty GOCACHE (the first go build compiles the standard library)",
    )
    b.set_defaults(handler=_bench)


def _evidence(args: argparse.Namespace) -> int:
    docs = toolchain.project_root() / "docs"
    if args.goroot is not None:
        return _compare(args.goroot, docs)
    ev = claims.Evaluator()
    if args.fresh:
        ev.cache_dir = Path(tempfile.mkdtemp(prefix="kb-evidence-"))
    used = checks.usage(docs)
    problems = checks.constant_drift(ev.register, ev.goroot, used)
    start = time.monotonic()
    failed = ev.prefetch(workers=args.workers)
    results = ev.evaluate_all()
    problems += checks.claim_failures(results, used)
    # The errata must answer every statement of chapters 1-4 (issue 3, item 6); a gap is a failure.
    coverage = errata.check(
        ev.register.errata,
        errata.load_source(ev.register.folder),
        where=str(ev.register.folder / "errata.yaml"),
    )
    if not coverage.ok:
        problems.append(errata.describe(coverage, ev.register.folder))
    for r in results:
        mark = "ok  " if r.ok else "FAIL"
        value = claims.format_value(r, "en") if r.ok else "; ".join(r.problems)
        print(f"{mark} {r.claim.id:<40} {value}")
    print(
        f"{len(results)} claims, {len(ev.register.constants)} constants, "
        f"{len(ev.register.errata)} errata rows covering "
        f"{len(coverage.statements) - len(coverage.uncovered)}/{len(coverage.statements)} statement lines "
        f"of chapters 1-4; {sum(r.ok for r in results)} verified "
        f"in {time.monotonic() - start:.1f} s (Go {ev.version()})"
    )
    if problems or failed:
        raise EvidenceError("evidence checks failed:\n- " + "\n- ".join(problems))
    return 0


def _compare(other_root: Path, docs: Path) -> int:
    if not (other_root / "src" / "runtime").is_dir():
        raise EvidenceError(
            f"{other_root}: not a GOROOT (no src/runtime); pass the output of `go env GOROOT`."
        )
    ref = claims.Evaluator()
    version_file = other_root / "VERSION"
    other_version = version_file.read_text().split()[0] if version_file.is_file() else str(other_root)
    other = claims.Evaluator(goroot=other_root, go_version=other_version)
    used = checks.usage(docs)
    changes = checks.compare(ref, other)
    if not changes:
        print(f"No claim changes between {ref.version()} and {other_version} (constants and citations).")
        return 0
    print(f"{len(changes)} claim evidence change(s) from {ref.version()} to {other_version}:")
    for ch in changes:
        where = ", ".join(used.get(ch.claim, [])) or "no page"
        print(f"- {ch.claim}: {ch.evidence}: {ch.before} -> {ch.after}  (pages: {where})")
    return 1


def _suite(cache_dir: Path, workers: int = 2) -> float:
    start = time.monotonic()
    ev = claims.Evaluator(cache_dir=cache_dir)
    checks.constant_drift(ev.register, ev.goroot, checks.usage(toolchain.project_root() / "docs"))
    failed = ev.prefetch(workers=workers)
    results = ev.evaluate_all()
    if failed or not all(r.ok for r in results):
        bad = [r.claim.id for r in results if not r.ok]
        raise EvidenceError(
            f"bench: the evidence suite failed (claims: {', '.join(bad)}); run `kb evidence`."
        )
    return time.monotonic() - start


def _bench(args: argparse.Namespace) -> int:
    m = toolchain.machine()
    print(f"machine: {m['nproc']} CPUs, kernel {m['kernel']}, load {m['loadavg']}")
    tmp = Path(tempfile.mkdtemp(prefix="kb-bench-evidence-"))
    saved = os.environ.get("GOCACHE")
    try:
        if args.cold_go:
            os.environ["GOCACHE"] = str(tmp / "gocache")
        cold = _suite(tmp / "evidence")
        print(f"cold run (empty evidence cache{', empty GOCACHE' if args.cold_go else ''}): {cold:.1f} s")
        if saved is None:
            os.environ.pop("GOCACHE", None)
        else:
            os.environ["GOCACHE"] = saved
        warm = [_suite(tmp / "evidence") for _ in range(max(1, args.runs))]
        print(
            f"cached run: min {min(warm):.3f} s, median {statistics.median(warm):.3f} s, "
            f"max {max(warm):.3f} s ({len(warm)} runs)"
        )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0
