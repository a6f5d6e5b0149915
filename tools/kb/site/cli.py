"""`kb build`, `kb serve`, `kb bench build`."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from kb.site.build import build, configure_logging


def project_root() -> Path:
    """The folder holding mkdocs.yml: the current one or a parent."""
    here = Path.cwd().resolve()
    for folder in (here, *here.parents):
        if (folder / "mkdocs.yml").exists():
            return folder
    from kb.errors import KbError

    raise KbError(f"no mkdocs.yml in {here} or its parents: run kb inside the project")


def _build(args: argparse.Namespace) -> int:
    result = build(project_root(), Path(args.site_dir) if args.site_dir else None, verbose=args.verbose)
    if args.report:
        Path(args.report).write_text(json.dumps(result.summary(), indent=1), encoding="utf-8")
    print(f"built {result.site_dir} in {result.seconds:.1f} s")
    return 0


def _serve(args: argparse.Namespace) -> int:
    import os

    from mkdocs.commands.serve import serve

    root = project_root()
    os.chdir(root)  # jieba and snippets paths are relative to the project root
    configure_logging(verbose=True, errors_to_console=True)  # the preview shows every rebuild and error
    serve(
        config_file=str(root / "mkdocs.yml"),
        livereload=True,
        # Sources outside docs/ that pages are built from (a missing folder would crash the watcher).
        watch=[str(root / d) for d in ("snippets", "casebooks") if (root / d).is_dir()],
        dev_addr=args.dev_addr,
    )
    return 0


def _bench(args: argparse.Namespace) -> int:
    from kb.site import bench

    return bench.run(project_root(), keep=args.keep)


def register(commands: Any, bench_commands: Any) -> None:
    p = commands.add_parser(
        "build", help="strict build of the site (into a temporary folder, swapped on success)"
    )
    p.add_argument("--site-dir", help="output folder (default: site/)")
    p.add_argument("-v", "--verbose", action="store_true", help="show MkDocs' info messages")
    p.add_argument("--report", metavar="FILE", help="write build and notebook timings as JSON")
    p.set_defaults(handler=_build)
    p = commands.add_parser("serve", help="live preview on http://127.0.0.1:8000")
    p.add_argument("--dev-addr", default="127.0.0.1:8000")
    p.set_defaults(handler=_serve)
    p = bench_commands.add_parser("build", help="cold, warm and one-notebook-edited build times")
    p.add_argument("--keep", action="store_true", help="keep the temporary project copy")
    p.set_defaults(handler=_bench)
