"""The git operations mike leaves to its caller.

mike writes a commit on the local publishing branch and pushes it without force, which makes the
push a compare-and-swap on the remote ref; it never fetches. So this module fetches the remote
branch into a private ref, resets the local branch to it before each attempt, pushes, and tells a
lost race (someone else moved the branch: retry) from any other failure (stop and say why).
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from kb import external
from kb.errors import KbError

# Where the remote publishing branch is fetched to: private, so a remote given as a URL works too
# and the user's own remote-tracking refs are never touched.
TRACKING_PREFIX = "refs/kb-publish/"

# Phrases git prints when the remote ref moved between our fetch and our push (a lost race).
_RACE_MARKERS = (
    "fetch first",
    "non-fast-forward",
    "cannot lock ref",
    "failed to update ref",
    "stale info",
    "but expected",
    "incorrect old value",
)


class GitFailed(KbError):
    """A git command failed for a reason other than a lost race."""


class PushRejected(KbError):
    """The remote branch moved since it was fetched: fetch, reset and try again."""


@dataclass(frozen=True)
class Git:
    repo: Path

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(
            [str(external.which("git")), "-C", str(self.repo), *args],
            capture_output=True,
            text=True,
            check=False,
            timeout=600,
        )
        if check and proc.returncode != 0:
            raise GitFailed(
                f"{self.repo}: `git {' '.join(args)}` failed (exit {proc.returncode}): "
                f"{(proc.stderr or proc.stdout).strip()}"
            )
        return proc

    def out(self, *args: str) -> str:
        return self.run(*args).stdout.strip()

    def is_repository(self) -> bool:
        return self.run("rev-parse", "--git-dir", check=False).returncode == 0

    def is_shallow(self) -> bool:
        return self.out("rev-parse", "--is-shallow-repository") == "true"

    def head_sha(self) -> str:
        return self.out("rev-parse", "HEAD")

    def committed_at(self, rev: str = "HEAD") -> str:
        """Committer date (when the change landed), strict ISO 8601 with its offset."""
        return self.out("log", "-1", "--format=%cI", rev)

    def dirty_paths(self) -> list[str]:
        text = self.out("status", "--porcelain", "--untracked-files=normal")
        return [line[3:] for line in text.splitlines() if line]

    def current_branch(self) -> str | None:
        proc = self.run("symbolic-ref", "--quiet", "--short", "HEAD", check=False)
        return proc.stdout.strip() or None

    def rev(self, ref: str) -> str | None:
        proc = self.run("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}", check=False)
        return proc.stdout.strip() or None

    def remote_head(self, remote: str, branch: str) -> str | None:
        """The commit the remote branch points at now, or None if the remote has no such branch."""
        text = self.out("ls-remote", "--heads", remote, f"refs/heads/{branch}")
        for line in text.splitlines():
            sha, _, ref = line.partition("\t")
            if ref == f"refs/heads/{branch}":
                return sha
        return None

    def sync_branch(self, remote: str, branch: str) -> str | None:
        """Make the local `branch` equal to the remote one (or absent if the remote has none).

        This is a reset, not a merge: whatever an earlier failed attempt committed locally is
        dropped, because the next attempt rebuilds its commit on top of what is really published.
        """
        tracking = TRACKING_PREFIX + branch
        head = self.remote_head(remote, branch)
        if head is None:
            for ref in (f"refs/heads/{branch}", tracking):
                if self.rev(ref) is not None:
                    self.out("update-ref", "-d", ref)
            return None
        # The + only moves our private tracking ref; nothing is ever force-pushed.
        self.out("fetch", "--quiet", "--no-tags", remote, f"+refs/heads/{branch}:{tracking}")
        fetched = self.out("rev-parse", tracking)
        self.out("update-ref", f"refs/heads/{branch}", fetched)
        return fetched

    def push(self, remote: str, branch: str) -> None:
        """Push without force: git's ref update is the compare-and-swap that makes racing safe."""
        proc = self.run(
            "push", "--porcelain", remote, f"refs/heads/{branch}:refs/heads/{branch}", check=False
        )
        if proc.returncode == 0:
            return
        text = f"{proc.stdout}\n{proc.stderr}"
        if any(marker in text for marker in _RACE_MARKERS) or "[rejected]" in text:
            raise PushRejected(f"{self.repo}: push of {branch} to {remote} rejected: {text.strip()}")
        raise GitFailed(
            f"{self.repo}: `git push {remote} {branch}` failed (exit {proc.returncode}): {text.strip()}"
        )

    def ls_tree(self, ref: str, path: str) -> list[str]:
        proc = self.run("ls-tree", "-r", "--name-only", "-z", f"{ref}:{path}", check=False)
        if proc.returncode != 0:
            return []
        return [p for p in proc.stdout.split("\0") if p]

    def show(self, ref: str, path: str) -> str | None:
        proc = self.run("show", f"{ref}:{path}", check=False)
        return proc.stdout if proc.returncode == 0 else None

    def last_message(self, ref: str) -> str:
        return self.out("log", "-1", "--format=%B", ref)
