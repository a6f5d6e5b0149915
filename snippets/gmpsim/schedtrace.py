"""GODEBUG=schedtrace / scheddetail lines: written by gmpsim in the runtime's exact format, and
read back by one parser that takes the real runtime's output and gmpsim's alike.

The format is that of `schedtrace` in runtime/proc.go (Go 1.27.3): a `SCHED` line, then with
scheddetail=1 one line per P, per M and per G:

    SCHED 3ms: gomaxprocs=1 idleprocs=0 threads=3 spinningthreads=0 needspinning=1 idlethreads=1 runqueue=774 gcwaiting=false nmidlelocked=0 stopwait=0 sysmonwait=false
      P0: status=1 schedtick=6 syscalltick=1 m=0 runqsize=225 gfreecnt=0 timerslen=0
      M0: p=0 curg=1 mallocing=0 throwing=0 preemptoff= locks=0 dying=0 spinning=false blocked=false lockedg=nil
      G1: status=2() m=0 lockedm=nil

and without it the per-P queue lengths and schedticks on the SCHED line itself:

    SCHED 0ms: gomaxprocs=2 idleprocs=1 threads=4 spinningthreads=0 needspinning=0 idlethreads=1 runqueue=0 [ 0 0 ] schedticks=[ 1 0 ]
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gmpsim.model import Sim


class SchedtraceParseError(ValueError):
    """A line that is not schedtrace output; the message quotes it with its line number."""


@dataclass
class PLine:
    id: int
    status: int
    schedtick: int
    syscalltick: int
    m: int | None
    runqsize: int
    gfreecnt: int
    timerslen: int


@dataclass
class MLine:
    id: int
    p: int | None
    curg: int | None
    spinning: bool
    blocked: bool
    lockedg: int | None


@dataclass
class GLine:
    id: int
    status: int
    waitreason: str
    m: int | None
    lockedm: int | None


@dataclass
class Snapshot:
    """One SCHED block."""

    ms: int
    gomaxprocs: int
    idleprocs: int
    threads: int
    spinningthreads: int
    needspinning: int
    idlethreads: int
    runqueue: int  # the global run queue
    local: list[int] = field(default_factory=list)  # per-P runq length (runnext not included)
    schedticks: list[int] = field(default_factory=list)
    detail: dict[str, Any] = field(default_factory=dict)
    ps: list[PLine] = field(default_factory=list)
    ms_: list[MLine] = field(default_factory=list)
    gs: list[GLine] = field(default_factory=list)

    @property
    def detailed(self) -> bool:
        return bool(self.ps)

    def runnable_gs(self) -> int:
        return sum(1 for g in self.gs if g.status == 1)


_SCHED = re.compile(
    r"^SCHED (\d+)ms: gomaxprocs=(\d+) idleprocs=(\d+) threads=(\d+) spinningthreads=(\d+) "
    r"needspinning=(\d+) idlethreads=(\d+) runqueue=(\d+)(.*)$")
_DETAIL = re.compile(r"^ gcwaiting=(true|false) nmidlelocked=(\d+) stopwait=(-?\d+) sysmonwait=(true|false)$")
_SIMPLE = re.compile(r"^ \[ ([\d ]+) \] schedticks=\[ ([\d ]*)\]$")
_P = re.compile(r"^  P(\d+): status=(\d+) schedtick=(\d+) syscalltick=(\d+) m=(\d+|nil) runqsize=(\d+) "
                r"gfreecnt=(\d+) timerslen=(\d+)$")
_M = re.compile(r"^  M(\d+): p=(\d+|nil) curg=(\d+|nil) mallocing=\d+ throwing=\d+ preemptoff=.*? locks=-?\d+ "
                r"dying=\d+ spinning=(true|false) blocked=(true|false) lockedg=(\d+|nil)$")
_G = re.compile(r"^  G(\d+): status=(\d+)\((.*)\) m=(\d+|nil) lockedm=(\d+|nil)$")


def _opt(v: str) -> int | None:
    return None if v == "nil" else int(v)


def parse(lines: Iterable[str]) -> list[Snapshot]:
    """Every SCHED block in `lines` (other lines, e.g. the program's own output, are skipped
    unless they look like a broken P/M/G line inside a block)."""
    out: list[Snapshot] = []
    cur: Snapshot | None = None
    for no, raw in enumerate(lines, 1):
        line = raw.rstrip("\n")
        if line.startswith("SCHED "):
            m = _SCHED.match(line)
            if not m:
                raise SchedtraceParseError(f"line {no}: not a schedtrace SCHED line: {line[:200]!r}")
            n = [int(x) for x in m.groups()[:8]]
            cur = Snapshot(ms=n[0], gomaxprocs=n[1], idleprocs=n[2], threads=n[3], spinningthreads=n[4],
                           needspinning=n[5], idlethreads=n[6], runqueue=n[7])
            rest = m.group(9)
            d = _DETAIL.match(rest)
            s = _SIMPLE.match(rest)
            if d:
                cur.detail = {"gcwaiting": d.group(1) == "true", "nmidlelocked": int(d.group(2)),
                              "stopwait": int(d.group(3)), "sysmonwait": d.group(4) == "true"}
            elif s:
                cur.local = [int(x) for x in s.group(1).split()]
                cur.schedticks = [int(x) for x in s.group(2).split()]
                if len(cur.local) != cur.gomaxprocs:
                    raise SchedtraceParseError(f"line {no}: {len(cur.local)} run queue lengths for "
                                               f"gomaxprocs={cur.gomaxprocs}: {line[:200]!r}")
            else:
                raise SchedtraceParseError(f"line {no}: unexpected end of SCHED line: {rest[:200]!r}")
            out.append(cur)
            continue
        if cur is None or not line.startswith("  "):
            continue
        if line.startswith("  P"):
            mp = _P.match(line)
            if not mp:
                raise SchedtraceParseError(f"line {no}: malformed P line: {line[:200]!r}")
            v = mp.groups()
            cur.ps.append(PLine(int(v[0]), int(v[1]), int(v[2]), int(v[3]), _opt(v[4]), int(v[5]),
                                int(v[6]), int(v[7])))
            cur.local.append(int(v[5]))
            cur.schedticks.append(int(v[2]))
        elif line.startswith("  M"):
            mm = _M.match(line)
            if not mm:
                raise SchedtraceParseError(f"line {no}: malformed M line: {line[:200]!r}")
            v = mm.groups()
            cur.ms_.append(MLine(int(v[0]), _opt(v[1]), _opt(v[2]), v[3] == "true", v[4] == "true", _opt(v[5])))
        elif line.startswith("  G"):
            mg = _G.match(line)
            if not mg:
                raise SchedtraceParseError(f"line {no}: malformed G line: {line[:200]!r}")
            v = mg.groups()
            cur.gs.append(GLine(int(v[0]), int(v[1]), v[2], _opt(v[3]), _opt(v[4])))
    return out


def _b(v: bool) -> str:
    return "true" if v else "false"


def format_block(sim: Sim, detailed: bool) -> list[str]:
    """The lines runtime.schedtrace would print for the simulated state (proc.go:6950)."""
    from gmpsim import model as M

    ms = (sim.now - max(sim.trace_start, 0)) // 1_000_000
    idlethreads = len(sim.midle)
    head = (f"SCHED {ms}ms: gomaxprocs={sim.gomaxprocs} idleprocs={len(sim.pidle)} "
            f"threads={len(sim.allm)} spinningthreads={sim.nmspinning} needspinning={sim.needspinning} "
            f"idlethreads={idlethreads} runqueue={len(sim.runq)}")
    if not detailed:
        head += " [ " + " ".join(str(len(p.runq)) for p in sim.allp) + " ]"
        head += " schedticks=[ " + "".join(f"{p.schedtick} " for p in sim.allp) + "]"
        return [head]
    head += (f" gcwaiting={_b(sim.gcwaiting)} nmidlelocked=0 stopwait={sim.stopwait} "
             f"sysmonwait={_b(sim.sysmonwait)}")
    lines = [head]
    for p in sim.allp:
        mid = str(p.m.id) if p.m is not None else "nil"
        lines.append(f"  P{p.id}: status={p.status} schedtick={p.schedtick} syscalltick={p.syscalltick} "
                     f"m={mid} runqsize={len(p.runq)} gfreecnt={len(p.gfree)} timerslen=0")
    for m in reversed(sim.allm):  # the runtime walks allm, newest first
        pid = str(m.p.id) if m.p is not None else "nil"
        curg = str(m.curg.goid) if m.curg is not None else "nil"
        lg = str(m.lockedg.goid) if m.lockedg is not None else "nil"
        blocked = m.state in (M.M_IDLE, M.M_LOCKWAIT)
        lines.append(f"  M{m.id}: p={pid} curg={curg} mallocing=0 throwing=0 preemptoff= locks=0 dying=0 "
                     f"spinning={_b(m.spinning)} blocked={_b(blocked)} lockedg={lg}")
    for g in sim.allg:
        mid = str(g.m.id) if g.m is not None else "nil"
        lm = str(g.lockedm.id) if g.lockedm is not None else "nil"
        lines.append(f"  G{g.goid}: status={g.status}({g.waitreason}) m={mid} lockedm={lm}")
    return lines
