"""Benchmark: scheduler events per second and the wall time of a large workload.

    python -m gmpsim.bench            (also: kb bench sim)

The large workload (synthetic): GOMAXPROCS=8, main spawns 100,000 goroutines; each loops
`compute 20 µs -> wait on the network 200 ms`, a server-like mix that keeps the Ps ~half busy, plus
a channel ping-pong pair and some blocking syscalls. It is simulated through 1 s of simulated
time. "events" are the discrete events the loop processed; "scheduler events" count scheduler
actions (runqput, execute, park, ready, steal, hand-off, syscall enter/exit, ...).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
import tracemalloc
from typing import Any

from gmpsim.workload import (
    Workload,
    compute,
    netwait,
    recv,
    repeat,
    send,
    spawn,
    syscall,
)

SIM_NS = 1_000_000_000


def server_workload(goroutines: int = 100_000, procs: int = 8, seed: int = 1) -> Workload:
    w = Workload(gomaxprocs=procs, seed=seed)
    ping, pong = w.chan("ping"), w.chan("pong")
    conn = w.func("conn", repeat(1_000_000, compute(us=20), netwait(ms=200)))
    pinger = w.func("pinger", repeat(1_000_000, send(ping), recv(pong), compute(us=5)))
    ponger = w.func("ponger", repeat(1_000_000, recv(ping), compute(us=5), send(pong)))
    disk = w.func("disk", repeat(1_000_000, compute(us=50), syscall(us=300)))
    w.main(spawn(pinger), spawn(ponger), spawn(disk, n=16), spawn(conn, n=goroutines),
           repeat(1_000_000, netwait(ms=1000)))
    return w


def run_once(goroutines: int, procs: int, sim_ns: int, measure_memory: bool = False) -> dict[str, Any]:
    from gmpsim.model import Sim

    w = server_workload(goroutines, procs)
    if measure_memory:
        tracemalloc.start()
    t0 = time.perf_counter()
    c0 = time.process_time()
    sim = Sim(w)
    sim.run(sim_ns)
    wall = time.perf_counter() - t0
    cpu = time.process_time() - c0
    out: dict[str, Any] = {}
    if measure_memory:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        out["peak_bytes"] = peak
    r = sim.result()
    out.update({
        "goroutines": goroutines, "gomaxprocs": procs, "sim_ns": r.now, "wall_s": round(wall, 3),
        "cpu_s": round(cpu, 3), "events": r.events, "sched_events": r.sched_events,
        # Per CPU second of this (single-threaded) process: on a shared machine the wall clock
        # also counts time spent waiting for a core.
        "events_per_s": round(r.events / cpu), "sched_events_per_s": round(r.sched_events / cpu),
        "live_goroutines": sim.live, "threads": r.threads_created, "steals": r.steals,
        "preemptions": r.preemptions, "handoffs": r.handoffs,
    })
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m gmpsim.bench", description=__doc__.splitlines()[0])
    ap.add_argument("--goroutines", type=int, default=100_000)
    ap.add_argument("--procs", type=int, default=8)
    ap.add_argument("--sim-ms", type=int, default=1000)
    ap.add_argument("--memory", action="store_true", help="also measure peak memory at 10k and 100k goroutines")
    ap.add_argument("--repeat", type=int, default=5,
                    help="runs of the main workload; the fastest is reported (least disturbed by other load), "
                         "with the median")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args(argv)
    runs = [run_once(a.goroutines, a.procs, a.sim_ms * 1_000_000) for _ in range(max(1, a.repeat))]
    best = min(runs, key=lambda r: r["cpu_s"])
    best["cpu_s_all_runs"] = [r["cpu_s"] for r in runs]
    best["cpu_s_median"] = round(statistics.median(r["cpu_s"] for r in runs), 3)
    best["sched_events_per_s_median"] = round(statistics.median(r["sched_events_per_s"] for r in runs))
    best["events_per_s_median"] = round(statistics.median(r["events_per_s"] for r in runs))
    # Other load on the machine while we ran (1-minute load average), to read the figures by.
    best["loadavg_1m"] = os.getloadavg()[0]
    res: dict[str, Any] = {"main": best}
    if a.memory:
        # Memory must be linear in live goroutines: the same workload at two sizes, briefly.
        res["memory"] = [run_once(n, a.procs, 50_000_000, measure_memory=True) for n in (10_000, 100_000)]
    if a.json:
        print(json.dumps(res))
    else:
        m = res["main"]
        print(f"{m['goroutines']:,} goroutines, GOMAXPROCS={m['gomaxprocs']}, {m['sim_ns'] / 1e9:.3f} s simulated: "
              f"wall {m['wall_s']:.2f} s, CPU {m['cpu_s']:.2f} s; {m['events']:,} events "
              f"({m['events_per_s']:,}/CPU-s), {m['sched_events']:,} scheduler events "
              f"({m['sched_events_per_s']:,}/CPU-s); best of {len(m['cpu_s_all_runs'])} runs, CPU s: "
              f"{m['cpu_s_all_runs']}; median: {m['sched_events_per_s_median']:,} scheduler events/CPU-s, "
              f"{m['events_per_s_median']:,} events/CPU-s; load average {m['loadavg_1m']:.2f}")
        for mm in res.get("memory", []):
            print(f"  memory: {mm['goroutines']:,} goroutines -> peak {mm['peak_bytes'] / 2**20:.1f} MiB "
                  f"({mm['peak_bytes'] / mm['goroutines']:.0f} B per goroutine)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
