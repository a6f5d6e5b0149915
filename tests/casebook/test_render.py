"""Artifact renderers driven directly (no MkDocs): comment ratio, pcap, flame, SLO statistics, escaping."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from kb.casebook.render import flame, pcap, slo
from kb.casebook.render.bpf import comment_ratio
from kb.casebook.render.escape import markdown_text
from kb.errors import KbError
from scipy import stats

FIX = Path(__file__).parent / "fixtures" / "syn-drop-lab"


def test_comment_ratio_definition() -> None:
    src = "\n".join(
        [
            "#include <linux/bpf.h>",  # preprocessor: code, not comment
            "#define X 1 /* trailing */",  # preprocessor with comment: code
            "/* a block",  # comment
            " * continues */",  # comment
            "",  # blank: not counted
            "int x = 1; // trailing comment",  # code with trailing comment: code
            'char *s = "/* not a comment */";',  # comment marker inside a string: code
            "// line comment",  # comment
        ]
    )
    r = comment_ratio(src)
    assert (r.comment_lines, r.nonblank_lines) == (3, 7)


def test_comment_ratio_leading_blank_lines_do_not_shift() -> None:
    assert comment_ratio("\n\n// c\nint x;\n").comment_lines == 1


def test_pcap_table_has_tcp_analysis_expert_info_and_colour_rules(tmp_path: Path) -> None:
    data = pcap.render(FIX / "capture.pcap", tmp_path, None, {5}, 200)
    rows = {r["number"]: r for r in data["rows"]}
    assert len(rows) == 7
    assert "TCP Retransmission" in rows[5]["info"]
    assert rows[5]["colour_rule"] == "Bad TCP"
    assert ["note", "This frame is a (suspected) retransmission"] in [list(e) for e in rows[5]["expert"]]
    assert rows[7]["colour_rule"] == "TCP RST"
    svg = (tmp_path / "packets.svg").read_text()
    assert svg.count('stroke="#d00000"') == 1  # exactly the key frame outlined
    assert "[TCP Retransmission]" in svg


def test_pcap_key_frame_must_exist(tmp_path: Path) -> None:
    with pytest.raises(KbError, match=r"key_frames \[99\]"):
        pcap.render(FIX / "capture.pcap", tmp_path, None, {99}, 200)


def test_pcap_not_a_capture(tmp_path: Path) -> None:
    bad = tmp_path / "bad.pcap"
    bad.write_text("not a capture")
    with pytest.raises(KbError, match="tshark could not read it"):
        pcap.render(bad, tmp_path, None, set(), 10)


def test_flame_views_both_directions(tmp_path: Path) -> None:
    data = flame.render(FIX / "flame/before.folded", FIX / "flame/after.folded", tmp_path, {})
    assert data["samples"] == {"before": 100, "after": 50}
    grew = (tmp_path / "diff-grew.svg").read_text()
    removed = (tmp_path / "diff-removed.svg").read_text()
    # tcp_retransmit exists only before the fix: invisible in the "after"-sized view, present when sized by before
    assert "tcp_retransmit" not in grew.split("<title>all")[0] or "tcp_retransmit (0 samples" in grew
    assert re.search(r"<title>tcp_retransmit \(60 samples", removed) or re.search(
        r"tcp_retransmit \(\d+ samples", removed
    )
    assert "gc (" in grew  # gc appears only after the fix
    tree = data["trees"]["before"]
    assert tree["value"] == 100 and tree["children"][0]["name"] == "main"


def test_flame_bad_line(tmp_path: Path) -> None:
    bad = tmp_path / "x.folded"
    bad.write_text("a;b;c 3\nnot folded\n")
    with pytest.raises(KbError, match=r"x\.folded:2: not a folded stack line"):
        flame.read_folded(bad)


def test_differential_scaled_to_same_total() -> None:
    from collections import Counter

    lines = flame.differential_lines(Counter({"a": 10, "b": 10}), Counter({"a": 5, "b": 5}))
    assert lines == ["a 5 5", "b 5 5"]  # same shape, different lengths: no change


@settings(max_examples=15, deadline=None)
@given(st.integers(min_value=460, max_value=3000), st.sampled_from([0.9, 0.95, 0.99]))
def test_quantile_ci_coverage_is_exact_binomial(n: int, conf: float) -> None:
    x = np.arange(1, n + 1, dtype=float)  # order statistic k is k
    ci = slo.quantile_ci(x, 0.99, conf)
    if ci["low"] is None:
        assert n < ci["min_n"]
        return
    lo, hi = ci["ranks"]
    coverage = stats.binom.cdf(hi - 1, n, 0.99) - stats.binom.cdf(lo - 1, n, 0.99)
    assert coverage >= conf - 1e-9
    assert ci["low"] == lo and ci["high"] == hi


def test_quantile_ci_too_few_samples() -> None:
    ci = slo.quantile_ci(np.arange(50, dtype=float), 0.99, 0.95)
    assert ci["low"] is None and ci["min_n"] > 50


def test_quantile_ci_covers_true_p99_in_simulation() -> None:
    rng = np.random.default_rng(1)
    true = float(stats.expon.ppf(0.99))
    hits = sum(
        1
        for _ in range(300)
        if (c := slo.quantile_ci(rng.exponential(size=800), 0.99, 0.95))["low"] <= true <= c["high"]
    )
    assert hits / 300 >= 0.92


def test_slo_render(tmp_path: Path) -> None:
    data = slo.render(FIX / "slo/before.csv", FIX / "slo/after.csv", tmp_path, 0.95)
    e = data["errors"]
    # Wilson for the recorded counts, recomputed independently
    from statsmodels.stats.proportion import proportion_confint

    k, n = e["before"]["errors"], e["before"]["requests"]
    assert (e["before"]["low"], e["before"]["high"]) == pytest.approx(
        proportion_confint(k, n, method="wilson")
    )
    assert e["change"]["low"] <= e["change"]["estimate"] <= e["change"]["high"]
    ch = data["change"]
    assert ch["low"] <= ch["estimate"] <= ch["high"]
    svg = (tmp_path / "latency.svg").read_text()
    assert svg.startswith("<?xml") and "<svg" in svg
    again = tmp_path / "again"
    slo.render(FIX / "slo/before.csv", FIX / "slo/after.csv", again, 0.95)
    assert (again / "latency.svg").read_text() == svg  # deterministic output, so caches and diffs stay quiet


def test_slo_bad_csv(tmp_path: Path) -> None:
    bad = tmp_path / "s.csv"
    bad.write_text("latency_ms,error\n1.0,0\n2.0,yes\n")
    with pytest.raises(KbError, match=r"s\.csv:3:"):
        slo.read_samples(bad)
    bad.write_text("ms,err\n1,0\n")
    with pytest.raises(KbError, match=r"s\.csv:1: the header"):
        slo.read_samples(bad)


@pytest.mark.parametrize(
    "evil",
    [
        "<script>alert(1)</script>",
        '<img src=x onerror="alert(1)">',
        '{: onclick="alert(1)" }',
        "[x](javascript:alert(1))",
        '--8<-- "secret.txt"',
    ],
)
def test_escape_neutralises(evil: str) -> None:
    import markdown

    html = markdown.markdown(
        markdown_text(f"before {evil} after"), extensions=["attr_list", "pymdownx.snippets"]
    )
    assert "<script" not in html and "<img" not in html and not re.search(r"<[^>]*onclick", html)
    assert 'href="javascript' not in html


def test_escape_keeps_markdown_and_code() -> None:
    import markdown

    html = markdown.markdown(
        markdown_text("**bold** and `<b>`\n\n```c\nif (a < b) {}\n```\n"), extensions=["fenced_code"]
    )
    assert "<strong>bold</strong>" in html and "<code>&lt;b&gt;</code>" in html and "if (a &lt; b) {}" in html


def test_error_rates_without_any_error_report_no_test() -> None:
    import warnings

    import numpy as np
    from kb.casebook.render import slo

    zeros = np.zeros(400, dtype=bool)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # statsmodels' 0/0 RuntimeWarning would fail here
        out = slo.error_rates(zeros, zeros, 0.95)
    assert out["change"]["pvalue"] is None
    some = zeros.copy()
    some[:20] = True
    assert 0 < slo.error_rates(some, zeros, 0.95)["change"]["pvalue"] < 0.001
