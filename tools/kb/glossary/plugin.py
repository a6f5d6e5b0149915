"""MkDocs plugin `kb-glossary`: writes the glossary page from snippets/glossary.yaml."""

from __future__ import annotations

from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin

from kb.errors import KbError
from kb.glossary import page, terms
from kb.glossary.config import GlossaryConfig
from kb.site.generated import write_if_changed


class GlossaryPlugin(BasePlugin[GlossaryConfig]):
    def on_pre_build(self, config: MkDocsConfig) -> None:
        # Why: the page must exist as a real file before MkDocs (and static-i18n) collect files, and
        # a malformed data file must stop the build with its file:line message. The consistency check
        # is NOT run here: it is `kb glossary check` and a test, so one page in progress elsewhere
        # does not stop everybody's preview.
        root = Path(config.config_file_path).parent
        try:
            found = terms.load(root / self.config.terms_file)
        except KbError as exc:
            raise PluginError(str(exc)) from None
        base = Path(config.docs_dir) / self.config.page.removesuffix(".md")
        write_if_changed(base.with_name(base.name + ".md"), page.render(found, "zh"))
        write_if_changed(base.with_name(base.name + ".en.md"), page.render(found, "en"))
