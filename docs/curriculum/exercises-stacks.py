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
# # 练习：goroutine 的栈（模块 1–2）
#
# 每道题先给出问题，再给出**参考解答**：解答代码在每次构建时执行，并用 `assert` 把三方面的结果对上——
# 运行时源码（固定版本 Go 的 GOROOT）、gmpsim 模拟器、以及在构建机器上跑真实 Go 程序得到的事实（事实登记表）。
# 任何一方变了，构建就会失败。你可以改动参数（如 `TARGET`）后重新运行。

# %% [markdown] tags=["en"] source_hash="8f31a914dfc4c3cb"
# # Exercises: goroutine stacks (modules 1–2)
#
# Each exercise states a question, then a **reference solution**: its code runs at every build and its
# `assert`s tie three sources together — the runtime source (GOROOT of the pinned Go), the gmpsim
# simulator, and facts measured with real Go programs on the build machine (the claims register).
# If any of them changes, the build fails. Change the parameters (e.g. `TARGET`) and rerun.

# %%
import math
import re

from gmpsim.workload import Workload, sleep, spawn, stack
from kb import external
from kb.evidence import claims

ev = claims.default_evaluator()
stack_go = (external.goroot() / "src" / "runtime" / "stack.go").read_text()
STACK_MIN = int(re.search(r"(?m)^\s*stackMin\s*=\s*(\d+)", stack_go).group(1))
GROWTH = int(re.search(r"newsize\s*:=\s*oldsize\s*\*\s*(\d+)", stack_go).group(1))
print(external.version("go"), "stackMin =", STACK_MIN, "growth factor =", GROWTH)

# %% [markdown] tags=["zh"]
# ## 练习 1：新 goroutine 的初始栈
#
# 从源码读出 `stackMin`，再与真实运行时的测量（2 万个阻塞 goroutine 的平均栈占用）比较：两者应一致。
# 为什么测量值不会明显小于 `stackMin`？（提示：栈按 2 的幂大小从栈缓存分配。）

# %% [markdown] tags=["en"] source_hash="baff61d6b3e7df7b"
# ## Exercise 1: a new goroutine's stack
#
# Read `stackMin` from the source and compare it with the real runtime's measurement (average stack
# memory of 20,000 parked goroutines): they should agree. Why can the measurement not be much smaller
# than `stackMin`? (Hint: stacks come in power-of-two sizes from the stack cache.)

# %%
# Reference solution
measured = ev.evaluate("stack.fresh_goroutine_bytes").value
assert ev.evaluate("stack.initial_size").value == STACK_MIN
assert 0.95 * STACK_MIN <= measured <= 1.1 * STACK_MIN, (measured, STACK_MIN)
print(f"stackMin {STACK_MIN} B; measured {measured:.0f} B per parked goroutine")

# %% [markdown] tags=["zh"]
# ## 练习 2：递归到约 1.5 MiB 要复制几次栈？
#
# 每次栈溢出，`newstack` 分配 `GROWTH` 倍大的新栈并复制旧栈。先用源码常量算出从 `stackMin`
# 增长到能容纳 `TARGET` 字节需要几次翻倍；再在 gmpsim 中让一个 goroutine 以 1 KiB 为步长逐步加深调用栈，
# 数一数 `stack_growths`；最后与真实 Go 递归实验的复制次数比较。

# %% [markdown] tags=["en"] source_hash="64a23418facf7752"
# ## Exercise 2: how many stack copies to recurse to about 1.5 MiB?
#
# On each overflow `newstack` allocates a stack `GROWTH` times larger and copies the old one. Compute
# from the source constants how many doublings take a stack from `stackMin` to one holding `TARGET`
# bytes; then let a gmpsim goroutine deepen its stack in 1 KiB steps and count `stack_growths`; finally
# compare with the number of copies the real Go recursion experiment made.

# %%
# Reference solution
TARGET = 1536 * 1024  # bytes of stack in use at the deepest point (the real experiment's depth)
doublings = math.ceil(math.log(TARGET / STACK_MIN, GROWTH))

w = Workload(gomaxprocs=1, seed=1)
deep = w.func("deep", *[stack(n) for n in range(1024, TARGET + 1, 1024)])
w.main(spawn(deep), sleep(ms=5))
sim = w.run()
real = ev.evaluate("stack.growth_copies_to_2mib").value
print(f"from the source: {doublings}; gmpsim: {sim.stack_growths}; real Go: {real}")
assert sim.stack_growths == doublings
if TARGET == 1536 * 1024:  # the real experiment recursed to this depth only
    assert real == doublings

# %% [markdown] tags=["zh"]
# ## 练习 3：静态链接的 hello world
#
# 模块 1 说 Go 程序默认是静态链接的单个文件。用事实登记表验证：hello world 是否静态链接？
# 而导入 `net/http` 的程序默认依赖哪个动态库？为什么（cgo 的 DNS 解析器）？

# %% [markdown] tags=["en"] source_hash="8c645a68f8d4295f"
# ## Exercise 3: a statically linked hello world
#
# Module 1 says a Go program is one statically linked file by default. Check it with the claims
# register: is hello world statically linked? Which shared library does a `net/http` program need by
# default, and why (the cgo DNS resolver)?

# %%
# Reference solution
assert ev.evaluate("binary.hello_static").value is True
needed = ev.evaluate("binary.http_default_needed").value
assert "libc" in str(needed), needed
assert ev.evaluate("binary.http_cgo0_static").value is True
print("hello: static; net/http needs", needed, "unless CGO_ENABLED=0")
