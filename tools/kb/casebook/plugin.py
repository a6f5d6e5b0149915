"""kb-casebook: validate every case, render its artifacts and write its zh/en pages into docs/."""

from __future__ import annotations

import logging
from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin
from mkdocs.structure.files import Files
from mkdocs.structure.pages import Page

from kb.casebook.config import CasebookConfig
from kb.casebook.render.index import MARKER, index_html
from kb.casebook.site import build_cases, case_ids, nav_entries, vendor_assets
from kb.casebook.structure.models import Case
from kb.errors import KbError

log = logging.getLogger("mkdocs.plugins.kb-casebook")


class CasebookPlugin(BasePlugin[CasebookConfig]):
    def __init__(self) -> None:
        self.cases: list[Case] = []

    def on_config(self, config: MkDocsConfig) -> MkDocsConfig:
        # Why here: the nav and the extra assets must be known before i18n (later in `plugins`) copies
        # the config per language; case pages are listed under the casebooks index entry.
        root = Path(config.config_file_path).parent
        ids = case_ids(root / self.config.casebooks_dir)
        if config.nav is not None:
            pages = [f"{self.config.pages_dir}/{i}.md" for i in ids]
            nav_entries(config.nav, f"{self.config.pages_dir}/index.md", pages)
        # on_config runs again for each language build: add the assets once.
        for css in ("assets/casebook/casebook.css", "assets/casebook/d3-flamegraph.css"):
            if css not in config.extra_css:
                config.extra_css.append(css)
        if "assets/casebook/casebook.js" not in [str(x) for x in config.extra_javascript]:
            config.extra_javascript.append("assets/casebook/casebook.js")
        return config

    def on_pre_build(self, config: MkDocsConfig) -> None:
        # Why pre_build: generated pages must be real files in docs/ before files are collected
        # (mkdocs-static-i18n rebuilds Files from docs_dir); write_if_changed keeps `serve` from looping.
        root = Path(config.config_file_path).parent
        docs = Path(config.docs_dir)
        try:
            vendor_assets(root / self.config.node_modules, docs / "assets" / "casebook")
            self.cases = build_cases(
                root / self.config.casebooks_dir,
                docs / self.config.pages_dir,
                root / self.config.cache_dir,
                root,
            )
        except KbError as exc:
            raise PluginError(str(exc)) from None

    def on_page_markdown(self, markdown: str, page: Page, config: MkDocsConfig, files: Files) -> str:
        # Why: the index table is data (every case, filterable) so it is filled in at build, not typed.
        if MARKER not in markdown:
            return markdown
        lang = getattr(page.file, "locale", None) or ("en" if page.file.src_uri.endswith(".en.md") else "zh")
        return markdown.replace(MARKER, index_html(self.cases, "en" if lang == "en" else "zh"))
