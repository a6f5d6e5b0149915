"""Glue between git and the pure functions: load the history once, check the working tree."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from kb.errors import KbError
from kb.freshness import gitlog
from kb.freshness.config import Config
from kb.freshness.content import UnitFacts
from kb.freshness.coverage import (
    Drift,
    FactsReader,
    History,
    UnitState,
    blob_ids,
    classify,
    drift_of,
    parse_ignore_revs,
    recorded,
    walk,
)


def load_history(repo: Path, config: Config, rev: str = "HEAD") -> History:
    """One git-log pass plus one cat-file pass, replayed into a History. Refuses shallow clones."""
    gitlog.check_repository(repo)
    try:
        gitlog.head_sha(repo, rev)
    except gitlog.GitError as exc:
        raise KbError(
            f"{repo}: `{rev}` is not a commit (no history yet?): commit first, then run again"
        ) from exc
    commits = gitlog.log(repo, rev, config.docs_dir)
    blobs = gitlog.cat_blobs(repo, blob_ids(commits, config))
    raw = gitlog.read_at(repo, rev, config.ignore_revs_file)
    revs = parse_ignore_revs(raw.decode("utf-8", errors="replace")) if raw else set()
    return walk(commits, FactsReader(blobs, config), config, revs)


@dataclass(frozen=True)
class Problem:
    path: str
    line: int
    message: str
    fatal: bool

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


WorkingEntry = tuple[str, UnitFacts, UnitState | None]


def working_units(repo: Path, config: Config, history: History) -> dict[tuple[str, str], WorkingEntry]:
    """Every unit of the working tree (tracked and untracked-not-ignored files under docs/)."""
    out: dict[tuple[str, str], WorkingEntry] = {}
    for path in gitlog.listed_files(repo, config.docs_dir):
        kind = classify(path, config)
        if kind is None or not (repo / path).is_file():
            continue
        page, lang, nbmd = kind
        text = (repo / path).read_text(encoding="utf-8", errors="replace")
        for ln, facts in history.reader.from_text(text, nbmd, lang).items():
            out[(page, ln)] = (path, facts, history.states.get((page, ln)))
    return out


def _front_matter_problems(
    path: str, lang: str, facts: UnitFacts, config: Config, today: dt.date
) -> list[Problem]:
    problems = []
    nb = path.endswith(".py")
    where = "the notebook header (`# jupyter:` / `#   kb:`)" if nb else "the front matter"
    rkey = "reviewed" if (lang == config.source_language or not nb) else f"reviewed_{lang}"
    if facts.error:
        return [Problem(path, facts.error_line, f"{facts.error}; fix the YAML between the `---` lines", True)]
    if not facts.owner:
        problems.append(Problem(path, 1, f"no `owner:` in {where}: add `owner: <person or team>`", True))
    if facts.reviewed is None:
        got = "" if facts.reviewed_raw is None else f" (got {facts.reviewed_raw!r})"
        problems.append(
            Problem(
                path, 1, f"no valid `{rkey}:` date in {where}{got}: add `{rkey}: {today.isoformat()}`", True
            )
        )
    elif facts.reviewed > today + dt.timedelta(days=1):
        problems.append(
            Problem(path, 1, f"`{rkey}: {facts.reviewed}` is in the future: use today's date", True)
        )
    if lang != config.source_language:
        if nb:
            for cell in facts.cells:
                if not cell.source_hash:
                    problems.append(
                        Problem(
                            path,
                            cell.line,
                            f"{lang} cell has no source_hash: run `kb freshness stamp {path}`",
                            True,
                        )
                    )
        elif not facts.synced_to:
            problems.append(
                Problem(path, 1, f"translation has no `source_hash:`: run `kb freshness stamp {path}`", True)
            )
    return problems


def check(
    repo: Path, config: Config, history: History, now: dt.datetime
) -> tuple[list[Problem], list[Drift]]:
    """Problems of the working tree: missing front matter fields, and translations stale for
    longer than `grace_days` (fatal) or within it (warnings). Returns (problems, drifts)."""
    units = working_units(repo, config, history)
    today = now.astimezone(config.zone).date()
    problems: list[Problem] = []
    drifts: list[Drift] = []
    pages: dict[str, dict[str, WorkingEntry]] = {}
    for (page, lang), entry in units.items():
        pages.setdefault(page, {})[lang] = entry
    for page, by_lang in sorted(pages.items()):
        src = by_lang.get(config.source_language)
        if (src or next(iter(by_lang.values())))[1].exempt:
            continue
        for lang, (path, facts, _state) in sorted(by_lang.items()):
            if not path.endswith(".py") or lang == config.source_language:
                problems.extend(_front_matter_problems(path, lang, facts, config, today))
            else:
                problems.extend(
                    p
                    for p in _front_matter_problems(path, lang, facts, config, today)
                    if "owner" not in p.message
                )
        src_hist: list[tuple[dt.datetime, object]] = []
        created = now
        if src is not None:
            sstate = src[2]
            if sstate is not None:
                src_hist = list(sstate.history)
                created = sstate.created
            if not src_hist or src_hist[-1][1] != src[1].sync_key:
                src_hist.append((now, src[1].sync_key))
        for lang in config.translations:
            d = drift_of(src, by_lang.get(lang), page, lang, now, history.reader.texts, src_hist, created)
            if d is None:
                continue
            drifts.append(d)
            tr = by_lang.get(lang)
            if tr is not None and not recorded(tr[1].synced_to):
                continue  # already an error above: "run kb freshness stamp"
            lag = d.lag_days or 0.0
            fatal = d.status == "orphan" or lag > config.grace_days
            if d.status == "orphan":
                src_lang = config.source_language
                msg = f"{lang} translation without a {src_lang} source page {page}: add it or delete this"
            elif d.status == "missing":
                msg = (
                    f"no {lang} translation of this page for {lag:.1f} days (grace {config.grace_days}): "
                    f"write {_translation_path(page, lang)} and run `kb freshness stamp` on it"
                )
            else:
                base = "" if d.status == "stale" else " (its source_hash matches no version of the source)"
                msg = (
                    f"{lang} translation {d.path} is out of sync with this page{base} for {lag:.1f} days "
                    f"(grace {config.grace_days}): update it, then run `kb freshness stamp {d.path}`"
                )
            problems.append(Problem(d.path if d.status == "orphan" else d.source_path, 1, msg, fatal))
    return problems, drifts


def _translation_path(page: str, lang: str) -> str:
    return page if page.endswith(".py") else page[: -len(".md")] + f".{lang}.md"
