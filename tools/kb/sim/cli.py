"""`kb sim validate` (gmpsim against the real Go runtime) and `kb bench sim` (simulator speed)."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from typing import Any

from kb.errors import KbError


def _validate(args: argparse.Namespace) -> int:
    from gmpsim import validate as V

    bad = set(args.scenarios) - set(V.SCENARIOS)
    if bad:
        raise KbError(f"kb sim validate --scenarios: unknown scenario(s) {''.join(sorted(bad))}; "
                      f"choose from {''.join(V.SCENARIOS)}.")
    rows = V.validate(scenarios=args.scenarios)
    if args.json:
        print(json.dumps([asdict(r) for r in rows], ensure_ascii=False, default=str))
    else:
        print(V.table_markdown(rows, args.lang))
    return 0 if all(r.ok for r in rows) else 1


def _bench(args: argparse.Namespace) -> int:
    from gmpsim import bench

    argv = ["--goroutines", str(args.goroutines), "--procs", str(args.procs), "--sim-ms", str(args.sim_ms),
            "--repeat", str(args.repeat)]
    if args.memory:
        argv.append("--memory")
    if args.json:
        argv.append("--json")
    return bench.main(argv)


def register(commands: Any, bench_commands: Any) -> None:
    sim = commands.add_parser("sim", help="gmpsim, the Go scheduler simulation")
    sub = sim.add_subparsers(dest="sim_command", required=True, metavar="SUBCOMMAND")
    p = sub.add_parser("validate", help="run the validation scenarios on the real runtime and in gmpsim; "
                                        "exit 1 if the simulation leaves a tolerance")
    p.add_argument("--scenarios", default="abcde", help="letters of the scenarios to run (default: abcde)")
    p.add_argument("--lang", choices=("en", "zh"), default="en")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=_validate)

    b = bench_commands.add_parser("sim", help="gmpsim: scheduler events/s, 100,000 goroutines through 1 s")
    b.add_argument("--goroutines", type=int, default=100_000)
    b.add_argument("--procs", type=int, default=8)
    b.add_argument("--sim-ms", type=int, default=1000)
    b.add_argument("--repeat", type=int, default=5,
                   help="runs of the main workload; the fastest is reported, with the median")
    b.add_argument("--memory", action="store_true", help="also measure memory at two sizes (tracemalloc)")
    b.add_argument("--json", action="store_true")
    b.set_defaults(handler=_bench)
