"""Invariants of the model over random workloads (hypothesis): no G in two queues, local run
queues never exceed 256, every G whose work ends reaches _Gdead, simulated time never goes back,
and the same seed gives the same trace."""

from __future__ import annotations

from typing import Any

from gmpsim.model import EV_NETREADY, G_DEAD, G_RUNNABLE, RUNQ_SIZE, Sim
from gmpsim.workload import (
    Op,
    Workload,
    compute,
    gosched,
    lock,
    lock_os_thread,
    netwait,
    pipe_read,
    pipe_write,
    recv,
    send,
    sleep,
    spawn,
    stack,
    syscall,
    unlock,
    unlock_os_thread,
    wg_add,
    wg_done,
    wg_wait,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

PROFILE = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])

step = st.one_of(
    st.builds(lambda us, c: ("compute", us, c), st.integers(1, 3000), st.booleans()),
    st.builds(lambda us, b: ("syscall", us, b), st.integers(1, 400), st.booleans()),
    st.builds(lambda us: ("netwait", us, 0), st.integers(1, 400)),
    st.builds(lambda us: ("sleep", us, 0), st.integers(1, 400)),
    st.builds(lambda n: ("stack", n, 0), st.integers(0, 100_000)),
    st.just(("mutex", 0, 0)),
    st.just(("gosched", 0, 0)),
    st.just(("locked", 0, 0)),
    st.just(("pingpong", 0, 0)),
)


def build(procs: int, seed: int, bodies: list[list[tuple[str, int, int]]], n: int) -> Workload:
    """Each worker body is a list of steps; main spawns them (n of each) and waits for all.
    Steps are paired so that no run can deadlock: every send has its receive, every lock its
    unlock, every pipe read its write."""
    w = Workload(gomaxprocs=procs, seed=seed)
    wg = w.waitgroup()
    mu = w.mutex()
    total = 0
    spawns: list[Op] = []
    for i, body in enumerate(bodies):
        ch = w.chan(f"c{i}", cap=i % 2)
        pipe = w.pipe(f"p{i}")
        ops: list[Op] = []
        helper_ops: list[Op] = []
        for kind, a, b in body:
            if kind == "compute":
                ops.append(compute(us=a, calls=bool(b)))
            elif kind == "syscall":
                ops.append(syscall(us=a, block=bool(b)))
            elif kind == "netwait":
                ops.append(netwait(us=a))
            elif kind == "sleep":
                ops.append(sleep(us=a))
            elif kind == "stack":
                ops.append(stack(a))
            elif kind == "mutex":
                ops += [lock(mu), compute(us=5), unlock(mu)]
            elif kind == "gosched":
                ops.append(gosched())
            elif kind == "locked":
                ops += [lock_os_thread(), sleep(us=20), compute(us=10), unlock_os_thread()]
            elif kind == "pingpong":
                ops += [send(ch), pipe_read(pipe)]
                helper_ops += [recv(ch), compute(us=3), pipe_write(pipe)]
        worker = w.func(f"w{i}", *ops, wg_done(wg))
        spawns.append(spawn(worker, n=1))
        total += 1
        if helper_ops:
            helper = w.func(f"h{i}", *helper_ops, wg_done(wg))
            spawns.append(spawn(helper, n=1))
            total += 1
    spawns = spawns * n
    w.main(wg_add(wg, total * n), *spawns, wg_wait(wg))
    return w


class Checker:
    def __init__(self) -> None:
        self.last = -1
        self.checks = 0

    def __call__(self, sim: Sim) -> None:
        assert sim.now >= self.last, f"time went back: {self.last} -> {sim.now}"
        self.last = sim.now
        self.checks += 1
        seen: set[int] = set()
        queues: list[Any] = [sim.runq, *[p.runq for p in sim.allp]]
        for p in sim.allp:
            assert len(p.runq) <= RUNQ_SIZE
            if p.runnext is not None:
                queues.append([p.runnext])
        for q in queues:
            for g in q:
                assert id(g) not in seen, f"G{g.goid} is in two run queues"
                assert g.status == G_RUNNABLE, f"G{g.goid} queued with status {g.status}"
                seen.add(id(g))
        running = [m.curg for m in sim.allm if m.curg is not None]
        assert len({id(g) for g in running}) == len(running), "a G runs on two Ms"
        assert not seen & {id(g) for g in running}, "a running G is also queued"
        # Network-ready lanes (one per wait duration): exactly the lane's head is in the heap and
        # the rest follow it in (time, seq) order, so the heap pops what one heap of everything
        # would pop.
        heads: dict[int, tuple[int, int]] = {}
        for t, seq, kind, _, token in sim.heap:
            if kind == EV_NETREADY:
                assert token not in heads, f"two heads of the {token} ns lane in the heap"
                heads[token] = (t, seq)
        assert set(heads) == set(sim.lanes), "a lane without its head in the heap, or the reverse"
        for dur, lane in sim.lanes.items():
            prev = heads[dur]
            for t, seq, _, _, _ in lane:
                assert (t, seq) > prev and t >= sim.now, f"the {dur} ns lane is out of order"
                prev = (t, seq)


workloads = st.tuples(
    st.integers(1, 6),  # GOMAXPROCS
    st.integers(0, 2**16),  # seed
    st.lists(st.lists(step, min_size=1, max_size=5), min_size=1, max_size=4),
    st.integers(1, 12),  # copies of each body
)


@PROFILE
@given(workloads)
def test_invariants_hold_and_all_work_ends_dead(params: tuple[int, int, list[list[tuple[str, int, int]]], int]) -> None:
    procs, seed, bodies, n = params
    sim = Sim(build(procs, seed, bodies, n), max_events=500_000)  # a bug must fail, not hang
    check = Checker()
    sim.run(hook=check)
    assert sim.finished, "main never returned"
    assert check.checks == sim.events
    created = sim.st.created
    assert sim.st.dead == created  # every goroutine, main included, ended ...
    assert all(g.status == G_DEAD for g in sim.allg)  # ... in _Gdead


@settings(max_examples=40, deadline=None)
@given(workloads)
def test_same_seed_same_trace(params: tuple[int, int, list[list[tuple[str, int, int]]], int]) -> None:
    procs, seed, bodies, n = params
    runs = []
    for _ in range(2):
        r = build(procs, seed, bodies, n).run(log=True, trace=True, max_events=500_000)
        runs.append((r.log, r.slices, r.now, r.events))
    assert runs[0] == runs[1]


def test_local_queue_bound_under_a_spawn_storm() -> None:
    w = Workload(gomaxprocs=2, seed=1)
    wg = w.waitgroup()
    wk = w.func("wk", compute(us=1), wg_done(wg))
    w.main(wg_add(wg, 3000), spawn(wk, n=3000), wg_wait(wg))
    sim = Sim(w)
    biggest = [0]

    def hook(s: Sim) -> None:
        biggest[0] = max(biggest[0], *(len(p.runq) for p in s.allp))

    sim.run(hook=hook)
    assert biggest[0] == RUNQ_SIZE and sim.finished  # reached, never exceeded
