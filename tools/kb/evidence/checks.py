"""Whole-register checks: which pages use which claim and constant, every constant against a GOROOT,
every claim's evidence, and the comparison of the register against another Go release."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from kb.evidence import claims as claims_mod
from kb.evidence import constants
from kb.evidence.claims import ClaimResult, Evaluator
from kb.evidence.register import ConstantEvidence, Register

# Sources whose Markdown the build expands: pages and jupytext notebooks.
PAGE_SUFFIXES = (".md", ".py")
GENERATED = re.compile(r"^reference/(claims|errata)(\.en)?\.md$")


def usage(docs_dir: Path) -> dict[str, list[str]]:
    """claim id -> pages (paths relative to docs_dir's parent, e.g. docs/scheduler/x.md) citing it.
    The generated register pages are left out: they list every claim by construction."""
    found: dict[str, set[str]] = defaultdict(set)
    if not docs_dir.is_dir():
        return {}
    for path in sorted(docs_dir.rglob("*")):
        if path.suffix not in PAGE_SUFFIXES or not path.is_file():
            continue
        rel = path.relative_to(docs_dir).as_posix()
        if GENERATED.match(rel):
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        if "[[claim:" not in text:
            continue
        for cid in claims_mod.references(text):
            found[cid].add(f"{docs_dir.name}/{rel}")
    return {k: sorted(v) for k, v in found.items()}


def constant_users(reg: Register, pages: dict[str, list[str]]) -> dict[str, tuple[list[str], list[str]]]:
    """constant id -> (claims that rest on it, pages that state those claims)."""
    out: dict[str, tuple[list[str], list[str]]] = {}
    for cid in reg.constants:
        users = [
            c.id
            for c in reg.claims.values()
            if any(isinstance(e, ConstantEvidence) and e.constant == cid for e in c.evidence)
        ]
        page_set = sorted({p for u in users for p in pages.get(u, [])})
        out[cid] = (users, page_set)
    return out


def constant_drift(reg: Register, goroot: Path, pages: dict[str, list[str]]) -> list[str]:
    """One message per constant that changed or vanished in `goroot`: constant, file, expected,
    found, the claims that rest on it and every page that states them."""
    users = constant_users(reg, pages)
    problems = []
    for const in reg.constants.values():
        res = constants.check(const, goroot)
        if res.ok:
            continue
        claim_ids, page_list = users[const.id]
        problems.append(
            f"source constant `{const.id}` ({const.file}): expected `{const.expected}`, found `{res.found}`"
            if res.found is not None
            else f"source constant `{const.id}` ({const.file}): expected `{const.expected}`, found nothing"
        )
        problems[-1] += (
            f" ({res.problem}); claims: {', '.join(claim_ids) or 'none'}; "
            f"pages: {', '.join(page_list) or 'none'}"
        )
    return problems


def claim_failures(results: list[ClaimResult], pages: dict[str, list[str]]) -> list[str]:
    out = []
    for r in results:
        if r.ok:
            continue
        where = ", ".join(pages.get(r.claim.id, [])) or "no page yet"
        out.append(f"claim `{r.claim.id}` (used by: {where}):\n    " + "\n    ".join(r.problems))
    return out


@dataclass(frozen=True)
class Change:
    claim: str
    evidence: str
    before: str
    after: str


def compare(reference: Evaluator, other: Evaluator) -> list[Change]:
    """Claims whose source evidence (constants and citations) differs between two GOROOTs.
    Experiments are not re-run: they measure the pinned toolchain only."""
    changes: list[Change] = []
    for cid, claim in reference.register.claims.items():
        for ev in claim.evidence:
            if isinstance(ev, ConstantEvidence):
                const = reference.register.constants[ev.constant]
                a = constants.check(const, reference.goroot)
                b = constants.check(const, other.goroot)
                if a.found != b.found:
                    changes.append(
                        Change(
                            cid,
                            f"constant {const.id} ({const.file})",
                            str(a.found),
                            str(b.found) if b.found is not None else "(gone)",
                        )
                    )
            elif hasattr(ev, "citation"):
                file, _, ident = ev.citation.partition("#")
                try:
                    claims_mod.citations.resolve(other.goroot, file, ident or None, where=cid)
                except claims_mod.CitationError:
                    changes.append(Change(cid, f"citation {ev.citation}", "present", "(gone)"))
    return changes
