"""Describe goroutines for gmpsim: a small, checked API.

A workload is a set of named goroutine bodies ("funcs"), one of them `main`, plus the objects
they share (channels, mutexes, wait groups, pipes). A body is a sequence of operations:

    w = Workload(gomaxprocs=2, seed=1)
    done = w.chan("done", cap=0)
    worker = w.func("worker", compute(us=50), send(done))
    w.main(spawn(worker, n=100), repeat(100, recv(done)))
    result = w.run()

Durations are integer nanoseconds (use the `ns=`, `us=`, `ms=` keywords). Every operation is
checked when the workload is built (`w.check()`, called by `run`): an invalid workload raises
`WorkloadError` naming the func, the operation's position and what to change.

Operations (the runtime path each one drives is named in the model, `gmpsim.model`):
- compute(ns, calls=True): a CPU burst. calls=False is a call-free loop, preemptible only
  asynchronously (signal); calls=True has function prologues, so it is also preempted
  cooperatively at the next call once sysmon asks.
- spawn(func, n=1): `go func()` n times (newproc).
- send(ch) / recv(ch): channel operations (chansend/chanrecv, direct hand-off to a waiter).
- lock(mu) / unlock(mu): sync.Mutex.
- wg_add(wg, n) / wg_done(wg) / wg_wait(wg): sync.WaitGroup.
- syscall(ns, block=False): a system call of that duration; block=True is entersyscallblock.
- pipe_read(pipe) / pipe_write(pipe): read(2)/write(2) on a blocking pipe (a read blocks the
  thread in the kernel until a write arrives).
- netwait(ns): wait on a network socket that becomes readable after ns (netpoller).
- sleep(ns): time.Sleep.
- lock_os_thread() / unlock_os_thread(): runtime.LockOSThread / UnlockOSThread.
- stack(bytes): the goroutine's stack use becomes `bytes` (deeper calls grow the stack).
- gc(): runtime.GC(): stop-the-world, stacks shrink, the adaptive starting stack size.
- gosched(): runtime.Gosched.
- mark(label): record (label, goid, time) in the result, for measurements.
- repeat(n, *ops): the ops n times (not nestable).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

# Internal op codes. Ops are compiled to plain tuples (code, a, b) so the interpreter in the
# model dispatches on small ints without attribute lookups.
COMPUTE = 0
SPAWN = 1
SEND = 2
RECV = 3
LOCK = 4
UNLOCK = 5
WG_ADD = 6
WG_DONE = 7
WG_WAIT = 8
SYSCALL = 9
PIPE_READ = 10
PIPE_WRITE = 11
NETWAIT = 12
SLEEP = 13
LOCKOS = 14
UNLOCKOS = 15
STACK = 16
GC = 17
GOSCHED = 18
MARK = 19
LOOP = 20  # (LOOP, count, body_len): the next body_len ops run count times
ENDLOOP = 21  # (ENDLOOP, body_len, 0): jump back
EXIT = 22

OP_NAMES = {
    COMPUTE: "compute", SPAWN: "spawn", SEND: "send", RECV: "recv", LOCK: "lock", UNLOCK: "unlock",
    WG_ADD: "wg_add", WG_DONE: "wg_done", WG_WAIT: "wg_wait", SYSCALL: "syscall",
    PIPE_READ: "pipe_read", PIPE_WRITE: "pipe_write", NETWAIT: "netwait", SLEEP: "sleep",
    LOCKOS: "lock_os_thread", UNLOCKOS: "unlock_os_thread", STACK: "stack", GC: "gc",
    GOSCHED: "gosched", MARK: "mark", LOOP: "repeat", ENDLOOP: "repeat", EXIT: "exit",
}


class WorkloadError(ValueError):
    """An invalid workload: the message names the func, the op position and the fix."""


@dataclass(frozen=True)
class Chan:
    name: str
    cap: int
    index: int


@dataclass(frozen=True)
class Mutex:
    name: str
    index: int


@dataclass(frozen=True)
class WaitGroup:
    name: str
    index: int


@dataclass(frozen=True)
class Pipe:
    name: str
    index: int


@dataclass(frozen=True)
class Func:
    name: str


@dataclass(frozen=True)
class Op:
    """One operation as the user wrote it (checked and compiled by Workload.check)."""

    code: int
    a: Any = 0
    b: Any = 0
    body: tuple[Op, ...] = ()


def _dur(ns: int | None, us: float | None, ms: float | None, what: str) -> int:
    given = [v for v in (ns, us, ms) if v is not None]
    if len(given) != 1:
        raise WorkloadError(f"{what}: give exactly one duration, as ns=, us= or ms= (got {len(given)}).")
    if ns is not None:
        value = ns
    elif us is not None:
        value = round(us * 1_000)
    else:
        assert ms is not None
        value = round(ms * 1_000_000)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise WorkloadError(f"{what}: the duration must be a non-negative number of nanoseconds, got {value!r}.")
    return value


def compute(ns: int | None = None, *, us: float | None = None, ms: float | None = None,
            calls: bool = True) -> Op:
    return Op(COMPUTE, _dur(ns, us, ms, "compute"), bool(calls))


def spawn(func: Func, n: int = 1) -> Op:
    return Op(SPAWN, func, n)


def send(ch: Chan, n: int = 1) -> Op:
    return Op(SEND, ch, n)


def recv(ch: Chan) -> Op:
    return Op(RECV, ch)


def lock(mu: Mutex) -> Op:
    return Op(LOCK, mu)


def unlock(mu: Mutex) -> Op:
    return Op(UNLOCK, mu)


def wg_add(wg: WaitGroup, n: int) -> Op:
    return Op(WG_ADD, wg, n)


def wg_done(wg: WaitGroup) -> Op:
    return Op(WG_DONE, wg)


def wg_wait(wg: WaitGroup) -> Op:
    return Op(WG_WAIT, wg)


def syscall(ns: int | None = None, *, us: float | None = None, ms: float | None = None,
            block: bool = False) -> Op:
    return Op(SYSCALL, _dur(ns, us, ms, "syscall"), bool(block))


def pipe_read(pipe: Pipe) -> Op:
    return Op(PIPE_READ, pipe)


def pipe_write(pipe: Pipe) -> Op:
    return Op(PIPE_WRITE, pipe)


def netwait(ns: int | None = None, *, us: float | None = None, ms: float | None = None) -> Op:
    return Op(NETWAIT, _dur(ns, us, ms, "netwait"))


def sleep(ns: int | None = None, *, us: float | None = None, ms: float | None = None) -> Op:
    return Op(SLEEP, _dur(ns, us, ms, "sleep"))


def lock_os_thread() -> Op:
    return Op(LOCKOS)


def unlock_os_thread() -> Op:
    return Op(UNLOCKOS)


def stack(nbytes: int) -> Op:
    return Op(STACK, nbytes)


def gc() -> Op:
    return Op(GC)


def gosched() -> Op:
    return Op(GOSCHED)


def mark(label: str) -> Op:
    return Op(MARK, label)


def repeat(n: int, *ops: Op) -> Op:
    return Op(LOOP, n, 0, tuple(ops))


@dataclass
class Workload:
    """A program for gmpsim. `gomaxprocs` Ps; `seed` makes every random choice (steal order)
    reproducible; `costs` overrides model costs (see gmpsim.model.Costs)."""

    gomaxprocs: int = 1
    seed: int = 0
    costs: dict[str, int] = field(default_factory=dict)
    funcs: dict[str, tuple[Op, ...]] = field(default_factory=dict)
    chans: list[Chan] = field(default_factory=list)
    mutexes: list[Mutex] = field(default_factory=list)
    waitgroups: list[WaitGroup] = field(default_factory=list)
    pipes: list[Pipe] = field(default_factory=list)

    def chan(self, name: str, cap: int = 0) -> Chan:
        if not isinstance(cap, int) or cap < 0:
            raise WorkloadError(f"chan {name!r}: cap must be an integer >= 0, got {cap!r}.")
        c = Chan(name, cap, len(self.chans))
        self.chans.append(c)
        return c

    def mutex(self, name: str = "mu") -> Mutex:
        m = Mutex(name, len(self.mutexes))
        self.mutexes.append(m)
        return m

    def waitgroup(self, name: str = "wg") -> WaitGroup:
        wg = WaitGroup(name, len(self.waitgroups))
        self.waitgroups.append(wg)
        return wg

    def pipe(self, name: str = "pipe") -> Pipe:
        p = Pipe(name, len(self.pipes))
        self.pipes.append(p)
        return p

    def func(self, name: str, *ops: Op) -> Func:
        if name in self.funcs:
            raise WorkloadError(f"func {name!r} is defined twice; give each goroutine body its own name.")
        self.funcs[name] = tuple(ops)
        return Func(name)

    def main(self, *ops: Op) -> Func:
        return self.func("main", *ops)

    # -- checking and compiling -------------------------------------------------------------
    def check(self) -> dict[str, tuple[tuple[int, Any, Any], ...]]:
        """Validate every func and compile it to the model's op tuples."""
        if not isinstance(self.gomaxprocs, int) or not 1 <= self.gomaxprocs <= 1024:
            raise WorkloadError(f"gomaxprocs must be an integer in 1..1024, got {self.gomaxprocs!r}.")
        if "main" not in self.funcs:
            raise WorkloadError("the workload has no main goroutine: add one with w.main(...).")
        return {name: self._compile(name, ops) for name, ops in self.funcs.items()}

    def _owned(self, kind: str, obj: Any, pool: Sequence[Any], where: str) -> int:
        if not any(o is obj for o in pool):
            raise WorkloadError(f"{where}: {obj!r} is not a {kind} of this workload; create it with "
                                f"w.{kind}(...) on the same Workload.")
        return int(obj.index)

    def _compile(self, name: str, ops: Sequence[Op], nested: bool = False) -> tuple[tuple[int, Any, Any], ...]:
        out: list[tuple[int, Any, Any]] = []
        for i, op in enumerate(ops):
            where = f"func {name!r} op {i}"
            if not isinstance(op, Op):
                raise WorkloadError(f"{where}: {op!r} is not an operation; build ops with gmpsim's "
                                    "functions (compute, spawn, send, ...).")
            where += f" ({OP_NAMES[op.code]})"
            c = op.code
            if c == LOOP:
                if nested:
                    raise WorkloadError(f"{where}: repeat() cannot be nested; flatten the inner loop.")
                if not isinstance(op.a, int) or op.a < 0:
                    raise WorkloadError(f"{where}: the count must be an integer >= 0, got {op.a!r}.")
                if not op.body:
                    raise WorkloadError(f"{where}: repeat() needs at least one operation.")
                body = self._compile(f"{name}/repeat@{i}", op.body, nested=True)
                out.append((LOOP, op.a, len(body) + 1))
                out.extend(body)
                out.append((ENDLOOP, len(body) + 1, 0))
            elif c == SPAWN:
                if not isinstance(op.a, Func) or op.a.name not in self.funcs:
                    raise WorkloadError(f"{where}: spawns {op.a!r}, which is not a func of this workload; "
                                        "define it first with w.func(name, ...).")
                if op.a.name == "main":
                    raise WorkloadError(f"{where}: main cannot be spawned again.")
                if not isinstance(op.b, int) or op.b < 1:
                    raise WorkloadError(f"{where}: n must be an integer >= 1, got {op.b!r}.")
                out.append((SPAWN, op.a.name, op.b))
            elif c in (SEND, RECV):
                idx = self._owned("chan", op.a, self.chans, where)
                n = op.b if c == SEND else 1
                if not isinstance(n, int) or n < 1:
                    raise WorkloadError(f"{where}: n must be an integer >= 1, got {n!r}.")
                out.extend([(c, idx, 0)] * n)
            elif c in (LOCK, UNLOCK):
                out.append((c, self._owned("mutex", op.a, self.mutexes, where), 0))
            elif c in (WG_ADD, WG_DONE, WG_WAIT):
                idx = self._owned("waitgroup", op.a, self.waitgroups, where)
                if c == WG_ADD and (not isinstance(op.b, int) or op.b < 1):
                    raise WorkloadError(f"{where}: n must be an integer >= 1, got {op.b!r}.")
                out.append((c, idx, op.b if c == WG_ADD else 0))
            elif c in (PIPE_READ, PIPE_WRITE):
                out.append((c, self._owned("pipe", op.a, self.pipes, where), 0))
            elif c == STACK:
                if not isinstance(op.a, int) or not 0 <= op.a <= 1_000_000_000:
                    raise WorkloadError(f"{where}: bytes must be an integer in 0..1e9 (the default "
                                        f"max stack), got {op.a!r}.")
                out.append((STACK, op.a, 0))
            elif c == MARK:
                if not isinstance(op.a, str) or not op.a:
                    raise WorkloadError(f"{where}: the label must be a non-empty string.")
                out.append((MARK, op.a, 0))
            else:
                out.append((c, op.a, op.b))
        if not nested:
            out.append((EXIT, 0, 0))
        return tuple(out)

    def run(self, until_ns: int | None = None, **options: Any) -> Any:
        """Simulate; returns gmpsim.model.Result. Options: see gmpsim.model.Sim."""
        from gmpsim.model import Sim

        sim = Sim(self, **options)
        sim.run(until_ns)
        return sim.result()
