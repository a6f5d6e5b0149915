"""The committed cases under casebooks/: each validates with the framework, its evidence renders
(BPF compiled, verified and test-run through kb.casebook.render), its impact figures agree with the
raw samples, and its lab scripts are at least syntactically valid."""

from __future__ import annotations

import csv
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from kb.casebook.render import bpf
from kb.casebook.render.artifacts import render_bpf
from kb.casebook.structure import check_case, load_case
from kb.casebook.structure.models import BpfArtifact, SloArtifact

ROOT = Path(__file__).resolve().parents[2]
CASEBOOKS = ROOT / "casebooks"
CASE_IDS = sorted(p.name for p in CASEBOOKS.iterdir() if (p / "case.yaml").is_file())
LAB = CASEBOOKS / "_lab"


def test_there_are_cases() -> None:
    assert len(CASE_IDS) >= 3, CASE_IDS


@pytest.mark.parametrize("cid", CASE_IDS)
def test_case_validates(cid: str) -> None:
    _, problems = check_case(CASEBOOKS / cid, display_root=ROOT)
    assert problems == [], "\n".join(map(str, problems))


def test_at_least_three_lab_reproductions() -> None:
    labs = [c for c in CASE_IDS if load_case(CASEBOOKS / c).case.provenance == "lab-reproduction"]
    assert len(labs) >= 3, labs
    for cid in labs:
        assert load_case(CASEBOOKS / cid).case.reproduction is not None, cid


def test_no_case_claims_production() -> None:
    for cid in CASE_IDS:
        case = load_case(CASEBOOKS / cid).case
        assert case.provenance != "production", cid
        assert all(a.provenance != "production" for a in case.artifacts), cid


@pytest.mark.parametrize("cid", CASE_IDS)
def test_reproduce_scripts_parse(cid: str) -> None:
    case = load_case(CASEBOOKS / cid).case
    if case.reproduction is None:
        pytest.skip(f"{cid} is not a lab reproduction: it has no script")
    script = CASEBOOKS / cid / case.reproduction.script.path
    proc = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    text = script.read_text(encoding="utf-8")
    # idempotent and self-cleaning: every script removes what it creates, whatever happens
    assert "trap cleanup EXIT" in text and "set -euo pipefail" in text


@pytest.mark.parametrize("cid", CASE_IDS)
def test_bpf_comment_ratio(cid: str) -> None:
    loaded = load_case(CASEBOOKS / cid)
    sources = [a for a in loaded.case.artifacts if isinstance(a, BpfArtifact)]
    assert sources, f"{cid} has no eBPF program"
    for art in sources:
        ratio = bpf.comment_ratio(loaded.files[art.source.path].read_text(encoding="utf-8"))
        assert ratio.value >= bpf.MIN_COMMENT_RATIO, (art.source.path, ratio)


def _bpf_artifacts() -> list[tuple[str, str]]:
    out = []
    for cid in CASE_IDS:
        for a in load_case(CASEBOOKS / cid).case.artifacts:
            if isinstance(a, BpfArtifact):
                out.append((cid, a.id))
    return out


@pytest.mark.parametrize(("cid", "aid"), _bpf_artifacts())
def test_bpf_compiles_loads_and_runs(cid: str, aid: str, tmp_path: Path) -> None:
    """Through the framework: clang, the verifier's verdict as documented, BPF_PROG_TEST_RUN vectors."""
    ok, reason = bpf.bpf_available()
    if not ok:
        pytest.skip(f"this machine does not allow bpf(): {reason}")
    loaded = load_case(CASEBOOKS / cid)
    art = next(a for a in loaded.case.artifacts if a.id == aid)
    assert isinstance(art, BpfArtifact)
    data = render_bpf(loaded, art, tmp_path, tmp_path / "cache")  # raises KbError on any mismatch
    assert data["load"]["status"] == ("accepted" if art.expect == "loads" else "rejected")
    if art.expect == "rejected":
        assert art.verifier_message and art.verifier_message in data["load"]["log"]
    assert [t["got"] for t in data.get("tests", [])] == [t.expect_retval for t in art.tests]
    assert (tmp_path / "cfg.svg").stat().st_size > 0


def _error_rate(path: Path) -> float:
    with path.open(encoding="ascii") as f:
        rows = list(csv.DictReader(f))
    return 100.0 * sum(int(r["error"]) for r in rows) / len(rows)


@pytest.mark.parametrize("cid", CASE_IDS)
def test_impact_figures_match_raw_samples(cid: str) -> None:
    """A typed impact figure that names an SLO artifact must equal what its raw samples give."""
    loaded = load_case(CASEBOOKS / cid)
    slos = {a.id: a for a in loaded.case.artifacts if isinstance(a, SloArtifact)}
    checked = 0
    for m in loaded.case.impact.metrics:
        if m.evidence not in slos or m.unit != "%":
            continue
        art = slos[m.evidence]
        side = "before" if "before" in m.name.en else "after" if "after" in m.name.en else None
        assert side is not None, f"{cid}: say 'before' or 'after' in the metric name {m.name.en!r}"
        ref = art.before if side == "before" else art.after
        assert m.value == pytest.approx(_error_rate(loaded.files[ref.path]), abs=0.05), (cid, m.name.en)
        checked += 1
    assert checked, f"{cid}: no impact figure is tied to an SLO artifact"


@pytest.mark.parametrize("cid", CASE_IDS)
def test_slo_samples_allow_a_p99_interval(cid: str) -> None:
    """The order-statistic interval of P99 at 95% needs n >= 368 (the framework reports min_n); fewer give no interval."""
    loaded = load_case(CASEBOOKS / cid)
    for a in loaded.case.artifacts:
        if isinstance(a, SloArtifact):
            for ref in (a.before, a.after):
                with loaded.files[ref.path].open(encoding="ascii") as f:
                    n = sum(1 for _ in f) - 1
                assert n >= 368, (cid, ref.path, n)


@pytest.mark.parametrize("cid", [c for c in CASE_IDS if (CASEBOOKS / c / "make_vectors.py").is_file()])
def test_test_vectors_are_deterministic(cid: str, tmp_path: Path) -> None:
    """make_vectors.py regenerates vectors.pcap byte for byte (the recorded sha256 stays valid)."""
    folder = tmp_path / cid
    folder.mkdir()
    shutil.copy(CASEBOOKS / cid / "make_vectors.py", folder)
    subprocess.run([sys.executable, str(folder / "make_vectors.py")], check=True, timeout=120)
    assert (folder / "vectors.pcap").read_bytes() == (CASEBOOKS / cid / "vectors.pcap").read_bytes()


PERF_SCRIPT = """\
python3 4242 [001] 100.000001:    1001001 cpu-clock:
\tffffffff8100aaaa tcp_v4_connect+0x1a ([kernel.kallsyms])
\tffffffff8100bbbb __sys_connect+0x20 ([kernel.kallsyms])
\t00007f0000001000 [unknown] (/usr/lib/x86_64-linux-gnu/libc.so.6)

python3 4242 [001] 100.001001:    1001001 cpu-clock:
\tffffffff8100aaaa tcp_v4_connect+0x44 ([kernel.kallsyms])
\tffffffff8100bbbb __sys_connect+0x20 ([kernel.kallsyms])
\t00007f0000001000 [unknown] (/usr/lib/x86_64-linux-gnu/libc.so.6)

ip 77 [000] 100.002001:    1001001 cpu-clock:
\tffffffff8100cccc do_syscall_64+0x10 ([kernel.kallsyms])
"""


def test_collapse_perf_folds_root_first_and_counts() -> None:
    proc = subprocess.run(
        [sys.executable, str(LAB / "collapse_perf.py")],
        input=PERF_SCRIPT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert proc.stdout.splitlines() == [
        "ip;do_syscall_64 1",
        "python3;[libc.so.6];__sys_connect;tcp_v4_connect 2",
    ]


def test_collapse_perf_filters_by_comm() -> None:
    proc = subprocess.run(
        [sys.executable, str(LAB / "collapse_perf.py"), "ip"],
        input=PERF_SCRIPT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert proc.stdout.splitlines() == ["ip;do_syscall_64 1"]
