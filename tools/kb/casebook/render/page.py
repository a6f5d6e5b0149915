"""Case data + rendered artifacts -> one Markdown page per language, and the index table.

Everything typed by an author passes through `escape` (text stays text); every number on the page
comes from the renderers' results, never from prose.
"""

from __future__ import annotations

import json
import re
from typing import Any

from kb.casebook.render import bpf as bpf_render
from kb.casebook.render.escape import attr, inline, markdown_text
from kb.casebook.structure.check import LoadedCase
from kb.casebook.structure.models import (
    BpfArtifact,
    Case,
    FlameArtifact,
    OutputArtifact,
    PcapArtifact,
    SloArtifact,
    Text,
)

Lang = str

L: dict[str, dict[Lang, str]] = {
    k: {"zh": zh, "en": en}
    for k, zh, en in (
        ("severity", "严重级别", "Severity"),
        ("field", "项目", "Field"),
        ("status", "状态", "Status"),
        ("draft", "草稿：内容尚未审核。", "Draft: not yet reviewed."),
        ("provenance", "来源", "Provenance"),
        ("layers", "层", "Layers"),
        ("taxonomy", "分类", "Taxonomy"),
        ("owner", "负责人", "Owner"),
        ("responders", "响应人", "Responders"),
        ("summary", "摘要", "Summary"),
        ("impact", "影响", "Impact"),
        ("window", "影响时段（UTC）", "Impact window (UTC)"),
        ("metric", "指标", "Metric"),
        ("value", "数值", "Value"),
        ("evidence", "证据", "Evidence"),
        ("stated", "记录于 case.yaml", "as recorded in case.yaml"),
        ("checked", "构建时由原始样本复核", "checked against the raw samples at build"),
        ("detection", "发现", "Detection"),
        ("detected_by", "发现方式", "Detected by"),
        ("detected_at", "发现时间（UTC）", "Detected at (UTC)"),
        ("ttd", "发现耗时", "Time to detect"),
        ("improve", "如何把发现时间缩短一半", "How could detection time be halved"),
        ("trigger", "触发", "Trigger"),
        ("root_causes", "根因", "Root causes"),
        ("contributing", "促成因素", "Contributing factors"),
        ("resolution", "解决", "Resolution"),
        ("five_whys", "五个为什么", "Five whys"),
        ("timeline", "时间线（UTC）", "Timeline (UTC)"),
        ("time", "时间", "Time"),
        ("kind", "类型", "Kind"),
        ("event", "事件", "Event"),
        ("actions", "改进项", "Action items"),
        ("type", "类型", "Type"),
        ("item", "内容", "Item"),
        ("due", "截止", "Due"),
        ("bug", "工单", "Bug"),
        ("lessons", "经验教训", "Lessons learned"),
        ("went_well", "做得好的", "What went well"),
        ("went_wrong", "出问题的", "What went wrong"),
        ("got_lucky", "侥幸的", "Where we got lucky"),
        ("related", "相关事故", "Related incidents"),
        ("environment", "环境", "Environment"),
        ("component", "组件", "Component"),
        ("version", "版本", "Version"),
        ("story", "经过", "Story"),
        ("artifacts", "证据", "Evidence"),
        ("origin", "出处", "Origin"),
        ("how_to_read", "如何阅读", "How to read it"),
        (
            "synthetic",
            "合成示例：此证据为示意而构造，不是生产环境数据。",
            "Synthetic illustration: this evidence was constructed to illustrate, it is not production data.",
        ),
        (
            "lab",
            "实验室复现：由本案例目录中的脚本在单机上重新生成。",
            "Lab reproduction: regenerated on one machine by the script in this case's folder.",
        ),
        ("capture_point", "抓包位置", "Capture point"),
        ("packets", "数据包列表（tshark）", "Packet list (tshark)"),
        ("key_frames", "关键帧", "Key frames"),
        (
            "picture",
            "类 Wireshark 视图（按着色规则上色，关键帧红框）",
            "Wireshark-like view (rows coloured by colouring rule, key frames outlined red)",
        ),
        ("expert", "专家信息", "Expert info"),
        ("rule", "着色规则", "Colouring rule"),
        ("ratio", "注释率", "Comment ratio"),
        ("source", "源码", "Source"),
        ("verifier", "内核验证器", "Kernel verifier"),
        ("accepted", "已通过验证器并加载", "accepted and loaded by the verifier"),
        ("rejected", "被验证器拒绝", "rejected by the verifier"),
        ("skipped", "本机不允许加载 BPF，未运行验证器", "not run: this machine does not allow loading BPF"),
        ("rejected_at", "拒绝位置", "Rejected at"),
        ("verifier_log", "验证器日志", "Verifier log"),
        ("tests", "BPF_PROG_TEST_RUN 单元测试", "BPF_PROG_TEST_RUN unit tests"),
        ("test", "测试", "Test"),
        ("frame", "帧", "Frame"),
        ("expected", "期望返回值", "Expected"),
        ("got", "实际返回值", "Returned"),
        (
            "listing",
            "指令与源码交织（llvm-objdump -S）",
            "Instructions interleaved with source (llvm-objdump -S)",
        ),
        ("cfg", "控制流图（graphviz）", "Control-flow graph (graphviz)"),
        ("before", "修复前", "Before the fix"),
        ("after", "修复后", "After the fix"),
        (
            "grew",
            "差分：增长的部分（按修复后大小，红色=增长）",
            "Differential: what grew (sized by after, red = grew)",
        ),
        (
            "removed",
            "差分：修复去掉的部分（按修复前大小，红色=修复前更多）",
            "Differential: what the fix removed (sized by before, red = larger before)",
        ),
        (
            "interactive",
            "交互视图（d3-flame-graph，点击缩放）",
            "Interactive view (d3-flame-graph, click to zoom)",
        ),
        ("samples", "样本数", "Samples"),
        ("p99", "P99 延迟", "P99 latency"),
        ("side", "阶段", "Side"),
        ("estimate", "估计", "Estimate"),
        ("ci", "置信区间", "Confidence interval"),
        ("n", "样本数", "Samples"),
        ("change", "P99 变化（修复后 − 修复前，自助法）", "P99 change (after − before, bootstrap)"),
        ("error_rate", "错误率（Wilson 区间）", "Error rate (Wilson interval)"),
        ("error_change", "错误率变化（Newcombe 区间）", "Error-rate change (Newcombe interval)"),
        ("objective", "目标", "Objective"),
        ("too_few", "样本不足，需要至少", "too few samples; needs at least"),
        ("distribution", "延迟分布（虚线为 P99）", "Latency distribution (dashed lines: P99)"),
        ("command", "命令", "Command"),
        ("reproduction", "复现", "Reproduction"),
        ("requires", "需要", "Requires"),
        ("pvalue", "双比例检验 p 值", "two-proportion test p-value"),
    )
}

PROVENANCE_NAMES = {
    "production": {"zh": "生产环境", "en": "production"},
    "staging-reproduction": {"zh": "预发复现", "en": "staging reproduction"},
    "lab-reproduction": {"zh": "实验室复现", "en": "lab reproduction"},
    "synthetic-illustration": {"zh": "合成示例", "en": "synthetic illustration"},
}


def t(x: Text, lang: Lang) -> str:
    return x.zh if lang == "zh" else x.en


def _ms(x: float | None) -> str:
    return "—" if x is None else f"{x:.2f} ms"


def _pct(x: float) -> str:
    return f"{x * 100:.3f}%"


def badge(kind: str, value: str, label: str) -> str:
    return f'<span class="kb-badge kb-{attr(kind)}-{attr(value)}">{attr(label)}</span>'


def case_page(loaded: LoadedCase, results: dict[str, dict[str, Any]], lang: Lang) -> str:
    c = loaded.case
    lab = L
    out: list[str] = [f"# {inline(t(c.title, lang))}", ""]
    prov = PROVENANCE_NAMES[c.provenance][lang]
    out.append(
        " ".join(
            [
                badge("severity", c.severity, c.severity),
                badge("status", c.status, c.status),
                badge("provenance", c.provenance, prov),
                *(badge("layer", x, x) for x in c.layers),
                *(badge("taxonomy", x, x) for x in c.taxonomy),
            ]
        )
    )
    out.append("")
    if c.status == "draft":
        out += ['!!! warning ""', f"    {lab['draft'][lang]}", ""]
    out += [f"| {lab['field'][lang]} | {lab['value'][lang]} |", "|---|---|"]
    out.append(f"| {lab['owner'][lang]} | {inline(c.owner)} |")
    if c.responders:
        out.append(f"| {lab['responders'][lang]} | {inline(', '.join(c.responders))} |")
    out.append(f"| {lab['window'][lang]} | {_utc(c.impact.started_at)} – {_utc(c.impact.ended_at)} |")
    out.append("")
    out += [f"## {lab['summary'][lang]}", "", markdown_text(t(c.summary, lang)), ""]
    out += [f"## {lab['impact'][lang]}", "", markdown_text(t(c.impact.description, lang)), ""]
    if c.impact.metrics:
        out += [
            f"| {lab['metric'][lang]} | {lab['value'][lang]} | {lab['evidence'][lang]} |",
            "|---|---|---|",
        ]
        for m in c.impact.metrics:
            ev = f"[{inline(m.evidence)}](#artifact-{m.evidence})" if m.evidence else lab["stated"][lang]
            if m.measure:
                ev += f" ✓ {lab['checked'][lang]} (`{m.measure}`)"
            out.append(f"| {inline(t(m.name, lang))} | {m.value:g} {inline(m.unit)} | {ev} |")
        out.append("")
    d = c.detection
    ttd = d.detected_at - c.impact.started_at
    out += [f"## {lab['detection'][lang]}", ""]
    out += [
        f"| {lab['field'][lang]} | {lab['value'][lang]} |",
        "|---|---|",
        f"| {lab['detected_by'][lang]} | {d.by} |",
    ]
    out += [f"| {lab['detected_at'][lang]} | {_utc(d.detected_at)} |"]
    out += [f"| {lab['ttd'][lang]} | {int(ttd.total_seconds() // 60)} min |", ""]
    out += [
        markdown_text(t(d.how, lang)),
        "",
        f"**{lab['improve'][lang]}**",
        "",
        markdown_text(t(d.improve, lang)),
        "",
    ]
    out += [f"## {lab['trigger'][lang]}", "", markdown_text(t(c.trigger, lang)), ""]
    out += [f"## {lab['root_causes'][lang]}", "", *_numbered(c.root_causes, lang)]
    if c.contributing_factors:
        out += [f"## {lab['contributing'][lang]}", "", *_numbered(c.contributing_factors, lang)]
    out += [f"## {lab['resolution'][lang]}", "", markdown_text(t(c.resolution, lang)), ""]
    if c.five_whys:
        out += [f"## {lab['five_whys'][lang]}", "", *_numbered(c.five_whys, lang)]
    out += [
        f"## {lab['timeline'][lang]}",
        "",
        f"| {lab['time'][lang]} | {lab['kind'][lang]} | {lab['event'][lang]} |",
    ]
    out.append("|---|---|---|")
    for e in c.timeline:
        out.append(f"| {_utc(e.at)} | {e.kind or ''} | {inline(t(e.event, lang))} |")
    out += ["", f"## {lab['actions'][lang]}", ""]
    out += [
        f"| {lab['type'][lang]} | {lab['item'][lang]} | {lab['owner'][lang]} | {lab['due'][lang]} | "
        f"{lab['status'][lang]} | {lab['bug'][lang]} |",
        "|---|---|---|---|---|---|",
    ]
    for a in c.action_items:
        out.append(
            f"| {a.type} | {inline(t(a.description, lang))} | {inline(a.owner)} | {a.due.isoformat()} | "
            f"{a.status} | {inline(a.bug or '')} |"
        )
    out += ["", f"## {lab['lessons'][lang]}", ""]
    for key in ("went_well", "went_wrong", "got_lucky"):
        items: list[Text] = getattr(c.lessons, key)
        if items:
            out += [f"**{lab[key][lang]}**", ""] + [f"- {inline(t(x, lang))}" for x in items] + [""]
    if c.related:
        out += [f"## {lab['related'][lang]}", ""]
        for r in c.related:
            rel = f" — {inline(t(r.relation, lang))}" if r.relation else ""
            if r.case:
                out.append(f"- [{inline(r.case)}]({r.case}.md){rel}")
            else:
                assert r.url is not None and r.title is not None
                out.append(f'- <a href="{attr(r.url)}">{attr(t(r.title, lang))}</a>{rel}')
        out.append("")
    out += _environment(c, lang)
    out += [f"## {lab['story'][lang]}", "", _demote(markdown_text(loaded.stories[lang])), ""]
    if c.artifacts:
        out += [f"## {lab['artifacts'][lang]}", ""]
        for art in c.artifacts:
            out += _artifact(loaded, art, results[art.id], lang)
    if c.reproduction is not None:
        rep = c.reproduction
        script = loaded.files[rep.script.path].read_text(encoding="utf-8", errors="replace")
        out += [f"## {lab['reproduction'][lang]}", "", markdown_text(t(rep.explain, lang)), ""]
        if rep.requires:
            out += [f"{lab['requires'][lang]}: {inline(', '.join(rep.requires))}", ""]
        out += [_fence(script, "sh", rep.script.path), ""]
    return "\n".join(out) + "\n"


def _utc(x: Any) -> str:
    return str(x.strftime("%Y-%m-%d %H:%M:%SZ"))


def _numbered(items: list[Text], lang: Lang) -> list[str]:
    return [f"{i}. {inline(t(x, lang))}" for i, x in enumerate(items, start=1)] + [""]


def _demote(md: str) -> str:
    """Story headings sit under the page's '## Story': shift them down one level."""
    lines = []
    fence = False
    for line in md.splitlines():
        if line.lstrip().startswith(("```", "~~~")):
            fence = not fence
        lines.append("#" + line if not fence and line.startswith("#") else line)
    return "\n".join(lines)


def _fence(text: str, lang: str, title: str | None = None) -> str:
    # A fence longer than any backtick run inside, so a source containing ``` cannot close it early.
    ticks = "`" * max(3, max((len(r) for r in re.findall(r"`+", text)), default=0) + 1)
    head = f'{ticks}{lang} title="{attr(title)}"' if title else f"{ticks}{lang}"
    return f"{head}\n{text.rstrip()}\n{ticks}"


def _environment(c: Case, lang: Lang) -> list[str]:
    e = c.environment
    rows = [("kernel", e.kernel)]
    if e.distro:
        rows.append(("distro", e.distro))
    if e.kubernetes:
        rows.append(("Kubernetes", e.kubernetes))
    if e.cni:
        rows.append((f"CNI: {e.cni.name}", e.cni.version))
    rows += [(x.name, x.version) for x in e.components]
    out = [
        f"## {L['environment'][lang]}",
        "",
        f"| {L['component'][lang]} | {L['version'][lang]} |",
        "|---|---|",
    ]
    out += [f"| {inline(a)} | {inline(b)} |" for a, b in rows]
    return [*out, ""]


def _artifact(loaded: LoadedCase, art: Any, data: dict[str, Any], lang: Lang) -> list[str]:
    cid = loaded.case.id
    base = f"{cid}/assets/{art.id}"
    prov = PROVENANCE_NAMES[art.provenance][lang]
    out = [f"### {inline(t(art.title, lang))} {{#artifact-{art.id}}}", ""]
    out += [f"{badge('provenance', art.provenance, prov)} {badge('kind', art.kind, art.kind)}", ""]
    if art.provenance == "synthetic-illustration":
        out += ['!!! warning "synthetic-illustration"', f"    {L['synthetic'][lang]}", ""]
    elif art.provenance == "lab-reproduction":
        out += ['!!! info "lab-reproduction"', f"    {L['lab'][lang]}", ""]
    out += [f"**{L['origin'][lang]}**: {inline(t(art.origin, lang))}", ""]
    out += [f"**{L['how_to_read'][lang]}**", "", markdown_text(t(art.explain, lang)), ""]
    if isinstance(art, PcapArtifact):
        out += _pcap(art, data, base, lang)
    elif isinstance(art, BpfArtifact):
        out += _bpf(art, data, base, lang)
    elif isinstance(art, FlameArtifact):
        out += _flame(art, data, base, lang)
    elif isinstance(art, SloArtifact):
        out += _slo(art, data, base, lang)
    elif isinstance(art, OutputArtifact):
        out += [f"{L['command'][lang]}: `{art.command.replace('`', '')}`", ""]
        out += [_fence(data["text"], art.language), ""]
    return out


def _pcap(art: PcapArtifact, data: dict[str, Any], base: str, lang: Lang) -> list[str]:
    notes = {k.frame: t(k.note, lang) for k in art.key_frames}
    out = [f"**{L['capture_point'][lang]}**: {inline(t(art.capture_point, lang))}", ""]
    if art.display_filter:
        out += [f"`tshark -Y {art.display_filter.replace('`', '')}`", ""]
    if notes:
        out += [f"**{L['key_frames'][lang]}**", ""]
        out += [f"- **#{n}**: {inline(v)}" for n, v in sorted(notes.items())] + [""]
    out += [f"![{L['picture'][lang]}]({base}/{data['picture']})", "", f"*{L['picture'][lang]}*", ""]
    out += [f"**{L['packets'][lang]}** ({inline(data['tshark'])})", ""]
    out += ['<div class="kb-packets" markdown="0"><table>']
    heads = (
        "No.",
        "Time",
        "Source",
        "Destination",
        "Protocol",
        "Length",
        "Info",
        L["rule"][lang],
        L["expert"][lang],
    )
    out.append("<thead><tr>" + "".join(f"<th>{attr(h)}</th>" for h in heads) + "</tr></thead><tbody>")
    for r in data["rows"]:
        key = r["number"] in notes
        cls = ' class="kb-key-frame"' if key else ""
        expert = "<br>".join(f"[{attr(s)}] {attr(m)}" for s, m in r["expert"])
        info = attr(r["info"]) + (f"<br><strong>⟵ {attr(notes[r['number']])}</strong>" if key else "")
        cells = (
            attr(str(r["number"])),
            f"{r['time']:.6f}",
            attr(r["source"]),
            attr(r["destination"]),
            attr(r["protocol"]),
            str(r["length"]),
            info,
            attr(r["colour_rule"]),
            expert,
        )
        out.append(f"<tr{cls}>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    out += ["</tbody></table></div>", ""]
    return out


def _bpf(art: BpfArtifact, data: dict[str, Any], base: str, lang: Lang) -> list[str]:
    r = data["ratio"]
    out = [
        f"**{L['ratio'][lang]}**: {r['comment']} / {r['nonblank']} = **{r['value'] * 100:.1f}%** (≥ 35%)",
        "",
        f"> {bpf_render.RATIO_DEFINITION[lang]}",
        "",
        f"**{L['source'][lang]}**",
        "",
        _fence(data["source"], "c", data["source_name"]),
        "",
    ]
    load = data["load"]
    out += [f"**{L['verifier'][lang]}**: {L[load['status']][lang]}"]
    if load["status"] == "skipped":
        out += ["", f"> {inline(load['reason'])}"]
    out.append("")
    rej = load.get("rejection")
    if rej:
        where = f"{rej.get('file')}:{rej.get('line')}" if rej.get("line") else "?"
        out += [f"**{L['rejected_at'][lang]}**: `{where}` — `{(rej.get('code') or '').replace('`', '')}`", ""]
        out += [f"`{(rej.get('error') or '').replace('`', '')}`", ""]
    if load.get("log"):
        out += [f'??? note "{L["verifier_log"][lang]}"', ""]
        out += ["    " + ln for ln in _fence(load["log"], "text").splitlines()] + [""]
    if data.get("tests"):
        out += [f"**{L['tests'][lang]}** (`bpftool prog run`)", ""]
        out += [f"| {L['test'][lang]} | {L['frame'][lang]} | {L['expected'][lang]} | {L['got'][lang]} |"]
        out.append("|---|---|---|---|")
        for spec, res in zip(art.tests, data["tests"], strict=True):
            ok = "✓" if res["got"] == res["expect"] else "✗"  # plain glyphs: no emoji font offline
            out.append(
                f"| {inline(t(spec.name, lang))} | {inline(res['packets'])} #{res['frame']} | "
                f"{res['expect']} | {res['got']} {ok} |"
            )
        out.append("")
    listing = []
    for row in data["listing"]:
        listing += [f"; {s}" for s in row["src"]]
        listing.append(f"{row['i']:>5}: {row['insn']}")
    out += [f'??? example "{L["listing"][lang]} — {attr(data["program"])}"', ""]
    out += ["    " + ln for ln in _fence("\n".join(listing), "text").splitlines()] + [""]
    out += [f"**{L['cfg'][lang]}**", "", f"![{L['cfg'][lang]}]({base}/{data['cfg']})", ""]
    return out


def _flame(art: FlameArtifact, data: dict[str, Any], base: str, lang: Lang) -> list[str]:
    s = data["samples"]
    out = [
        f"{L['samples'][lang]} ({inline(art.event)}): {L['before'][lang]} {s['before']}, "
        f"{L['after'][lang]} {s['after']}",
        "",
    ]
    out.append('=== "' + L["before"][lang] + '"')
    for key, svg in (
        ("before", "before.svg"),
        ("after", "after.svg"),
        ("grew", "diff-grew.svg"),
        ("removed", "diff-removed.svg"),
    ):
        if key != "before":
            out.append(f'=== "{L[key][lang]}"')
        out += ["", f"    ![{L[key][lang]}]({base}/{svg})", ""]
    out += [f"**{L['interactive'][lang]}**", ""]
    out.append(
        f'<div class="kb-flame" data-flame="{attr(json.dumps(data["trees"], separators=(",", ":")))}" '
        f'data-before="{attr(L["before"][lang])}" data-after="{attr(L["after"][lang])}"></div>'
    )
    out.append("")
    return out


def _slo(art: SloArtifact, data: dict[str, Any], base: str, lang: Lang) -> list[str]:
    conf = f"{data['confidence'] * 100:g}%"
    out = [f"**{L['p99'][lang]}** ({conf} {L['ci'][lang]})", ""]
    out += [
        f"| {L['side'][lang]} | {L['n'][lang]} | {L['estimate'][lang]} | {L['ci'][lang]} |",
        "|---|---|---|---|",
    ]
    for side in ("before", "after"):
        p = data["p99"][side]
        if p["low"] is None:
            ci = f"{L['too_few'][lang]} {p['min_n']}"
        else:
            ci = (
                f"[{_ms(p['low'])}, {_ms(p['high'])}] (ranks {p['ranks'][0]}, {p['ranks'][1]}; "
                f"coverage {p['coverage']:.4f})"
            )
        out.append(f"| {L[side][lang]} | {p['n']} | {_ms(p['estimate'])} | {ci} |")
    ch = data["change"]
    out += [
        "",
        f"**{L['change'][lang]}**: {ch['estimate']:+.2f} ms, {conf} CI "
        f"[{ch['low']:+.2f}, {ch['high']:+.2f}] ms (percentile bootstrap, {ch['resamples']} resamples, "
        f"seed {ch['seed']})",
        "",
    ]
    er = data["errors"]
    out += [
        f"**{L['error_rate'][lang]}**",
        "",
        f"| {L['side'][lang]} | errors / requests | rate | {L['ci'][lang]} |",
        "|---|---|---|---|",
    ]
    for side in ("before", "after"):
        e = er[side]
        out.append(
            f"| {L[side][lang]} | {e['errors']} / {e['requests']} | {_pct(e['rate'])} | "
            f"[{_pct(e['low'])}, {_pct(e['high'])}] |"
        )
    c = er["change"]
    no_test = {"zh": "两侧都没有错误(或全部出错),不做检验", "en": "no test: no errors (or only errors) on both sides"}
    pvalue = no_test[lang] if c["pvalue"] is None else f"{L['pvalue'][lang]} {c['pvalue']:.3g}"
    out += [
        "",
        f"**{L['error_change'][lang]}**: {c['estimate'] * 100:+.3f} pp, {conf} CI "
        f"[{c['low'] * 100:+.3f}, {c['high'] * 100:+.3f}] pp; {pvalue}",
        "",
    ]
    obj = art.objective
    if obj.latency_p99_ms is not None or obj.error_rate is not None:
        parts = []
        if obj.latency_p99_ms is not None:
            parts.append(f"P99 ≤ {obj.latency_p99_ms:g} ms")
        if obj.error_rate is not None:
            parts.append(f"error rate ≤ {_pct(obj.error_rate)}")
        out += [f"**{L['objective'][lang]}**: " + ", ".join(parts), ""]
    out += [f"![{L['distribution'][lang]}]({base}/{data['plot']})", "", f"*{L['distribution'][lang]}*", ""]
    return out
