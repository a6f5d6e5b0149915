"""MkDocs plugin `kb-notebooks`: glue between MkDocs and kb.notebooks.pipeline."""

from __future__ import annotations

import logging
from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin, CombinedEvent, event_priority
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page

from kb.errors import KbError
from kb.evidence import claims
from kb.notebooks import headings, offline, pipeline, rendered
from kb.notebooks.config import NotebooksConfig

log = logging.getLogger("mkdocs.plugins.kb-notebooks")


class NotebookPage(File):
    """A .ipynb File that MkDocs treats as a page (mkdocs-jupyter renders it)."""

    def is_documentation_page(self) -> bool:
        return True


def _expand_claims(text: str, where: str, lang: str) -> str:
    # Claims and source citations in notebook prose are expanded exactly as on Markdown pages.
    return claims.expand(text, where=where, lang=lang)


class NotebooksPlugin(BasePlugin[NotebooksConfig]):
    def __init__(self) -> None:
        super().__init__()
        self._generated: set[str] = set()  # src_uris of executed notebooks, e.g. "a/x.ipynb"
        self._sources: set[str] = set()
        self.reports: list[pipeline.Report] = []  # one per pass (static-i18n builds each language)

    def on_pre_build(self, *, config: MkDocsConfig) -> None:
        # Why here: the executed notebooks must exist as real files under docs/ before MkDocs
        # collects files, because mkdocs-static-i18n rebuilds every File from docs_dir (in-memory
        # generated files crash it). static-i18n builds each language again; the second pass
        # finds everything cached and writes nothing.
        root = Path(config.config_file_path).parent
        docs = Path(config.docs_dir)
        settings = pipeline.Settings(
            root=root,
            docs_dir=docs,
            cell_timeout=self.config.cell_timeout,
            workers=self.config.workers,
            executor=self.config.executor,
            preload=self.config.preload,
            inputs=self.config.inputs,
            cache_dir=Path(self.config.cache_dir),
        )
        try:
            report = pipeline.run(settings, expand=_expand_claims)
        except KbError as exc:
            raise PluginError(str(exc)) from None
        self.reports.append(report)
        self._sources = {p.relative_to(docs).as_posix() for p in report.sources}
        self._generated = {
            out.relative_to(docs).as_posix()
            for src in report.sources
            for out in pipeline.outputs_for(src).values()
        }
        for outcome in report.executed:
            log.info(
                "executed %s in %.2f s (cells %.2f s, overhead %.2f s)",
                outcome.job.source.path,
                outcome.wall,
                outcome.compute,
                outcome.overhead,
            )

    def _drop_sources(self, files: Files, *, config: MkDocsConfig) -> Files:
        # Why: a notebook's .py source would otherwise be copied into the site as a raw file.
        for file in list(files):
            if file.src_uri in self._sources:
                files.remove(file)
        return files

    @event_priority(-99)
    def _pages_during_i18n(self, files: Files, *, config: MkDocsConfig) -> Files:
        # Why: static-i18n (priority -100) re-creates every File as a plain File and asks it
        # is_documentation_page(); a plain .ipynb answers False, so the notebook is filed as an
        # asset, gets no alternates, and the language switch sends the reader to the home page.
        # For exactly the length of i18n's hook, our executed notebooks answer True.
        generated = self._generated
        original = self._original_is_page = File.is_documentation_page

        def is_page(file: File) -> bool:
            return file.src_uri in generated or original(file)

        File.is_documentation_page = is_page  # type: ignore[method-assign,assignment]
        return files

    @event_priority(-101)
    def _mark_notebook_pages(self, files: Files, *, config: MkDocsConfig) -> Files:
        # Why: static-i18n re-created every File from its path, dropping mkdocs-jupyter's
        # NotebookFile wrapper; the notebook would be published as raw JSON while --strict still
        # passes (static-i18n issue #198). End the patch above and mark our notebooks as pages.
        File.is_documentation_page = self._original_is_page  # type: ignore[method-assign]
        for file in files:
            if file.src_uri in self._generated:
                # Keep static-i18n's File (its dest path, locale, alternates); only its kind changes.
                file.__class__ = NotebookPage
        return files

    # One hook name, three passes around static-i18n's (-100).
    on_files = CombinedEvent(_drop_sources, _pages_during_i18n, _mark_notebook_pages)

    def on_build_error(self, *, error: Exception) -> None:
        # Why: never leave File patched if the build stopped inside static-i18n's hook.
        if hasattr(self, "_original_is_page"):
            File.is_documentation_page = self._original_is_page  # type: ignore[method-assign]

    @event_priority(-100)
    def on_pre_page(self, page: Page, *, config: MkDocsConfig, files: Files) -> Page:
        # Why: mkdocs-jupyter's ids are ASCII-only (Chinese headings get id=""), which breaks the
        # TOC and Material's search; re-id the rendered headings with the site's slugify. And
        # nbconvert's template loads MathJax/mermaid from CDNs: the site makes no such request.
        # The result is cached (rendered.py): unchanged notebooks skip nbconvert entirely.
        if page.file.src_uri not in self._generated:
            return page
        render = page.render
        jupyter = config.plugins.get("mkdocs-jupyter")
        options = dict(jupyter.config) if jupyter is not None else {}
        folder = Path(config.config_file_path).parent / self.config.render_cache_dir
        digest = rendered.key(Path(page.file.abs_src_path or ""), options)

        def render_with_ids(config: MkDocsConfig, files: Files) -> None:
            hit = rendered.load(folder, digest)
            if hit is not None:
                content, page.title = hit["content"], hit["title"]
            else:
                render(config, files)
                content = offline.strip_remote_scripts(page.content or "")
            page.content, page.toc = headings.fix_headings(content)
            if hit is None:
                rendered.store(folder, digest, page.content, page.title)

        page.render = render_with_ids  # type: ignore[method-assign]
        return page
