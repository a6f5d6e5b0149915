# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kb:
#     owner: chapters-1
#     reviewed: '2026-12-03'
#     reviewed_en: '2026-12-03'
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown] tags=["zh"]
# # 实验:线程数、goroutine 栈与创建顺序
#
# 本笔记本用 gmpsim(按 Go 1.27.3 运行时源码写成的调度器模型)重放本组三章里的三件事,
# 并把模拟结果与真实 Go 程序的测量(声明登记表中的实验)放在一起。**gmpsim 的输出都是模拟
# (合成)数据**;标注"真实"的数值来自构建时运行的 Go 实验。
#
# 改动下一格中的参数后重新运行整个笔记本,即可看到另一种情形。

# %% [markdown] tags=["en"] source_hash="2b2508d1b40d1a4c"
# # Lab: threads, goroutine stacks and creation order
#
# This notebook replays three points of this group of chapters with gmpsim (a scheduler model
# written after the Go 1.27.3 runtime source) and sets the simulation next to measurements of real
# Go programs (the experiments of the claims register). **Everything gmpsim prints is simulated
# (synthetic) data**; values marked "real" come from Go experiments run at build time.
#
# Change the parameters in the next cell and rerun the notebook to see another case.

# %%
GOMAXPROCS = 2  # Ps in the simulations of parts 1 and 2
BLOCKED = 64  # goroutines that block (part 1)
DEEP_STACK = 32 * 1024  # bytes of stack each goroutine of part 2 uses
WAVE = 500  # goroutines per wave (part 2)
K = 8  # goroutines started in a row (part 3)

# %% [markdown] tags=["zh"]
# ## 1. M:N:阻塞在 channel 上不占线程,阻塞在系统调用里才占
#
# 同样 `BLOCKED` 个 goroutine,一组在 `time.Sleep` 中等待(停放在运行时里),一组在阻塞式系统调用中
# 等待(线程陷在内核里,P 被交给别的线程)。比较两种情形下模型创建的线程数(含 M0 与 sysmon)。

# %% [markdown] tags=["en"] source_hash="54658fde61a06949"
# ## 1. M:N: goroutines parked in the runtime hold no thread, blocking syscalls do
#
# The same `BLOCKED` goroutines wait either in `time.Sleep` (parked in the runtime) or in a blocking
# system call (the thread is stuck in the kernel and its P is handed to another thread). Compare how
# many threads the model creates in each case (M0 and sysmon included).

# %%
from gmpsim.workload import (
    Workload,
    compute,
    gc,
    mark,
    recv,
    repeat,
    send,
    sleep,
    spawn,
    stack,
    syscall,
    wg_add,
    wg_done,
    wg_wait,
)


def threads_for(block_in_syscall: bool) -> int:
    w = Workload(gomaxprocs=GOMAXPROCS, seed=1)
    wg = w.waitgroup("wg")
    wait = syscall(ms=5, block=True) if block_in_syscall else sleep(ms=5)
    f = w.func("f", wait, wg_done(wg))
    w.main(wg_add(wg, BLOCKED), spawn(f, n=BLOCKED), wg_wait(wg))
    return int(w.run().threads_created)


parked, in_syscall = threads_for(False), threads_for(True)
print(f"simulated, {BLOCKED} goroutines: parked in time.Sleep -> {parked} threads; "
      f"blocked in syscalls -> {in_syscall} threads")
assert in_syscall > parked

# %% [markdown] tags=["zh"]
# 真实 Go 程序([[claim:threads.added_by_blocking_syscalls|statement]]):[[claim:threads.added_by_blocking_syscalls]];
# [[claim:threads.added_by_parked|statement]]:[[claim:threads.added_by_parked]]。

# %% [markdown] tags=["en"] source_hash="6d77966bbe7d802f"
# Real Go program ([[claim:threads.added_by_blocking_syscalls|statement]]): [[claim:threads.added_by_blocking_syscalls]];
# [[claim:threads.added_by_parked|statement]]: [[claim:threads.added_by_parked]].

# %% [markdown] tags=["zh"]
# ## 2. 栈:按倍数增长,以及 1.19 起的自适应初始栈
#
# 第一波 `WAVE` 个 goroutine 把栈用到 `DEEP_STACK` 字节后阻塞,此时执行一次 GC;GC 根据扫描到的栈的
# 平均大小计算 `startingStackSize`。第二波 goroutine 复用第一波退出后留下的 G。
# 分别在 `adaptivestackstart` 开和关时统计栈增长(复制)的次数。

# %% [markdown] tags=["en"] source_hash="b393dd414e20126f"
# ## 2. Stacks: growth by doubling, and the adaptive starting size since 1.19
#
# A first wave of `WAVE` goroutines uses `DEEP_STACK` bytes of stack and blocks, and a GC runs
# meanwhile; the GC computes `startingStackSize` from the average size of the stacks it scanned. A
# second wave reuses the Gs the first wave left behind. We count stack growths (copies) with
# `adaptivestackstart` on and off.

# %%
def stack_run(adaptive: bool) -> tuple[int, int]:
    w = Workload(gomaxprocs=GOMAXPROCS, seed=1)
    wg = w.waitgroup("wg")
    release = w.chan("release", cap=0)
    deep = w.func("deep", stack(DEEP_STACK), recv(release), wg_done(wg))
    wave = (wg_add(wg, WAVE), spawn(deep, n=WAVE), sleep(ms=1))
    w.main(*wave, gc(), repeat(WAVE, send(release)), wg_wait(wg),
           *wave, repeat(WAVE, send(release)), wg_wait(wg))
    r = w.run(adaptivestackstart=adaptive)
    return int(r.stack_growths), int(r.starting_stack_size)


on, off = stack_run(True), stack_run(False)
print(f"simulated, adaptivestackstart=1: {on[0]} stack growths, startingStackSize after GC {on[1]} B")
print(f"simulated, adaptivestackstart=0: {off[0]} stack growths, startingStackSize after GC {off[1]} B")
assert on[0] <= off[0]

# %%
import matplotlib.pyplot as plt

fig, ax = plt.subplots(figsize=(6, 2.6))
ax.barh(["adaptivestackstart=0", "adaptivestackstart=1"], [off[0], on[0]], color=["#888", "#3a7"])
ax.set_xlabel(f"stack growths over 2 waves of {WAVE} goroutines (simulated, synthetic)")
fig.tight_layout()
plt.show()

# %% [markdown] tags=["zh"]
# 真实 Go 程序:[[claim:stack.adaptive_starting_size|statement]]为 [[claim:stack.adaptive_starting_size]],
# [[claim:stack.adaptive_off_starting_size|statement]]为 [[claim:stack.adaptive_off_starting_size]]。
# 新分配的 G(`malg`)总是从 [[claim:stack.initial_size]] 开始,只有 `gfget` 复用的 G 才按
# `startingStackSize` 重新分配栈,所以第二波里仍有一部分 goroutine 需要增长。

# %% [markdown] tags=["en"] source_hash="2bc3523a669cba3d"
# Real Go program: [[claim:stack.adaptive_starting_size|statement]] is [[claim:stack.adaptive_starting_size]];
# [[claim:stack.adaptive_off_starting_size|statement]] is [[claim:stack.adaptive_off_starting_size]].
# A newly allocated G (`malg`) always starts at [[claim:stack.initial_size]]; only Gs reused by
# `gfget` get a stack of `startingStackSize`, which is why part of the second wave still grows.

# %% [markdown] tags=["zh"]
# ## 3. 创建顺序:最后一个 `go` 先运行
#
# GOMAXPROCS=1,main 连续启动 `K` 个 goroutine 后等待。`newproc` 把新 G 放进当前 P 的 `runnext`,
# 原来的 `runnext` 被挤到本地队列尾部。

# %% [markdown] tags=["en"] source_hash="2af468835092cfa2"
# ## 3. Creation order: the last `go` runs first
#
# GOMAXPROCS=1; main starts `K` goroutines in a row, then waits. `newproc` puts each new G into the
# current P's `runnext`, and the previous `runnext` is kicked to the tail of the local queue.

# %%
w = Workload(gomaxprocs=1, seed=1)
wg = w.waitgroup("wg")
worker = w.func("worker", mark("run"), compute(us=5), wg_done(wg))
w.main(wg_add(wg, K), spawn(worker, n=K), wg_wait(wg))
goids = [goid for (_label, goid, _t, _threads) in w.run().marks]
first_goid = min(goids)
order = [g - first_goid for g in goids]  # index of each goroutine in creation order
print(f"simulated run order (creation index): {order}")
assert order == [K - 1, *range(K - 1)]

# %% [markdown] tags=["zh"]
# 真实 Go 程序([[claim:ch1.create.order|statement]]):[[claim:ch1.create.order|raw]]。

# %% [markdown] tags=["en"] source_hash="d45cccd65a1dc1be"
# Real Go program ([[claim:ch1.create.order|statement]]): [[claim:ch1.create.order|raw]].
