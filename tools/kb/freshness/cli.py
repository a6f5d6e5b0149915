"""`kb freshness ...` and `kb bench freshness`."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from pathlib import Path
from typing import Any

from kb.errors import KbError
from kb.freshness import config as fconfig
from kb.freshness import gitlog, report, stamp
from kb.freshness.analysis import check, load_history


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--repo", type=Path, default=Path("."), help="project root (a full git clone)")
    p.add_argument("--rev", default="HEAD", help="the tip of main to read history from")
    p.add_argument("--timezone", help="IANA zone deciding months (default: pyproject or Asia/Shanghai)")
    p.add_argument("--grace-days", type=int, help="days a translation may stay stale before --check fails")
    # Tests and reruns pin "now" so month closure and lags are reproducible.
    p.add_argument("--now", help=argparse.SUPPRESS)


def _now(args: argparse.Namespace) -> dt.datetime:
    if args.now:
        try:
            when = dt.datetime.fromisoformat(args.now)
        except ValueError as exc:
            raise KbError(f"--now {args.now}: expected an ISO date-time") from exc
        return when if when.tzinfo else when.replace(tzinfo=dt.UTC)
    return dt.datetime.now(dt.UTC)


def _config(args: argparse.Namespace) -> fconfig.Config:
    return fconfig.load(args.repo, timezone=args.timezone, grace_days=args.grace_days)


def _status(args: argparse.Namespace) -> int:
    cfg = _config(args)
    now = _now(args)
    history = load_history(args.repo, cfg, args.rev)
    problems, drifts = check(args.repo, cfg, history, now)
    for d in drifts:
        if args.diff:
            for label, diff in d.diffs:
                print(f"--- drift of {d.path or d.page} against {label}\n{diff}\n")
    fatal = [p for p in problems if p.fatal]
    for p in problems:
        print(f"{'error' if p.fatal else 'warning'}: {p}", file=sys.stderr if p.fatal else sys.stdout)
    stale = sum(1 for d in drifts if d.status != "missing")
    missing = sum(1 for d in drifts if d.status == "missing")
    print(
        f"freshness: {len(fatal)} error(s), {len(problems) - len(fatal)} warning(s); "
        f"{stale} translation(s) out of sync, {missing} missing; grace {cfg.grace_days} days"
    )
    return 1 if (args.check and fatal) else 0


def _report(args: argparse.Namespace) -> int:
    cfg = _config(args)
    now = _now(args)
    month = args.month or report.last_closed_month(now, cfg.zone)
    report.require_closed(month, now, cfg.zone)
    started = time.perf_counter()
    history = load_history(args.repo, cfg, args.rev)
    written = report.write(history, month, gitlog.head_sha(args.repo, args.rev), args.repo)
    for path in written:
        print(path)
    print(f"freshness report {month}: {time.perf_counter() - started:.2f} s")
    return 0


def _stamp(args: argparse.Namespace) -> int:
    cfg = fconfig.load(args.repo)
    today = dt.datetime.now(cfg.zone).date() if args.reviewed else None
    for given in args.paths:
        rel = Path(given)
        if rel.is_absolute():
            rel = rel.relative_to(args.repo.resolve())
        path = rel.as_posix()
        for translation, source in stamp.targets(path, cfg):
            if translation.endswith(".py"):
                n = stamp.stamp_notebook(args.repo, translation, cfg, today)
                print(f"{translation}: stamped {n} cell(s)")
            else:
                h = stamp.stamp_page(args.repo, translation, source, today)
                print(f"{translation}: source_hash {h} ({source})")
    return 0


def _bench(args: argparse.Namespace) -> int:
    from kb.freshness import bench

    return bench.run(args.commits, args.files, args.budget, args.repeat)


def register(commands: Any, bench: Any) -> None:
    p = commands.add_parser(
        "freshness", help="update coverage and translation drift (--check fails on stale translations)"
    )
    _common(p)
    p.add_argument(
        "--check", action="store_true", help="exit 1 on missing front matter or stale translations"
    )
    p.add_argument("--diff", action="store_true", help="print each drifting translation's source diff")
    p.set_defaults(handler=_status)
    sub = p.add_subparsers(dest="freshness_command", metavar="SUBCOMMAND")
    r = sub.add_parser("report", help="write the report pages (zh, en) and JSON of a closed month")
    _common(r)
    r.add_argument("--month", help="YYYY-MM (default: the last closed month)")
    r.set_defaults(handler=_report)
    s = sub.add_parser("stamp", help="record in a translation the hash of its source as it is now")
    s.add_argument("paths", nargs="+", help="translation (x.en.md), its source (x.md) or a notebook (x.py)")
    s.add_argument("--repo", type=Path, default=Path("."), help="project root")
    s.add_argument(
        "--reviewed", action="store_true", help="also set the translation's reviewed date to today"
    )
    s.set_defaults(handler=_stamp)
    b = bench.add_parser("freshness", help="report over a synthetic repository (git fast-import)")
    b.add_argument("--commits", type=int, default=2000)
    b.add_argument("--files", type=int, default=600)
    b.add_argument("--budget", type=float, default=2.0, help="seconds; exit 1 when slower")
    b.add_argument("--repeat", type=int, default=3)
    b.set_defaults(handler=_bench)
