"""Options of the kb-casebook MkDocs plugin."""

from __future__ import annotations

from mkdocs.config import base
from mkdocs.config import config_options as c


class CasebookConfig(base.Config):
    # Folder of case folders (casebooks/<id>/case.yaml), relative to the project root.
    casebooks_dir = c.Type(str, default="casebooks")
    # Rendered artifacts cached by input sha256 + renderer version.
    cache_dir = c.Type(str, default=".cache/casebook")
    # Where generated pages go, relative to docs_dir (git-ignored: see .gitignore).
    pages_dir = c.Type(str, default="casebooks")
    # Self-hosted browser assets (never a CDN): d3 + d3-flame-graph are copied from here.
    node_modules = c.Type(str, default="node_modules")
