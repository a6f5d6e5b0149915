"""MkDocs plugin `kb-evidence`: glue between the build and the evidence modules.

It checks every source constant and every claim before any page is read, writes the generated
register and errata pages, and expands [[claim:...]] / [[src:...]] references in every page.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin
from mkdocs.structure.files import Files
from mkdocs.structure.pages import Page

from kb.errors import KbError
from kb.evidence import checks, claims, errata, pages, toolchain
from kb.evidence.config import EvidenceConfig
from kb.site.generated import write_if_changed


class EvidencePlugin(BasePlugin[EvidenceConfig]):
    def __init__(self) -> None:
        self.evaluator: claims.Evaluator | None = None

    def on_pre_build(self, config: MkDocsConfig) -> None:
        # Why: every check must fail the build before pages are rendered, with ALL problems in one
        # message, and the generated pages must exist as real files before MkDocs collects files.
        # A fresh evaluator per build: registers may have changed since the last preview rebuild;
        # experiments still come from the disk cache, so this costs well under a second. It is also
        # the process-wide default, so kb-notebooks expands notebook cells with the same results.
        folder = Path(config.config_file_path).parent / self.config.registers
        ev = self.evaluator = claims.Evaluator(folder=folder.resolve())
        claims.set_default_evaluator(ev)
        docs_dir = Path(config.docs_dir)
        try:
            reg = ev.register
            used = checks.usage(docs_dir)
            problems = checks.constant_drift(reg, ev.goroot, used)
            unknown = sorted(set(used) - set(reg.claims))
            problems += [f"unknown claim `{cid}` cited by {', '.join(used[cid])}" for cid in unknown]
            ev.prefetch(workers=self.config.workers)
            results = ev.evaluate_all()
            problems += checks.claim_failures(results, used)
            # The errata page promises a row for every statement of chapters 1-4: publish it only
            # when that holds and every row's quote is on the outline lines it names.
            coverage = errata.check(reg.errata, errata.load_source(folder), where=str(folder / "errata.yaml"))
            if not coverage.ok:
                problems.append(errata.describe(coverage, folder))
            if problems:
                raise PluginError(
                    f"kb-evidence: {len(problems)} Go evidence check(s) failed (Go {ev.version()}, "
                    f"GOROOT {ev.goroot}):\n- " + "\n- ".join(problems)
                )
            machine = toolchain.machine()
            for lang, suffix in (("zh", ".md"), ("en", ".en.md")):
                claims_path = docs_dir / self.config.claims_page.removesuffix(".md")
                errata_path = docs_dir / self.config.errata_page.removesuffix(".md")
                write_if_changed(
                    claims_path.with_name(claims_path.name + suffix),
                    pages.claims_page(results, lang=lang, pages=used, go=ev.version(), machine=machine),
                )
                write_if_changed(
                    errata_path.with_name(errata_path.name + suffix),
                    pages.errata_page(reg.errata, lang=lang, evaluator=ev, go=ev.version()),
                )
        except KbError as exc:
            raise PluginError(f"kb-evidence: {exc}") from None

    def on_page_markdown(
        self, markdown: str, /, *, page: Page, config: MkDocsConfig, files: Files
    ) -> str | None:
        # Why: pages name facts, never type them; this is where the verified values go in.
        lang = getattr(page.file, "locale", None)
        where = f"{Path(config.docs_dir).name}/{page.file.src_path}"
        try:
            return claims.expand(
                markdown, where=where, lang=lang if lang in ("zh", "en") else None, evaluator=self.evaluator
            )
        except KbError as exc:
            raise PluginError(f"kb-evidence: {exc}") from None

    def on_serve(self, server: Any, /, *, config: MkDocsConfig, builder: Any) -> Any:
        # Why: registers and experiments are inputs too; editing them must rebuild the preview.
        server.watch(str(Path(config.config_file_path).parent / self.config.registers))
        return server
