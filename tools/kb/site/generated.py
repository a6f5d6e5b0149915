"""Generated pages are real files under docs/, written before MkDocs collects files.

Why real files: mkdocs-static-i18n rebuilds every File from docs_dir, so in-memory generated files
(File.generated) crash it, and files outside docs_dir are not translated. Why write-if-changed: the
live preview watches docs/, so rewriting an unchanged file would rebuild forever. Every generated
path must be git-ignored (see .gitignore), so sources stay the only committed input.
"""

from __future__ import annotations

from pathlib import Path


def write_if_changed(path: Path, content: str | bytes) -> bool:
    """Write `content` to `path` unless it already holds exactly that; True if written."""
    data = content.encode("utf-8") if isinstance(content, str) else content
    try:
        if path.read_bytes() == data:
            return False
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    tmp.replace(path)
    return True
