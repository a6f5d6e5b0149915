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
# # 实验：channel 乒乓与 runnext、STW 等待抢占
#
# 本笔记本用 gmpsim 重放 [channel 阻塞、停放与唤醒](channels-parking-waking.md) 和
# [GC 的 stop-the-world 与调度器](gc-and-scheduler.md) 里的两个行为。模型中各条运行时路径的耗时是假设
# （`gmpsim.model.Costs`），不是被检验的事实；每个单元格末尾的 `assert` 检查的是正文所说的**行为**。
# 改动参数后重新运行即可。

# %% [markdown] tags=["en"] source_hash="756e1404d4616f0b"
# # Lab: channel ping-pong and runnext, a STW waiting for preemption
#
# This notebook replays two behaviours from [Channel blocking, parking and waking](channels-parking-waking.md)
# and [GC stop-the-world and the scheduler](gc-and-scheduler.md) with gmpsim. The costs of runtime paths
# in the model are assumptions (`gmpsim.model.Costs`), not checked facts; the `assert`s at the end of each
# cell check the **behaviour** the prose states. Change the parameters and rerun.

# %% [markdown] tags=["zh"]
# ## 乒乓的两个 goroutine 共享一个时间片
#
# `GOMAXPROCS=1`。`main` 与 `peer` 通过两个无缓冲 channel 来回传递 `MESSAGES` 次消息，每次之间计算
# `WORK_US` 微秒；第三个 goroutine `other` 一开始就在本地队列里等待。每次唤醒都把对方放进 runnext，
# 并继承当前时间片，所以 `other` 要等到 sysmon 发现同一个 `schedtick` 持续了 `forcePreemptNS`、
# 抢占这一对之后才能运行——或者等乒乓结束。
#
# 模型没有运行时自己的 goroutine（真实程序里 `runtime.main` 在用户代码之前已运行过它们，`schedtick`
# 因而不为 0），开头的 `gosched()` 让模型的 `schedtick` 同样离开 0。

# %% [markdown] tags=["en"] source_hash="9a511b965ea40498"
# ## Two ping-ponging goroutines share one time slice
#
# `GOMAXPROCS=1`. `main` and `peer` pass a message back and forth `MESSAGES` times over two unbuffered
# channels, computing `WORK_US` µs in between; a third goroutine, `other`, waits in the local queue from the
# start. Each wake-up puts the peer in runnext, inheriting the current time slice, so `other` runs only
# once sysmon sees the same `schedtick` for `forcePreemptNS` and preempts the pair — or once the ping-pong
# ends.
#
# The model has no runtime-internal goroutines (in a real program `runtime.main` has run some before user
# code, so `schedtick` is not 0); the `gosched()` at the start takes the model's `schedtick` off 0 as well.

# %%
from gmpsim.model import FORCE_PREEMPT_NS
from gmpsim.workload import Workload, compute, gc, gosched, mark, recv, repeat, send, sleep, spawn

WORK_US = 5


def pingpong(messages: int, asyncpreemptoff: bool = False) -> tuple[float, float, int]:
    """(ms until `other` first runs, ms the ping-pong took, preemptions), from the ping-pong's start."""
    w = Workload(gomaxprocs=1, seed=1)
    ping, pong = w.chan("ping"), w.chan("pong")
    other = w.func("other", mark("other_runs"), compute(us=100))
    peer = w.func("peer", repeat(messages, recv(ping), compute(us=WORK_US), send(pong)))
    w.main(gosched(), spawn(other), spawn(peer), mark("start"),
           repeat(messages, send(ping), compute(us=WORK_US), recv(pong)), mark("done"), sleep(ms=1))
    r = w.run(asyncpreemptoff=asyncpreemptoff)
    t = {label: when for (label, _g, when, _th) in r.marks}
    return (t["other_runs"] - t["start"]) / 1e6, (t["done"] - t["start"]) / 1e6, r.preemptions


print(f"{'messages':>8} | {'other waits (ms)':>16} | {'ping-pong (ms)':>14} | {'preemptions':>11}")
results = {}
for n in (100, 300, 1000, 3000, 10000):
    waited, took, npre = results[n] = pingpong(n)
    print(f"{n:>8} | {waited:>16.2f} | {took:>14.2f} | {npre:>11}")

# A ping-pong shorter than a time slice is never preempted and keeps `other` waiting until it ends;
# when the pair is preempted, `other` runs after at least forcePreemptNS, before the ping-pong ends.
for waited, took, npre in results.values():
    if took * 1e6 < FORCE_PREEMPT_NS:
        assert npre == 0
    if npre == 0:
        assert waited >= took
    else:
        assert FORCE_PREEMPT_NS <= waited * 1e6 < took * 1e6
assert results[10000][2] >= 1, "a ping-pong of 10,000 messages should be preempted"

# %% [markdown] tags=["zh"]
# 这里被抢占的是一个有函数调用的 G，协作式抢占就够了；`asyncpreemptoff` 不改变结果：

# %% [markdown] tags=["en"] source_hash="bdab6f22bf8587c3"
# The G preempted here has function calls, so cooperative preemption suffices; `asyncpreemptoff` does not
# change the result:

# %%
off = pingpong(3000, asyncpreemptoff=True)
print(f"asyncpreemptoff=1, 3000 messages: other waits {off[0]:.2f} ms, {off[2]} preemption(s)")
assert off == results[3000]

# %% [markdown] tags=["zh"]
# ## STW 要等每个 P 停下
#
# `GOMAXPROCS=2`。一个 goroutine 在另一个 P 上运行 `LOOP_MS` 毫秒的计算，`main` 随后调用 `runtime.GC()`。
# stop-the-world 必须等所有 P 进入 `_Pgcstop`：正在运行的那个 G 要先被抢占。无调用的循环只能被信号
# 异步抢占；关掉异步抢占后，GC 要等整个循环结束——这正是 Go 1.14 之前紧循环会拖住 GC 的原因。

# %% [markdown] tags=["en"] source_hash="88fd9fd3aa1ee772"
# ## A STW waits for every P to stop
#
# `GOMAXPROCS=2`. One goroutine computes for `LOOP_MS` ms on the other P, then `main` calls
# `runtime.GC()`. The stop-the-world must wait until every P is in `_Pgcstop`: the running G must be
# preempted first. A call-free loop can only be preempted asynchronously, by a signal; with async
# preemption off, the GC waits for the whole loop — which is why, before Go 1.14, a tight loop could hold
# up the GC.

# %%
LOOP_MS = 50


def gc_wait(calls: bool, asyncpreemptoff: bool) -> float:
    """ms from main calling runtime.GC() to its return."""
    w = Workload(gomaxprocs=2, seed=1)
    loop = w.func("loop", compute(ms=LOOP_MS, calls=calls))
    w.main(spawn(loop), compute(ms=1), mark("gc_start"), gc(), mark("gc_done"))
    r = w.run(asyncpreemptoff=asyncpreemptoff)
    t = {label: when for (label, _g, when, _th) in r.marks}
    return (t["gc_done"] - t["gc_start"]) / 1e6


print(f"{'loop':>10} | {'asyncpreemptoff':>15} | {'runtime.GC() (ms)':>17}")
waits = {}
for calls in (False, True):
    for off_ in (False, True):
        waits[calls, off_] = gc_wait(calls, off_)
        print(f"{'with calls' if calls else 'call-free':>10} | {str(off_):>15} | {waits[calls, off_]:>17.3f}")

# Only the call-free loop without async preemption holds the STW for (most of) the loop.
assert waits[False, True] > LOOP_MS / 2
assert max(waits[False, False], waits[True, False], waits[True, True]) < LOOP_MS / 10
