"""Live Go evidence: every Go fact the site states is checked against the pinned runtime source or
measured on the real runtime at build time.

Modules (plain functions; the MkDocs plugin in `plugin.py` is glue):
- `toolchain`   the pinned Go (version, GOROOT, release tag for links)
- `experiments` build and run `snippets/go/<name>/main.go`, one JSON line each, cached
- `register`    pydantic models + loading of the YAML registers (constants, claims, errata)
- `constants`   source constants checked against GOROOT/src
- `citations`   `[[src:runtime/proc.go#findRunnable]]` -> link to that line at the release tag
- `claims`      evaluate claims, `expand()` claim references in Markdown
- `pages`       the generated claims-register and errata pages
"""
