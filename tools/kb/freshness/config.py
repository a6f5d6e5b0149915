"""Freshness settings, read from `[tool.kb.freshness]` in pyproject.toml (all optional)."""

from __future__ import annotations

import tomllib
import zoneinfo
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from kb.errors import KbError


@dataclass(frozen=True)
class Config:
    docs_dir: str = "docs"
    source_language: str = "zh"
    languages: tuple[str, ...] = ("zh", "en")
    # One fixed, published timezone decides which month a commit landed in.
    timezone: str = "Asia/Shanghai"
    # `kb freshness --check` fails when a translation has been stale for longer than this.
    grace_days: int = 14
    # A `reviewed:` bump counts only when its date is within this many days of the landing date.
    review_window_days: int = 7
    heatmap_months: int = 12
    reports_dir: str = "docs/reports"
    ignore_revs_file: str = ".git-blame-ignore-revs"

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)

    @property
    def translations(self) -> tuple[str, ...]:
        return tuple(lang for lang in self.languages if lang != self.source_language)


def load(project_root: Path, **overrides: Any) -> Config:
    """Config from pyproject.toml, then `overrides` (CLI flags; None means not given)."""
    pyproject = project_root / "pyproject.toml"
    table: dict[str, Any] = {}
    if pyproject.exists():
        with pyproject.open("rb") as fh:
            table = tomllib.load(fh).get("tool", {}).get("kb", {}).get("freshness", {})
    known = {f.name: f for f in fields(Config)}
    values: dict[str, Any] = {}
    for key, value in table.items():
        name = key.replace("-", "_")
        if name not in known:
            raise KbError(
                f"{pyproject}: [tool.kb.freshness] has unknown key `{key}`; known keys: {', '.join(known)}"
            )
        values[name] = tuple(value) if name == "languages" else value
    config = replace(Config(), **values, **{k: v for k, v in overrides.items() if v is not None})
    try:
        config.zone  # noqa: B018 - validate early, with the file named
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise KbError(
            f"{pyproject}: [tool.kb.freshness] timezone `{config.timezone}` is not an IANA zone "
            "name (e.g. Asia/Shanghai)"
        ) from exc
    if config.source_language not in config.languages:
        raise KbError(f"{pyproject}: [tool.kb.freshness] source_language must be one of languages")
    return config
