"""`build-info.json`: which source, when, and with which tools a published version was built.

Readers (and the shrink check of the next publish) trust a published version only as far as they
can trace it back to a commit; the file sits at the root of each version, next to its pages.
"""

from __future__ import annotations

import json
import platform
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from kb import external
from kb.errors import KbError

FILE_NAME = "build-info.json"
SCHEMA = 1

# Distribution name -> key in build-info.json.
PYTHON_TOOLS = {"mkdocs": "mkdocs", "mkdocs-material": "material", "mike": "mike"}


def tool_versions() -> dict[str, str]:
    versions = {key: metadata.version(dist) for dist, key in PYTHON_TOOLS.items()}
    versions["python"] = platform.python_version()
    try:
        versions["go"] = external.version("go")
    except KbError as exc:
        # A site can be published without Go only if nothing in it needed Go; say so rather than guess.
        versions["go"] = f"not installed ({exc})"
    return versions


def make_build_info(
    *,
    version: str,
    source_sha: str,
    committed_at: str,
    pages: int,
    engine: str,
    built_at: datetime | None = None,
    tools: dict[str, str] | None = None,
) -> dict[str, Any]:
    built = (built_at or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    return {
        "schema": SCHEMA,
        "version": version,
        "source_sha": source_sha,
        "committed_at": committed_at,
        "built_at": built.isoformat().replace("+00:00", "Z"),
        "pages": pages,
        "engine": engine,
        "tools": tools if tools is not None else tool_versions(),
    }


def write_build_info(site_dir: Path, info: dict[str, Any]) -> Path:
    path = site_dir / FILE_NAME
    path.write_text(json.dumps(info, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path
