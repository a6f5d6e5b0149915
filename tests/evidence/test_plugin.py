"""The kb-evidence plugin in a real (small) MkDocs build: pages get values, drift fails the build."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from evidence_fixtures import make_registers
from kb.evidence import claims, constants
from mkdocs.commands.build import build
from mkdocs.config import load_config
from mkdocs.exceptions import Abort


def _site(tmp_path: Path, registers: Path) -> Path:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "index.md").write_text(
        "# 首页\n\n初始栈 [[claim:stack.initial_size]]，见 [[src:runtime/stack.go#malg]]。\n"
    )
    cfg = tmp_path / "mkdocs.yml"
    cfg.write_text(
        textwrap.dedent(f"""\
        site_name: t
        docs_dir: {docs}
        site_dir: {tmp_path / "site"}
        plugins:
          - kb-evidence:
              registers: {registers}
        nav: [index.md, reference/claims.md, reference/errata.md]
        """)
    )
    return cfg


def test_build_expands_and_generates(
    tmp_path: Path, registers: Path, goroot: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("kb.evidence.toolchain.goroot", lambda: goroot)
    build(load_config(str(_site(tmp_path, registers))))
    html = (tmp_path / "site" / "index.html").read_text()
    assert "初始栈 2048 B" in html and "runtime/stack.go#L" in html
    assert (tmp_path / "docs/reference/claims.en.md").is_file()
    assert "2048 B" in (tmp_path / "site/reference/errata/index.html").read_text()
    claims.set_default_evaluator(None)


def test_drift_fails_build_with_constant_and_page(
    tmp_path: Path,
    registers: Path,
    goroot: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    stack = goroot / "src/runtime/stack.go"
    stack.write_text(stack.read_text().replace("stackMin = 2048", "stackMin = 4096"))
    monkeypatch.setattr("kb.evidence.toolchain.goroot", lambda: goroot)
    with pytest.raises(Abort):
        build(load_config(str(_site(tmp_path, registers))))
    msg = caplog.text
    assert (
        "`stackMin`" in msg and "expected `2048`" in msg and "found `4096`" in msg and "docs/index.md" in msg
    )
    assert constants.numeric("4096") == 4096
    claims.set_default_evaluator(None)


def test_malformed_register_fails_build(
    tmp_path: Path, goroot: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    registers = make_registers(
        tmp_path / "go", claims="- id: x\n  statement: {zh: a, en: b}\n  evidence: []\n"
    )
    monkeypatch.setattr("kb.evidence.toolchain.goroot", lambda: goroot)
    with pytest.raises(Abort):
        build(load_config(str(_site(tmp_path, registers))))
    assert "claims.yaml: entry 0 (id x): field `evidence`" in caplog.text
    claims.set_default_evaluator(None)


def test_errata_gap_fails_build(
    tmp_path: Path,
    registers: Path,
    goroot: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    source = registers / "errata-source.zh.txt"
    source.write_text(source.read_text() + "Go采用分代式分配器\n")
    monkeypatch.setattr("kb.evidence.toolchain.goroot", lambda: goroot)
    with pytest.raises(Abort):
        build(load_config(str(_site(tmp_path, registers))))
    assert "1 statement line(s)" in caplog.text and "(26)" in caplog.text and "分代式" in caplog.text
    assert not (tmp_path / "docs/reference/errata.md").exists()
    claims.set_default_evaluator(None)
