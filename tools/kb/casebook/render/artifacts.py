"""Render every artifact of a case, cached by input sha256 + renderer version.

The cache (.cache/casebook/<key>/) holds each renderer's JSON result and asset files; a warm build
only copies assets into docs/ with write_if_changed (so the live preview does not loop). The key
covers what changes the output: renderer version, the artifact's non-prose settings, the sha256 of
every input file, and for BPF the kernel release and whether this machine allows bpf().
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from kb.casebook.render import bpf, flame, pcap, slo
from kb.casebook.structure.check import LoadedCase
from kb.casebook.structure.models import (
    BpfArtifact,
    FlameArtifact,
    OutputArtifact,
    PcapArtifact,
    SloArtifact,
)
from kb.errors import KbError
from kb.site.generated import write_if_changed

PROSE = {"title", "origin", "explain", "provenance", "capture_point", "key_frames"}
VERSIONS = {
    "pcap": pcap.VERSION,
    "bpf": bpf.VERSION,
    "flame": flame.VERSION,
    "slo": slo.VERSION,
    "output": "out-1",
}

Artifact = PcapArtifact | BpfArtifact | FlameArtifact | SloArtifact | OutputArtifact


def cache_key(art: Artifact) -> str:
    settings = art.model_dump(mode="json", exclude=PROSE - ({"key_frames"} if art.kind == "pcap" else set()))
    # Prose of bpf tests (names) does not change the result; drop it from the key.
    if isinstance(art, BpfArtifact):
        for t in settings.get("tests", []):
            t.pop("name", None)
        ok, reason = bpf.bpf_available()
        settings["machine"] = [os.uname().release, ok, reason]
    blob = json.dumps({"v": VERSIONS[art.kind], "a": settings}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:32]


def render_case(loaded: LoadedCase, cache_root: Path, assets_dir: Path) -> dict[str, dict[str, Any]]:
    """artifact id -> rendered data; asset files land in assets_dir/<artifact id>/."""
    results: dict[str, dict[str, Any]] = {}
    for art in loaded.case.artifacts:
        key = cache_key(art)
        entry = cache_root / f"{art.kind}-{key}"
        if not (entry / "data.json").is_file():
            _render_into_cache(loaded, art, entry, cache_root)
        data: dict[str, Any] = json.loads((entry / "data.json").read_text(encoding="utf-8"))
        target = assets_dir / art.id
        for f in sorted(entry.iterdir()):
            if f.name != "data.json" and f.is_file():
                data_bytes = f.read_bytes()
                write_if_changed(target / f.name, data_bytes)
                # mkdocs-static-i18n (suffix structure, no fallback) leaves unsuffixed media out of the
                # en build: an `x.en.svg` twin is published as en/.../x.svg, so both pages use one link.
                write_if_changed(target / f"{f.stem}.en{f.suffix}", data_bytes)
        results[art.id] = data
    return results


def _render_into_cache(loaded: LoadedCase, art: Artifact, entry: Path, cache_root: Path) -> None:
    cache_root.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=cache_root))
    try:
        data = render_artifact(loaded, art, tmp, cache_root)
        (tmp / "data.json").write_text(json.dumps(data, ensure_ascii=False, sort_keys=True), encoding="utf-8")
        if entry.exists():
            shutil.rmtree(entry, ignore_errors=True)
        try:
            tmp.rename(entry)
        except OSError:
            # Another build (pytest-xdist, a second `kb build`) rendered the same inputs first: keep its entry.
            if not (entry / "data.json").is_file():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _file(loaded: LoadedCase, rel: str) -> Path:
    return loaded.files[rel]


def render_artifact(loaded: LoadedCase, art: Artifact, out: Path, cache_root: Path) -> dict[str, Any]:
    where = f"casebooks/{loaded.case.id}: artifacts[{art.id}]"
    try:
        if isinstance(art, PcapArtifact):
            return pcap.render(
                _file(loaded, art.file.path),
                out,
                art.display_filter,
                {k.frame for k in art.key_frames},
                art.max_rows,
            )
        if isinstance(art, FlameArtifact):
            return flame.render(
                _file(loaded, art.before.path),
                _file(loaded, art.after.path),
                out,
                {"before": "before", "after": "after", "diff-grew": "grew", "diff-removed": "removed"},
            )
        if isinstance(art, SloArtifact):
            return slo.render(
                _file(loaded, art.before.path), _file(loaded, art.after.path), out, art.confidence
            )
        if isinstance(art, OutputArtifact):
            return {"text": _file(loaded, art.file.path).read_text(encoding="utf-8", errors="replace")}
        return render_bpf(loaded, art, out, cache_root)
    except KbError as exc:
        raise KbError(f"{where} ({art.kind}): {exc}") from None


def render_bpf(loaded: LoadedCase, art: BpfArtifact, out: Path, cache_root: Path) -> dict[str, Any]:
    src = _file(loaded, art.source.path)
    text = src.read_text(encoding="utf-8")
    ratio = bpf.comment_ratio(text)
    if ratio.value < bpf.MIN_COMMENT_RATIO:
        raise KbError(
            f"{art.source.path}: comment ratio {ratio.comment_lines}/{ratio.nonblank_lines} = "
            f"{ratio.value:.1%} is below 35% ({bpf.RATIO_DEFINITION['en']}): explain the program in comments"
        )
    include = [bpf.vmlinux_header(cache_root).parent] if art.vmlinux_h else []
    data: dict[str, Any] = {
        "source": text,
        "source_name": src.name,
        "ratio": {"comment": ratio.comment_lines, "nonblank": ratio.nonblank_lines, "value": ratio.value},
    }
    with tempfile.TemporaryDirectory() as tmp:
        obj = Path(tmp) / "prog.o"
        bpf.compile_bpf(src, obj, extra=art.clang_args, include=include, shown=art.source.path)
        listing = bpf.objdump(obj)
        fns = {k: v for k, v in bpf.functions(listing).items() if v}
        if not fns:
            raise KbError(f"{art.source.path}: the object has no BPF program: mark a function with a section")
        name = art.program or next(iter(fns))
        if name not in fns:
            raise KbError(f"program: {name!r} is not a function of {art.source.path} (found {sorted(fns)})")
        data["program"] = name
        data["listing"] = [{"i": i, "insn": t, "src": s} for i, t, s in fns[name]]
        (out / "cfg.svg").write_text(bpf.render_dot(bpf.cfg_dot(fns[name], name)), encoding="utf-8")
        data["cfg"] = "cfg.svg"
        ok, reason = bpf.bpf_available()
        if not ok:
            data["load"] = {"status": "skipped", "reason": reason}
            return data
        pin_name = (
            "kbcase_" + hashlib.sha256(f"{loaded.case.id}/{art.id}/{os.getpid()}".encode()).hexdigest()[:16]
        )
        accepted, log, pin = bpf.load(obj, pin_name)
        try:
            data["load"] = {"status": "accepted" if accepted else "rejected", "log": log}
            if not accepted:
                data["load"]["rejection"] = bpf.map_rejection(log)
            if art.expect == "loads" and not accepted:
                rej = data["load"]["rejection"] or {}
                raise KbError(
                    f"{art.source.path}:{rej.get('line', '?')}: the verifier rejected the program: "
                    f"{rej.get('error', log[-300:])}: fix the program or set expect: rejected"
                )
            if art.expect == "rejected" and accepted:
                raise KbError(
                    f"{art.source.path}: expect is 'rejected' but the verifier accepted the program"
                )
            if art.expect == "rejected" and art.verifier_message and art.verifier_message not in log:
                raise KbError(
                    f"{art.source.path}: the verifier log does not contain {art.verifier_message!r}; "
                    f"it ends with: {log.strip().splitlines()[-3:] if log.strip() else '(empty)'}"
                )
            tests = []
            for t in art.tests:
                assert pin is not None
                packet = bpf.pcap_frame(_file(loaded, t.packets.path), t.frame)
                got = bpf.test_run(pin / name, packet)
                tests.append(
                    {"frame": t.frame, "packets": t.packets.path, "expect": t.expect_retval, "got": got}
                )
                if got != t.expect_retval:
                    raise KbError(
                        f"tests: BPF_PROG_TEST_RUN of {t.packets.path} frame {t.frame} returned {got}, "
                        f"expected {t.expect_retval} ({t.name.en}): fix the program or the test vector"
                    )
            data["tests"] = tests
        finally:
            if pin is not None:
                shutil.rmtree(pin, ignore_errors=True)
    return data


def measured(data: dict[str, Any], measure: str) -> float:
    """The figure `measure` names, from an slo artifact's rendered data, in the unit MEASURE_UNITS says."""
    side = measure.rsplit("_", 1)[1]
    if measure.startswith("p99_"):
        return float(data["change"]["estimate"] if side == "change" else data["p99"][side]["estimate"])
    if measure.startswith("error_rate_"):
        e = data["errors"]
        return 100 * float(e["change"]["estimate"] if side == "change" else e[side]["rate"])
    e = data["errors"][side]
    return float(e["requests"] if measure.startswith("requests_") else e["errors"])


def check_impact(loaded: LoadedCase, results: dict[str, dict[str, Any]]) -> list[bool]:
    """Recompute every impact metric that names a `measure`; KbError if a typed value disagrees.

    Tolerance: half a unit of the value's last decimal as written (36.0 -> +-0.05), so the page never
    shows a figure the raw samples do not give. Returns, per metric, whether it was checked.
    """
    from decimal import Decimal

    checked: list[bool] = []
    for i, m in enumerate(loaded.case.impact.metrics):
        if m.measure is None or m.evidence is None:
            checked.append(False)
            continue
        actual = measured(results[m.evidence], m.measure)
        exponent = Decimal(repr(m.value)).as_tuple().exponent
        decimals = -exponent if isinstance(exponent, int) and exponent < 0 else 0
        tolerance = 0.5 * 10**-decimals
        if abs(actual - m.value) > tolerance + 1e-12:
            raise KbError(
                f"casebooks/{loaded.case.id}/case.yaml: impact.metrics[{i}].value: {m.value:g} {m.unit} but the raw "
                f"samples of {m.evidence!r} give {m.measure} = {actual:.{decimals + 2}f} {m.unit}: write "
                f"{round(actual, decimals):.{decimals}f} (or fix the samples)"
            )
        checked.append(True)
    return checked
