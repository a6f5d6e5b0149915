"""`kb`: one command line for building, checking, benchmarking and publishing the knowledge base.

Each area of the project (notebooks, evidence, casebook, freshness, publish, ...) owns a `cli`
module with a `register(commands, bench)` function: `commands` is the top-level subparser
collection, `bench` the one under `kb bench`. This module only wires them together, so adding
an area is one line in AREAS and no area knows about another.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Sequence

from kb.errors import KbError

# Areas whose `kb.<area>.cli.register` adds commands. Order is the order of `kb --help`.
AREAS: tuple[str, ...] = (
    "kb.site.cli",
    "kb.evidence.cli",
    "kb.publish.cli",
    "kb.doctor",
    "kb.freshness.cli",
    "kb.casebook.cli",
    "kb.glossary.cli",
    "kb.sim.cli",
)

Handler = Callable[[argparse.Namespace], int]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kb", description=__doc__.splitlines()[0] if __doc__ else None)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    bench_parser = commands.add_parser("bench", help="benchmarks; each prints its figures")
    bench = bench_parser.add_subparsers(dest="bench_target", required=True, metavar="TARGET")
    for name in AREAS:
        importlib.import_module(name).register(commands, bench)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Handler = args.handler
    try:
        return handler(args)
    except KbError as exc:
        # Messages start with `file:line:` (or say what to fix): printed as they are, like a compiler's.
        print(str(exc), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
