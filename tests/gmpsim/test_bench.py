"""The benchmark runs and reports its figures; memory grows linearly with live goroutines."""

from __future__ import annotations

import json

import pytest
from gmpsim import bench


def test_memory_is_linear_in_live_goroutines() -> None:
    small, large = (bench.run_once(n, 8, 20_000_000, measure_memory=True) for n in (5_000, 50_000))
    assert small["live_goroutines"] >= 5_000 and large["live_goroutines"] >= 50_000
    per_small = small["peak_bytes"] / small["goroutines"]
    per_large = large["peak_bytes"] / large["goroutines"]
    # Linear: 10x the goroutines costs about 10x the memory (fixed overhead makes the small
    # run's per-goroutine figure the larger one), and a goroutine stays well under 2 KiB.
    assert per_large <= 1.2 * per_small and per_large < 2048, (per_small, per_large)


def test_bench_command_reports_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert bench.main(["--goroutines", "2000", "--procs", "4", "--sim-ms", "20", "--repeat", "1", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)["main"]
    assert out["sim_ns"] == 20_000_000 and out["events"] > 2000 and out["events_per_s"] > 0
    assert out["sched_events"] >= out["goroutines"] * 2  # at least GoCreate + GoStart for each
