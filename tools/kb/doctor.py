"""`kb doctor`: every external tool the project uses, with its version or how to install it."""

from __future__ import annotations

import argparse
from typing import Any

from kb import external
from kb.errors import ToolMissing


def report() -> list[tuple[str, str, bool]]:
    """(tool, version-or-advice, found) for every tool in external.TOOLS."""
    rows = []
    for name in external.TOOLS:
        try:
            rows.append((name, external.version(name), True))
        except ToolMissing as exc:
            rows.append((name, str(exc), False))
    return rows


def _run(args: argparse.Namespace) -> int:
    rows = report()
    width = max(len(n) for n, _, _ in rows)
    for name, text, found in rows:
        mark = "ok     " if found else "MISSING"
        print(f"{mark} {name:<{width}}  {text}")
    return 0 if all(found for _, _, found in rows) else 1


def register(commands: Any, bench: Any) -> None:
    p = commands.add_parser("doctor", help="list external tools with versions, or how to install them")
    p.set_defaults(handler=_run)
