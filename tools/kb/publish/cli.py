"""`kb publish` (deploy or roll back the site) and `kb bench publish` (time a publish end to end)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from kb.publish.deploy import (
    PublishOptions,
    kb_builder,
    mkdocs_builder,
    publish,
    rollback,
)
from kb.publish.site import DEFAULT_MIN_RATIO


def _options(args: argparse.Namespace) -> PublishOptions:
    return PublishOptions(
        repo=Path(args.repo).resolve(),
        remote=args.remote,
        branch=args.branch,
        version=args.version,
        alias=args.alias,
        allow_shrink=args.allow_shrink,
        min_ratio=args.min_ratio,
        allow_dirty=args.allow_dirty,
        attempts=args.attempts,
    )


def run_publish(args: argparse.Namespace) -> int:
    opts = _options(args)
    if args.rollback:
        rb = rollback(opts, args.rollback)
        verb = "now points" if rb.changed else "already pointed"
        print(
            f"kb publish: {opts.alias} {verb} to {rb.version} (was {rb.previous_target}); "
            f"{opts.remote} {opts.branch} at {rb.published_commit[:12]}"
        )
        return 0
    builder = mkdocs_builder(Path(args.config_file).resolve()) if args.config_file else kb_builder(opts.repo)
    result = publish(opts, builder)
    summary: dict[str, Any] = {
        "version": result.version,
        "source_sha": result.source_sha,
        "pages": result.pages,
        "previous_pages": result.previous_pages,
        "attempts": result.attempts,
        "published_commit": result.published_commit,
    }
    print(json.dumps(summary, ensure_ascii=False))
    return 0


def run_bench(args: argparse.Namespace) -> int:
    from kb.publish.bench import run

    return run(pages=args.pages, publishers=args.publishers)


def register(commands: Any, bench: Any) -> None:
    p = commands.add_parser(
        "publish",
        help="strict build, validate, deploy with mike as YYYY.MM + latest (or --rollback VERSION)",
        description="Build the site strictly, refuse an empty or shrunken site, deploy it with mike as "
        "version YYYY.MM (month of the source commit in Asia/Shanghai) with a `latest` redirect alias "
        "to the publishing branch of a git remote, retrying without force when another publisher wins.",
    )
    p.add_argument("--rollback", metavar="VERSION", help="point the alias back at this published version")
    p.add_argument("--remote", default="origin", help="git remote name or URL (default: origin)")
    p.add_argument("--branch", default="gh-pages", help="publishing branch (default: gh-pages)")
    p.add_argument("--version", help="version name (default: YYYY.MM of the source commit)")
    p.add_argument("--alias", default="latest", help="redirect alias moved to this version (default: latest)")
    p.add_argument("--allow-shrink", action="store_true", help="publish even with fewer pages than last time")
    p.add_argument(
        "--min-ratio",
        type=float,
        default=DEFAULT_MIN_RATIO,
        help="smallest page count accepted, as a share of the last published build (default: 0.9)",
    )
    p.add_argument("--allow-dirty", action="store_true", help="publish from a tree with uncommitted changes")
    p.add_argument("--attempts", type=int, default=6, help="push attempts when racing other publishers")
    p.add_argument("--repo", default=".", help="source checkout to publish from (default: .)")
    p.add_argument(
        "--config-file",
        metavar="MKDOCS_YML",
        help="build this MkDocs config with plain `mkdocs build --strict` instead of `kb build`",
    )
    p.set_defaults(handler=run_publish)

    b = bench.add_parser("publish", help="time publishing a synthetic site to a local bare repository")
    b.add_argument("--pages", type=int, default=200, help="pages of the synthetic site (default: 200)")
    b.add_argument("--publishers", type=int, default=3, help="concurrent publishers (default: 3)")
    b.set_defaults(handler=run_bench)
