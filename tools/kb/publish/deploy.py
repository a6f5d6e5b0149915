"""Publish a built site with mike, safely under concurrent publishers; point `latest` back on rollback.

The order of events is what makes publishing safe:
1. refuse a source that would publish wrong facts (shallow clone, a foreign engine under mike);
2. build once into a fresh temporary folder: if the build fails, nothing has been written anywhere;
3. per attempt: reset the local publishing branch to the remote one, check the site against the
   last published build (no empty or shrunken site), let mike write one commit on top, push it
   without force; if another publisher moved the branch meanwhile, the push is refused and the next
   attempt starts again from the new remote state (bounded, with jittered exponential backoff).
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from importlib import metadata
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from kb.errors import KbError
from kb.publish import buildinfo
from kb.publish.gitops import Git, PushRejected
from kb.publish.site import DEFAULT_MIN_RATIO, count_pages, summarize, validate_site

# Build the site into the given (not yet existing) folder; the mapping holds extra environment
# variables for the build (MIKE_DOCS_VERSION, which mike's MkDocs plugin reads). Raise on failure.
Builder = Callable[[Path, Mapping[str, str]], None]

VERSION_TIMEZONE = "Asia/Shanghai"  # the project's one published timezone (months of freshness, too)
VERSIONS_FILE = "versions.json"


class BuildFailed(KbError):
    """The build did not produce a site; nothing was published."""


class StalePublish(KbError):
    """This version is already published from a newer commit; publishing would move it back in time."""


class PublishGaveUp(KbError):
    """Every attempt lost the race to another publisher."""


@dataclass(frozen=True)
class PublishOptions:
    repo: Path
    remote: str = "origin"
    branch: str = "gh-pages"
    version: str | None = None  # default: YYYY.MM of the source commit's committer date
    timezone: str = VERSION_TIMEZONE
    alias: str = "latest"
    allow_shrink: bool = False
    min_ratio: float = DEFAULT_MIN_RATIO
    allow_dirty: bool = False
    attempts: int = 6
    backoff_seconds: float = 0.25
    use_directory_urls: bool = True


@dataclass
class PublishResult:
    version: str
    source_sha: str
    pages: int
    previous_pages: int | None
    attempts: int
    published_commit: str
    build_info: dict[str, Any] = field(default_factory=dict)


@dataclass
class RollbackResult:
    version: str
    previous_target: str | None
    attempts: int
    published_commit: str
    changed: bool


# --------------------------------------------------------------------------------------- checks


def check_engine() -> str:
    """mike 2.2 silently builds and labels with `properdocs` when that package is installed."""
    from mike import mkdocs_utils

    program = str(mkdocs_utils._program_name)
    with contextlib.suppress(metadata.PackageNotFoundError):
        properdocs = metadata.version("properdocs")
        raise KbError(
            f"properdocs {properdocs} is installed in {sys.prefix}: mike would build and label deployments "
            "with it instead of MkDocs. Remove the dependency that pulls it in (mkdocs-rss-plugin 1.19, "
            "mkdocs-document-dates), run `uv sync`, then publish again."
        )
    if program != "mkdocs":
        raise KbError(f"mike is set to build with {program!r}, not mkdocs; fix the environment and retry.")
    return program


def check_source(git: Git, opts: PublishOptions) -> None:
    if not git.is_repository():
        raise KbError(f"{opts.repo}: not a git repository; publish from a clone of the project.")
    if git.is_shallow():
        raise KbError(
            f"{opts.repo}: this is a shallow clone. Dates and history would be wrong in the published "
            "pages; fetch the full history (`git fetch --unshallow`, or actions/checkout with "
            "fetch-depth: 0) and publish again."
        )
    if git.current_branch() == opts.branch:
        raise KbError(
            f"{opts.repo}: the checked-out branch is {opts.branch}, the publishing branch; check out the "
            "source branch (main) and publish from there."
        )
    if not opts.allow_dirty:
        dirty = git.dirty_paths()
        if dirty:
            shown = ", ".join(dirty[:5]) + (" ..." if len(dirty) > 5 else "")
            raise KbError(
                f"{opts.repo}: uncommitted changes ({shown}); build-info.json would name a commit that is "
                "not what was built. Commit or remove them, or pass --allow-dirty for a local experiment."
            )


def month_version(committed_at: str, timezone: str = VERSION_TIMEZONE) -> str:
    """YYYY.MM of a moment, in the project's fixed timezone (not the machine's)."""
    return datetime.fromisoformat(committed_at).astimezone(ZoneInfo(timezone)).strftime("%Y.%m")


# ------------------------------------------------------------------------------ gh-pages reads


def read_versions(git: Git, ref: str) -> list[dict[str, Any]]:
    text = git.show(ref, VERSIONS_FILE)
    if text is None:
        return []
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise KbError(
            f"{ref}:{VERSIONS_FILE}: not valid JSON ({exc}); repair the publishing branch."
        ) from exc
    return [entry for entry in data if isinstance(entry, dict) and "version" in entry]


def alias_target(versions: list[dict[str, Any]], alias: str) -> str | None:
    for entry in versions:
        if alias in entry.get("aliases", []):
            return str(entry["version"])
    return None


def published_pages(git: Git, ref: str, alias: str) -> int | None:
    """Pages of the build `alias` points at (else the newest version); None before the first publish."""
    versions = read_versions(git, ref)
    if not versions:
        return None
    target = alias_target(versions, alias) or str(versions[0]["version"])
    return count_pages(git.ls_tree(ref, target))


def check_not_older(git: Git, ref: str, version: str, source_sha: str, committed_at: str) -> None:
    """Refuse to replace a version built from a newer commit (a stale clone publishing late).

    Ancestry decides when both commits are known locally and on one line of history; otherwise
    committer dates do.
    """
    text = git.show(ref, f"{version}/{buildinfo.FILE_NAME}")
    if text is None:
        return
    try:
        theirs = json.loads(text)
        their_sha, their_date = str(theirs["source_sha"]), str(theirs["committed_at"])
    except (json.JSONDecodeError, KeyError, TypeError):
        return  # not ours to judge: an old or hand-made deployment without provenance
    if their_sha == source_sha:
        return

    def is_ancestor(a: str, b: str) -> bool:
        return git.run("merge-base", "--is-ancestor", a, b, check=False).returncode == 0

    if git.rev(their_sha) is not None and is_ancestor(source_sha, their_sha):
        newer = True
    elif git.rev(their_sha) is not None and is_ancestor(their_sha, source_sha):
        newer = False
    else:  # unknown here, or diverged history
        newer = datetime.fromisoformat(their_date) > datetime.fromisoformat(committed_at)
    if newer:
        raise StalePublish(
            f"{ref}:{version}/{buildinfo.FILE_NAME}: {version} is already published from {their_sha[:12]} "
            f"({their_date}), newer than this checkout's {source_sha[:12]} ({committed_at}). Nothing was "
            "published; pull main and publish again."
        )


# ----------------------------------------------------------------------------------- builders


def mkdocs_builder(config_file: Path) -> Builder:
    """A strict plain-MkDocs build of `config_file` (without --quiet, which disables strict's count)."""

    def build(site_dir: Path, env: Mapping[str, str]) -> None:
        cmd = [
            sys.executable,
            "-m",
            "mkdocs",
            "build",
            "--strict",
            "--clean",
            "--config-file",
            str(config_file),
            "--site-dir",
            str(site_dir),
        ]
        proc = subprocess.run(cmd, env={**os.environ, **env}, check=False, timeout=3600)
        if proc.returncode != 0:
            raise BuildFailed(f"{config_file}: `mkdocs build --strict` failed (exit {proc.returncode}).")

    return build


def kb_builder(repo: Path) -> Builder:
    """The project's strict build (`kb build --site-dir DIR`), run from the project root."""

    def build(site_dir: Path, env: Mapping[str, str]) -> None:
        cmd = [sys.executable, "-m", "kb.cli", "build", "--site-dir", str(site_dir)]
        proc = subprocess.run(cmd, cwd=repo, env={**os.environ, **env}, check=False, timeout=5400)
        if proc.returncode != 0:
            raise BuildFailed(f"{repo}: `kb build` failed (exit {proc.returncode}); see its output above.")

    return build


# ------------------------------------------------------------------------------------ publish


def _backoff(opts: PublishOptions, attempt: int, sleep: Callable[[float], None]) -> None:
    # Jitter keeps racing publishers from retrying in lockstep and colliding again.
    sleep(min(8.0, opts.backoff_seconds * 2 ** (attempt - 1)) * random.uniform(0.5, 1.5))


def _mike_cfg(site_dir: Path, opts: PublishOptions) -> dict[str, Any]:
    # mike's deploy reads only these two keys of the MkDocs config.
    return {"site_dir": str(site_dir), "use_directory_urls": opts.use_directory_urls}


def _check_deploy_message(git: Git, ref: str) -> None:
    message = git.last_message(ref)
    if " with MkDocs " not in message:
        raise KbError(
            f"{ref}: mike labelled the deployment {message!r}, which names another engine than MkDocs; "
            "nothing was pushed. Check `uv pip list` for properdocs and remove it."
        )


def publish(
    opts: PublishOptions,
    build: Builder,
    *,
    before_push: Callable[[int], None] | None = None,
    after_build: Callable[[], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> PublishResult:
    """Build, validate and deploy one version with mike; see the module docstring for the order."""
    from mike import commands, git_utils

    git = Git(opts.repo)
    check_engine()
    check_source(git, opts)
    source_sha = git.head_sha()
    committed_at = git.committed_at()
    version = opts.version or month_version(committed_at, opts.timezone)

    tmp = Path(tempfile.mkdtemp(prefix="kb-publish-"))
    try:
        site_dir = tmp / "site"
        try:
            build(site_dir, {"MIKE_DOCS_VERSION": version})
        except KbError as exc:
            raise BuildFailed(f"{exc} Nothing was published.") from exc
        except Exception as exc:
            raise BuildFailed(
                f"the build raised {type(exc).__name__}: {exc}. Nothing was published."
            ) from exc
        summary = validate_site(site_dir, None)
        info = buildinfo.make_build_info(
            version=version,
            source_sha=source_sha,
            committed_at=committed_at,
            pages=summary.pages,
            engine=check_engine(),
        )
        buildinfo.write_build_info(site_dir, info)
        if after_build is not None:
            after_build()

        ref = f"refs/heads/{opts.branch}"
        cfg = _mike_cfg(site_dir, opts)
        for attempt in range(1, opts.attempts + 1):
            remote_sha = git.sync_branch(opts.remote, opts.branch)
            if remote_sha:
                check_not_older(git, ref, version, source_sha, committed_at)
            previous = published_pages(git, ref, opts.alias) if remote_sha else None
            validate_site(site_dir, previous, allow_shrink=opts.allow_shrink, min_ratio=opts.min_ratio)
            with contextlib.chdir(opts.repo):
                try:
                    with commands.deploy(
                        cfg,
                        version,
                        title=version,
                        aliases=[opts.alias],
                        update_aliases=True,
                        alias_type=commands.AliasType.redirect,
                        branch=opts.branch,
                    ):
                        pass  # the site is already built and validated
                except git_utils.GitEmptyCommit:
                    # Byte-identical to what is published: there is nothing to push.
                    return PublishResult(
                        version=version,
                        source_sha=source_sha,
                        pages=summary.pages,
                        previous_pages=previous,
                        attempts=attempt,
                        published_commit=git.out("rev-parse", ref),
                        build_info=info,
                    )
                _check_deploy_message(git, ref)
                if git.show(ref, "index.html") is None:
                    commands.set_default(opts.alias, branch=opts.branch)
            if before_push is not None:
                before_push(attempt)
            try:
                git.push(opts.remote, opts.branch)
            except PushRejected:
                if attempt == opts.attempts:
                    break
                _backoff(opts, attempt, sleep)
                continue
            return PublishResult(
                version=version,
                source_sha=source_sha,
                pages=summary.pages,
                previous_pages=previous,
                attempts=attempt,
                published_commit=git.out("rev-parse", ref),
                build_info=info,
            )
        raise PublishGaveUp(
            f"{opts.remote} {opts.branch}: another publisher moved the branch before each of {opts.attempts} "
            "attempts; nothing of this build was published. Run `kb publish` again."
        )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def rollback(
    opts: PublishOptions,
    version: str,
    *,
    before_push: Callable[[int], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> RollbackResult:
    """Point `opts.alias` back at an already published `version` (nothing is rebuilt or deleted)."""
    from mike import commands, git_utils

    git = Git(opts.repo)
    check_engine()
    if not git.is_repository():
        raise KbError(f"{opts.repo}: not a git repository; roll back from a clone of the project.")
    ref = f"refs/heads/{opts.branch}"
    for attempt in range(1, opts.attempts + 1):
        if git.sync_branch(opts.remote, opts.branch) is None:
            raise KbError(
                f"{opts.remote} has no branch {opts.branch}: nothing was ever published to roll back."
            )
        versions = read_versions(git, ref)
        names = [str(v["version"]) for v in versions]
        if version not in names:
            raise KbError(
                f"{opts.remote} {opts.branch}:{VERSIONS_FILE}: no published version {version!r}; "
                f"published versions: {', '.join(names) or '(none)'}."
            )
        current = alias_target(versions, opts.alias)
        if current == version:
            return RollbackResult(version, current, attempt, git.out("rev-parse", ref), changed=False)
        with contextlib.chdir(opts.repo):
            try:
                commands.alias(
                    _mike_cfg(Path("."), opts),
                    version,
                    [opts.alias],
                    update_aliases=True,
                    alias_type=commands.AliasType.redirect,
                    branch=opts.branch,
                )
            except git_utils.GitEmptyCommit:
                return RollbackResult(version, current, attempt, git.out("rev-parse", ref), changed=False)
        if before_push is not None:
            before_push(attempt)
        try:
            git.push(opts.remote, opts.branch)
        except PushRejected:
            if attempt < opts.attempts:
                _backoff(opts, attempt, sleep)
            continue
        return RollbackResult(version, current, attempt, git.out("rev-parse", ref), changed=True)
    raise PublishGaveUp(
        f"{opts.remote} {opts.branch}: another publisher moved the branch before each of {opts.attempts} "
        f"attempts; {opts.alias} was not changed. Run `kb publish --rollback {version}` again."
    )


__all__ = [
    "BuildFailed",
    "Builder",
    "PublishGaveUp",
    "PublishOptions",
    "PublishResult",
    "RollbackResult",
    "StalePublish",
    "check_engine",
    "kb_builder",
    "mkdocs_builder",
    "month_version",
    "publish",
    "rollback",
    "summarize",
]
