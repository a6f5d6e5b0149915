"""The two git passes: the first-parent log with raw diffs, and one batch read of all blobs.

Why these flags: `--first-parent` + `--diff-merges=first-parent` show a merge as one change on
main dated when it landed (its committer date), never the branch's commits with the dates they
were written; `-M` pairs renames so a moved page keeps its history; `-z` keeps Chinese paths
unquoted and unambiguous; `--no-abbrev` gives full blob ids for cat-file.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from kb import external
from kb.errors import KbError

ZERO = "0" * 40


class GitError(KbError):
    """git refused or the repository is unusable for freshness (e.g. a shallow clone)."""


@dataclass(frozen=True)
class Change:
    status: str  # A, M, D, R, C or T (first letter of git's status)
    old_sha: str
    new_sha: str
    old_path: str
    new_path: str


@dataclass
class Commit:
    sha: str
    timestamp: int  # committer date, seconds since the epoch: when it landed on main
    parents: tuple[str, ...]
    author: str
    subject: str
    changes: list[Change] = field(default_factory=list)


def _git(repo: Path, *args: str, stdin: bytes | None = None) -> bytes:
    proc = subprocess.run(
        [str(external.which("git")), "-C", str(repo), "-c", "core.quotePath=false", *args],
        input=stdin,
        capture_output=True,
        check=False,
    )
    if proc.returncode != 0:
        raise GitError(
            f"{repo}: `git {' '.join(args[:3])}` failed: {proc.stderr.decode(errors='replace').strip()}"
        )
    return proc.stdout


def check_repository(repo: Path) -> None:
    """Refuse anything but a full clone: a shallow one makes every page look updated at its tip."""
    out = _git(repo, "rev-parse", "--is-shallow-repository").decode().strip()
    if out == "true":
        raise GitError(
            f"{repo}: this is a shallow clone, so every page would look updated at the oldest fetched "
            "commit. Fetch the full history (`git fetch --unshallow`, or `fetch-depth: 0` in "
            "actions/checkout) and run again."
        )


def log(repo: Path, rev: str, pathspec: str) -> list[Commit]:
    """First-parent commits of `rev` touching `pathspec`, oldest first, with their raw changes."""
    raw = _git(
        repo,
        "log",
        "--first-parent",
        "--diff-merges=first-parent",
        "--raw",
        "-M",
        "-z",
        "--no-abbrev",
        "--reverse",
        "--format=%x1e%H%x1f%ct%x1f%P%x1f%an%x1f%s",
        rev,
        "--",
        pathspec,
    )
    return parse_log(raw)


def parse_log(raw: bytes) -> list[Commit]:
    commits: list[Commit] = []
    for chunk in raw.split(b"\x1e")[1:]:
        header, _, rest = chunk.partition(b"\0")
        sha, ts, parents, author, subject = header.decode("utf-8", errors="replace").split("\x1f", 4)
        commit = Commit(sha, int(ts), tuple(parents.split()), author, subject.strip())
        tokens = rest.lstrip(b"\n").split(b"\0")
        i = 0
        while i < len(tokens):
            token = tokens[i].lstrip(b"\n")
            i += 1
            if not token.startswith(b":"):
                continue
            _old_mode, _new_mode, old_sha, new_sha, status = token[1:].decode().split(" ")
            kind = status[0]
            old_path = tokens[i].decode("utf-8", errors="surrogateescape")
            i += 1
            new_path = old_path
            if kind in "RC":
                new_path = tokens[i].decode("utf-8", errors="surrogateescape")
                i += 1
            commit.changes.append(Change(kind, old_sha, new_sha, old_path, new_path))
        commits.append(commit)
    return commits


def cat_blobs(repo: Path, shas: list[str]) -> dict[str, bytes]:
    """Contents of every blob in `shas`, read by one `git cat-file --batch` process."""
    wanted = [s for s in dict.fromkeys(shas) if s != ZERO]
    if not wanted:
        return {}
    out = _git(repo, "cat-file", "--batch", stdin=("\n".join(wanted) + "\n").encode())
    blobs: dict[str, bytes] = {}
    pos = 0
    for sha in wanted:
        nl = out.index(b"\n", pos)
        header = out[pos:nl].split(b" ")
        pos = nl + 1
        if len(header) < 3 or header[1] == b"missing":
            raise GitError(f"{repo}: blob {sha} is missing from the object store (a partial clone?)")
        size = int(header[2])
        blobs[sha] = out[pos : pos + size]
        pos += size + 1
    return blobs


def read_at(repo: Path, rev: str, path: str) -> bytes | None:
    """A file at a revision, or None if it is not there."""
    proc = subprocess.run(
        [str(external.which("git")), "-C", str(repo), "cat-file", "blob", f"{rev}:{path}"],
        capture_output=True,
        check=False,
    )
    return proc.stdout if proc.returncode == 0 else None


def listed_files(repo: Path, pathspec: str) -> list[str]:
    """Tracked plus untracked-but-not-ignored files under `pathspec`: the pages of the working tree
    (generated pages are git-ignored, so they never count)."""
    out = _git(repo, "ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", pathspec)
    return sorted({p for p in out.decode("utf-8", errors="surrogateescape").split("\0") if p})


def head_sha(repo: Path, rev: str = "HEAD") -> str:
    return _git(repo, "rev-parse", "--verify", f"{rev}^{{commit}}").decode().strip()
