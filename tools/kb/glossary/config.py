"""Options of the `kb-glossary` MkDocs plugin."""

from __future__ import annotations

from mkdocs.config import base
from mkdocs.config import config_options as c


class GlossaryConfig(base.Config):
    # The terms, relative to the project root (not under docs/: everything there is published).
    terms_file = c.Type(str, default="snippets/glossary.yaml")
    # The generated page, relative to docs_dir (with its `.en.md` twin).
    page = c.Type(str, default="reference/glossary.md")
