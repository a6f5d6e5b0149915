"""Exports of a run: Chrome / Perfetto trace-event JSON, and the event log as text lines.

The trace-event format is the JSON array flavour documented in Google's "Trace Event Format"
(phases X = complete slice, i = instant, M = metadata); Perfetto and chrome://tracing open it.
One process ("gmpsim"), one track per P; timestamps in microseconds (floats keep the ns).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from gmpsim.model import Result


def chrome_trace(r: Result) -> dict[str, Any]:
    """The run as a trace-event JSON object. Needs a run with trace=True."""
    if r.slices is None or r.instants is None:
        raise ValueError("this run kept no slices: run the workload with trace=True to export a trace")
    ev: list[dict[str, Any]] = [{"ph": "M", "pid": 1, "name": "process_name", "args": {"name": "gmpsim"}}]
    for p in range(r.gomaxprocs):
        ev.append({"ph": "M", "pid": 1, "tid": p, "name": "thread_name", "args": {"name": f"P{p}"}})
    for pid, goid, start, end, func in r.slices:
        ev.append({"ph": "X", "pid": 1, "tid": pid, "ts": start / 1e3, "dur": (end - start) / 1e3,
                   "name": f"G{goid} {func}", "args": {"goid": goid}})
    for t, what, pid, goid in r.instants:
        ev.append({"ph": "i", "s": "t", "pid": 1, "tid": max(pid, 0), "ts": t / 1e3, "name": what,
                   "args": {"goid": goid}})
    return {"traceEvents": ev, "displayTimeUnit": "ns",
            "otherData": {"generator": "gmpsim", "synthetic": True}}


def write_chrome_trace(r: Result, path: str | Path) -> Path:
    out = Path(path)
    out.write_text(json.dumps(chrome_trace(r)))
    return out


def log_lines(r: Result) -> list[str]:
    """The event log, one line per event: time (µs), what, G, P, M. Needs log=True."""
    if r.log is None:
        raise ValueError("this run kept no log: run the workload with log=True")

    def fmt(prefix: str, v: int) -> str:
        return f"{prefix}{v}" if v >= 0 else "-"

    return [f"{t / 1e3:12.3f}us {what:<18} {fmt('G', g):>7} {fmt('P', p):>4} {fmt('M', m):>4}"
            for t, what, g, p, m in r.log]
