"""gmpsim against the real Go 1.27.3 runtime: every row of the validation table must stay within
its stated tolerance. The Go programs run through kb.evidence.experiments (cached per machine);
a timing row that misses is measured again without the cache (this machine is shared and busy),
and fails if it misses twice more."""

from __future__ import annotations

from typing import Any

import pytest
from gmpsim import validate as V

pytestmark = pytest.mark.slow


def fresh_runner(name: str, env: dict[str, str] | None, args: list[str] | None) -> dict[str, Any]:
    from kb.evidence import experiments

    return experiments.run(name, env=env, args=args, timeout=180, use_cache=False)


@pytest.mark.parametrize("scenario", list(V.SCENARIOS))
def test_scenario_within_tolerance(scenario: str) -> None:
    rows = V.validate(scenarios=scenario)
    for _ in range(2):
        if all(r.ok for r in rows):
            break
        rows = V.validate(fresh_runner, scenarios=scenario)
    bad = [f"({r.scenario}) {r.what['en']}: real {r.real}, sim {r.sim}, tolerance: {r.tolerance['en']}"
           for r in rows if not r.ok]
    assert not bad, "gmpsim left its tolerance:\n" + "\n".join(bad)
    table = V.table_markdown(rows, "zh")
    assert table.count("\n") == len(rows) + 1 and "**否**" not in table


def test_tolerances_can_fail() -> None:
    """A runtime that behaved differently must turn rows red."""

    def fake(name: str, env: dict[str, str] | None, args: list[str] | None) -> dict[str, Any]:
        if name == "gmpsim_runq":
            n = int((args or ["0"])[0])
            return {"block": [
                f"SCHED 1ms: gomaxprocs=1 idleprocs=0 threads=3 spinningthreads=0 needspinning=0 idlethreads=1 "
                f"runqueue={n} gcwaiting=false nmidlelocked=0 stopwait=0 sysmonwait=false",
                "  P0: status=1 schedtick=2 syscalltick=0 m=0 runqsize=0 gfreecnt=0 timerslen=0"]}
        if name == "gmpsim_preempt":
            return {"delay_ms": [1.0] * 3, "loop_ms": [60.0] * 3, "loop_target_ms": 60}
        if name == "gmpsim_handoff":
            return {"handoff_us": [5000.0] * 3}
        if name == "gmpsim_steal":
            return {"n": 64, "work_us": 500, "per_thread": [64]}
        return {"n_syscall": 8, "n_parked": 8, "syscall_before": 4, "syscall_after": 4,
                "parked_before": 4, "parked_after": 12}

    rows = V.validate(fake)
    assert rows and not any(r.ok for r in rows if r.what["en"].startswith(("GOMAXPROCS", "new OS")))
    assert "**NO**" in V.table_markdown(rows, "en")
