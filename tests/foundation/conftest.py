"""Fixtures: a minimal bilingual project (only the notebook stack) and notebook writers."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

MINI_MKDOCS = """\
site_name: mini
docs_dir: docs
strict: true
theme:
  name: material
  language: zh
  font: false
plugins:
  - kb-notebooks:
      cell_timeout: {timeout}
      inputs: []
  - i18n:
      docs_structure: suffix
      languages:
        - locale: zh
          name: 中文
          default: true
          build: true
        - locale: en
          name: English
          build: true
  - mkdocs-jupyter:
      include: ["*.ipynb"]
      execute: false
      allow_errors: false
markdown_extensions:
  - toc:
      slugify: !!python/object/apply:pymdownx.slugs.slugify {{kwds: {{case: lower}}}}
"""

HEADER = """\
# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---
"""


def notebook(*cells: tuple[str, str]) -> str:
    """Percent-format text from (kind, body) pairs; kind is "zh", "en" (markdown) or "code"."""
    out = [HEADER]
    for kind, body in cells:
        body = textwrap.dedent(body).strip("\n")
        if kind == "code":
            out.append(f"# %%\n{body}\n")
        else:
            md = "\n".join(f"# {line}".rstrip() for line in body.splitlines())
            out.append(f'# %% [markdown] tags=["{kind}"]\n{md}\n')
    return "\n".join(out)


@pytest.fixture
def mini_project(tmp_path: Path):
    """A project folder with the notebook stack only; returns a function writing notebooks."""

    def make(notebooks: dict[str, str], timeout: int = 60) -> Path:
        (tmp_path / "mkdocs.yml").write_text(MINI_MKDOCS.format(timeout=timeout), encoding="utf-8")
        docs = tmp_path / "docs"
        docs.mkdir(exist_ok=True)
        (docs / "index.md").write_text("# 首页\n", encoding="utf-8")
        (docs / "index.en.md").write_text("# Home\n", encoding="utf-8")
        for name, text in notebooks.items():
            (docs / name).parent.mkdir(parents=True, exist_ok=True)
            (docs / name).write_text(text, encoding="utf-8")
        return tmp_path

    return make


def kb(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    return subprocess.run(
        [sys.executable, "-m", "kb.cli", *args], cwd=cwd, capture_output=True, text=True, env=env, timeout=600
    )
