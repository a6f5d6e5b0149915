"""Options of the `kb-evidence` MkDocs plugin."""

from __future__ import annotations

from mkdocs.config import base
from mkdocs.config import config_options as c


class EvidenceConfig(base.Config):
    # Folder (relative to the project root) holding claims.yaml, constants.yaml, errata.yaml and the
    # experiments, one per sub-folder.
    registers = c.Type(str, default="snippets/go")
    # Experiments run in parallel: 2 matches the 2-core CI machine without starving the build.
    workers = c.Type(int, default=2)
    # Where the generated pages go, relative to docs_dir (with `.en.md` twins).
    claims_page = c.Type(str, default="reference/claims.md")
    errata_page = c.Type(str, default="reference/errata.md")
