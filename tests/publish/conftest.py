"""A tiny MkDocs project in a git repository, a local bare remote, and clones that publish to it.

Everything runs against `git init --bare` in tmp_path: the same compare-and-swap ref updates as a
hosted remote, no network.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "Publisher Test",
    "GIT_AUTHOR_EMAIL": "publisher@example.invalid",
    "GIT_COMMITTER_NAME": "Publisher Test",
    "GIT_COMMITTER_EMAIL": "publisher@example.invalid",
}


def git(cwd: Path, *args: str) -> str:
    proc = subprocess.run(["git", "-C", str(cwd), *args], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, f"git {' '.join(args)}: {proc.stderr}"
    return proc.stdout.strip()


def write_project(root: Path, pages: int = 3, *, broken_link: bool = False) -> None:
    """A Material site with `pages` Markdown pages besides the home page, and no plugins."""
    docs = root / "docs"
    docs.mkdir(parents=True, exist_ok=True)
    (root / "mkdocs.yml").write_text(
        "site_name: Publish fixture\nsite_url: https://example.invalid/kb/\n"
        "theme:\n  name: material\n  font: false\nplugins: []\n",
        encoding="utf-8",
    )
    (root / ".gitignore").write_text("site/\n", encoding="utf-8")
    (docs / "index.md").write_text("# Home\n\nFixture home page.\n", encoding="utf-8")
    for old in docs.glob("page-*.md"):
        old.unlink()
    for i in range(pages):
        link = "\n[broken](missing.md)\n" if broken_link and i == 0 else ""
        (docs / f"page-{i}.md").write_text(f"# Page {i}\n\nBody {i}.{link}\n", encoding="utf-8")


@dataclass
class World:
    tmp: Path
    bare: Path
    upstream: Path  # where "developers" commit; pushes main to the bare remote

    def clone(self, name: str, *extra: str) -> Path:
        dest = self.tmp / name
        subprocess.run(
            ["git", "clone", "--quiet", *extra, f"file://{self.bare}", str(dest)],
            check=True,
            capture_output=True,
        )
        return dest

    def commit_pages(self, pages: int, message: str, *, broken_link: bool = False) -> str:
        write_project(self.upstream, pages, broken_link=broken_link)
        git(self.upstream, "add", "-A")
        git(self.upstream, "commit", "--quiet", "-m", message)
        git(self.upstream, "push", "--quiet", "origin", "main")
        return git(self.upstream, "rev-parse", "HEAD")

    def remote_sha(self, branch: str = "gh-pages") -> str | None:
        out = git(self.bare, "for-each-ref", "--format=%(objectname)", f"refs/heads/{branch}")
        return out or None

    def remote_file(self, path: str, branch: str = "gh-pages") -> str:
        return git(self.bare, "show", f"{branch}:{path}")

    def remote_versions(self) -> dict[str, list[str]]:
        return {v["version"]: sorted(v["aliases"]) for v in json.loads(self.remote_file("versions.json"))}

    def remote_tree(self, branch: str = "gh-pages") -> list[tuple[str, str]]:
        """(mode, path) of every file on the remote publishing branch."""
        out = git(self.bare, "ls-tree", "-r", "--full-tree", branch)
        rows = []
        for line in out.splitlines():
            meta, _, path = line.partition("\t")
            rows.append((meta.split()[0], path))
        return rows


@pytest.fixture(autouse=True)
def _git_identity(monkeypatch: pytest.MonkeyPatch) -> None:
    # CI containers have no global git identity; mike's commit needs one.
    for key, value in GIT_IDENTITY.items():
        monkeypatch.setenv(key, value)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    bare = tmp_path / "remote.git"
    subprocess.run(["git", "init", "--quiet", "--bare", "-b", "main", str(bare)], check=True)
    upstream = tmp_path / "upstream"
    subprocess.run(["git", "init", "--quiet", "-b", "main", str(upstream)], check=True)
    git(upstream, "remote", "add", "origin", f"file://{bare}")
    w = World(tmp_path, bare, upstream)
    w.commit_pages(3, "fixture: three pages")
    yield w
