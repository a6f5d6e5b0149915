# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kb:
#     owner: chapters-2
#     reviewed: '2026-12-03'
#     reviewed_en: '2026-12-03'
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown] tags=["zh"]
# # 运行队列实验室（gmpsim）
#
# 本笔记本用 gmpsim（一个按 Go 1.27 运行时函数逐一建模的离散事件模拟器）重现
# [本地运行队列与工作窃取](runqueues-and-stealing.md) 和
# [全局队列与 netpoller](global-queue-and-netpoller.md) 两章的规则。下面的结果是**模拟**出来的，
# 不是真实运行时的测量；真实运行时的测量值见各章引用的实验。
#
# 修改下一个代码单元里的参数，然后重新运行整个笔记本，就能看到不同负载下的队列行为。

# %% [markdown] tags=["en"] source_hash="7caccc1baa475919"
# # Run-queue lab (gmpsim)
#
# This notebook uses gmpsim (a discrete-event simulator modelled function by function on the Go 1.27
# runtime) to replay the rules of the chapters [local run queue and work stealing](runqueues-and-stealing.md)
# and [global queue and netpoller](global-queue-and-netpoller.md). The results below are **simulated**,
# not measured on the real runtime; the real runtime's measurements are in the experiments the chapters cite.
#
# Change the parameters in the next code cell and rerun the whole notebook to see the queues under another load.

# %%
GOMAXPROCS = 4  # number of Ps
N = 2000  # goroutines started by main
WORK_US = 50  # CPU time of each goroutine (µs)
SEED = 1  # gmpsim's random choices (steal order) are reproducible per seed

# %%
import re

import matplotlib.pyplot as plt

from gmpsim import Workload, compute, mark, spawn, wg_add, wg_done, wg_wait
from kb import external

# The queue capacity is read from the pinned runtime source, not typed in.
runtime2 = (external.goroot() / "src" / "runtime" / "runtime2.go").read_text()
RUNQ_CAP = int(re.search(r"runq\s+\[(\d+)\]guintptr", runtime2).group(1))


def fan_out(gomaxprocs: int, n: int, work_us: float, seed: int = SEED):
    """main starts n goroutines that each compute work_us and then waits for all of them."""
    w = Workload(gomaxprocs=gomaxprocs, seed=seed)
    wg = w.waitgroup("wg")
    worker = w.func("worker", compute(us=work_us), wg_done(wg))
    w.main(wg_add(wg, n), spawn(worker, n=n), wg_wait(wg))
    return w.run(sample_ns=20_000)


result = fan_out(GOMAXPROCS, N, WORK_US)
print(f"simulated: GOMAXPROCS={GOMAXPROCS}, {N} goroutines x {WORK_US} µs")
print(f"finished={result.finished}, simulated time {result.now / 1e6:.2f} ms")
print(f"steals={result.steals}, goroutines stolen={result.stolen_gs}")
print(f"goroutines completed per P: {result.per_p_completed}")

# %% [markdown] tags=["zh"]
# ## 队列长度随时间的变化
#
# 上图是全局队列 `sched.runq` 的长度，下图是每个 P 的本地队列（含 `runnext`）的长度，每 20 µs（模拟时间）
# 采样一次。main 在唯一运行着它的 P 上连续创建 goroutine：本地队列很快涨到容量上限，之后每次溢出
# `runqputslow` 就把一半挪进全局队列，所以全局队列先上涨；其他 P 的 M 被 `wakep` 唤醒后，先从全局队列
# 批量取（`globrunqgetbatch`），再互相窃取。

# %% [markdown] tags=["en"] source_hash="2fc5cb320d7215c9"
# ## Queue lengths over time
#
# The top plot is the length of the global queue `sched.runq`, the bottom one each P's local queue (including
# `runnext`), sampled every 20 µs of simulated time. main starts goroutines on the P running it: its local queue
# quickly reaches the capacity, then every overflow makes `runqputslow` move half of it to the global queue, so
# the global queue grows first; the Ms of the other Ps, woken by `wakep`, take batches from the global queue
# (`globrunqgetbatch`) and steal from each other.

# %%
times = [t / 1e6 for t, _, _ in result.samples]
fig, (top, bottom) = plt.subplots(2, 1, figsize=(7, 5), sharex=True)
top.plot(times, [g for _, g, _ in result.samples], color="tab:red")
top.set_ylabel("global runq")
for pid in range(GOMAXPROCS):
    bottom.plot(times, [local[pid] for _, _, local in result.samples], label=f"P{pid}")
bottom.axhline(RUNQ_CAP, color="grey", linestyle=":", label=f"capacity {RUNQ_CAP}")
bottom.set_ylabel("local runq + runnext")
bottom.set_xlabel("simulated time (ms)")
bottom.legend(loc="upper right", fontsize="small")
fig.suptitle("gmpsim (simulated): fan-out of goroutines")
plt.tight_layout()
plt.show()

# The simulated queues must respect the runtime's bounds: a ring of RUNQ_CAP plus one runnext slot.
assert max(max(local) for _, _, local in result.samples) <= RUNQ_CAP + 1
assert result.finished and sum(result.per_p_completed) >= N

# %% [markdown] tags=["zh"]
# ## P 越多，窃取越多
#
# 同一负载在不同 `GOMAXPROCS` 下运行：只有一个 P 时不可能发生窃取；P 越多，空闲的 P 越多地靠窃取
# （以及从全局队列批量取）分摊工作，总时间随之缩短。

# %% [markdown] tags=["en"] source_hash="4f00fbd37734d8ec"
# ## More Ps, more stealing
#
# The same load with different `GOMAXPROCS`: with one P nothing can be stolen; with more Ps, idle Ps share the
# work by stealing (and by taking batches from the global queue), and the total time shrinks accordingly.

# %%
rows = []
for procs in (1, 2, 4, 8):
    r = fan_out(procs, N, WORK_US)
    rows.append((procs, r.now / 1e6, r.steals, r.stolen_gs, min(r.per_p_completed), max(r.per_p_completed)))
print(f"{'GOMAXPROCS':>10} {'time ms':>8} {'steals':>7} {'stolen Gs':>9} {'min/P':>6} {'max/P':>6}")
for procs, ms, steals, stolen, lo, hi in rows:
    print(f"{procs:>10} {ms:>8.2f} {steals:>7} {stolen:>9} {lo:>6} {hi:>6}")
assert rows[0][2] == 0, "one P has nobody to steal from"
assert rows[-1][1] < rows[0][1], "more Ps must finish the same CPU-bound load sooner"

# %% [markdown] tags=["zh"]
# ## runnext：最后创建的先运行
#
# 只有一个 P 时，main 连续创建 8 个 goroutine 再阻塞。模拟器按 `runqput(next=true)` 的规则给出的运行顺序
# 如下（编号即创建顺序）。真实运行时在本机测得的顺序是 [[claim:ch2.runnext_first]]。

# %% [markdown] tags=["en"] source_hash="7e27dbae77b3f579"
# ## runnext: the goroutine started last runs first
#
# With one P, main starts 8 goroutines and then blocks. The order the simulator gives by the rule of
# `runqput(next=true)` is below (number = start order). The real runtime, measured on this machine, ran them
# in the order [[claim:ch2.runnext_first]].

# %%
w = Workload(gomaxprocs=1, seed=SEED)
wg = w.waitgroup("wg")
worker = w.func("worker", mark("ran"), compute(us=1), wg_done(wg))
w.main(wg_add(wg, 8), spawn(worker, n=8), wg_wait(wg))
r = w.run()
goids = [goid for label, goid, _, _ in r.marks if label == "ran"]
first_goid = min(goids)  # goids are handed out in start order
order = [g - first_goid for g in goids]
print("simulated order:", " ".join(map(str, order)))
assert order == [7, 0, 1, 2, 3, 4, 5, 6]

# %% [markdown] tags=["zh"]
# ## 所有 P 都忙时，网络就绪的 G 要等多久
#
# `GOMAXPROCS=2`，一个 goroutine 等待一次网络 I/O（`netwait`，就绪时间固定），同时有若干个只做计算的
# goroutine。CPU 密集的 goroutine 少于 P 数时，总有一个 M 阻塞在 `findRunnable` 的 netpoll 中，I/O 一就绪
# G 就运行；一旦所有 P 都被占满，就只能等 sysmon 的 netpoll 以及时间片抢占。下面是模拟结果；真实运行时在本机
# 测得的对应等待见 [全局队列与 netpoller](global-queue-and-netpoller.md)：有空闲 P 时
# [[claim:ch2.netpoll_idle_p_ms]]，所有 P 都忙时 [[claim:ch2.netpoll_all_busy_ms]]。

# %% [markdown] tags=["en"] source_hash="d642a402b65ddbf5"
# ## How long a network-ready G waits when every P is busy
#
# `GOMAXPROCS=2`: one goroutine waits for a network I/O (`netwait`, ready after a fixed time) while some goroutines
# only compute. With fewer CPU-bound goroutines than Ps, some M is always blocked in `findRunnable`'s netpoll and the
# G runs as soon as the I/O is ready; once every P is taken, it has to wait for sysmon's netpoll and for a time-slice
# preemption. These are simulated results; the real runtime's waits measured on this machine are in
# [the global queue and the netpoller](global-queue-and-netpoller.md): [[claim:ch2.netpoll_idle_p_ms]] with an idle
# P, [[claim:ch2.netpoll_all_busy_ms]] with every P busy.

# %%
from gmpsim import netwait

NET_PROCS = 2
IO_US = 100  # the network read becomes ready this long after it starts
HOG_MS = 40  # CPU time of each busy goroutine


def net_wait_ms(hogs: int, seed: int = SEED) -> float:
    """Simulated time (ms) between the I/O becoming ready and the waiting goroutine running again."""
    w = Workload(gomaxprocs=NET_PROCS, seed=seed)
    wg = w.waitgroup("wg")
    net = w.func("net", mark("wait"), netwait(us=IO_US), mark("back"), wg_done(wg))
    hog = w.func("hog", compute(ms=HOG_MS), wg_done(wg))
    ops = [wg_add(wg, hogs + 1)] + ([spawn(hog, n=hogs)] if hogs else []) + [spawn(net), wg_wait(wg)]
    w.main(*ops)
    r = w.run()
    t = {label: when for label, _, when, _ in r.marks}
    return (t["back"] - t["wait"] - IO_US * 1000) / 1e6


waits = {hogs: net_wait_ms(hogs) for hogs in range(NET_PROCS + 3)}
for hogs, ms in waits.items():
    print(f"{hogs} busy goroutines on {NET_PROCS} Ps: waited {ms:.3f} ms after the I/O was ready")
assert all(waits[h] < 1 for h in range(NET_PROCS)), "with an idle P the blocked poller wakes at once"
assert all(waits[h] > 1 for h in range(NET_PROCS, NET_PROCS + 3)), "with every P busy only sysmon polls"
