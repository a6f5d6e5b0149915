# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kb:
#     owner: chapters
#     reviewed: '2026-12-03'
#     reviewed_en: '2026-12-03'
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown] tags=["zh"]
# # 实验：系统调用的 P 移交与抢占
#
# 本笔记本用 gmpsim（按 Go 运行时源码写成的调度器模型）重放两章里的两件事：
# [系统调用与 P 的移交](syscalls-and-handoff.md) 和 [抢占](preemption.md)。
# 模型里各条运行时路径的**耗时是假设**（`gmpsim.model.Costs`，量级取自本机测量），不是被检验的事实；
# 被检验的是**行为**：什么时候 P 被拿走、什么时候 G 被抢占。改动下面的参数重新运行即可。

# %% [markdown] tags=["en"] source_hash="38963f618e4469bb"
# # Lab: P hand-off on syscalls, and preemption
#
# This notebook replays two things from two chapters with gmpsim (a scheduler model written from the Go
# runtime source): [Syscalls and P hand-off](syscalls-and-handoff.md) and [Preemption](preemption.md).
# The **costs** of runtime paths in the model are **assumptions** (`gmpsim.model.Costs`, orders of
# magnitude measured on this kind of machine), not checked facts; what is modelled from the source is the
# **behaviour**: when a P is taken, when a G is preempted. Change the parameters below and rerun.

# %%
import matplotlib.pyplot as plt

from gmpsim.workload import Workload, compute, mark, sleep, spawn, syscall

GOMAXPROCS = 1
SYSCALL_US = [5, 10, 20, 50, 100, 200, 500, 1000, 5000]


def handoff(dur_us: float, block: bool) -> tuple[float, int]:
    """G `a` enters a syscall of dur_us while G `b` waits in the same P's run queue.
    Returns (µs from a entering the syscall to b running, P hand-offs)."""
    w = Workload(gomaxprocs=GOMAXPROCS, seed=1)
    b = w.func("b", mark("b_runs"))
    # b is spawned first: spawning a then moves b from runnext to the local queue, and a runs first.
    a = w.func("a", mark("a_enters"), syscall(us=dur_us, block=block))
    w.main(spawn(b), spawn(a), sleep(ms=50))
    r = w.run()
    t = {label: when for (label, _g, when, _th) in r.marks}
    return (t["b_runs"] - t["a_enters"]) / 1e3, r.handoffs


rows = [(d, *handoff(d, False), *handoff(d, True)) for d in SYSCALL_US]
print(f"{'syscall µs':>10} | {'entersyscall: b waits µs':>24} {'handoffs':>8} | "
      f"{'entersyscallblock: b waits µs':>29} {'handoffs':>8}")
for d, w1, h1, w2, h2 in rows:
    print(f"{d:>10} | {w1:>24.1f} {h1:>8} | {w2:>29.1f} {h2:>8}")

# The prose below is checked here: if the model's behaviour changes, the build fails.
assert rows[0][2] == 0, "a 5 µs syscall should keep its P (no hand-off)"
assert rows[-1][2] == 1, "a 5 ms syscall should lose its P to sysmon's retake"
assert all(r[4] == 1 for r in rows), "entersyscallblock should always hand off"
assert rows[-1][1] < SYSCALL_US[-1] / 10, "a long syscall should not delay b for its whole length"

# %% [markdown] tags=["zh"]
# 读表：用普通的 `entersyscall` 时，短系统调用根本不会失去 P（移交次数为 0），`b` 要等 `a` 从系统调用
# 返回；系统调用足够长时，sysmon 的 `retake` 拿走 P 并 `handoffp`，`b` 的等待时间封顶在
# “一个 sysmon 周期 + 唤醒线程”的量级，与系统调用本身多长无关。`entersyscallblock` 则总是立即移交：
# 对长调用最快，但即使调用很短也要付出一次移交（这里还包括新建线程）的代价。

# %% [markdown] tags=["en"] source_hash="ec711495c8a668e8"
# Reading the table: with plain `entersyscall`, a short syscall never loses its P (0 hand-offs) and `b`
# waits for `a` to return; for a long enough syscall sysmon's `retake` takes the P and `handoffp`s it, and
# `b`'s wait is capped at "one sysmon period + waking a thread", whatever the syscall's length.
# `entersyscallblock` always hands off at once: fastest for long calls, but even a short call pays for a
# hand-off (here including creating a thread).

# %%
fig, ax = plt.subplots(figsize=(6.5, 3.2))
ax.plot(SYSCALL_US, [r[1] for r in rows], marker="o", label="entersyscall (sysmon retake)")
ax.plot(SYSCALL_US, [r[3] for r in rows], marker="s", label="entersyscallblock (immediate handoffp)")
ax.plot(SYSCALL_US, SYSCALL_US, linestyle=":", color="grey", label="syscall duration")
ax.set_xscale("log")
ax.set_yscale("log")
ax.set_xlabel("syscall duration (µs)")
ax.set_ylabel("wait of the other G (µs)")
ax.set_title(f"gmpsim, GOMAXPROCS={GOMAXPROCS} (model costs are assumptions)")
ax.legend(fontsize=8)
fig.tight_layout()
plt.show()

# %% [markdown] tags=["zh"]
# ## 抢占：调用点 vs. 信号
#
# 一个 G 运行 `LOOP_MS` 毫秒的计算。`calls=False` 表示循环体里没有函数调用（没有函数序言，
# 只能被信号异步抢占）；`calls=True` 表示有调用（函数序言检查 `stackguard0`，可被协作式抢占）。
# 第二个参数模拟 `GODEBUG=asyncpreemptoff=1`。表中给出第一次抢占发生的时刻和抢占次数。

# %% [markdown] tags=["en"] source_hash="1fbdebdfb92d06c8"
# ## Preemption: call sites vs. signals
#
# One G computes for `LOOP_MS` milliseconds. `calls=False` is a loop without function calls (no function
# prologue, so only an asynchronous, signal-based preemption can stop it); `calls=True` has calls (the
# prologue checks `stackguard0`, so cooperative preemption works). The second parameter models
# `GODEBUG=asyncpreemptoff=1`. The table gives the time of the first preemption and the count.

# %%
from gmpsim.model import FORCE_PREEMPT_NS

LOOP_MS = 60


def preempt(calls: bool, asyncpreemptoff: bool) -> tuple[float | None, int]:
    """(ms from the hog starting to its first preemption, preemptions) counted while its loop runs."""
    w = Workload(gomaxprocs=1, seed=1)
    other = w.func("other", mark("other_runs"))
    hog = w.func("hog", mark("hog_starts"), compute(ms=LOOP_MS, calls=calls), mark("hog_done"))
    w.main(spawn(other), spawn(hog), sleep(ms=4 * LOOP_MS))
    r = w.run(asyncpreemptoff=asyncpreemptoff, log=True)
    t = {label: (goid, when) for (label, goid, when, _th) in r.marks}
    goid, start = t["hog_starts"]
    done = t["hog_done"][1]
    # A request still pending when the loop ends is taken at the next safe point after it: not
    # a preemption of the loop, so only those strictly inside the loop are counted.
    inside = [when for (when, what, g, _p, _m) in (r.log or [])
              if what == "preempted" and g == goid and start <= when < done - 1000]
    first = (inside[0] - start) / 1e6 if inside else None
    return first, len(inside)


print(f"{'loop':>22} | {'asyncpreemptoff':>15} | {'first preemption (ms)':>21} | {'preemptions':>11}")
for calls in (False, True):
    for off in (False, True):
        first, n = preempt(calls, off)
        shown = f"{first:.2f}" if first is not None else f"none in {LOOP_MS} ms"
        kind = "with calls" if calls else "call-free"
        print(f"{kind:>22} | {str(off):>15} | {shown:>21} | {n:>11}")
        # Checked claim of the next cell: only a call-free loop without async preemption is never
        # preempted, and no preemption comes before the time slice.
        if not calls and off:
            assert first is None and n == 0
        else:
            assert first is not None and first * 1e6 >= FORCE_PREEMPT_NS

# %% [markdown] tags=["zh"]
# 只有“无调用的循环 + 关闭异步抢占”这一格不会被抢占：那正是 Go 1.14 之前所有紧循环的处境。
# 第一次抢占发生在 sysmon 发现同一个 `schedtick` 已持续 ≥ `forcePreemptNS` 之后，
# 具体时刻取决于 sysmon 当时的睡眠间隔。真实程序的测量见 [抢占](preemption.md)。

# %% [markdown] tags=["en"] source_hash="96d6d327ea2d2922"
# Only the "call-free loop + async preemption off" cell is never preempted: that was every tight loop's
# situation before Go 1.14. The first preemption comes after sysmon sees the same `schedtick` for
# ≥ `forcePreemptNS`; the exact time depends on sysmon's sleep interval then. Measurements of a real
# program are in [Preemption](preemption.md).
