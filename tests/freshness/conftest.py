"""A backdated scenario repository: every commit carries explicit author and committer dates."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from kb.freshness.content import split_front_matter, text_hash


class Repo:
    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self.git("init", "-q", "-b", "main")
        self.git("config", "user.name", "Scenario")
        self.git("config", "user.email", "scenario@example.invalid")
        self.git("config", "commit.gpgsign", "false")

    def git(self, *args: str, date: str | None = None, author_date: str | None = None) -> str:
        env = dict(os.environ)
        if date:
            env["GIT_COMMITTER_DATE"] = date
            env["GIT_AUTHOR_DATE"] = author_date or date
        return subprocess.run(
            ["git", "-C", str(self.root), *args], env=env, check=True, capture_output=True, text=True
        ).stdout

    def write(self, path: str, text: str) -> None:
        file = self.root / path
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text(text, encoding="utf-8")

    def read(self, path: str) -> str:
        return (self.root / path).read_text(encoding="utf-8")

    def commit(self, message: str, date: str, author_date: str | None = None) -> str:
        self.git("add", "-A")
        self.git("commit", "-q", "--allow-empty", "-m", message, date=date, author_date=author_date)
        return self.git("rev-parse", "HEAD").strip()


def page(owner: str, reviewed: str, body: str, **extra: str) -> str:
    lines = [f"owner: {owner}", f"reviewed: {reviewed}", *(f"{k}: {v}" for k, v in extra.items())]
    return "---\n" + "\n".join(lines) + "\n---\n" + body


def translation(owner: str, reviewed: str, body: str, source_text: str) -> str:
    """An English page stamped against the given Chinese page text."""
    _, src_body, _ = split_front_matter(source_text)
    return page(owner, reviewed, body, source_hash=text_hash(src_body))


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    return Repo(tmp_path / "repo")
