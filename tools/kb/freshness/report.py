"""The monthly report: one JSON document, rendered into a zh and an en page, plus a "what changed
this month" page for readers and the reports index. Pages are rendered from the JSON alone, so
the numbers on the page are exactly the ones the JSON records."""

from __future__ import annotations

import datetime as dt
import html
import json
from collections import defaultdict
from pathlib import Path
from typing import Any

from kb.errors import KbError
from kb.freshness.coverage import History, evaluate, month_of, shift_month
from kb.site.generated import write_if_changed

SCHEMA = 1


def last_closed_month(now: dt.datetime, zone: dt.tzinfo) -> str:
    return shift_month(month_of(now.astimezone(zone)), -1)


def require_closed(month: str, now: dt.datetime, zone: dt.tzinfo) -> None:
    try:
        year, mon = (int(x) for x in month.split("-"))
        dt.date(year, mon, 1)
        ok = len(month) == 7
    except ValueError:
        ok = False
    if not ok:
        raise KbError(f"--month {month}: expected YYYY-MM, e.g. {last_closed_month(now, zone)}")
    if month >= month_of(now.astimezone(zone)):
        raise KbError(
            f"--month {month}: the month is not closed yet in {zone}; the latest closed month is "
            f"{last_closed_month(now, zone)}"
        )


def _ratio(covered: int, eligible: int) -> float | None:
    return round(covered / eligible, 4) if eligible else None


def build(history: History, month: str, source_sha: str) -> dict[str, Any]:
    """The report of `month` as plain data (the JSON file)."""
    cfg = history.config
    result = evaluate(history, month)
    months = [shift_month(month, -i) for i in range(cfg.heatmap_months - 1, -1, -1)]
    trend_results = {
        m: (result if m == month else evaluate(history, m, with_drift_diffs=False)) for m in months
    }
    sections = sorted({r.section for res in trend_results.values() for r in res.rows})
    median, maximum = result.lag_stats()
    needs: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in result.rows:
        if not row.covered:
            needs[row.owner or "(no owner)"].append(
                {"page": row.page, "lang": row.lang, "path": row.path, "status": row.status}
            )
    changes = []
    for row in result.rows:
        for e in row.events:
            if e.kind in ("created", "content"):
                changes.append(
                    {
                        "date": e.when.date().isoformat(),
                        "page": row.page,
                        "lang": row.lang,
                        "title": row.title,
                        "kind": e.kind,
                        "commit": e.commit[:12],
                        "subject": e.subject,
                        "section": row.section,
                    }
                )
    changes.sort(key=lambda c: (c["date"], c["page"], c["lang"]))
    start, end = (month + "-01", shift_month(month, 1) + "-01")
    return {
        "schema": SCHEMA,
        "month": month,
        "timezone": cfg.timezone,
        "source_sha": source_sha,
        "languages": list(cfg.languages),
        "source_language": cfg.source_language,
        "coverage": {
            lang: {"covered": c, "eligible": n, "ratio": _ratio(c, n)}
            for lang in cfg.languages
            for c, n in [result.coverage(lang)]
        },
        "trend": [
            {
                "month": m,
                **{
                    lang: dict(zip(("covered", "eligible"), trend_results[m].coverage(lang), strict=True))
                    for lang in cfg.languages
                },
            }
            for m in months
        ],
        "heatmap": {
            "months": months,
            "sections": {
                s: {
                    m: dict(zip(("covered", "eligible"), trend_results[m].coverage(None, s), strict=True))
                    for m in months
                }
                for s in sections
            },
        },
        "units": [
            {
                "page": r.page,
                "lang": r.lang,
                "path": r.path,
                "section": r.section,
                "owner": r.owner,
                "status": r.status,
                "events": [[e.when.date().isoformat(), e.kind, e.commit[:12]] for e in r.events],
            }
            for r in result.rows
        ],
        "needs_review": {k: needs[k] for k in sorted(needs)},
        "translation_lag": {
            "count": len(result.drifts),
            "median_days": None if median is None else round(median, 1),
            "max_days": None if maximum is None else round(maximum, 1),
        },
        "drift": [
            {
                "page": d.page,
                "lang": d.lang,
                "path": d.path,
                "status": d.status,
                "since": d.since.date().isoformat() if d.since else None,
                "lag_days": None if d.lag_days is None else round(d.lag_days, 1),
                "diffs": [{"label": label, "diff": text} for label, text in d.diffs],
            }
            for d in result.drifts
        ],
        "anomalies": [
            {
                "page": a.page,
                "lang": a.lang,
                "path": a.path,
                "kind": a.kind,
                "detail": a.detail,
                "commit": a.commit[:12],
            }
            for a in result.anomalies
        ],
        "ignored_commits": [
            {"commit": c.sha[:12], "subject": c.subject}
            for c in history.ignored
            if start <= dt.datetime.fromtimestamp(c.timestamp, cfg.zone).date().isoformat() < end
        ],
        "changes": changes,
    }


# --- rendering ------------------------------------------------------------------------------

T: dict[str, dict[str, str]] = {
    "zh": {
        "title": "{m} 月度更新覆盖率",
        "intro": "本页由 `kb freshness report --month {m}` 根据 main 分支第一父提交历史生成（时区 {tz}，"
        "源提交 `{sha}`）。覆盖的定义见[报告索引](../index.md)。",
        "coverage": "本月覆盖率",
        "lang": "语言",
        "covered": "已覆盖",
        "eligible": "应覆盖",
        "ratio": "比例",
        "trend": "近月趋势",
        "month": "月份",
        "heatmap": "分区 × 月份热力图",
        "section": "分区",
        "needs": "需要审阅的页面（按负责人）",
        "owner": "负责人",
        "page": "页面",
        "status": "状态",
        "lag": "翻译滞后",
        "lag_text": "未同步的翻译 {n} 个；滞后中位数 {med} 天，最大 {max} 天（月末计）。",
        "drift": "翻译漂移（自翻译基准以来的源文变化）",
        "since": "起始",
        "days": "天",
        "anomalies": "异常",
        "kind": "类型",
        "detail": "说明",
        "ignored": "忽略的批量提交（.git-blame-ignore-revs）",
        "none": "无。",
        "changes_title": "{m} 本月更新",
        "changes_intro": "{m} 月内容有变化或新建的页面（只计正文变化；排版与元数据修改不计）。",
        "date": "日期",
        "commit": "提交",
        "what": "变化",
        "created": "新建",
        "content": "修改",
        "covered_s": "已覆盖",
        "no-event": "本月无更新或审阅",
        "out-of-sync": "翻译未同步",
        "missing": "缺少翻译",
        "orphan": "缺少源页面",
        "stale": "过期",
        "unknown-base": "基准未知",
        "report_link": "完整覆盖率报告",
    },
    "en": {
        "title": "Monthly update coverage, {m}",
        "intro": "Generated by `kb freshness report --month {m}` from the first-parent history of main "
        "(timezone {tz}, source commit `{sha}`). Coverage is defined on the [reports index](../index.md).",
        "coverage": "Coverage this month",
        "lang": "Language",
        "covered": "Covered",
        "eligible": "Eligible",
        "ratio": "Ratio",
        "trend": "Trend",
        "month": "Month",
        "heatmap": "Section × month heatmap",
        "section": "Section",
        "needs": "Pages needing review, by owner",
        "owner": "Owner",
        "page": "Page",
        "status": "Status",
        "lag": "Translation lag",
        "lag_text": "{n} translations out of sync; lag median {med} days, max {max} days (at month end).",
        "drift": "Translation drift (source changes since the translation's base)",
        "since": "Since",
        "days": "days",
        "anomalies": "Anomalies",
        "kind": "Kind",
        "detail": "Detail",
        "ignored": "Ignored bulk commits (.git-blame-ignore-revs)",
        "none": "None.",
        "changes_title": "What changed in {m}",
        "changes_intro": "Pages whose content was created or changed in {m} (body changes only; formatting "
        "and metadata edits are not listed).",
        "date": "Date",
        "commit": "Commit",
        "what": "Change",
        "created": "new",
        "content": "changed",
        "covered_s": "covered",
        "no-event": "no update or review this month",
        "out-of-sync": "translation out of sync",
        "missing": "translation missing",
        "orphan": "source page missing",
        "stale": "stale",
        "unknown-base": "unknown base",
        "report_link": "Full coverage report",
    },
}


def _pct(covered: int, eligible: int) -> str:
    return f"{100 * covered / eligible:.0f}%" if eligible else "–"


def _cell_colour(covered: int, eligible: int) -> str:
    if not eligible:
        return "transparent"
    # red (0%) to green (100%) through amber; hue only, so text stays readable in both schemes.
    hue = round(120 * covered / eligible)
    return f"hsla({hue}, 70%, 45%, 0.35)"


def _status(t: dict[str, str], s: str) -> str:
    return t["covered_s"] if s == "covered" else t.get(s, s)


def render_month(data: dict[str, Any], lang: str) -> str:
    t = T[lang]
    m = data["month"]
    out = [
        "---",
        "freshness: exempt",
        "---",
        "",
        f"# {t['title'].format(m=m)}",
        "",
        t["intro"].format(m=m, tz=data["timezone"], sha=data["source_sha"][:12]),
        "",
        f"## {t['coverage']}",
        "",
        f"| {t['lang']} | {t['covered']} | {t['eligible']} | {t['ratio']} |",
        "|---|---:|---:|---:|",
    ]
    for ln, c in data["coverage"].items():
        out.append(f"| {ln} | {c['covered']} | {c['eligible']} | {_pct(c['covered'], c['eligible'])} |")
    out += [
        "",
        f"## {t['trend']}",
        "",
        f"| {t['month']} | " + " | ".join(data["languages"]) + " |",
        "|---|" + "---:|" * len(data["languages"]),
    ]
    for row in data["trend"]:
        cells = [
            f"{_pct(row[ln]['covered'], row[ln]['eligible'])} ({row[ln]['covered']}/{row[ln]['eligible']})"
            for ln in data["languages"]
        ]
        out.append(f"| {row['month']} | " + " | ".join(cells) + " |")
    hm = data["heatmap"]
    out += [
        "",
        f"## {t['heatmap']}",
        "",
        '<table class="kb-heatmap">',
        f"<tr><th>{t['section']}</th>" + "".join(f"<th>{mm[2:]}</th>" for mm in hm["months"]) + "</tr>",
    ]
    for section, by_month in hm["sections"].items():
        tds = []
        for mm in hm["months"]:
            c, n = by_month[mm]["covered"], by_month[mm]["eligible"]
            tds.append(f'<td style="background:{_cell_colour(c, n)}" title="{c}/{n}">{_pct(c, n)}</td>')
        out.append(f"<tr><th>{html.escape(section)}</th>{''.join(tds)}</tr>")
    out += ["</table>", "", f"## {t['needs']}", ""]
    if not data["needs_review"]:
        out.append(t["none"])
    for owner, units in data["needs_review"].items():
        out += [f"### {owner}", "", f"| {t['page']} | {t['lang']} | {t['status']} |", "|---|---|---|"]
        out += [f"| `{u['path'] or u['page']}` | {u['lang']} | {_status(t, u['status'])} |" for u in units]
        out.append("")
    lag = data["translation_lag"]
    out += [
        "",
        f"## {t['lag']}",
        "",
        t["lag_text"].format(
            n=lag["count"],
            med=lag["median_days"] if lag["median_days"] is not None else "–",
            max=lag["max_days"] if lag["max_days"] is not None else "–",
        ),
        "",
    ]
    if data["drift"]:
        out += [f"### {t['drift']}", ""]
        for d in data["drift"]:
            since = d["since"] or "–"
            lagd = "–" if d["lag_days"] is None else f"{d['lag_days']} {t['days']}"
            out += [
                f"- `{d['path'] or d['page']}` ({d['lang']}, {_status(t, d['status'])}; "
                f"{t['since']} {since}, {lagd})"
            ]
            for diff in d["diffs"]:
                out += ["", "    ```diff", *("    " + line for line in diff["diff"].splitlines()), "    ```"]
            out.append("")
    out += ["", f"## {t['anomalies']}", ""]
    if data["anomalies"]:
        out += [f"| {t['page']} | {t['lang']} | {t['kind']} | {t['detail']} |", "|---|---|---|---|"]
        out += [
            f"| `{a['path'] or a['page']}` | {a['lang']} | {a['kind']} | {_md(a['detail'])} |"
            for a in data["anomalies"]
        ]
    else:
        out.append(t["none"])
    out += ["", f"## {t['ignored']}", ""]
    out += [f"- `{c['commit']}` {_md(c['subject'])}" for c in data["ignored_commits"]] or [t["none"]]
    return "\n".join(out) + "\n"


def _md(text: str) -> str:
    return html.escape(text).replace("|", "\\|").replace("`", "\\`")


def _page_url(page: str, docs_dir: str) -> str:
    """Site URL of a page relative to a report two folders below the docs root (directory URLs)."""
    rel = page[len(docs_dir.rstrip("/")) + 1 :].rsplit(".", 1)[0]
    if rel == "index" or rel.endswith("/index"):
        rel = rel[: -len("index")]
    else:
        rel += "/"
    # reports/changes/YYYY-MM/ -> three levels up is the (language) site root
    return "../../../" + rel


def render_changes(data: dict[str, Any], lang: str, docs_dir: str) -> str:
    t = T[lang]
    m = data["month"]
    out = [
        "---",
        "freshness: exempt",
        "---",
        "",
        f"# {t['changes_title'].format(m=m)}",
        "",
        t["changes_intro"].format(m=m),
        "",
        f"[{t['report_link']}](../freshness/{m}.md)",
        "",
    ]
    mine = [c for c in data["changes"] if c["lang"] == lang]
    if not mine:
        out.append(t["none"])
    by_section: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for c in mine:
        by_section[c["section"]].append(c)
    for section in sorted(by_section):
        out += [
            f"## {section}",
            "",
            f"| {t['date']} | {t['page']} | {t['what']} | {t['commit']} |",
            "|---|---|---|---|",
        ]
        for c in by_section[section]:
            title = _md(c["title"] or c["page"])
            out.append(
                f"| {c['date']} | [{title}]({_page_url(c['page'], docs_dir)}) | {t[c['kind']]} | "
                f"`{c['commit']}` {_md(c['subject'])} |"
            )
        out.append("")
    return "\n".join(out) + "\n"


INDEX = {
    "zh": """---
freshness: exempt
---

# 新鲜度报告

每月 2 日，`kb freshness report` 为刚结束的月份生成覆盖率报告与“本月更新”页面；报告是历史的一部分，提交在
`docs/reports/` 下。`kb freshness --check` 在 CI 中检查下面的规则。

## 覆盖的定义

- 单位是（页面，语言）；月份是 {tz} 时区的自然月，按提交落到 main 的时间（第一父历史上的提交者日期）计。
- 某单位在某月**有效事件**：新建页面；正文变化（去掉 front matter、空白折叠后比较）；`reviewed:` 更新为落地前
  {window} 天内的日期；译文更新 `source_hash:`。重命名、纯空白/重排、其他元数据修改以及
  `.git-blame-ignore-revs` 中的提交都不计。
- 已覆盖 = 当月有有效事件，且译文在月末与源文同步。缺少的译文算作未覆盖单位；`freshness: exempt` 的页面不计。

## 页面 front matter

| 字段 | 含义 |
|---|---|
| `owner` | 负责人（个人或团队），每个页面必填 |
| `reviewed` | 最近一次审阅日期 `YYYY-MM-DD`，每个页面必填 |
| `source_hash` | 仅译文（`x.en.md`）：翻译所依据的中文正文哈希，用 `kb freshness stamp docs/x.en.md` 写入 |
| `freshness: exempt` | 可选：归档或生成的页面，不参与统计 |

笔记本（`docs/**/x.py`）把这些字段写在 jupytext 头部的 `jupyter:` → `kb:` 下：`owner`、`reviewed`（中文）、
`reviewed_en`（英文）；每个英文 markdown 单元在单元头记录对应中文单元的哈希，
如 `# %% [markdown] tags=["en"] source_hash="…"`，同样由 `kb freshness stamp docs/x.py` 写入。

## 月度报告

{listing}
""",
    "en": """---
freshness: exempt
---

# Freshness reports

On the 2nd of every month `kb freshness report` writes the coverage report and the "what changed" page of
the month that just closed; reports are part of history and committed under `docs/reports/`.
`kb freshness --check` enforces the rules below in CI.

## What coverage means

- A unit is (page, language); a month is a calendar month in {tz}, by the time a commit landed on main
  (its committer date on the first-parent history).
- A unit has a **counted event** in a month when a commit creates the page, changes its body (front matter
  removed, whitespace collapsed), bumps `reviewed:` to a date within {window} days before landing, or, for a
  translation, changes its `source_hash:`. Renames, whitespace/reflow-only edits, other metadata edits and
  commits listed in `.git-blame-ignore-revs` count for nothing.
- Covered = a counted event in the month and, for a translation, in sync with its source at the end of the
  month. A missing translation is an uncovered unit; pages marked `freshness: exempt` are out.

## Page front matter

| Field | Meaning |
|---|---|
| `owner` | who keeps the page current (a person or a team); required on every page |
| `reviewed` | date of the last review, `YYYY-MM-DD`; required on every page |
| `source_hash` | translations (`x.en.md`) only: hash of the Chinese body it was translated from; \
written by `kb freshness stamp docs/x.en.md` |
| `freshness: exempt` | optional: archived or generated pages, left out of coverage |

Notebooks (`docs/**/x.py`) keep these under `jupyter:` → `kb:` in the jupytext header: `owner`, `reviewed`
(Chinese), `reviewed_en` (English); every English markdown cell records the hash of its Chinese counterpart
in its cell header, e.g. `# %% [markdown] tags=["en"] source_hash="…"`, also written by
`kb freshness stamp docs/x.py`.

## Monthly reports

{listing}
""",
}


def render_index(lang: str, months: list[str], tz: str, window: int) -> str:
    if months:
        label = {"zh": ("覆盖率", "本月更新"), "en": ("coverage", "what changed")}[lang]
        listing = "\n".join(
            f"- {m}: [{label[0]}](freshness/{m}.md) · [{label[1]}](changes/{m}.md)"
            for m in sorted(months, reverse=True)
        )
    else:
        listing = {"zh": "尚无报告。", "en": "No reports yet."}[lang]
    return INDEX[lang].format(tz=tz, window=window, listing=listing)


def existing_months(reports_dir: Path) -> list[str]:
    folder = reports_dir / "freshness"
    return sorted(p.stem for p in folder.glob("????-??.json")) if folder.is_dir() else []


def write(history: History, month: str, source_sha: str, root: Path) -> list[Path]:
    """Write the month's JSON, report pages, changes pages, and refresh the index; paths written."""
    cfg = history.config
    data = build(history, month, source_sha)
    reports = root / cfg.reports_dir
    written = []
    files: dict[Path, str] = {
        reports / "freshness" / f"{month}.json": json.dumps(data, ensure_ascii=False, indent=1)
    }
    for lang in cfg.languages:
        suffix = ".md" if lang == cfg.source_language else f".{lang}.md"
        files[reports / "freshness" / f"{month}{suffix}"] = render_month(data, lang)
        files[reports / "changes" / f"{month}{suffix}"] = render_changes(data, lang, cfg.docs_dir)
    for path, text in files.items():
        write_if_changed(path, text)
        written.append(path)
    months = sorted(set(existing_months(reports)) | {month})
    for lang in cfg.languages:
        suffix = ".md" if lang == cfg.source_language else f".{lang}.md"
        path = reports / f"index{suffix}"
        write_if_changed(path, render_index(lang, months, cfg.timezone, cfg.review_window_days))
        written.append(path)
    return written
