"""The case index: a table of every case with client-side filters (layer, severity, taxonomy, provenance).

Raw HTML because the filter needs data-* attributes on rows; every value is escaped.
"""

from __future__ import annotations

from kb.casebook.render.escape import attr
from kb.casebook.render.page import PROVENANCE_NAMES, t
from kb.casebook.structure.models import LAYERS, PROVENANCES, Case

MARKER = "<!-- kb-casebook:index -->"
HEAD = {
    "zh": ("案例", "严重级别", "层", "分类", "来源", "日期", "全部", "显示", "个案例", "暂无案例。"),
    "en": (
        "Case",
        "Severity",
        "Layers",
        "Taxonomy",
        "Provenance",
        "Date",
        "all",
        "Showing",
        "cases",
        "No cases yet.",
    ),
}


def index_html(cases: list[Case], lang: str) -> str:
    h = HEAD[lang]
    if not cases:
        return f"*{h[9]}*\n"
    cases = sorted(cases, key=lambda c: (c.date, c.id), reverse=True)
    options: dict[str, list[str]] = {
        "layer": [x for x in LAYERS if any(x in c.layers for c in cases)],
        "severity": sorted({c.severity for c in cases}),
        "taxonomy": sorted({x for c in cases for x in c.taxonomy}),
        "provenance": [p for p in PROVENANCES if any(_provs(c) & {p} for c in cases)],
    }
    names = {"layer": h[2], "severity": h[1], "taxonomy": h[3], "provenance": h[4]}
    out = ['<div class="kb-case-filter" data-table="kb-case-table">']
    for key, values in options.items():
        opts = f'<option value="">{attr(h[6])}</option>' + "".join(
            f'<option value="{attr(v)}">{attr(_label(key, v, lang))}</option>' for v in values
        )
        out.append(f'<label>{attr(names[key])} <select name="{key}">{opts}</select></label>')
    out.append(
        f'<p>{attr(h[7])} <span class="kb-case-count">{len(cases)}</span> / {len(cases)} {attr(h[8])}</p>'
    )
    out.append("</div>")
    out.append('<table id="kb-case-table"><thead><tr>')
    out.append(
        "".join(f"<th>{attr(x)}</th>" for x in (h[0], h[1], h[2], h[3], h[4], h[5])) + "</tr></thead><tbody>"
    )
    for c in cases:
        provs = _provs(c)
        out.append(
            f'<tr data-layer="{attr(" ".join(c.layers))}" data-severity="{attr(c.severity)}" '
            f'data-taxonomy="{attr(" ".join(c.taxonomy))}" data-provenance="{attr(" ".join(sorted(provs)))}">'
            # the summary is a tooltip: in a cell it made the title column a narrow tower of text
            f'<td><a href="{attr(c.id)}/" title="{attr(t(c.summary, lang))}">{attr(t(c.title, lang))}</a></td>'
            f"<td>{attr(c.severity)}</td><td>{attr(', '.join(c.layers))}</td>"
            f"<td>{attr(', '.join(c.taxonomy))}</td>"
            f"<td>{attr(', '.join(_label('provenance', p, lang) for p in sorted(provs)))}</td>"
            f"<td>{c.date.isoformat()}</td></tr>"
        )
    out.append("</tbody></table>")
    return "\n".join(out) + "\n"


def _provs(c: Case) -> set[str]:
    """The case's provenance and every artifact's: filtering by 'synthetic' finds any synthetic evidence."""
    return {c.provenance, *(a.provenance for a in c.artifacts)}


def _label(key: str, value: str, lang: str) -> str:
    return PROVENANCE_NAMES[value][lang] if key == "provenance" else value
