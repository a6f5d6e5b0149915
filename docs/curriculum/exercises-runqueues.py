# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
#   kb:
#     owner: curriculum
#     reviewed: '2026-12-03'
#     reviewed_en: '2026-12-03'
# ---

# %% [markdown] tags=["zh"]
# # 练习：运行队列、工作窃取与网络轮询器（模块 3–5）
#
# 参考解答在每次构建时执行，并用 `assert` 把运行时源码、gmpsim 与真实 Go 程序的
# `GODEBUG=schedtrace` 测量对上。改动 `N`、`PROCS` 后重新运行，观察结果如何变化。

# %% [markdown] tags=["en"] source_hash="4451b28c23b2fb26"
# # Exercises: run queues, work stealing and the netpoller (modules 3–5)
#
# The reference solutions run at every build; their `assert`s tie the runtime source, gmpsim and the
# real Go program's `GODEBUG=schedtrace` measurements together. Change `N` or `PROCS` and rerun.

# %%
import re

from gmpsim import schedtrace
from gmpsim.workload import (
    Workload,
    compute,
    gosched,
    lock,
    mark,
    netwait,
    recv,
    sleep,
    spawn,
    syscall,
    unlock,
    wg_add,
    wg_done,
    wg_wait,
)
from kb import external
from kb.evidence import claims

ev = claims.default_evaluator()
src = external.goroot() / "src" / "runtime"
CAP = int(re.search(r"runq\s+\[(\d+)\]guintptr", (src / "runtime2.go").read_text()).group(1))
print("len(p.runq) =", CAP)


def spawn_and_trace(n: int) -> tuple[int, int, int]:
    """GOMAXPROCS=1; main spawns n blocked goroutines and keeps running; (global, local, runnext)."""
    w = Workload(gomaxprocs=1, seed=1)
    block = w.chan("block")
    child = w.func("child", recv(block))
    w.main(gosched(), spawn(child, n=n), compute(us=3500))
    snap = schedtrace.parse(w.run(schedtrace_ms=1, scheddetail=True).schedtrace)[-1]
    local = snap.local[0]
    return snap.runqueue, local, snap.runnable_gs() - snap.runqueue - local


# %% [markdown] tags=["zh"]
# ## 练习 1：本地运行队列装不下时去哪里？
#
# 在 GOMAXPROCS=1 下，main 连续创建 `N` 个 goroutine 而不让出。`newproc` 把新 G 放进 `runnext`，
# 原来的 `runnext` 被踢进本地运行队列；本地队列满（容量 `CAP`）时，`runqputslow` 把一半连同新来的
# 一个移到全局运行队列。先推理 `N = 200` 与 `N = 5000` 时三处各有多少个 G，再用 gmpsim 和真实测量核对。

# %% [markdown] tags=["en"] source_hash="b431445c0f34c4ee"
# ## Exercise 1: where do goroutines go when the local run queue is full?
#
# With GOMAXPROCS=1, main creates `N` goroutines without yielding. `newproc` puts each new G in
# `runnext` and kicks the previous `runnext` into the local run queue; when that queue is full
# (capacity `CAP`), `runqputslow` moves half of it plus the newcomer to the global run queue. Reason
# out how many Gs sit in each place for `N = 200` and `N = 5000`, then check with gmpsim and the real
# measurement.

# %%
# Reference solution
for N in (200, 5000):
    glob, local, runnext = spawn_and_trace(N)
    real_local = ev.evaluate(f"runq.local_after_{N}").value
    real_global = ev.evaluate(f"runq.global_after_{N}").value
    print(f"N={N}: gmpsim global={glob} local={local} runnext={runnext}; real global={real_global} local={real_local}")
    assert glob + local + runnext == N
    assert local <= CAP and runnext == 1
    assert (glob, local) == (real_global, real_local)
    if N < CAP:
        assert glob == 0  # everything fits locally: nothing overflows

# %% [markdown] tags=["zh"]
# ## 练习 2：没有第二个 P，就没有窃取
#
# main 创建 `N` 个等长的工作 goroutine。比较 `PROCS = 1` 与 `PROCS = 2`：窃取次数（`steals`）与
# 每个 P 完成的 goroutine 数。为什么两个 P 时完成数大致相等？

# %% [markdown] tags=["en"] source_hash="b954ae563b46d256"
# ## Exercise 2: no second P, no stealing
#
# main creates `N` equal workers. Compare `PROCS = 1` and `PROCS = 2`: the number of steals and the
# goroutines finished per P. Why are the counts roughly equal with two Ps?

# %%
# Reference solution
N = 64


def workers(procs: int):
    w = Workload(gomaxprocs=procs, seed=1)
    wg, mu = w.waitgroup(), w.mutex()
    wk = w.func("worker", compute(us=2000, calls=False), lock(mu), unlock(mu), wg_done(wg))
    w.main(wg_add(wg, N), spawn(wk, n=N), wg_wait(wg))
    return w.run()


one, two = workers(1), workers(2)
print("PROCS=1 steals", one.steals, "per P", one.per_p_completed)
print("PROCS=2 steals", two.steals, "stolen Gs", two.stolen_gs, "per P", two.per_p_completed)
assert one.steals == 0
assert two.steals > 0 and two.stolen_gs >= two.steals
assert min(two.per_p_completed) >= 0.35 * sum(two.per_p_completed)
assert two.now < 0.6 * one.now  # two Ps finish the same work in well under the time of one

# %% [markdown] tags=["zh"]
# ## 练习 3：等网络的 goroutine 不占线程
#
# GOMAXPROCS=1，main 启动 `N` 个 goroutine，每个等待 `WAIT_MS` 毫秒：一种是等网络套接字可读（网络轮询器），
# 另一种是做一次同样长的系统调用。分别会创建多少个线程？全部完成要多久？
# 再从源码读出一次 `netpoll` 最多能取回多少个就绪事件，与事实登记表核对。

# %% [markdown] tags=["en"] source_hash="6ad2db01dccd8af6"
# ## Exercise 3: goroutines waiting for the network hold no thread
#
# GOMAXPROCS=1: main starts `N` goroutines that each wait `WAIT_MS` ms, either for a network socket to
# become readable (the netpoller) or in a system call of the same length. How many threads does each
# create, and how long until all are done? Then read from the source how many ready events one
# `netpoll` can return, and check it against the claims register.

# %%
# Reference solution
N, WAIT_MS = 100, 5


def waiters(net: bool):
    w = Workload(gomaxprocs=1, seed=1)
    op = netwait(ms=WAIT_MS) if net else syscall(ms=WAIT_MS)
    conn = w.func("conn", op, mark("done"))
    w.main(mark("start"), spawn(conn, n=N), sleep(ms=6 * WAIT_MS))
    r = w.run()
    start = next(t for label, _, t, _ in r.marks if label == "start")
    done = [t for label, _, t, _ in r.marks if label == "done"]
    return r, len(done), (max(done) - start) / 1e6


net, net_done, net_ms = waiters(True)
sys_, sys_done, sys_ms = waiters(False)
print(f"netpoller: {net_done} done in {net_ms:.2f} ms with {net.threads_created} threads")
print(f"syscalls:  {sys_done} done in {sys_ms:.2f} ms with {sys_.threads_created} threads, {sys_.handoffs} hand-offs")
assert net_done == sys_done == N
assert net.threads_created <= 3  # M0 and sysmon (and at most one more): waiting is not per thread
assert net_ms < 2 * WAIT_MS  # all N waited at the same time on one thread
assert sys_.threads_created > N // 2 and sys_.handoffs > 0  # each blocked call kept its thread

events = int(re.search(r"var events \[(\d+)\]", (src / "netpoll_epoll.go").read_text()).group(1))
assert events == ev.evaluate("netpoll.epoll_events").value
print("one netpoll returns at most", events, "ready events")
