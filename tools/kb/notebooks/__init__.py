"""Executable bilingual notebooks.

A notebook is one jupytext percent-format `.py` file under docs/. Its markdown cells are tagged
`zh` or `en`; its code cells are shared by both languages. The pipeline, one module per step:

    source.py     read the .py, keep each cell's line in the file, check the zh/en pairing
    cache.py      jupyter-cache: execute once per change of code, lock file or declared inputs
    execute.py    run stale notebooks in parallel (nbclient), one fresh kernel per notebook;
                  a failing cell becomes `docs/x.py:42: code cell 3 ('...'): ValueError: ...`
    forkserver.py the kernel executor: kernels forked from a pre-imported zygote (~0.1 s, not ~1.5 s)
    headings.py   unicode heading ids and TOC for rendered notebooks (Chinese headings included)
    plugin.py     MkDocs glue: write x.ipynb (zh) and x.en.ipynb (en) next to x.py, re-mark them as
                  notebook pages after mkdocs-static-i18n rebuilt the file list
"""
