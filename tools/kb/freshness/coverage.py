"""Monthly update coverage per (page, language), from the first-parent history of main.

The definition (docs/reports/index.md documents it for readers):
- a unit is (page, language); a notebook is one page holding every language;
- an event counts for a unit in month M (calendar month in the configured timezone) when a
  first-parent commit whose committer date falls in M creates it, changes its body (front matter
  removed, whitespace collapsed), bumps `reviewed:` to a date within `review_window_days` before
  landing (or the day after, for clock skew), or, for a translation, changes the `source_hash` it
  records. Renames, whitespace-only edits, other front-matter edits and commits listed in
  `.git-blame-ignore-revs` count for nothing (their content still becomes the new state);
- covered(u, M) = a counted event in M and, for a translation, in sync with its source at the end
  of M. A missing translation is an uncovered unit. Pages with `freshness: exempt` are out.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from kb.freshness.config import Config
from kb.freshness.content import UnitFacts, notebook_facts, page_facts
from kb.freshness.gitlog import ZERO, Commit

UnitKey = tuple[str, str]  # (page, language); page = the source-language path (x.md or x.py)


def month_of(when: dt.datetime) -> str:
    return f"{when.year:04d}-{when.month:02d}"


def month_bounds(month: str, zone: dt.tzinfo) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) of a calendar month in `zone`."""
    year, mon = (int(x) for x in month.split("-"))
    start = dt.datetime(year, mon, 1, tzinfo=zone)
    end = dt.datetime(year + (mon == 12), mon % 12 + 1, 1, tzinfo=zone)
    return start, end


def shift_month(month: str, delta: int) -> str:
    year, mon = (int(x) for x in month.split("-"))
    index = year * 12 + (mon - 1) + delta
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def classify(path: str, config: Config) -> tuple[str, str | None, str] | None:
    """(page, language or None for all of a notebook's languages, 'md' | 'nb'), or None if the
    path is not a page."""
    prefix = config.docs_dir.rstrip("/") + "/"
    if not path.startswith(prefix):
        return None
    if path.endswith(".py"):
        return path, None, "nb"
    if path.endswith(".md"):
        for lang in config.translations:
            suffix = f".{lang}.md"
            if path.endswith(suffix):
                return path[: -len(suffix)] + ".md", lang, "md"
        return path, config.source_language, "md"
    return None


def section_of(page: str, config: Config) -> str:
    rel = page[len(config.docs_dir.rstrip("/")) + 1 :]
    return rel.split("/", 1)[0] if "/" in rel else "(root)"


@dataclass(frozen=True)
class Event:
    when: dt.datetime
    kind: str  # created | content | reviewed | synced
    commit: str
    subject: str

    @property
    def month(self) -> str:
        return month_of(self.when)


@dataclass(frozen=True)
class Anomaly:
    when: dt.datetime | None
    page: str
    lang: str
    path: str
    kind: str
    detail: str
    commit: str = ""


@dataclass
class UnitState:
    """One unit's life: follows renames, collects events and (for a source) its content versions."""

    page: str
    lang: str
    path: str
    facts: UnitFacts
    created: dt.datetime
    synced_at: dt.datetime
    events: list[Event] = field(default_factory=list)
    # Source language only: (when it landed, sync key) for each distinct content version.
    history: list[tuple[dt.datetime, Any]] = field(default_factory=list)


SnapEntry = tuple[str, UnitFacts, UnitState]
Snapshot = dict[UnitKey, SnapEntry]


class FactsReader:
    """Facts of each blob, parsed once; keeps every source text by hash for drift diffs."""

    def __init__(self, blobs: dict[str, bytes], config: Config) -> None:
        self.blobs = blobs
        self.config = config
        self.texts: dict[str, str] = {}
        self._cache: dict[tuple[str, str, str | None], dict[str, UnitFacts]] = {}

    def facts(self, sha: str, kind: str, lang: str | None) -> dict[str, UnitFacts]:
        key = (sha, kind, lang)
        hit = self._cache.get(key)
        if hit is None:
            text = self.blobs[sha].decode("utf-8", errors="replace")
            hit = self.from_text(text, kind, lang)
            self._cache[key] = hit
        return hit

    def from_text(self, text: str, kind: str, lang: str | None) -> dict[str, UnitFacts]:
        cfg = self.config
        if kind == "nb":
            out = notebook_facts(text, cfg.languages, cfg.source_language)
            for cell in out[cfg.source_language].cells:
                self.texts.setdefault(cell.hash, cell.text)
            return out
        assert lang is not None
        facts = page_facts(text, lang, cfg.source_language)
        if lang == cfg.source_language:
            self.texts.setdefault(facts.body_hash, facts.body)
        return {lang: facts}


def parse_ignore_revs(text: str) -> set[str]:
    """Commit ids listed in a .git-blame-ignore-revs file (comments and blank lines skipped)."""
    revs = set()
    for line in text.splitlines():
        token = line.split("#", 1)[0].strip().lower()
        if len(token) >= 7 and all(c in "0123456789abcdef" for c in token):
            revs.add(token)
    return revs


def recorded(synced_to: Any) -> bool:
    """A translation records a source hash (a notebook: one on every cell)."""
    if isinstance(synced_to, tuple):
        return all(synced_to)
    return bool(synced_to)


def _ignored(sha: str, revs: set[str]) -> bool:
    return sha in revs or any(sha.startswith(r) for r in revs if len(r) < 40)


@dataclass
class History:
    config: Config
    commits: list[Commit]
    states: dict[UnitKey, UnitState]  # at the tip
    snapshots: dict[str, Snapshot]  # month -> units at the end of that month
    anomalies: list[Anomaly]
    ignored: list[Commit]
    reader: FactsReader

    def snapshot_at(self, month: str) -> Snapshot:
        best = None
        for m in self.snapshots:
            if m <= month and (best is None or m > best):
                best = m
        return self.snapshots[best] if best is not None else {}

    @property
    def first_month(self) -> str | None:
        return min(self.snapshots) if self.snapshots else None


def blob_ids(commits: Iterable[Commit], config: Config) -> list[str]:
    """Every page blob the walk will read: the cat-file batch input."""
    out = []
    for commit in commits:
        for ch in commit.changes:
            if ch.status != "D" and classify(ch.new_path, config):
                out.append(ch.new_sha)
    return out


def walk(commits: list[Commit], reader: FactsReader, config: Config, ignore_revs: set[str]) -> History:
    """Replay the first-parent history oldest first, recording events and month-end snapshots."""
    zone = config.zone
    states: dict[UnitKey, UnitState] = {}
    snapshots: dict[str, Snapshot] = {}
    anomalies: list[Anomaly] = []
    ignored: list[Commit] = []
    window = dt.timedelta(days=config.review_window_days)
    current_month: str | None = None

    for commit in commits:
        when = dt.datetime.fromtimestamp(commit.timestamp, zone)
        month = month_of(when)
        # Month-end state: a commit landing in a later month closes the months before it. The
        # running maximum keeps a backdated committer date from reopening a closed month.
        if current_month is None or month > current_month:
            if current_month is not None:
                snapshots[current_month] = {k: (s.path, s.facts, s) for k, s in states.items()}
            current_month = month
        skip = _ignored(commit.sha, ignore_revs)
        if skip:
            ignored.append(commit)
        landed = when.date()

        for ch in commit.changes:
            old = classify(ch.old_path, config) if ch.status in "MRDT" else None
            new = classify(ch.new_path, config) if ch.status != "D" else None
            moved: dict[str, UnitState] = {}
            if old is not None and (ch.status in "DR" or (ch.status in "MT" and new is None)):
                page, lang, kind = old
                for ln in [lang] if lang else list(config.languages):
                    state = states.pop((page, ln), None)
                    if state is not None and ch.status == "R" and new is not None and new[2] == kind:
                        moved[ln] = state
            if new is None or ch.new_sha == ZERO:
                continue
            page, lang, kind = new
            facts_by_lang = reader.facts(ch.new_sha, kind, lang)
            for ln, facts in facts_by_lang.items():
                key = (page, ln)
                state = moved.get(ln) or states.get(key)
                if state is None:
                    state = UnitState(page, ln, ch.new_path, facts, when, when)
                    if ln == config.source_language:
                        state.history.append((when, facts.sync_key))
                    if not skip:
                        state.events.append(Event(when, "created", commit.sha, commit.subject))
                    states[key] = state
                    continue
                prev = state.facts
                state.page, state.path, state.facts = page, ch.new_path, facts
                states[key] = state
                kinds = []
                if facts.body_hash != prev.body_hash:
                    kinds.append("content")
                if facts.reviewed is not None and facts.reviewed != prev.reviewed:
                    if landed - window <= facts.reviewed <= landed + dt.timedelta(days=1):
                        if prev.reviewed is None or facts.reviewed > prev.reviewed:
                            kinds.append("reviewed")
                    elif not skip:
                        what = "backdated" if facts.reviewed < landed else "future-dated"
                        anomalies.append(
                            Anomaly(
                                when,
                                page,
                                ln,
                                ch.new_path,
                                f"{what}-review",
                                f"reviewed: {facts.reviewed} landed on {landed}; not counted",
                                commit.sha,
                            )
                        )
                if ln != config.source_language and facts.synced_to != prev.synced_to:
                    state.synced_at = when
                    if recorded(facts.synced_to):
                        kinds.append("synced")
                if ln == config.source_language and facts.sync_key != prev.sync_key:
                    state.history.append((when, facts.sync_key))
                if not skip:
                    state.events.extend(Event(when, k, commit.sha, commit.subject) for k in kinds)
    if current_month is not None:
        snapshots[current_month] = {k: (s.path, s.facts, s) for k, s in states.items()}
    return History(config, commits, states, snapshots, anomalies, ignored, reader)


# --- evaluation -----------------------------------------------------------------------------


@dataclass
class Drift:
    """A translation that is not in sync with its source at time `at`."""

    page: str
    lang: str
    path: str
    source_path: str
    status: str  # stale | missing | unknown-base | orphan
    since: dt.datetime | None  # the first unsynced source change (or creation, for `missing`)
    lag_days: float | None
    diffs: list[tuple[str, str]]  # (label, unified diff) from the translation's base to now


@dataclass
class UnitRow:
    page: str
    lang: str
    path: str | None
    section: str
    owner: str | None
    title: str | None
    status: str  # covered | no-event | out-of-sync | missing | orphan
    events: list[Event]

    @property
    def covered(self) -> bool:
        return self.status == "covered"


def _diff(before: str | None, after: str, label: str) -> str:
    import difflib

    if before is None:
        return f"(base version of {label} not found in history; current text follows)\n{after}"
    lines = difflib.unified_diff(
        before.splitlines(),
        after.splitlines(),
        f"{label} (translated from)",
        f"{label} (now)",
        lineterm="",
        n=2,
    )
    return "\n".join(lines)


def drift_of(
    src: tuple[str, UnitFacts, UnitState | None] | None,
    tr: tuple[str, UnitFacts, UnitState | None] | None,
    page: str,
    lang: str,
    at: dt.datetime,
    texts: dict[str, str],
    history: list[tuple[dt.datetime, Any]],
    created: dt.datetime | None,
) -> Drift | None:
    """Drift of translation `tr` against source `src` at `at`; None when in sync.

    `history` is the source's (when, sync key) list up to `at`; `created` the source creation
    date (the lag of a missing translation starts there)."""
    if src is None:
        if tr is None:
            return None
        return Drift(page, lang, tr[0], page, "orphan", None, None, [])
    src_path, sfacts, _ = src
    if tr is None:
        lag = (at - created).total_seconds() / 86400 if created else None
        return Drift(page, lang, "", src_path, "missing", created, lag, [])
    tr_path, tfacts, tstate = tr
    if tfacts.synced_to == sfacts.sync_key:
        return None
    idx = None
    for i in range(len(history) - 1, -1, -1):
        if history[i][1] == tfacts.synced_to:
            idx = i
            break
    status = "stale"
    since: dt.datetime | None
    if idx is not None and idx + 1 < len(history):
        since = history[idx + 1][0]
    elif idx is not None:
        since = at  # matched the newest recorded version: the change is not committed yet
    else:
        status = "unknown-base"
        since = tstate.synced_at if tstate is not None else at
    diffs: list[tuple[str, str]] = []
    if isinstance(sfacts.sync_key, tuple):
        recorded = tfacts.synced_to or ()
        for i, cell in enumerate(sfacts.cells):
            base = recorded[i] if i < len(recorded) else None
            if base != cell.hash:
                label = f"{src_path}: zh cell {i + 1} (line {cell.line})"
                diffs.append((label, _diff(texts.get(base) if base else None, cell.text, label)))
    else:
        base = tfacts.synced_to
        diffs.append((src_path, _diff(texts.get(base) if base else None, sfacts.body, src_path)))
    lag = max(0.0, (at - since).total_seconds() / 86400) if since else None
    return Drift(page, lang, tr_path, src_path, status, since, lag, diffs)


def _history_until(state: UnitState | None, at: dt.datetime) -> list[tuple[dt.datetime, Any]]:
    return [h for h in state.history if h[0] < at] if state is not None else []


@dataclass
class MonthResult:
    month: str
    rows: list[UnitRow]
    drifts: list[Drift]
    anomalies: list[Anomaly]

    def coverage(self, lang: str | None = None, section: str | None = None) -> tuple[int, int]:
        rows = [
            r
            for r in self.rows
            if (lang is None or r.lang == lang) and (section is None or r.section == section)
        ]
        return sum(r.covered for r in rows), len(rows)

    def lag_stats(self) -> tuple[float | None, float | None]:
        lags = [d.lag_days for d in self.drifts if d.lag_days is not None]
        if not lags:
            return None, None
        return statistics.median(lags), max(lags)


def pages_of(snapshot: Snapshot, config: Config) -> dict[str, dict[str, SnapEntry]]:
    pages: dict[str, dict[str, SnapEntry]] = defaultdict(dict)
    for (page, lang), entry in snapshot.items():
        pages[page][lang] = entry
    return pages


def _exempt(units: dict[str, SnapEntry], config: Config) -> bool:
    src = units.get(config.source_language)
    facts = src[1] if src is not None else next(iter(units.values()))[1]
    return facts.exempt


def evaluate(history: History, month: str, with_drift_diffs: bool = True) -> MonthResult:
    """Coverage, drift and anomalies of `month` from the month-end snapshot."""
    config = history.config
    start, end = month_bounds(month, config.zone)
    snapshot = history.snapshot_at(month)
    rows: list[UnitRow] = []
    drifts: list[Drift] = []
    anomalies = [a for a in history.anomalies if a.when is not None and month_of(a.when) == month]
    for page, units in sorted(pages_of(snapshot, config).items()):
        if _exempt(units, config):
            continue
        src = units.get(config.source_language)
        section = section_of(page, config)
        for lang in config.languages:
            entry = units.get(lang)
            if entry is None:
                owner = src[1].owner if src else None
                rows.append(UnitRow(page, lang, None, section, owner, None, "missing", []))
            else:
                path, facts, state = entry
                events = [e for e in state.events if start <= e.when < end]
                if facts.error:
                    anomalies.append(Anomaly(None, page, lang, path, "front-matter", facts.error))
                if not facts.owner:
                    anomalies.append(
                        Anomaly(None, page, lang, path, "no-owner", "no `owner:` in front matter")
                    )
                status = "covered" if events else "no-event"
                if lang != config.source_language:
                    if src is None:
                        status = "orphan"
                    elif facts.synced_to != src[1].sync_key:
                        status = "out-of-sync"
                rows.append(UnitRow(page, lang, path, section, facts.owner, facts.title, status, events))
            if lang != config.source_language:
                sstate = src[2] if src else None
                d = drift_of(
                    src,
                    entry,
                    page,
                    lang,
                    end,
                    history.reader.texts,
                    _history_until(sstate, end),
                    sstate.created if sstate else None,
                )
                if d is not None:
                    if not with_drift_diffs:
                        d.diffs = []
                    if d.status == "unknown-base":
                        anomalies.append(
                            Anomaly(
                                None,
                                page,
                                lang,
                                d.path,
                                "unknown-base",
                                "source_hash matches no version of the source",
                            )
                        )
                    drifts.append(d)
    return MonthResult(month, rows, drifts, anomalies)
