"""`kb bench cases`: build time each case adds, cold (empty render cache) and warm (cache filled).

Measures what the plugin does per case in on_pre_build: validate, render every artifact (or copy
it from the cache), write the zh and en pages. Pages and cache go to a temporary folder, so the
benchmark never touches docs/ or .cache/.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path
from typing import Any

from kb.casebook.site import BuildStats, build_cases, case_ids


def measure(casebooks: Path, root: Path, warm_runs: int = 3) -> dict[str, dict[str, float]]:
    with tempfile.TemporaryDirectory(prefix="kb-bench-cases-") as tmp:
        cache, pages = Path(tmp) / "cache", Path(tmp) / "docs" / "casebooks"
        cold = BuildStats()
        build_cases(casebooks, pages, cache, root, cold)
        warm: list[BuildStats] = []
        for _ in range(warm_runs):
            w = BuildStats()
            build_cases(casebooks, pages, cache, root, w)
            warm.append(w)
    return {
        cid: {"cold_s": cold.seconds[cid], "warm_s": min(w.seconds[cid] for w in warm)}
        for cid in cold.seconds
    }


def _run(args: argparse.Namespace) -> int:
    root = Path.cwd()
    casebooks: Path = args.casebooks
    if not case_ids(casebooks):
        print(f"no cases under {casebooks}")
        return 0
    result = measure(casebooks, root, args.warm_runs)
    width = max(len(c) for c in result)
    print(f"{'case':<{width}}  cold (s)  warm (s)")
    for cid, r in result.items():
        print(f"{cid:<{width}}  {r['cold_s']:8.3f}  {r['warm_s']:8.4f}")
    total_cold = sum(r["cold_s"] for r in result.values())
    total_warm = sum(r["warm_s"] for r in result.values())
    print(f"{'total':<{width}}  {total_cold:8.3f}  {total_warm:8.4f}")
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1), encoding="utf-8")
    return 0


def register_bench(bench: Any) -> None:
    p = bench.add_parser("cases", help="build time added per case, cold and warm render cache")
    p.add_argument("--casebooks", type=Path, default=Path("casebooks"), help="folder of cases")
    p.add_argument("--warm-runs", type=int, default=3, help="warm passes (the fastest is reported)")
    p.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    p.set_defaults(handler=_run)
