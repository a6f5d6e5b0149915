"""`kb glossary check`: every term translated one way across all pages; `kb glossary list`."""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from kb.glossary import scan, terms

DATA = Path("snippets/glossary.yaml")


def _root() -> Path:
    # The project root is the folder holding mkdocs.yml, searched upwards from the current folder,
    # so the command works from any sub-folder like git does.
    here = Path.cwd().resolve()
    for folder in (here, *here.parents):
        if (folder / "mkdocs.yml").is_file():
            return folder
    return here


def register(commands: Any, bench: Any) -> None:
    p = commands.add_parser("glossary", help="zh/en glossary: check that every page translates terms one way")
    sub = p.add_subparsers(dest="glossary_command", required=True, metavar="ACTION")
    c = sub.add_parser("check", help="flag terms written with another translation (file:line)")
    c.add_argument(
        "--root", type=Path, default=None, help="project root (default: the folder with mkdocs.yml)"
    )
    c.add_argument("--notes", action="store_true", help="also print non-fatal notes (term missing in a twin)")
    c.set_defaults(handler=_check)
    ls = sub.add_parser("list", help="print the terms (zh / en)")
    ls.add_argument("--root", type=Path, default=None)
    ls.set_defaults(handler=_list)


def _check(args: argparse.Namespace) -> int:
    root = (args.root or _root()).resolve()
    start = time.monotonic()
    found = terms.load(root / DATA)
    paths = scan.sources(root)
    problems = scan.check(found, root, paths)
    fatal = [p for p in problems if p.fatal]
    for p in problems:
        if p.fatal or args.notes:
            print(p)
    notes = len(problems) - len(fatal)
    print(
        f"{len(found)} terms, {len(paths)} pages/notebooks: {len(fatal)} inconsistent translation(s), "
        f"{notes} note(s){'' if args.notes or not notes else ' (--notes shows them)'} "
        f"in {time.monotonic() - start:.2f} s"
    )
    return 1 if fatal else 0


def _list(args: argparse.Namespace) -> int:
    root = (args.root or _root()).resolve()
    for t in terms.load(root / DATA):
        print(f"{t.id:<18} {t.zh:<12} {t.en}")
    return 0
