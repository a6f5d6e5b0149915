"""BPF: compile with clang, load through the kernel verifier, BPF_PROG_TEST_RUN, rejection mapping, CFG.

Loading needs root and a kernel that allows bpf(): probed once; those tests skip with the probe's reason.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from kb.casebook.render import bpf
from kb.casebook.render.artifacts import render_case
from kb.casebook.structure.check import fix_hashes, load_case
from kb.errors import KbError

OK, REASON = bpf.bpf_available()
needs_bpf = pytest.mark.skipif(not OK, reason=f"this machine forbids loading BPF programs: {REASON}")

# A tc program that reads the packet without a bounds check: the verifier must reject line 12.
UNCHECKED = """\
// A deliberately wrong program: it reads the EtherType without checking
// data_end first. The kernel verifier must reject it at the read below.
// That rejection, mapped back to this line, is what the test checks.
// Comments make up more than 35% of the non-blank lines on purpose.
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
__attribute__((section("tc"), used))
int unchecked(struct __sk_buff *skb)
{
	// no `if (data + 14 > data_end)` guard: this is the bug
	unsigned char *data = (void *)(long)skb->data;
	return data[12] == 0x08 ? TC_ACT_SHOT : TC_ACT_OK;
}
// GPL so that nothing but the bounds check can fail.
char _license[] __attribute__((section("license"), used)) = "GPL";
"""


def test_compile_listing_and_cfg(tmp_path: Path) -> None:
    src = Path(__file__).parent / "fixtures/syn-drop-lab/bpf/syn_drop.bpf.c"
    obj = tmp_path / "p.o"
    bpf.compile_bpf(src.resolve(), obj, extra=[], include=[], shown="syn_drop.bpf.c")
    fns = bpf.functions(bpf.objdump(obj))
    assert list(fns) == ["syn_drop"]
    insns = fns["syn_drop"]
    assert any("tcp->syn" in " ".join(s) for _, _, s in insns)  # source interleaved
    dot = bpf.cfg_dot(insns, "syn_drop")
    blocks = dot.count("[label=")
    assert blocks >= 5
    exits = [i for i, t, _ in insns if t.startswith("exit")]
    # every conditional jump gives two edges
    conditional = sum(1 for _, t, _ in insns if t.startswith("if "))
    assert dot.count('[label="true"]') == conditional and dot.count('[label="false"]') == conditional
    assert exits and bpf.render_dot(dot).lstrip().startswith("<?xml")


def test_compile_error_names_file_and_line(tmp_path: Path) -> None:
    src = tmp_path / "bad.bpf.c"
    src.write_text("int f(void) { return undefined_symbol; }\n")
    with pytest.raises(KbError, match=r"bad\.bpf\.c:1:.*undefined_symbol"):
        bpf.compile_bpf(src, tmp_path / "o.o", extra=[], include=[], shown="bad.bpf.c")


@needs_bpf
def test_load_and_test_run_fixture(case_dir: Path, tmp_path: Path) -> None:
    loaded = load_case(case_dir)
    results = render_case(loaded, tmp_path / "cache", tmp_path / "assets")
    d = results["dropper"]
    assert d["load"]["status"] == "accepted"
    assert "processed" in d["load"]["log"]  # the verifier log is kept
    assert [(t["got"], t["expect"]) for t in d["tests"]] == [(2, 2), (0, 0), (0, 0)]
    assert (tmp_path / "assets/dropper/cfg.svg").is_file()
    assert not any(p.name.startswith("kbcase_") for p in Path("/sys/fs/bpf").iterdir())  # pins cleaned up


@needs_bpf
def test_wrong_expectation_fails_the_build(case_dir: Path, tmp_path: Path) -> None:
    text = (case_dir / "case.yaml").read_text()
    (case_dir / "case.yaml").write_text(
        text.replace("frame: 2, expect_retval: 0", "frame: 2, expect_retval: 2")
    )
    with pytest.raises(KbError, match=r"vectors\.pcap frame 2 returned 0, expected 2"):
        render_case(load_case(case_dir), tmp_path / "cache", tmp_path / "assets")


def _rejected_case(case_dir: Path, expect: str, message: str | None) -> None:
    (case_dir / "bpf" / "unchecked.bpf.c").write_text(UNCHECKED)
    extra = f"\n    verifier_message: {message!r}" if message else ""
    with (case_dir / "case.yaml").open("a") as f:
        f.write(
            "  - id: unchecked\n    kind: bpf\n    title: {zh: 未检查, en: unchecked}\n"
            "    provenance: synthetic-illustration\n    origin: {zh: 测试, en: test}\n"
            "    explain: {zh: 测试, en: test}\n    source: {path: bpf/unchecked.bpf.c, sha256: TODO}\n"
            f"    program_type: tc\n    expect: {expect}{extra}\n"
        )
    fix_hashes(case_dir)


@needs_bpf
def test_rejection_is_mapped_to_source_line(case_dir: Path, tmp_path: Path) -> None:
    _rejected_case(case_dir, "rejected", "invalid access to packet")
    results = render_case(load_case(case_dir), tmp_path / "cache", tmp_path / "assets")
    rej = results["unchecked"]["load"]["rejection"]
    assert results["unchecked"]["load"]["status"] == "rejected"
    assert rej["file"] == "unchecked.bpf.c" and rej["line"] == 12
    assert "packet" in rej["error"]  # 6.x: "R1 offset is outside of the packet"


@needs_bpf
def test_unexpected_rejection_names_the_line(case_dir: Path, tmp_path: Path) -> None:
    _rejected_case(case_dir, "loads", None)
    with pytest.raises(KbError, match=r"unchecked\.bpf\.c:12: the verifier rejected the program: .*packet"):
        render_case(load_case(case_dir), tmp_path / "cache", tmp_path / "assets")


@needs_bpf
def test_wrong_verifier_message(case_dir: Path, tmp_path: Path) -> None:
    _rejected_case(case_dir, "rejected", "some other reason")
    with pytest.raises(KbError, match="does not contain 'some other reason'"):
        render_case(load_case(case_dir), tmp_path / "cache", tmp_path / "assets")


def test_comment_ratio_below_threshold_fails(case_dir: Path, tmp_path: Path) -> None:
    src = case_dir / "bpf/syn_drop.bpf.c"
    src.write_text(
        "\n".join(ln for ln in src.read_text().splitlines() if not ln.strip().startswith(("/*", "*", "//")))
    )
    fix_hashes(case_dir)
    with pytest.raises(KbError, match=r"comment ratio 0/\d+ = 0\.0% is below 35%"):
        render_case(load_case(case_dir), tmp_path / "cache", tmp_path / "assets")


def test_cache_is_reused_and_keyed_by_content(case_dir: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    render_case(load_case(case_dir), cache, tmp_path / "assets")
    entries = sorted(p.name for p in cache.iterdir() if not p.name.startswith((".", "vmlinux")))
    render_case(load_case(case_dir), cache, tmp_path / "assets")
    assert sorted(p.name for p in cache.iterdir() if not p.name.startswith((".", "vmlinux"))) == entries
    with (case_dir / "flame/after.folded").open("a") as f:
        f.write("main;new 1\n")
    fix_hashes(case_dir)
    render_case(load_case(case_dir), cache, tmp_path / "assets")
    after = sorted(p.name for p in cache.iterdir() if not p.name.startswith((".", "vmlinux")))
    assert len(after) == len(entries) + 1  # only the flame artifact was re-rendered
    shutil.rmtree(cache)


def test_impact_metric_checked_against_raw_samples(case_dir: Path, tmp_path: Path) -> None:
    from kb.casebook.render.artifacts import check_impact

    loaded = load_case(case_dir)
    results = render_case(loaded, tmp_path / "cache", tmp_path / "assets")
    assert check_impact(loaded, results) == [True, True]
    text = (case_dir / "case.yaml").read_text()
    (case_dir / "case.yaml").write_text(text.replace("value: 1.7,", "value: 1.9,"))
    loaded = load_case(case_dir)
    with pytest.raises(
        KbError,
        match=r"impact\.metrics\[0\]\.value: 1\.9 % but the raw samples of 'slo' give "
        r"error_rate_before = 1\.667 %: write 1\.7",
    ):
        check_impact(loaded, render_case(loaded, tmp_path / "cache", tmp_path / "assets"))
