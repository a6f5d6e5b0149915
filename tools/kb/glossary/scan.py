"""Find every glossary term in the site's pages and flag terms translated two different ways.

Pure functions: `sources(root)` lists the pages, `lines_of` yields the prose lines of one page with
their line numbers and language, `check(terms, root)` returns the problems. The MkDocs build is not
involved, so tests drive this on small folders.

What counts as prose: Markdown outside front matter and code (mermaid fences ARE prose: their labels
are shown to the reader), and the zh/en markdown cells of notebooks (jupytext percent `.py`). Inline
code, claim/citation references and lines holding `glossary-ignore` are skipped.
"""

from __future__ import annotations

import re
import subprocess
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from kb.glossary.terms import LANGS, Term

IGNORE_MARK = "glossary-ignore"
_FENCE = re.compile(r"^\s*(`{3,}|~{3,})\s*([\w-]*)")
_INLINE_CODE = re.compile(r"`+[^`\n]*`+")
_REF = re.compile(r"\[\[(claim|src):[^\]]*\]\]")
_CELL = re.compile(r"^# %%(?!%)(?P<rest>.*)$")
_TAG = re.compile(r"tags=\[\s*\"(zh|en)\"\s*\]")


@dataclass(frozen=True)
class Line:
    path: Path  # relative to the project root
    number: int  # 1-based, in the file as written
    lang: str
    text: str


@dataclass(frozen=True)
class Use:
    term: str  # term id
    form: str  # the variant as listed in the glossary
    forbidden: bool
    line: Line


@dataclass(frozen=True)
class Problem:
    path: Path
    line: int
    message: str
    fatal: bool = True

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


def _ignored(root: Path, paths: list[Path]) -> set[Path]:
    """Paths git ignores (generated pages); none outside a git work tree."""
    if not paths or not (root / ".git").exists():
        return set()
    from kb import external

    proc = subprocess.run(
        [str(external.which("git")), "check-ignore", "--stdin", "-z"],
        cwd=root, input="\0".join(str(p) for p in paths), capture_output=True, text=True, check=False,
    )  # fmt: skip
    return {Path(p) for p in proc.stdout.split("\0") if p}


def sources(root: Path) -> list[Path]:
    """Pages written by hand (relative paths): docs/**/*.md, notebooks docs/**/*.py, casebook stories.

    Generated pages are git-ignored and skipped: they are rendered from data that is checked where it
    is written (the glossary page itself lists the forbidden forms on purpose)."""
    found = [
        *sorted((root / "docs").rglob("*.md")),
        *sorted((root / "docs").rglob("*.py")),
        *sorted((root / "casebooks").glob("*/story.*.md")),
    ]
    rel = [p.relative_to(root) for p in found if p.is_file()]
    skip = _ignored(root, rel)
    return [p for p in rel if p not in skip]


def page_lang(path: Path) -> str:
    name = path.name
    return "en" if name.endswith((".en.md", ".en.py")) or name == "story.en.md" else "zh"


def _prose(text: str) -> str:
    return _REF.sub(" ", _INLINE_CODE.sub(" ", text))


def markdown_lines(path: Path, text: str, lang: str, first: int = 1) -> Iterator[Line]:
    lines = text.splitlines()
    i = 0
    if lines and lines[0].strip() == "---" and first == 1:
        for j in range(1, len(lines)):
            if lines[j].strip() == "---":
                i = j + 1
                break
    fence: str | None = None
    fence_is_prose = False
    while i < len(lines):
        raw = lines[i]
        number = first + i
        i += 1
        m = _FENCE.match(raw)
        if fence is None and m:
            fence, fence_is_prose = m.group(1), m.group(2) == "mermaid"
            continue
        if (
            fence is not None
            and raw.strip().startswith(fence[0] * len(fence))
            and raw.strip().strip(fence[0]) == ""
        ):
            fence = None
            continue
        if fence is not None and not fence_is_prose:
            continue
        if IGNORE_MARK in raw:
            continue
        yield Line(path, number, lang, _prose(raw))


def notebook_lines(path: Path, text: str) -> Iterator[Line]:
    """Prose lines of the zh/en markdown cells of a percent-format notebook, with .py line numbers."""
    cell_lang: str | None = None
    body: list[str] = []
    start = 0

    def flush() -> Iterator[Line]:
        if cell_lang is not None and body:
            yield from markdown_lines(path, "\n".join(body), cell_lang, first=start)

    for number, raw in enumerate(text.splitlines(), start=1):
        m = _CELL.match(raw)
        if m:
            yield from flush()
            rest = m.group("rest")
            tag = _TAG.search(rest)
            cell_lang = tag.group(1) if "[markdown]" in rest and tag else None
            body, start = [], number + 1
            continue
        if cell_lang is not None:
            body.append(raw[2:] if raw.startswith("# ") else raw.lstrip("#"))
    yield from flush()


def lines_of(root: Path, path: Path) -> Iterator[Line]:
    text = (root / path).read_text(encoding="utf-8")
    if path.suffix == ".py":
        yield from notebook_lines(path, text)
    else:
        yield from markdown_lines(path, text, page_lang(path))


def _pattern(form: str) -> str:
    body = re.escape(form).replace(r"\ ", r"\s+")
    if re.match(r"[A-Za-z0-9_]", form):
        # ASCII forms: at a word start, with an optional suffix ("preempt" -> "preempted").
        return rf"(?<![A-Za-z0-9_]){body}[A-Za-z]*"
    return body


class Matcher:
    """All forms of all terms, per language; longest form first, so that within one term
    `任务窃取` (forbidden) is not also counted as `窃取` (allowed)."""

    def __init__(self, terms: Iterable[Term]) -> None:
        self.per_lang: dict[str, list[tuple[Term, re.Pattern[str], dict[str, tuple[str, bool]]]]] = {}
        for lang in LANGS:
            entries = []
            for term in terms:
                forms: dict[str, tuple[str, bool]] = {}
                for form in term.accepted(lang):
                    if len(form) >= 2 or not form.isascii():
                        forms[form.casefold()] = (form, False)
                for form in term.forbidden(lang):
                    forms[form.casefold()] = (form, True)
                if not forms:
                    continue
                ordered = sorted(forms.values(), key=lambda f: -len(f[0]))
                rx = re.compile("|".join(f"({_pattern(f)})" for f, _ in ordered), re.IGNORECASE)
                entries.append((term, rx, {str(i): f for i, f in enumerate(ordered, start=1)}))
            self.per_lang[lang] = entries

    def uses(self, line: Line) -> Iterator[Use]:
        for term, rx, groups in self.per_lang[line.lang]:
            for m in rx.finditer(line.text):
                index = str(m.lastindex)
                form, forbidden = groups[index]
                yield Use(term.id, form, forbidden, line)


def collect(terms: list[Term], root: Path, paths: Iterable[Path] | None = None) -> list[Use]:
    matcher = Matcher(terms)
    out: list[Use] = []
    for path in paths if paths is not None else sources(root):
        for line in lines_of(root, path):
            out.extend(matcher.uses(line))
    return out


def _where(uses: list[Use], limit: int = 3) -> str:
    shown = ", ".join(f"{u.line.path}:{u.line.number}" for u in uses[:limit])
    more = f" and {len(uses) - limit} more" if len(uses) > limit else ""
    return shown + more


def check(terms: list[Term], root: Path, paths: Iterable[Path] | None = None) -> list[Problem]:
    """Fatal problems: a term written with a forbidden translation (naming where the glossary's own
    form is used, so both sides of the inconsistency are visible). Non-fatal notes: a term used in
    an en page whose zh twin (or a notebook's zh cells) names it in no known form at all."""
    by_id = {t.id: t for t in terms}
    path_list = list(paths) if paths is not None else sources(root)
    uses = collect(terms, root, path_list)
    good: dict[tuple[str, str], list[Use]] = defaultdict(list)
    for u in uses:
        if not u.forbidden:
            good[(u.term, u.line.lang)].append(u)
    problems: list[Problem] = []
    for u in uses:
        if not u.forbidden:
            continue
        term = by_id[u.term]
        lang = u.line.lang
        others = [g for g in good[(u.term, lang)] if g.line.path != u.line.path]
        elsewhere = f"; elsewhere it is written `{term.name(lang)}` ({_where(others)})" if others else ""
        problems.append(Problem(
            u.line.path, u.line.number,
            f"`{u.form}` translates {term.en!r} / {term.zh!r} differently from the glossary{elsewhere}. "
            f"Write `{term.name(lang)}` (glossary: snippets/glossary.yaml, term `{term.id}`), or mark a "
            f"deliberate quotation with `{IGNORE_MARK}` on that line.",
        ))  # fmt: skip
    problems.extend(_pair_notes(by_id, uses, path_list))
    return sorted(problems, key=lambda p: (not p.fatal, str(p.path), p.line))


def _twin(path: Path) -> tuple[str, Path]:
    """(pair key, ...) so that x.md/x.en.md and story.zh.md/story.en.md share one key."""
    name = path.name
    for suffix in (".en.md", ".zh.md"):
        if name.endswith(suffix):
            return str(path.with_name(name[: -len(suffix)])), path
    return str(path.with_name(name.removesuffix(".md").removesuffix(".py"))), path


def _pair_notes(by_id: dict[str, Term], uses: list[Use], paths: list[Path]) -> list[Problem]:
    seen: dict[tuple[str, str], set[str]] = defaultdict(set)  # (pair, lang) -> term ids used
    first: dict[tuple[str, str, str], Use] = {}
    langs_present: dict[str, set[str]] = defaultdict(set)
    for path in paths:
        key, _ = _twin(path)
        langs_present[key].add("nb" if path.suffix == ".py" else page_lang(path))
    for u in uses:
        key, _ = _twin(u.line.path)
        seen[(key, u.line.lang)].add(u.term)
        first.setdefault((key, u.line.lang, u.term), u)
    notes: list[Problem] = []
    for (key, lang), ids in seen.items():
        if lang != "en":
            continue
        if langs_present[key] != {"zh", "en"} and "nb" not in langs_present[key]:
            continue
        for term_id in sorted(ids - seen.get((key, "zh"), set())):
            u = first[(key, "en", term_id)]
            term = by_id[term_id]
            notes.append(Problem(
                u.line.path, u.line.number,
                f"note: `{term.en}` is used here but the zh version never writes `{term.zh}` (nor an "
                f"allowed or forbidden form): translated another way, or simply not mentioned?",
                fatal=False,
            ))  # fmt: skip
    return notes
