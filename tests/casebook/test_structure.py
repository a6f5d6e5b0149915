"""case.yaml validation: every bad input names the file, the line, the field and the fix."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from kb.casebook import cli
from kb.casebook.structure.check import check_case, fix_hashes, load_case
from kb.casebook.structure.scaffold import new_case
from kb.errors import KbError


def _edit(case_dir: Path, old: str, new: str, count: int = 1) -> None:
    p = case_dir / "case.yaml"
    text = p.read_text(encoding="utf-8")
    assert old in text, old
    p.write_text(text.replace(old, new, count), encoding="utf-8")


def _problems(case_dir: Path) -> list[str]:
    return [str(p) for p in check_case(case_dir)[1]]


def _line_of(case_dir: Path, needle: str) -> int:
    for n, line in enumerate((case_dir / "case.yaml").read_text(encoding="utf-8").splitlines(), start=1):
        if needle in line:
            return n
    raise AssertionError(needle)


def test_fixture_is_valid(case_dir: Path) -> None:
    assert _problems(case_dir) == []
    loaded = load_case(case_dir)
    assert {a.kind for a in loaded.case.artifacts} == {"pcap", "bpf", "flame", "slo", "output"}


def test_scaffold_is_valid_and_bilingual(tmp_path: Path) -> None:
    folder = new_case(tmp_path, "my-case")
    assert sorted(p.name for p in folder.iterdir()) == ["case.yaml", "story.en.md", "story.zh.md"]
    assert _problems(folder) == []
    with pytest.raises(KbError, match="already exists"):
        new_case(tmp_path, "my-case")
    with pytest.raises(KbError, match="not a valid case id"):
        new_case(tmp_path, "Bad_Name")


def test_unknown_field_rejected_with_line_and_fix(case_dir: Path) -> None:
    _edit(case_dir, "severity: SEV3", "severity: SEV3\nseverty: SEV1")
    [msg] = _problems(case_dir)
    assert f"case.yaml:{_line_of(case_dir, 'severty')}: severty:" in msg
    assert "remove `severty`" in msg


def test_unknown_field_in_artifact_names_path(case_dir: Path) -> None:
    _edit(case_dir, "    capture_point:", "    colour: red\n    capture_point:")
    [msg] = _problems(case_dir)
    assert "artifacts[0].colour" in msg and f":{_line_of(case_dir, 'colour: red')}:" in msg


def test_missing_field_and_bad_enum(case_dir: Path) -> None:
    _edit(case_dir, "owner: casebook-tests\n", "")
    _edit(case_dir, "severity: SEV3", "severity: SEV9")
    msgs = _problems(case_dir)
    assert any("owner:" in m and "add the field `owner`" in m for m in msgs)
    assert any("severity:" in m and "SEV4" in m for m in msgs)


def test_missing_translation(case_dir: Path) -> None:
    _edit(
        case_dir,
        "trigger: {zh: 部署了 tc 程序。, en: The tc program was deployed.}",
        "trigger: {zh: 部署了 tc 程序。}",
    )
    [msg] = _problems(case_dir)
    assert "trigger.en" in msg and "add the field `en`" in msg


def test_non_utc_time(case_dir: Path) -> None:
    _edit(case_dir, "detected_at: 2026-03-14T09:15:00Z", "detected_at: 2026-03-14T17:15:00+08:00")
    [msg] = _problems(case_dir)
    assert "detection.detected_at" in msg and "UTC" in msg and "Z suffix" in msg


def test_timeline_out_of_order(case_dir: Path) -> None:
    _edit(case_dir, "{at: 2026-03-14T09:15:00Z", "{at: 2026-03-14T09:50:00Z")
    msgs = _problems(case_dir)
    assert any("timeline[2].at" in m and "time order" in m for m in msgs)


@pytest.mark.parametrize(
    ("path", "expected"),
    [("../outside.pcap", "contains '..'"), ("/etc/passwd", "absolute"), ("a\\\\b.pcap", "separator")],
)
def test_artifact_path_must_stay_inside(case_dir: Path, path: str, expected: str) -> None:
    _edit(case_dir, "file: {path: capture.pcap,", f'file: {{path: "{path}",')
    msgs = _problems(case_dir)
    assert any("artifacts[0].file.path" in m and expected in m for m in msgs), msgs


def test_symlink_out_of_case_rejected(case_dir: Path, tmp_path: Path) -> None:
    outside = tmp_path / "secret.pcap"
    outside.write_bytes((case_dir / "capture.pcap").read_bytes())
    (case_dir / "capture.pcap").unlink()
    os.symlink(outside, case_dir / "capture.pcap")
    [msg] = _problems(case_dir)
    assert "outside the case folder" in msg and "artifacts[0].file" in msg


def test_missing_file(case_dir: Path) -> None:
    (case_dir / "conntrack.txt").unlink()
    [msg] = _problems(case_dir)
    assert "conntrack.txt does not exist" in msg


def test_changed_artifact_reported_then_fixed_on_request(case_dir: Path) -> None:
    with (case_dir / "conntrack.txt").open("a") as f:
        f.write("tampered\n")
    [msg] = _problems(case_dir)
    assert "conntrack.txt changed" in msg and "--fix-hashes" in msg
    assert msg.startswith(str(case_dir / "case.yaml") + ":")
    comments_before = [ln for ln in (case_dir / "case.yaml").read_text().splitlines() if ln.startswith("#")]
    changed = fix_hashes(case_dir)
    assert len(changed) == 1 and "conntrack.txt" in changed[0]
    assert _problems(case_dir) == []
    comments_after = [ln for ln in (case_dir / "case.yaml").read_text().splitlines() if ln.startswith("#")]
    assert comments_before == comments_after  # the author's comments survive


def test_duplicate_artifact_ids_and_unknown_evidence(case_dir: Path) -> None:
    _edit(case_dir, "  - id: cpu\n", "  - id: capture\n")
    _edit(case_dir, "evidence: slo, measure: error_rate_before}", "evidence: nope}")
    msgs = _problems(case_dir)
    assert any("artifacts[2].id" in m and "used twice" in m for m in msgs)
    assert any("impact.metrics[0].evidence" in m and "'nope'" in m for m in msgs)


def test_lab_evidence_needs_reproduction(case_dir: Path) -> None:
    text = (case_dir / "case.yaml").read_text()
    text = re.sub(r"reproduction:\n(  .*\n)+", "", text)
    (case_dir / "case.yaml").write_text(
        text.replace(
            "provenance: synthetic-illustration\n    origin: {zh: scapy",
            "provenance: lab-reproduction\n    origin: {zh: scapy",
        )
    )
    msgs = _problems(case_dir)
    assert any(m.split(": ")[1] == "reproduction" and "reproduce.sh" in m for m in msgs), msgs


def test_published_case_needs_four_kinds(case_dir: Path) -> None:
    text = (case_dir / "case.yaml").read_text()
    start = text.index("  - id: cpu")
    end = text.index("  - id: slo")
    (case_dir / "case.yaml").write_text(text[:start] + text[end:])
    msgs = _problems(case_dir)
    assert any("status" in m and "'flame'" in m and "draft" in m for m in msgs)


def test_bpf_tests_only_for_tc_xdp(case_dir: Path) -> None:
    _edit(case_dir, "program_type: tc", "program_type: tracepoint")
    msgs = _problems(case_dir)
    assert any("artifacts[1]" in m and "tc and xdp" in m for m in msgs)


def test_id_must_match_folder(case_dir: Path) -> None:
    _edit(case_dir, "id: syn-drop-lab", "id: other-name")
    [msg] = _problems(case_dir)
    assert "id:" in msg and "folder name" in msg


def test_story_outline_must_match(case_dir: Path) -> None:
    with (case_dir / "story.en.md").open("a") as f:
        f.write("\n## Extra section\n")
    [msg] = _problems(case_dir)
    assert "story.en.md" in msg and "outline" in msg


def test_invalid_yaml_names_line(case_dir: Path) -> None:
    _edit(case_dir, "severity: SEV3", "severity: [SEV3")
    [msg] = _problems(case_dir)
    assert re.search(r"case\.yaml:\d+: is not valid YAML", msg)


def test_cli_check_exit_codes(case_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import argparse

    parser = argparse.ArgumentParser()
    commands = parser.add_subparsers(dest="c")
    cli.register(commands, parser.add_subparsers(dest="b") if False else commands)
    root = str(case_dir.parent)
    args = parser.parse_args(["case", "check", "syn-drop-lab", "--casebooks", root])
    assert args.handler(args) == 0
    _edit(case_dir, "severity: SEV3", "severity: SEV0")
    assert args.handler(args) == 1
    assert "severity" in capsys.readouterr().out
    args = parser.parse_args(["new-case", "fresh-case", "--casebooks", root])
    assert args.handler(args) == 0
    args = parser.parse_args(["case", "check", "--all", "--casebooks", root])
    assert args.handler(args) == 1  # syn-drop-lab is still broken; fresh-case is fine
    out = capsys.readouterr().out
    assert "fresh-case: ok" in out


def test_related_case_must_exist(case_dir: Path) -> None:
    _edit(
        case_dir,
        '  - {url: "https://example.org/postmortem"',
        '  - {case: no-such-case}\n  - {url: "https://example.org/postmortem"',
    )
    [msg] = _problems(case_dir)
    assert "related[0].case" in msg and "'no-such-case' is not a case" in msg


def test_measure_needs_slo_evidence_and_unit(case_dir: Path) -> None:
    _edit(
        case_dir, "evidence: slo, measure: error_rate_before}", "evidence: cpu, measure: error_rate_before}"
    )
    msgs = _problems(case_dir)
    assert any("impact.metrics[0].measure" in m and "'cpu' is a flame" in m for m in msgs), msgs
    _edit(case_dir, 'unit: "%", evidence: cpu', "unit: ms, evidence: cpu")
    msgs = _problems(case_dir)
    assert any("impact.metrics[0]" in m and "must be %" in m for m in msgs), msgs


def test_reproduce_lists_regenerated_artifacts(case_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import argparse

    (case_dir / "reproduce.sh").write_text("#!/bin/sh\necho 'regenerated output' > conntrack.txt\n")
    fix_hashes(case_dir)
    parser = argparse.ArgumentParser()
    commands = parser.add_subparsers(dest="c")
    cli.register(commands, commands)
    args = parser.parse_args(["case", "reproduce", "syn-drop-lab", "--casebooks", str(case_dir.parent)])
    assert args.handler(args) == 1  # conntrack.txt changed: review first
    assert "regenerated: artifacts[4].file" in capsys.readouterr().out
    args = parser.parse_args(
        ["case", "reproduce", "syn-drop-lab", "--casebooks", str(case_dir.parent), "--fix-hashes"]
    )
    assert args.handler(args) == 0
    assert _problems(case_dir) == []
