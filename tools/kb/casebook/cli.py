"""`kb new-case`, `kb case check` and `kb bench cases`."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from kb.casebook.structure.check import CaseError, check_case, fix_hashes
from kb.casebook.structure.scaffold import new_case
from kb.errors import KbError

DEFAULT_ROOT = Path("casebooks")


def _new_case(args: argparse.Namespace) -> int:
    folder = new_case(args.casebooks, args.slug)
    print(
        f"created {folder}/ (case.yaml, story.zh.md, story.en.md); check it with: kb case check {args.slug}"
    )
    return 0


def _case_ids(root: Path, ids: list[str], all_: bool) -> list[str]:
    if all_:
        return sorted(p.name for p in root.iterdir() if (p / "case.yaml").is_file()) if root.is_dir() else []
    if not ids:
        raise KbError("name a case id (a folder under casebooks/) or pass --all")
    return ids


def _check(args: argparse.Namespace) -> int:
    root: Path = args.casebooks
    failed = 0
    for cid in _case_ids(root, args.ids, args.all):
        folder = root / cid
        if not folder.is_dir():
            raise KbError(f"{folder} does not exist: create it with `kb new-case {cid}`")
        if args.fix_hashes:
            for line in fix_hashes(folder):
                print(f"{cid}: updated sha256 of {line}")
        loaded, problems = check_case(folder, display_root=Path.cwd())
        if problems or loaded is None:
            failed += 1
            print(str(CaseError(problems)).replace("in a case", f"in case {cid}"))
            continue
        if args.render:
            # The same renderers and cache as the site build: compile/verify/test-run BPF, tshark, stats.
            import tempfile

            from kb.casebook.render.artifacts import render_case

            with tempfile.TemporaryDirectory(prefix="kb-case-check-") as tmp:
                try:
                    render_case(loaded, Path(".cache/casebook"), Path(tmp))
                except KbError as exc:
                    failed += 1
                    print(f"{cid}: {exc}")
                    continue
        print(f"{cid}: ok" + (" (artifacts rendered)" if args.render else ""))
    return 1 if failed else 0


def _reproduce(args: argparse.Namespace) -> int:
    import subprocess

    folder: Path = args.casebooks / args.id
    loaded, problems = check_case(folder, display_root=Path.cwd())
    if loaded is None:
        raise CaseError(problems)
    rep = loaded.case.reproduction
    if rep is None:
        raise KbError(f"{folder}/case.yaml: reproduction: this case has no reproduction script to run")
    script = loaded.files.get(rep.script.path)
    if script is None:
        raise CaseError(problems)
    print(f"running {rep.script.path} (requires: {', '.join(rep.requires) or 'nothing listed'})")
    # bash, not sh: the scripts use bash features (set -o pipefail, arrays); dash rejects them.
    proc = subprocess.run(["bash", str(script)], cwd=folder, check=False)
    if proc.returncode != 0:
        raise KbError(f"{folder}/{rep.script.path} exited with {proc.returncode}: see its output above")
    _, after = check_case(folder, display_root=Path.cwd())
    changed = [p for p in after if "changed: its sha256" in p.message]
    for p in changed:
        print(f"regenerated: {p.field}")
    if changed and not args.fix_hashes:
        print("review the changed artifacts, then record them: kb case check " + f"{args.id} --fix-hashes")
        return 1
    if args.fix_hashes:
        for line in fix_hashes(folder):
            print(f"updated sha256 of {line}")
    return 0


def register(commands: Any, bench: Any) -> None:
    p = commands.add_parser("new-case", help="scaffold a valid bilingual case folder casebooks/<slug>/")
    p.add_argument("slug", help="case id: lowercase letters, digits and '-'")
    p.add_argument(
        "--casebooks", type=Path, default=DEFAULT_ROOT, help="folder of cases (default: casebooks)"
    )
    p.set_defaults(handler=_new_case)

    case = commands.add_parser("case", help="incident casebook commands")
    sub = case.add_subparsers(dest="case_command", required=True, metavar="COMMAND")
    c = sub.add_parser("check", help="validate cases: model, files, sha256, stories")
    c.add_argument("ids", nargs="*", help="case ids (folders under casebooks/)")
    c.add_argument("--all", action="store_true", help="check every case")
    c.add_argument(
        "--casebooks", type=Path, default=DEFAULT_ROOT, help="folder of cases (default: casebooks)"
    )
    c.add_argument(
        "--fix-hashes",
        action="store_true",
        help="first write the actual sha256 of every named file into case.yaml (review the diff!)",
    )
    c.add_argument(
        "--render",
        action="store_true",
        help="also render every artifact as the build does (clang, verifier, test runs, tshark, statistics)",
    )
    c.set_defaults(handler=_check)

    r = sub.add_parser(
        "reproduce", help="run a lab case's reproduction script and list the artifacts it changed"
    )
    r.add_argument("id", help="case id")
    r.add_argument(
        "--casebooks", type=Path, default=DEFAULT_ROOT, help="folder of cases (default: casebooks)"
    )
    r.add_argument("--fix-hashes", action="store_true", help="record the regenerated files' sha256")
    r.set_defaults(handler=_reproduce)

    try:
        from kb.casebook.bench import register_bench
    except ImportError:  # the benchmark module arrives with the renderers
        return
    register_bench(bench)
