"""Validation: the same scenarios on the real Go 1.27.3 runtime and in gmpsim, side by side.

Each scenario has a Go program in `snippets/go/gmpsim_<scenario>/main.go` (run at build time by
`kb.evidence.experiments.run`, which caches the answer) and a gmpsim workload written to mirror
it. A row holds both values and a tolerance stated up front; `ok` says whether the simulation
stays within it. The real runtime is measured on a busy 2-core machine, so timing rows compare
medians with generous, stated bounds and show the real range.

    rows = validate()              # runs (or reuses cached) Go programs
    print(table_markdown(rows, "en"))
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from gmpsim import schedtrace
from gmpsim.model import FORCE_PREEMPT_NS, Costs, Result
from gmpsim.workload import (
    Workload,
    compute,
    gosched,
    lock,
    mark,
    pipe_read,
    pipe_write,
    recv,
    repeat,
    send,
    sleep,
    spawn,
    unlock,
    wg_add,
    wg_done,
    wg_wait,
)

RealRunner = Callable[[str, dict[str, str] | None, list[str] | None], dict[str, Any]]


@dataclass
class Row:
    scenario: str
    what: dict[str, str]  # lang -> description
    real: str
    sim: str
    tolerance: dict[str, str]  # lang -> the rule
    ok: bool
    real_value: Any = None
    sim_value: Any = None


def default_runner(name: str, env: dict[str, str] | None, args: list[str] | None) -> dict[str, Any]:
    """The project's one experiment runner (builds with the pinned Go, caches the answer)."""
    from kb.evidence import experiments

    return experiments.run(name, env=env, args=args, timeout=180)


def _marks(r: Result, label: str) -> list[int]:
    return [t for lab, _, t, _ in r.marks if lab == label]


def _median(xs: list[float]) -> float:
    return float(statistics.median(xs)) if xs else float("nan")


def _rng(xs: list[float], fmt: str) -> str:
    return f"{fmt.format(min(xs))}–{fmt.format(max(xs))} (median {fmt.format(_median(xs))})"


# -- (a) runq split ----------------------------------------------------------------------------
def sim_runq(n: int, seed: int = 1) -> schedtrace.Snapshot:
    """main spawns n goroutines on GOMAXPROCS=1 while keeping the P busy; the last schedtrace."""
    w = Workload(gomaxprocs=1, seed=seed)
    block = w.chan("block")
    child = w.func("child", recv(block))
    w.main(gosched(), spawn(child, n=n), compute(us=3500))
    r = w.run(schedtrace_ms=1, scheddetail=True)
    return schedtrace.parse(r.schedtrace)[-1]


def _split(s: schedtrace.Snapshot) -> tuple[int, int, int]:
    local = s.local[0]
    return s.runqueue, local, s.runnable_gs() - s.runqueue - local


def scenario_a(run: RealRunner, ns: tuple[int, ...] = (200, 1000, 5000)) -> list[Row]:
    rows = []
    for n in ns:
        real = run("gmpsim_runq", None, [str(n)])
        rs = schedtrace.parse(real["block"] or [])
        sg, sl, sn = _split(sim_runq(n))
        if rs:
            rg, rl, rn = _split(rs[-1])
            ok = sl == rl and sn == rn and 0 <= rg - sg <= 2
            real_text = f"{rg} / {rl} / {rn}"
        else:
            # The program found no clean snapshot (main was preempted before sysmon printed, on
            # every try): the row says so and fails rather than breaking the page.
            rg = rl = rn = -1
            ok = False
            real_text = f"— (no clean snapshot in {real.get('tries')} tries)"
        rows.append(Row(
            "a",
            {"en": f"GOMAXPROCS=1, main spawns {n} goroutines: global / local / runnext",
             "zh": f"GOMAXPROCS=1,main 创建 {n} 个 goroutine:全局队列 / 本地队列 / runnext"},
            real_text, f"{sg} / {sl} / {sn}",
            {"en": "local and runnext exact; global: real − sim in 0..2 (runtime-internal goroutines)",
             "zh": "本地队列与 runnext 完全一致;全局队列:真实值 − 模拟值 ∈ 0..2(运行时内部 goroutine)"},
            ok, (rg, rl, rn), (sg, sl, sn)))
    return rows


# -- (b) call-free loop ------------------------------------------------------------------------
# How long a G waits behind a call-free loop follows from sysmon and retake (runtime/proc.go):
# sysmon sleeps 10 ms (+ timer slack) between checks once it has had nothing to retake for 50
# cycles, and preempts a P whose schedtick has not moved since sysmon's OWN first sight of it
# (p.sysmontick.schedwhen) at least forcePreemptNS ago. With a fresh time slice (Gosched) the wait
# is therefore forcePreemptNS plus the time to sysmon's next check: anywhere in [10, ~20] ms,
# depending on where the loop starts relative to sysmon's 10 ms beat. After time.Sleep the woken G
# INHERITS the time slice (it runs from runnext), so the count may be well advanced already:
# anywhere in (0, ~20] ms. Which value a trial gets depends on the phase of sysmon's beat, which
# the loops' own lengths move; so the simulation replays the real program with the loop lengths
# (and calibration time) it measured. The issue expected ~10-13 ms: that is the low part of the
# window (one earlier measurement's min/median), not a bound the runtime keeps.
SYSMON_MAX_SLEEP_NS = 10_000_000  # `if delay > 10*1000 { // up to 10ms` (µs), runtime/proc.go


def sim_preempt(trials: int = 15, loop_ms: float = 60, asyncpreemptoff: bool = False,
                seed: int = 1, loops_ms: list[float] | None = None, sleep_ms: float = 0,
                calib_ms: float = 0) -> list[float]:
    """Delay (ms) before a goroutine spawned behind a call-free loop runs, GOMAXPROCS=1. Each
    trial starts with Gosched (a fresh time slice) or, with sleep_ms, time.Sleep (the woken G
    inherits its time slice). `loops_ms` gives each trial's loop length (default: `trials` loops
    of `loop_ms`); `calib_ms` is a call-free loop before the first trial (the Go program's
    calibration)."""
    loops = list(loops_ms) if loops_ms is not None else [loop_ms] * trials
    w = Workload(gomaxprocs=1, seed=seed)
    ran = w.chan("ran", cap=1)
    child = w.func("child", mark("ran"), send(ran))
    ops = [compute(ms=calib_ms, calls=False)] if calib_ms > 0 else []
    for lp in loops:
        ops += [sleep(ms=sleep_ms) if sleep_ms > 0 else gosched(), mark("t0"), spawn(child),
                compute(ms=lp, calls=False), recv(ran)]
    w.main(*ops)
    r = w.run(asyncpreemptoff=asyncpreemptoff)
    return [(b - a) / 1e6 for a, b in zip(_marks(r, "t0"), _marks(r, "ran"), strict=True)]


B_MEDIAN_MS = 5.0  # fresh slice: sim and real medians this close (15 trials each, a busy machine)
# The real sysmon period is its 10 ms sleep plus slack plus the thread's wake-up: 10.1-10.4 ms
# between GODEBUG=schedtrace=1 lines on this machine, against the model's 10.05 ms.
B_PERIOD_MARGIN_MS = 1.0


def scenario_b(run: RealRunner) -> list[Row]:
    rows = []
    floor = FORCE_PREEMPT_NS / 1e6
    # The latest preemption: sysmon first sees the new schedtick up to one period (its longest
    # sleep + timer slack) after the slice starts, and preempts at its first check at least
    # forcePreemptNS later (one period, as forcePreemptNS <= a period); then the signal and a
    # schedule (model costs). A trial can exceed it only when the preemption's schedule falls on
    # schedtick % 61 == 0 (the global queue first: main runs on for another slice), so the
    # window bounds the median, not every trial.
    c = Costs()
    period = (SYSMON_MAX_SLEEP_NS + c.usleep_slack_ns) / 1e6
    ceil = period + max(floor, period) + (c.signal_ns + c.schedule_ns) / 1e6
    for sleep_ms in (0, 5):
        real = run("gmpsim_preempt", {"GOMAXPROCS": "1"}, None if not sleep_ms else ["15", str(sleep_ms)])
        rd = [float(x) for x in real["delay_ms"]]
        sd = sim_preempt(loops_ms=[float(x) for x in real["loop_ms"]], sleep_ms=sleep_ms,
                         calib_ms=float(real.get("calib_ms", 0)))
        ms, mr = _median(sd), _median(rd)
        if not sleep_ms:
            ok = min(sd) >= floor and floor <= ms <= ceil and abs(ms - mr) <= B_MEDIAN_MS
            what = {"en": "GOMAXPROCS=1, Gosched then a call-free loop: delay before the other goroutine runs (ms)",
                    "zh": "GOMAXPROCS=1,Gosched 后进入无函数调用的循环:另一个 goroutine 开始运行前的等待(毫秒)"}
            tol = {"en": f"every sim delay ≥ forcePreemptNS ({floor:.0f} ms); sim median in the source's window "
                         f"[{floor:.0f}, {ceil:.1f}] ms (up to one sysmon period to see the new schedtick, then "
                         f"forcePreemptNS) and within {B_MEDIAN_MS:.0f} ms of the real median",
                   "zh": f"每个模拟值 ≥ forcePreemptNS({floor:.0f} ms);模拟中位数落在源码给出的区间 "
                         f"[{floor:.0f}, {ceil:.1f}] ms(sysmon 最多一个周期后才看到新的 schedtick,再过 "
                         f"forcePreemptNS),且与真实中位数相差 ≤ {B_MEDIAN_MS:.0f} ms"}
        else:
            ok = 0 < ms <= ceil and abs(ms - mr) <= period + B_PERIOD_MARGIN_MS
            what = {"en": f"same, but time.Sleep({sleep_ms} ms) before each loop: the woken goroutine inherits "
                          "its time slice, so the wait can be under 10 ms (ms)",
                    "zh": f"同上,但每次循环前 time.Sleep({sleep_ms} ms):被唤醒的 goroutine 继承时间片,"
                          "等待可能不足 10 ms(毫秒)"}
            tol = {"en": f"sim median in (0, {ceil:.1f}] ms and within one sysmon period ({period:.2f} ms, "
                         f"+{B_PERIOD_MARGIN_MS:.0f} ms for the real period's wake-up latency) of the real median: "
                         "which check sysmon's count starts from differs by one between runs",
                   "zh": f"模拟中位数在 (0, {ceil:.1f}] ms 内,且与真实中位数相差不超过一个 sysmon 周期"
                         f"({period:.2f} ms,另加 {B_PERIOD_MARGIN_MS:.0f} ms 的真实唤醒延迟):sysmon 从哪一次检查"
                         "开始计时,在不同运行之间会差一次"}
        rows.append(Row("b", what, _rng(rd, "{:.1f}"), _rng(sd, "{:.1f}"), tol, ok, rd, sd))
    real2 = run("gmpsim_preempt", {"GOMAXPROCS": "1", "GODEBUG": "asyncpreemptoff=1"}, ["5"])
    rd2 = [float(x) for x in real2["delay_ms"]]
    rl2 = [float(x) for x in real2["loop_ms"]]
    loop = float(real2["loop_target_ms"])
    sd2 = sim_preempt(trials=len(rd2), loop_ms=loop, asyncpreemptoff=True)
    ok2 = min(sd2) >= loop and all(d >= 0.9 * lp for d, lp in zip(rd2, rl2, strict=True))
    rows.append(Row(
        "b",
        {"en": "same with GODEBUG=asyncpreemptoff=1 (ms)", "zh": "同上,GODEBUG=asyncpreemptoff=1(毫秒)"},
        _rng(rd2, "{:.1f}"), _rng(sd2, "{:.1f}"),
        {"en": "both wait for the whole loop (real ≥ 90 % of its measured loop, sim ≥ loop)",
         "zh": "两者都等到整个循环结束(真实值 ≥ 实测循环的 90%,模拟值 ≥ 循环时长)"},
        ok2, rd2, sd2))
    return rows


# -- (c) syscall hand-off ----------------------------------------------------------------------
def sim_handoff(trials: int = 20, seed: int = 1) -> list[float]:
    """µs from A blocking in read(2) to B (queued on the same, only P) running."""
    w = Workload(gomaxprocs=1, seed=seed)
    pipe = w.pipe()
    done = w.chan("done")
    b = w.func("B", mark("t1"), pipe_write(pipe))
    a = w.func("A", mark("t0"), pipe_read(pipe), send(done))
    w.main(repeat(trials, spawn(b), spawn(a), recv(done)))
    r = w.run()
    return [(y - x) / 1e3 for x, y in zip(_marks(r, "t0"), _marks(r, "t1"), strict=True)]


def scenario_c(run: RealRunner) -> list[Row]:
    real = run("gmpsim_handoff", {"GOMAXPROCS": "1"}, None)
    rd = [float(x) for x in real["handoff_us"]]
    sd = sim_handoff(trials=len(rd))
    ratio = _median(sd) / _median(rd)
    ok = 1 / 3 <= ratio <= 3
    return [Row(
        "c",
        {"en": "GOMAXPROCS=1, G blocked in read(2): until the queued G runs on another thread (µs)",
         "zh": "GOMAXPROCS=1,G 阻塞在 read(2):排队的 G 在另一线程上开始运行之前(微秒)"},
        _rng(rd, "{:.0f}"), _rng(sd, "{:.0f}"),
        {"en": "medians within a factor of 3", "zh": "中位数相差在 3 倍以内"},
        ok, rd, sd)]


# -- (d) work stealing -------------------------------------------------------------------------
def sim_steal(procs: int, n: int = 64, work_us: int = 2000, seed: int = 1) -> list[int]:
    """Goroutines completed per P (sorted, main excluded) after main spawns n equal workers."""
    w = Workload(gomaxprocs=procs, seed=seed)
    wg = w.waitgroup()
    mu = w.mutex()
    wk = w.func("worker", compute(us=work_us, calls=False), lock(mu), unlock(mu), wg_done(wg))
    w.main(wg_add(wg, n), spawn(wk, n=n), wg_wait(wg))
    sim = w.run(log=True)
    per: dict[int, int] = {}
    assert sim.log is not None
    for _, what, goid, pid, _ in sim.log:
        if what == "goexit" and goid != 1:
            per[pid] = per.get(pid, 0) + 1
    return sorted(per.values(), reverse=True)


def _shares(xs: list[int], procs: int) -> list[float]:
    xs = sorted(xs, reverse=True) + [0] * max(0, procs - len(xs))
    tot = sum(xs) or 1
    return [x / tot for x in xs[:procs]]


def scenario_d(run: RealRunner) -> list[Row]:
    rows = []
    for procs in (2, 4):
        real = run("gmpsim_steal", {"GOMAXPROCS": str(procs)}, None)
        rc = [int(x) for x in real["per_thread"]]
        sc = sim_steal(procs, n=int(real["n"]), work_us=int(real["work_us"]))
        rs, ss = _shares(rc, procs), _shares(sc, procs)
        ok = min(rs) > 0 and min(ss) > 0 and max(abs(a - b) for a, b in zip(rs, ss, strict=True)) <= 0.2
        rows.append(Row(
            "d",
            {"en": f"GOMAXPROCS={procs}, {real['n']} equal goroutines spawned by main: finished per P "
                   "(real: per thread)",
             "zh": f"GOMAXPROCS={procs},main 创建 {real['n']} 个等量 goroutine:每个 P 完成数(真实:每线程)"},
            " / ".join(map(str, sorted(rc, reverse=True))), " / ".join(map(str, sc)),
            {"en": "every P works in both; shares (sorted) differ by ≤ 0.2",
             "zh": "两边每个 P 都有工作;排序后的份额相差 ≤ 0.2"},
            ok, rc, sc))
    return rows


# -- (e) threads -------------------------------------------------------------------------------
def sim_threads(n_sys: int = 64, n_park: int = 128, procs: int = 2, seed: int = 1) -> dict[str, int]:
    w = Workload(gomaxprocs=procs, seed=seed)
    ch = w.chan("release")
    pipe = w.pipe()
    parked = w.func("parked", recv(ch))
    blocked = w.func("blocked", pipe_read(pipe))
    w.main(sleep(ms=20), mark("park0"), spawn(parked, n=n_park), sleep(ms=50), mark("park1"),
           mark("sys0"), spawn(blocked, n=n_sys), sleep(ms=100), mark("sys1"))
    r = w.run()
    th = {lab: threads for lab, _, _, threads in r.marks}
    return {"parked": th["park1"] - th["park0"], "syscall": th["sys1"] - th["sys0"]}


def scenario_e(run: RealRunner) -> list[Row]:
    real = run("gmpsim_threads", {"GOMAXPROCS": "2"}, None)
    rs = int(real["syscall_after"]) - int(real["syscall_before"])
    rp = int(real["parked_after"]) - int(real["parked_before"])
    sim = sim_threads(int(real["n_syscall"]), int(real["n_parked"]))
    return [
        Row("e", {"en": f"new OS threads: {real['n_syscall']} goroutines blocked in read(2)",
                  "zh": f"新增 OS 线程:{real['n_syscall']} 个 goroutine 阻塞在 read(2)"},
            str(rs), str(sim["syscall"]),
            {"en": "within ±4", "zh": "相差不超过 ±4"}, abs(rs - sim["syscall"]) <= 4, rs, sim["syscall"]),
        Row("e", {"en": f"new OS threads: {real['n_parked']} goroutines parked on a channel",
                  "zh": f"新增 OS 线程:{real['n_parked']} 个 goroutine 停在 channel 上"},
            str(rp), str(sim["parked"]),
            {"en": "both ≤ 2", "zh": "两者都 ≤ 2"}, rp <= 2 and sim["parked"] <= 2, rp, sim["parked"]),
    ]


SCENARIOS = {"a": scenario_a, "b": scenario_b, "c": scenario_c, "d": scenario_d, "e": scenario_e}


def validate(run: RealRunner | None = None, scenarios: str = "abcde") -> list[Row]:
    runner = run or default_runner
    rows: list[Row] = []
    for key in scenarios:
        rows.extend(SCENARIOS[key](runner))
    return rows


def table_markdown(rows: list[Row], lang: str = "en") -> str:
    head = {"en": "| | scenario | real Go 1.27.3 | gmpsim | tolerance | within |",
            "zh": "| | 场景 | 真实 Go 1.27.3 | gmpsim | 容差 | 是否达标 |"}[lang]
    yes, no = {"en": ("yes", "**NO**"), "zh": ("是", "**否**")}[lang]
    out = [head, "|---|---|---|---|---|---|"]
    for r in rows:
        out.append(f"| ({r.scenario}) | {r.what[lang]} | {r.real} | {r.sim} | {r.tolerance[lang]} | "
                   f"{yes if r.ok else no} |")
    return "\n".join(out)
