"""eBPF program -> comment ratio, clang object, verifier result, test runs, interleaved listing, CFG.

Each step uses the real toolchain: clang -target bpf compiles, the kernel verifier judges the
program through `bpftool prog loadall` (its log kept: with -g line info it names source lines, so
a rejection is mapped to the line that caused it), BPF_PROG_TEST_RUN (`bpftool prog run`) runs
tc/xdp programs on packet bytes, llvm-objdump -S interleaves instructions with source, and
Graphviz draws the control-flow graph built from that disassembly (works for rejected programs
too, which is why the CFG is not taken from the kernel's xlated dump).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from pygments.lexers import CLexer
from pygments.token import Comment, Text, _TokenType

from kb.errors import KbError
from kb.external import which

VERSION = "bpf-1"
MIN_COMMENT_RATIO = 0.35
RATIO_DEFINITION = {
    "en": (
        "Comment ratio = comment lines / non-blank lines. The source is tokenised with Pygments' C lexer; "
        "a comment line is a non-blank line whose tokens are all comments (whitespace aside), excluding "
        "preprocessor directives (#include/#define, which Pygments classes as Comment.Preproc). A code line "
        "with a trailing comment counts as code. The threshold is 35%."
    ),
    "zh": (
        "注释率 = 注释行数 / 非空行数。源码用 Pygments 的 C 词法分析器切分为记号；"
        "注释行是所有记号（空白除外）都是注释的非空行，"
        "不含预处理指令（#include/#define，Pygments 把它们归为 Comment.Preproc）。"
        "行尾带注释的代码行算作代码行。阈值为 35%。"
    ),
}
UAPI_INCLUDE = "/usr/include/x86_64-linux-gnu"
BPFFS = Path("/sys/fs/bpf")


@dataclass(frozen=True)
class Ratio:
    comment_lines: int
    nonblank_lines: int

    @property
    def value(self) -> float:
        return self.comment_lines / self.nonblank_lines if self.nonblank_lines else 0.0


def comment_ratio(source: str) -> Ratio:
    """Comment lines / non-blank lines, by the definition in RATIO_DEFINITION."""
    kinds: dict[int, set[str]] = {}
    line = 1
    # get_tokens_unprocessed: get_tokens would strip leading newlines and shift every line number.
    # Pygments' C lexer only ends a // comment at a newline: supply the file's final newline.
    if not source.endswith("\n"):
        source += "\n"
    for _pos, ttype, value in CLexer().get_tokens_unprocessed(source):
        for i, piece in enumerate(value.split("\n")):
            if i:
                line += 1
            if not piece.strip():
                continue
            kinds.setdefault(line, set()).add(_classify(ttype))
    nonblank = sum(1 for ln in source.splitlines() if ln.strip())
    comment = sum(1 for k in kinds.values() if k == {"comment"})
    return Ratio(comment, nonblank)


def _classify(ttype: _TokenType) -> str:
    if ttype in Comment.Preproc or ttype in Comment.PreprocFile:
        return "code"
    if ttype in Comment:
        return "comment"
    if ttype in Text:
        return "space"
    return "code"


@cache
def bpf_available() -> tuple[bool, str]:
    """Probe once whether this machine lets us load BPF programs: (ok, reason if not)."""
    if os.geteuid() != 0:
        return False, "loading BPF programs needs root (CAP_BPF + CAP_NET_ADMIN); running unprivileged"
    if not BPFFS.is_dir() or not os.access(BPFFS, os.W_OK):
        return False, f"{BPFFS} (bpffs) is not mounted or not writable: mount -t bpf bpf {BPFFS}"
    try:
        which("clang")
        which("bpftool")
    except KbError as exc:
        return False, str(exc)
    src = (
        '__attribute__((section("socket"), used)) int p(void *c) { return 0; }\n'
        'char _l[] __attribute__((section("license"), used)) = "GPL";\n'
    )
    with tempfile.TemporaryDirectory() as tmp:
        c, o = Path(tmp) / "probe.c", Path(tmp) / "probe.o"
        c.write_text(src)
        cc = subprocess.run(
            [str(which("clang")), "-O2", "-target", "bpf", "-c", str(c), "-o", str(o)],
            capture_output=True,
            text=True,
            check=False,
        )
        if cc.returncode != 0:
            return False, f"clang cannot compile BPF here: {cc.stderr.strip()[:200]}"
        pin = BPFFS / f"kbprobe_{os.getpid()}"
        ld = subprocess.run(
            [str(which("bpftool")), "prog", "loadall", str(o), str(pin)],
            capture_output=True,
            text=True,
            check=False,
        )
        shutil.rmtree(pin, ignore_errors=True)
        if ld.returncode != 0:
            return False, f"the kernel refuses bpf(): {ld.stderr.strip()[:200]}"
    return True, ""


def vmlinux_header(cache_dir: Path) -> Path:
    """vmlinux.h of the running kernel (bpftool btf dump), cached per kernel release."""
    release = os.uname().release
    target = cache_dir / "vmlinux" / re.sub(r"[^A-Za-z0-9_.-]", "_", release) / "vmlinux.h"
    if not target.is_file():
        btf = Path("/sys/kernel/btf/vmlinux")
        if not btf.exists():
            raise KbError("vmlinux_h: true needs kernel BTF at /sys/kernel/btf/vmlinux; this kernel has none")
        proc = subprocess.run(
            [str(which("bpftool")), "btf", "dump", "file", str(btf), "format", "c"],
            capture_output=True,
            text=True,
            check=False,
        )
        if proc.returncode != 0:
            raise KbError(f"bpftool btf dump failed: {proc.stderr.strip()}")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(proc.stdout)
    return target


def compile_bpf(src: Path, obj: Path, *, extra: list[str], include: list[Path], shown: str) -> None:
    cmd = [str(which("clang")), "-O2", "-g", "-target", "bpf", f"-I{UAPI_INCLUDE}"]
    cmd += [f"-I{p.resolve()}" for p in include] + extra + ["-c", src.name, "-o", str(obj)]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=src.parent, timeout=120, check=False)
    if proc.returncode != 0:
        raise KbError(f"{shown}: clang -target bpf failed to compile it:\n{proc.stderr.strip()}")


def objdump(obj: Path) -> str:
    proc = subprocess.run(
        [str(which("llvm-objdump")), "-S", "--no-show-raw-insn", str(obj)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return proc.stdout


_INSN = re.compile(r"^\s*(\d+):\s+(.*)$")
_JUMP = re.compile(r"\bgoto\s+([+-]\d+)\b|\bgoto\s+\+?(-?\d+)\s*<")
_FUNC = re.compile(r"^[0-9a-f]+ <([^>]+)>:$")


def functions(listing: str) -> dict[str, list[tuple[int, str, list[str]]]]:
    """Per function: (insn index, instruction text, source lines shown above it) from llvm-objdump -S."""
    out: dict[str, list[tuple[int, str, list[str]]]] = {}
    current: list[tuple[int, str, list[str]]] | None = None
    pending: list[str] = []
    for line in listing.splitlines():
        m = _FUNC.match(line.strip())
        if m and m.group(1).startswith(("LBB", ".L")):
            continue  # a jump label inside the current function, not a new function
        if m:
            current = out.setdefault(m.group(1), [])
            pending = []
            continue
        if current is None:
            continue
        if line.startswith(";"):
            pending.append(line[1:].strip())
            continue
        m = _INSN.match(line)
        if m:
            current.append((int(m.group(1)), m.group(2).strip(), pending))
            pending = []
    return out


def cfg_dot(insns: list[tuple[int, str, list[str]]], name: str) -> str:
    """Basic blocks split at jump targets and after jumps/exits; edges for taken and fall-through paths."""
    if not insns:
        return f'digraph "{name}" {{}}\n'
    index = {i: n for n, (i, _, _) in enumerate(insns)}
    leaders = {insns[0][0]}
    edges_of: dict[int, list[tuple[int, str]]] = {}
    for n, (i, text, _) in enumerate(insns):
        target = _jump_target(i, text)
        nxt = insns[n + 1][0] if n + 1 < len(insns) else None
        if target is not None:
            leaders.add(target)
            if nxt is not None:
                leaders.add(nxt)
        elif text.startswith("exit") and nxt is not None:
            leaders.add(nxt)
    blocks: list[list[tuple[int, str, list[str]]]] = []
    for ins in insns:
        if ins[0] in leaders or not blocks:
            blocks.append([])
        blocks[-1].append(ins)
    for b in blocks:
        last_i, last_text, _ = b[-1]
        n = index[last_i]
        nxt = insns[n + 1][0] if n + 1 < len(insns) else None
        target = _jump_target(last_i, last_text)
        edges: list[tuple[int, str]] = []
        if target is not None:
            conditional = last_text.startswith("if")
            edges.append((target, "true" if conditional else ""))
            if conditional and nxt is not None:
                edges.append((nxt, "false"))
        elif not last_text.startswith("exit") and nxt is not None:
            edges.append((nxt, ""))
        edges_of[b[0][0]] = edges
    lines = [f'digraph "{_dot_escape(name)}" {{', '  node [shape=box, fontname="monospace", fontsize=10];']
    for b in blocks:
        label = "\\l".join(_dot_escape(f"{i}: {t}") for i, t, _ in b) + "\\l"
        lines.append(f'  b{b[0][0]} [label="{label}"];')
    for start, edges in edges_of.items():
        for target, lab in edges:
            if target in index:
                attrs = f' [label="{lab}"]' if lab else ""
                lines.append(f"  b{start} -> b{_leader_of(blocks, target)}{attrs};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _leader_of(blocks: list[list[tuple[int, str, list[str]]]], insn: int) -> int:
    for b in blocks:
        if any(i == insn for i, _, _ in b):
            return b[0][0]
    return insn


def _jump_target(i: int, text: str) -> int | None:
    # BPF jump offsets count instructions from the next one: target = i + 1 + off.
    m = re.search(r"\bgoto\s+([+-]\d+)", text)
    return i + 1 + int(m.group(1)) if m else None


def _dot_escape(s: str) -> str:
    return s.replace("\\", "\\\\").replace('"', '\\"').replace("{", "\\{").replace("}", "\\}")


def render_dot(dot: str) -> str:
    proc = subprocess.run(
        [str(which("dot")), "-Tsvg"], input=dot, capture_output=True, text=True, timeout=60, check=False
    )
    if proc.returncode != 0:
        raise KbError(f"graphviz dot failed on the control-flow graph: {proc.stderr.strip()}")
    return proc.stdout


_SRC_AT = re.compile(r"^; (.*) @ ([^:\s]+):(\d+)$")


def map_rejection(log: str) -> dict[str, Any] | None:
    """The verifier's error and the last source line it was checking (from `; code @ file:line`)."""
    lines = log.splitlines()
    last_src: tuple[str, int, str] | None = None
    for n, line in enumerate(lines):
        m = _SRC_AT.match(line.strip())
        if m:
            last_src = (m.group(2), int(m.group(3)), m.group(1))
        if line.startswith("processed ") or "-- END PROG LOAD LOG --" in line:
            # the error is the last line before the summary that is not an instruction
            for back in range(n - 1, -1, -1):
                cand = lines[back].strip()
                if (
                    cand
                    and not re.match(r"^\d+: ", cand)
                    and not cand.startswith((";", "from ", "verification time", "stack depth", "Live regs"))
                ):
                    return {
                        "error": cand,
                        "file": last_src[0] if last_src else None,
                        "line": last_src[1] if last_src else None,
                        "code": last_src[2] if last_src else None,
                    }
            break
    return None


def load(obj: Path, pin_name: str) -> tuple[bool, str, Path | None]:
    """Load every program of `obj` through the verifier: (accepted, verifier log, pin dir)."""
    pin = BPFFS / pin_name
    shutil.rmtree(pin, ignore_errors=True)
    proc = subprocess.run(
        [str(which("bpftool")), "-d", "prog", "loadall", str(obj), str(pin)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    log = _verifier_log(proc.stderr + proc.stdout)
    return proc.returncode == 0, log, pin if proc.returncode == 0 else None


def _verifier_log(text: str) -> str:
    """The kernel verifier log(s) inside bpftool -d output (libbpf chatter dropped)."""
    keep: list[str] = []
    inside = False
    for line in text.splitlines():
        if "-- BEGIN PROG LOAD LOG --" in line:
            inside = True
            continue
        if "-- END PROG LOAD LOG --" in line:
            keep.append("-- END PROG LOAD LOG --")
            inside = False
            continue
        if inside:
            keep.append(line)
    return "\n".join(keep) if keep else text


def test_run(pinned_prog: Path, packet: bytes) -> int:
    """BPF_PROG_TEST_RUN on one packet; the program's return value."""
    with tempfile.NamedTemporaryFile(suffix=".bin") as f:
        f.write(packet)
        f.flush()
        proc = subprocess.run(
            [
                str(which("bpftool")),
                "prog",
                "run",
                "pinned",
                str(pinned_prog),
                "data_in",
                f.name,
                "repeat",
                "1",
            ],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    m = re.search(r"Return value:\s*(-?\d+)", proc.stdout + proc.stderr)
    if proc.returncode != 0 or not m:
        raise KbError(f"bpftool prog run failed for {pinned_prog}: {(proc.stderr or proc.stdout).strip()}")
    return int(m.group(1))


def pcap_frame(path: Path, frame: int) -> bytes:
    """Bytes of frame `frame` (1-based) of a pcap/pcapng file."""
    from scapy.utils import RawPcapReader

    with RawPcapReader(str(path)) as reader:
        for n, (data, _meta) in enumerate(reader, start=1):
            if n == frame:
                return bytes(data)
    raise KbError(f"{path}: has no frame {frame}: use a frame number between 1 and the packet count")
