#!/usr/bin/env python3
"""Fold `perf script` output into `comm;outermost;...;innermost count` lines, sorted.

Why hand-written: no packaged collapser exists on this machine's registries (see README.md).
`perf script` prints one header line per sample ("comm pid [cpu] time: period event:") followed by
one frame per line ("\t addr symbol+off (dso)"), innermost first, and a blank line between samples.
"""

from __future__ import annotations

import re
import sys
from collections import Counter

FRAME = re.compile(r"^\s+[0-9a-f]+\s+(.+?)\s+\(([^)]*)\)\s*$")
OFFSET = re.compile(r"\+0x[0-9a-f]+$")


def frame_name(line: str) -> str | None:
    m = FRAME.match(line)
    if not m:
        return None
    sym, dso = m.group(1), m.group(2)
    sym = OFFSET.sub("", sym)
    if sym == "[unknown]":
        # keep the library name so unknown frames of different binaries do not merge
        base = dso.rsplit("/", 1)[-1] or "unknown"
        return f"[{base}]"
    # folded format separators must not appear inside a frame name
    return sym.replace(";", ":").replace(" ", "_")


def collapse(lines: list[str], keep_comms: set[str] | None = None) -> Counter[str]:
    out: Counter[str] = Counter()
    comm: str | None = None
    frames: list[str] = []

    def flush() -> None:
        if comm is not None and (keep_comms is None or comm in keep_comms):
            out[";".join([comm, *reversed(frames)])] += 1

    for raw in lines:
        line = raw.rstrip("\n")
        if not line.strip():
            flush()
            comm, frames = None, []
            continue
        if not line[0].isspace():
            flush()
            # the comm may contain spaces; the pid follows it
            comm = re.split(r"\s+\d+(?:/\d+)?\s+", line, maxsplit=1)[0].strip().replace(" ", "_")
            frames = []
            continue
        name = frame_name(line)
        if name is not None:
            frames.append(name)
    flush()
    return out


def main() -> int:
    keep = set(sys.argv[1].split(",")) if len(sys.argv) > 1 and sys.argv[1] else None
    folded = collapse(sys.stdin.readlines(), keep)
    for stack, n in sorted(folded.items()):
        print(f"{stack} {n}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
