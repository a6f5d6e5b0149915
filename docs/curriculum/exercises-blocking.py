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
# # 练习：阻塞、系统调用与抢占（模块 5–7）
#
# 参考解答在每次构建时执行，并用 `assert` 把运行时源码、gmpsim 与真实 Go 程序的测量对上。

# %% [markdown] tags=["en"] source_hash="fd0a3ac9bea7f72f"
# # Exercises: blocking, system calls and preemption (modules 5–7)
#
# The reference solutions run at every build; their `assert`s tie the runtime source, gmpsim and
# measurements of real Go programs together.

# %%
import re
import statistics

from gmpsim.workload import Workload, compute, gosched, mark, pipe_read, recv, repeat, send, sleep, spawn
from kb import external
from kb.evidence import claims

ev = claims.default_evaluator()
proc_go = (external.goroot() / "src" / "runtime" / "proc.go").read_text()
FORCE_PREEMPT_NS = int(re.search(r"forcePreemptNS\s*=\s*(\d+)\s*\*\s*1000\s*\*\s*1000", proc_go).group(1)) * 1_000_000
print("forcePreemptNS =", FORCE_PREEMPT_NS, "ns")

# %% [markdown] tags=["zh"]
# ## 练习 1：停放不占线程，阻塞的系统调用占
#
# 让 `N_PARK` 个 goroutine 阻塞在 channel 上，再让 `N_SYS` 个 goroutine 阻塞在管道的 `read(2)` 上
# （GOMAXPROCS=2）。各自会让进程多出多少个线程？与真实 Go 程序的测量比较。

# %% [markdown] tags=["en"] source_hash="2ee4e7e6b25c28f9"
# ## Exercise 1: parking holds no thread, a blocking system call does
#
# Block `N_PARK` goroutines on a channel, then `N_SYS` goroutines in `read(2)` on a pipe
# (GOMAXPROCS=2). How many threads does each add to the process? Compare with the real Go program.

# %%
# Reference solution
N_PARK, N_SYS = 128, 64
w = Workload(gomaxprocs=2, seed=1)
ch, pipe = w.chan("never"), w.pipe()
parked = w.func("parked", recv(ch))
blocked = w.func("blocked", pipe_read(pipe))
w.main(sleep(ms=20), mark("park0"), spawn(parked, n=N_PARK), sleep(ms=50), mark("park1"),
       mark("sys0"), spawn(blocked, n=N_SYS), sleep(ms=100), mark("sys1"))  # fmt: skip
r = w.run()
threads = {label: n for label, _, _, n in r.marks}
by_park = threads["park1"] - threads["park0"]
by_sys = threads["sys1"] - threads["sys0"]
real_sys = ev.evaluate("threads.added_by_blocking_syscalls").value
real_park = ev.evaluate("threads.added_by_parked").value
print(f"gmpsim: parked +{by_park} threads, blocked syscalls +{by_sys}; real Go: +{real_park}, +{real_sys}")
assert by_park <= 1 and real_park <= 1  # parked goroutines need no thread of their own
assert by_sys >= N_SYS - 2 and abs(by_sys - real_sys) <= 2
assert r.handoffs > 0  # the blocked threads' Ps were handed to other Ms

# %% [markdown] tags=["zh"]
# ## 练习 2：不调用函数的死循环能被抢占吗？
#
# GOMAXPROCS=1，main 启动一个 goroutine 后进入一个不调用函数的 60 ms 循环。新 goroutine 要等多久才能运行？
# 分别在默认设置与 `asyncpreemptoff=True`（相当于 `GODEBUG=asyncpreemptoff=1`）下回答，
# 并与 `forcePreemptNS` 以及真实 Go 程序的测量比较。

# %% [markdown] tags=["en"] source_hash="666fea26c2dd62cc"
# ## Exercise 2: can a call-free loop be preempted?
#
# GOMAXPROCS=1: main starts a goroutine, then runs a 60 ms loop that calls no function. How long until
# the new goroutine runs? Answer with the default settings and with `asyncpreemptoff=True` (as
# `GODEBUG=asyncpreemptoff=1`), and compare with `forcePreemptNS` and the real Go program.

# %%
# Reference solution
LOOP_MS, TRIALS = 60, 8


def waits_ms(asyncpreemptoff: bool) -> list[float]:
    w = Workload(gomaxprocs=1, seed=1)
    ran = w.chan("ran")
    child = w.func("child", mark("ran"), send(ran))
    w.main(repeat(TRIALS, gosched(), mark("t0"), spawn(child), compute(ms=LOOP_MS, calls=False), recv(ran)))
    marks = w.run(asyncpreemptoff=asyncpreemptoff).marks
    t0 = [t for label, _, t, _ in marks if label == "t0"]
    t1 = [t for label, _, t, _ in marks if label == "ran"]
    return [(b - a) / 1e6 for a, b in zip(t0, t1, strict=True)]


on, off = statistics.median(waits_ms(False)), statistics.median(waits_ms(True))
real = ev.evaluate("preempt.tightloop_wait_ms").value
print(f"gmpsim: async {on:.1f} ms, asyncpreemptoff {off:.1f} ms; real Go (async): median {real['median']:.1f} ms")
slice_ms = FORCE_PREEMPT_NS / 1e6
assert slice_ms <= on < 2 * slice_ms  # preempted after one time slice (+ sysmon's tick)
assert off >= LOOP_MS * 0.95  # without signals the loop keeps the P until it ends
assert real["min"] < LOOP_MS  # the real runtime preempted the call-free loop too
assert ev.evaluate("preempt.asyncoff_waits_whole_loop").value > 0.9
