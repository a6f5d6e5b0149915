"""The execution cache: jupyter-cache, keyed by the code cells *and* everything they depend on.

jupyter-cache hashes only code cells and the kernelspec. A notebook's output also depends on the
locked packages (uv.lock, which pins Go too) and on project code it imports (snippets/): we fold a
digest of those inputs into the kernelspec, so changing them re-executes, and editing prose or a
translation (markdown cells) never does.
"""

from __future__ import annotations

import contextlib
import copy
from pathlib import Path

import nbformat
from jupyter_cache import get_cache
from jupyter_cache.base import CacheBundleIn

from kb.notebooks.source import digest


def inputs_digest(root: Path, patterns: list[str]) -> str:
    """Digest of every file matched by `patterns` (globs relative to `root`), names included."""
    parts: list[bytes] = []
    for pattern in patterns:
        for path in sorted(root.glob(pattern)):
            if path.is_file() and "__pycache__" not in path.parts:
                parts.append(str(path.relative_to(root)).encode())
                parts.append(path.read_bytes())
    return digest(*parts)


class NotebookCache:
    def __init__(self, path: Path, inputs: str) -> None:
        self._cache = get_cache(str(path))
        self._inputs = inputs

    def keyed(self, code_nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
        nb = copy.deepcopy(code_nb)
        nb.metadata["kernelspec"] = {
            "name": "python3",
            "display_name": "Python 3 (ipykernel)",
            "language": "python",
            "kb_inputs": self._inputs,
        }
        return nb

    def lookup(self, keyed_nb: nbformat.NotebookNode) -> nbformat.NotebookNode | None:
        """The executed notebook for exactly these code cells and inputs, or None."""
        try:
            _, merged = self._cache.merge_match_into_notebook(keyed_nb)
        except KeyError:
            return None
        return merged

    def store(self, uri: str, executed: nbformat.NotebookNode, seconds: float) -> None:
        # FileExistsError: another build in the same tree stored this very key a moment ago.
        with contextlib.suppress(FileExistsError):
            self._cache.cache_notebook_bundle(
                CacheBundleIn(executed, uri, data={"execution_seconds": seconds}), overwrite=True
            )
