"""Folded stacks -> flame graph SVGs (before, after, both differential directions) + d3 JSON.

Why pyinferno: it is the Rust inferno renderer in a wheel (flamegraph.pl is not packaged and must
not be copied). inferno reads differential input ("stack count_before count_after"): frames are
sized by the second count and coloured by its change. So "what grew" feeds (before, after), and
"what the fix removed", which is invisible in a view sized by the after profile, feeds
(after, before): sized by the before profile, red where the before profile had more.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pyinferno

from kb.errors import KbError

VERSION = "flame-1"
_LINE = re.compile(r"^(.*\S)\s+(\d+)$")


def read_folded(path: Path) -> Counter[str]:
    """stack -> samples; duplicate stacks are summed (collapse tools may emit them)."""
    stacks: Counter[str] = Counter()
    for n, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not raw.strip():
            continue
        m = _LINE.match(raw)
        if not m:
            raise KbError(f"{path}:{n}: not a folded stack line ('frame;frame;frame COUNT'): {raw[:80]!r}")
        stacks[m.group(1)] += int(m.group(2))
    if not stacks:
        raise KbError(f"{path}: has no stacks: write folded stacks, one 'a;b;c COUNT' per line")
    return stacks


def differential_lines(first: Counter[str], second: Counter[str]) -> list[str]:
    """Differential input for inferno; `first` is scaled to `second`'s total sample count.

    Why scale: two profiles are rarely the same length, and an unscaled diff would paint every frame
    as grown or shrunk by the ratio of the totals (difffolded.pl -n does the same normalisation).
    """
    scale = sum(second.values()) / sum(first.values())
    return [
        f"{s} {round(first.get(s, 0) * scale)} {second.get(s, 0)}" for s in sorted(set(first) | set(second))
    ]


def d3_tree(stacks: Counter[str], name: str = "all") -> dict[str, Any]:
    """The {name, value, children} tree d3-flame-graph draws."""
    root: dict[str, Any] = {"name": name, "value": 0, "children": []}
    for stack, count in sorted(stacks.items()):
        node = root
        node["value"] += count
        for frame in stack.split(";"):
            for child in node["children"]:
                if child["name"] == frame:
                    break
            else:
                child = {"name": frame, "value": 0, "children": []}
                node["children"].append(child)
            node = child
            node["value"] += count
    return root


def render(before: Path, after: Path, out_dir: Path, titles: dict[str, str]) -> dict[str, Any]:
    b, a = read_folded(before), read_folded(after)
    out_dir.mkdir(parents=True, exist_ok=True)
    views = {
        "before": [f"{s} {c}" for s, c in sorted(b.items())],
        "after": [f"{s} {c}" for s, c in sorted(a.items())],
        "diff-grew": differential_lines(b, a),
        "diff-removed": differential_lines(a, b),
    }
    for key, lines in views.items():
        svg = pyinferno.flamegraph_from_lines(lines, titles.get(key, key))
        (out_dir / f"{key}.svg").write_text(svg, encoding="utf-8")
    (out_dir / "flame.json").write_text(
        json.dumps({"before": d3_tree(b), "after": d3_tree(a)}, separators=(",", ":")), encoding="utf-8"
    )
    return {
        "samples": {"before": sum(b.values()), "after": sum(a.values())},
        "svgs": [f"{k}.svg" for k in views],
        "json": "flame.json",
        "trees": {"before": d3_tree(b), "after": d3_tree(a)},
    }
