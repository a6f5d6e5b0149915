"""Typed options of the kb-notebooks MkDocs plugin."""

from __future__ import annotations

from mkdocs.config import base
from mkdocs.config import config_options as c

from kb.notebooks.forkserver import DEFAULT_PRELOAD


class NotebooksConfig(base.Config):
    # Seconds one code cell may run; a notebook header can override it (jupyter: execution: timeout:).
    cell_timeout = c.Type(int, default=120)
    # Notebooks executed at once, each in its own kernel.
    workers = c.Type(int, default=2)
    # "fork": kernels forked from a warm zygote; "kernel": a normal Jupyter kernel per notebook.
    executor = c.Choice(("fork", "kernel"), default="fork")
    # Modules the zygote imports once, so kernels don't import them again.
    preload = c.Type(list, default=list(DEFAULT_PRELOAD))
    # Files (globs, from the project root) whose change re-executes every notebook.
    inputs = c.Type(list, default=["uv.lock", "snippets/**/*.py", "snippets/**/*.go"])
    cache_dir = c.Type(str, default=".cache/jupyter-cache")
    # Final HTML of rendered notebook pages (see rendered.py).
    render_cache_dir = c.Type(str, default=".cache/kb-notebooks-html")
