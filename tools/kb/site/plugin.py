"""MkDocs plugin `kb-site`: copies self-hosted browser assets (npm packages) into the site."""

from __future__ import annotations

import shutil
from pathlib import Path

from mkdocs.config import base
from mkdocs.config import config_options as c
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin


class SiteConfig(base.Config):
    # site path -> file in the project (node_modules/...): the site makes no request to a CDN.
    vendor = c.Type(dict, default={})


class SitePlugin(BasePlugin[SiteConfig]):
    def on_config(self, config: MkDocsConfig) -> MkDocsConfig:
        # Why: fail before the (slow) build if `npm ci` has not run, with the fix in the message.
        root = Path(config.config_file_path).parent
        for dest, src in self.config.vendor.items():
            if not (root / src).is_file():
                raise PluginError(
                    f"mkdocs.yml: kb-site.vendor[{dest!r}]: {src} is missing: run `make setup` (npm ci)"
                )
        return config

    def on_post_build(self, *, config: MkDocsConfig) -> None:
        # Why after the build: these files are not pages and static-i18n must not duplicate them
        # per language; every page refers to them at the site root.
        root = Path(config.config_file_path).parent
        for dest, src in self.config.vendor.items():
            out = Path(config.site_dir) / dest
            out.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(root / src, out)
