"""A tiny MkDocs + i18n project around tmp/casebooks, for the end-to-end tests."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[2]


MKDOCS_YML = textwrap.dedent(
    """\
    site_name: casebook test
    docs_dir: docs
    strict: true
    theme: {name: material, language: zh, font: false}
    plugins:
      - kb-casebook:
          node_modules: NODE_MODULES
      - i18n:
          docs_structure: suffix
          fallback_to_default: false
          languages:
            - {locale: zh, name: 中文, default: true, build: true}
            - {locale: en, name: English, build: true, nav_translations: {案例: Casebooks}}
    markdown_extensions:
      - toc: {permalink: true}
      - admonition
      - attr_list
      - md_in_html
      - tables
      - pymdownx.details
      - pymdownx.highlight
      - pymdownx.superfences
      - pymdownx.tabbed: {alternate_style: true}
    nav:
      - 首页: index.md
      - 案例:
          - casebooks/index.md
    """
)


def make_project(root: Path) -> Path:
    """A minimal site around root/casebooks: returns the mkdocs.yml path."""
    docs = root / "docs"
    (docs / "casebooks").mkdir(parents=True, exist_ok=True)
    (docs / "index.md").write_text("# 首页\n", encoding="utf-8")
    (docs / "index.en.md").write_text("# Home\n", encoding="utf-8")
    for name in ("index.md", "index.en.md"):
        shutil.copy(PROJECT / "docs" / "casebooks" / name, docs / "casebooks" / name)
    cfg = root / "mkdocs.yml"
    cfg.write_text(MKDOCS_YML.replace("NODE_MODULES", str(PROJECT / "node_modules")), encoding="utf-8")
    return cfg
