# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kb:
#     owner: gmpsim
#     reviewed: 2026-12-03
#     reviewed_en: 2026-12-03
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown] tags=["zh"]
# # gmpsim:一个可以运行的 Go 调度器模型
#
# gmpsim 是一个离散事件模拟器,按 Go 1.27.3 运行时源码(`runtime/proc.go`、`runtime2.go`、
# `stack.go`、`netpoll.go`)的写法模拟 G、M、P:每个 P 的本地运行队列与 `runnext`、全局队列、
# `findRunnable` 的查找顺序、自旋线程与 `wakep`、工作窃取、系统调用期间 sysmon 的 `retake`、
# 异步抢占、netpoller、LockOSThread、GC 的停止世界,以及 goroutine 栈的增长与收缩。
# 模型里每个函数都用运行时的名字命名,并在注释中给出源码文件和行号;测试会逐一核对这些行号。
#
# 本页的图和数字都在构建时计算。**图中的运行是模拟数据**;对照表的"真实"一列来自构建时在本机
# 运行的 Go 程序(`snippets/go/gmpsim_*`)。

# %% [markdown] tags=["en"] source_hash="c2a6456d7c0633f2"
# # gmpsim: a Go scheduler model you can run
#
# gmpsim is a discrete-event simulation of G, M and P written after the Go 1.27.3 runtime source
# (`runtime/proc.go`, `runtime2.go`, `stack.go`, `netpoll.go`): each P's local run queue and
# `runnext`, the global queue, the order in which `findRunnable` looks for work, spinning threads
# and `wakep`, work stealing, sysmon's `retake` during system calls, asynchronous preemption, the
# netpoller, LockOSThread, GC stop-the-world, and goroutine stacks growing and shrinking. Every
# modelled function carries the runtime's name and cites its file and line; the tests check them.
#
# Every figure and number on this page is computed at build time. **The run drawn below is
# simulated (synthetic) data**; the "real" column of the validation table comes from Go programs
# (`snippets/go/gmpsim_*`) run on this machine during the build.

# %% [markdown] tags=["zh"]
# ## 描述一个工作负载
#
# 工作负载是一组带名字的 goroutine 函数,每个函数是一串操作:计算、`go` 语句、channel 收发、
# 互斥锁、系统调用、网络等待、睡眠、LockOSThread。同一个种子总得到同一条轨迹;写错的工作负载
# 会在运行前报出函数名和操作位置。下面的 main 启动几个计算型 worker、一个阻塞在系统调用里的
# goroutine,再等所有 worker 结束。

# %% [markdown] tags=["en"] source_hash="2ef8844ef5c1290a"
# ## Describing a workload
#
# A workload is a set of named goroutine functions, each a sequence of operations: compute, `go`
# statements, channel send/receive, mutexes, system calls, network waits, sleeps, LockOSThread.
# The same seed always gives the same trace; a malformed workload is rejected before it runs, with
# the function name and the position of the operation. Below, main starts a few compute-bound
# workers and one goroutine that blocks in a system call, then waits for the workers.

# %%
from gmpsim.workload import Workload, compute, netwait, spawn, syscall, wg_add, wg_done, wg_wait

PROCS, WORKERS = 2, 6
w = Workload(gomaxprocs=PROCS, seed=7)
wg = w.waitgroup()
worker = w.func("worker", compute(us=120), netwait(us=60), compute(us=80), wg_done(wg))
blocker = w.func("blocker", compute(us=20), syscall(us=400), compute(us=20))
w.main(wg_add(wg, WORKERS), spawn(blocker), spawn(worker, n=WORKERS), wg_wait(wg))
run = w.run(trace=True, log=True, sample_ns=10_000, schedtrace_ms=0)
print(f"GOMAXPROCS={PROCS}: simulated {run.now / 1e3:.0f} µs, {run.events} events, "
      f"{run.goroutines_created} goroutines, {run.threads_created} threads, {run.steals} steals, "
      f"{run.handoffs} hand-offs, {run.preemptions} preemptions")

# %% [markdown] tags=["zh"]
# ## 时间线
#
# 每一行是一个 P,每段色块是一个 G 在该 P 上连续运行的时间;竖线标出工作窃取和 P 的移交
# (`handoffp`)。第二张图是同一次运行中全局队列和各 P 本地队列(含 `runnext`)的长度随时间的
# 变化,最后一行是调度延迟(从可运行到开始运行)的分布。同一次运行也可以导出为
# Chrome/Perfetto 的 trace-event JSON(`gmpsim.export.write_chrome_trace`)。

# %% [markdown] tags=["en"] source_hash="5263eeaa6433a601"
# ## Timeline
#
# One row per P; each bar is a stretch of time one G ran on that P; vertical ticks mark work
# stealing and P hand-offs (`handoffp`). The second plot shows, for the same run, the length of
# the global queue and of each P's local queue (`runnext` included) over time; the last line gives
# the scheduling latency (runnable to running) distribution. The same run can be exported as
# Chrome/Perfetto trace-event JSON (`gmpsim.export.write_chrome_trace`).

# %%
import matplotlib.pyplot as plt

fig, ax = plt.subplots(figsize=(9, 2.6))
cmap = plt.get_cmap("tab10")
for pid, goid, start, end, func in run.slices:
    ax.broken_barh([(start / 1e3, (end - start) / 1e3)], (pid - 0.35, 0.7), color=cmap(goid % 10))
    if end - start > 40_000:
        ax.text((start + end) / 2e3, pid, f"G{goid}", ha="center", va="center", fontsize=7, color="white")
for t, what, pid, goid in run.instants:
    if pid >= 0:
        ax.plot([t / 1e3] * 2, [pid - 0.45, pid + 0.45], color="black" if what == "steal" else "red", lw=1)
ax.set_yticks(range(PROCS), [f"P{p}" for p in range(PROCS)])
ax.set_xlabel("simulated time (µs) — synthetic data")
ax.set_title("gmpsim timeline (black: steal, red: handoffp)")
fig.tight_layout()
plt.show()

# %%
fig, ax = plt.subplots(figsize=(9, 2.2))
times = [t / 1e3 for t, _, _ in run.samples]
ax.step(times, [g for _, g, _ in run.samples], where="post", label="global runq", color="black")
for p in range(PROCS):
    ax.step(times, [per[p] for _, _, per in run.samples], where="post", label=f"P{p} runq+runnext")
ax.set_xlabel("simulated time (µs) — synthetic data")
ax.set_ylabel("runnable Gs")
ax.legend(fontsize=7, ncol=PROCS + 1)
fig.tight_layout()
plt.show()
print(f"scheduling latency (runnable -> running): median ≤ {run.latency_percentile(0.5) / 1e3:.1f} µs, "
      f"p90 ≤ {run.latency_percentile(0.9) / 1e3:.1f} µs over {run.latency_count} dispatches")

# %% [markdown] tags=["zh"]
# ## 同一种 schedtrace 格式
#
# gmpsim 按运行时 `schedtrace` 的格式输出 `GODEBUG=schedtrace`(及 `scheddetail`)行;
# 同一个解析器(`gmpsim.schedtrace.parse`)既读模拟输出,也读真实运行时的输出,
# 对照表的场景 (a) 就是这样读取的。

# %% [markdown] tags=["en"] source_hash="c3c0cf71b05b68d6"
# ## One schedtrace format
#
# gmpsim prints `GODEBUG=schedtrace` (and `scheddetail`) lines in the runtime's own `schedtrace`
# format; one parser (`gmpsim.schedtrace.parse`) reads the simulation's lines and the real
# runtime's alike, which is how scenario (a) of the table below is read.

# %%
from gmpsim import schedtrace

traced = w.run(schedtrace_ms=1)
for line in traced.schedtrace[:3]:
    print(line)
snap = schedtrace.parse(traced.schedtrace)[0]
print("parsed:", {"ms": snap.ms, "idleprocs": snap.idleprocs, "threads": snap.threads,
                  "global runqueue": snap.runqueue, "local": snap.local})

# %% [markdown] tags=["zh"]
# ## 与真实运行时对照
#
# 每个场景各有一个 Go 程序在构建时运行,gmpsim 运行同样的工作负载;容差事先写明,
# 模拟结果超出容差时测试失败。计时类场景在繁忙的双核机器上噪声很大,因此给出范围与中位数。
# 模型中的时间开销(线程唤醒、信号送达、定时器松弛等)是模型参数,不是经过核对的事实。

# %% [markdown] tags=["en"] source_hash="92f4e9b627f35088"
# ## Side by side with the real runtime
#
# Each scenario has a Go program run at build time, and gmpsim runs the same workload; tolerances
# are stated in advance and a test fails when the simulation leaves them. Timing scenarios are
# noisy on a busy two-core machine, so ranges and medians are shown. The model's time costs
# (thread wake-up, signal delivery, timer slack, ...) are parameters of the model, not checked facts.

# %%
from IPython.display import Markdown, display

from gmpsim.validate import validate

rows = validate()  # the Go programs' answers are cached per machine by kb.evidence.experiments


def cell(text_zh: str, text_en: str) -> str:
    return f"{text_zh}<br>{text_en}"


lines = ["| | 场景 / scenario | Go 1.27.3 | gmpsim | 容差 / tolerance | ✓ |", "|---|---|---|---|---|---|"]
for r in rows:
    lines.append(f"| ({r.scenario}) | {cell(r.what['zh'], r.what['en'])} | {r.real} | {r.sim} | "
                 f"{cell(r.tolerance['zh'], r.tolerance['en'])} | {'✓' if r.ok else '✗'} |")
display(Markdown("\n".join(lines)))
print(f"{sum(r.ok for r in rows)} of {len(rows)} rows within tolerance")
