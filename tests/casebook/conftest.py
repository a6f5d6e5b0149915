"""Shared fixtures: a copy of the fixture case, and a tiny MkDocs project that builds it with i18n."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
PROJECT = Path(__file__).resolve().parents[2]


@pytest.fixture
def case_dir(tmp_path: Path) -> Path:
    """A writable copy of the complete fixture case, under tmp/casebooks/syn-drop-lab."""
    target = tmp_path / "casebooks" / "syn-drop-lab"
    shutil.copytree(FIXTURES / "syn-drop-lab", target)
    return target
