"""The project's own pages pass the freshness check: owners, review dates, translations in sync."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_project_pages_pass_freshness_check() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "kb.cli", "freshness", "--check"], cwd=ROOT, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
