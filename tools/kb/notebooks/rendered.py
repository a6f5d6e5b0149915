"""A cache of rendered notebook pages: nbconvert costs ~0.3 s a page, every build, every language.

mkdocs-jupyter has a cache of its own, but static-i18n runs a second build pass per language and
mkdocs-jupyter evicts, at the end of each pass, the entries the other pass used; so it rarely hits.
Ours keys the final HTML (after our heading and offline fixes) by the executed notebook's bytes,
the renderer versions and options, and keeps every entry until `kb` clears .cache/.
"""

from __future__ import annotations

import hashlib
import json
from importlib.metadata import version
from pathlib import Path
from typing import Any

# Bump when headings.py or offline.py change what they produce.
RENDER_VERSION = "1"


def key(notebook: Path, options: dict[str, Any]) -> str:
    h = hashlib.sha256(notebook.read_bytes())
    for part in (
        RENDER_VERSION,
        version("mkdocs-jupyter"),
        version("nbconvert"),
        json.dumps(options, sort_keys=True, default=str),
    ):
        h.update(part.encode())
    return h.hexdigest()


def load(folder: Path, digest: str) -> dict[str, Any] | None:
    try:
        data: dict[str, Any] = json.loads((folder / f"{digest}.json").read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return None
    return data


def store(folder: Path, digest: str, content: str, title: str | None) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".{digest}.tmp"
    tmp.write_text(json.dumps({"content": content, "title": title}), encoding="utf-8")
    tmp.replace(folder / f"{digest}.json")
