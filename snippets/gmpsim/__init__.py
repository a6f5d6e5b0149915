"""gmpsim: a discrete-event simulation of the Go 1.27 scheduler.

    from gmpsim import Workload, compute, spawn, send, recv
    w = Workload(gomaxprocs=2, seed=1)
    done = w.chan("done")
    worker = w.func("worker", compute(us=50), send(done))
    w.main(spawn(worker, n=4), recv(done), recv(done), recv(done), recv(done))
    result = w.run(trace=True, schedtrace_ms=1)

Modules: `workload` (the API to describe goroutines), `model` (the scheduler, each function named
and cited after the runtime), `schedtrace` (GODEBUG=schedtrace lines: writer and parser),
`export` (Chrome/Perfetto trace JSON, event log), `validate` (side by side with the real
runtime), `bench` (speed and memory).
"""

from gmpsim.model import Costs, Result, Sim, SimError
from gmpsim.workload import (
    Workload,
    WorkloadError,
    compute,
    gc,
    gosched,
    lock,
    lock_os_thread,
    mark,
    netwait,
    pipe_read,
    pipe_write,
    recv,
    repeat,
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

__all__ = [
    "Costs", "Result", "Sim", "SimError", "Workload", "WorkloadError", "compute", "gc", "gosched", "lock",
    "lock_os_thread", "mark", "netwait", "pipe_read", "pipe_write", "recv", "repeat", "send", "sleep",
    "spawn", "stack", "syscall", "unlock", "unlock_os_thread", "wg_add", "wg_done", "wg_wait",
]
