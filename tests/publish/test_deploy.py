"""kb.publish against a local bare repository: publish, keep versions, refuse bad builds, race, roll back."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from kb.errors import KbError
from kb.publish import deploy
from kb.publish.deploy import (
    BuildFailed,
    PublishGaveUp,
    PublishOptions,
    StalePublish,
    mkdocs_builder,
    publish,
    rollback,
)
from kb.publish.gitops import Git, PushRejected
from kb.publish.site import SiteRejected

from .conftest import World, git


def opts(clone: Path, version: str, **kw: Any) -> PublishOptions:
    return PublishOptions(repo=clone, version=version, backoff_seconds=0.01, **kw)


def redirect_target(html: str) -> str:
    """Where one of mike's redirect pages sends the reader."""
    match = re.search(r'<meta http-equiv="refresh" content="\d+; url=([^"]+)"', html)
    assert match, f"not a redirect page: {html[:200]}"
    return match.group(1)


def test_publish_writes_version_redirect_alias_and_build_info(world: World) -> None:
    clone = world.clone("pub")
    result = publish(opts(clone, "2026.11"), mkdocs_builder(clone / "mkdocs.yml"))

    assert world.remote_sha() == result.published_commit
    assert world.remote_versions() == {"2026.11": ["latest"]}
    tree = world.remote_tree()
    paths = {p for _, p in tree}
    assert {
        "2026.11/index.html",
        "2026.11/page-0/index.html",
        "latest/index.html",
        "index.html",
        ".nojekyll",
        "versions.json",
        "2026.11/build-info.json",
    } <= paths
    # A redirect alias, never a symlink (classic Pages and object stores reject symlinks).
    assert not [p for mode, p in tree if mode == "120000"]
    assert redirect_target(world.remote_file("latest/page-0/index.html")) == "../../2026.11/page-0/"
    assert redirect_target(world.remote_file("index.html")) == "latest/"
    assert result.pages == 5  # index, three pages, 404
    assert len([p for p in paths if p.startswith("2026.11/") and p.endswith(".html")]) == result.pages

    info = json.loads(world.remote_file("2026.11/build-info.json"))
    assert info["source_sha"] == git(clone, "rev-parse", "HEAD")
    assert info["committed_at"] == git(clone, "log", "-1", "--format=%cI")
    built = datetime.fromisoformat(info["built_at"].replace("Z", "+00:00"))
    assert abs(time.time() - built.timestamp()) < 600
    assert set(info["tools"]) == {"mkdocs", "material", "mike", "python", "go"}
    assert info["tools"]["mike"] == "2.2.0"
    assert info["tools"]["python"].startswith("3.11")
    assert info["engine"] == "mkdocs"
    assert " with MkDocs " in git(world.bare, "log", "-1", "--format=%B", "gh-pages^")


def test_second_publish_keeps_first_version_and_history(world: World) -> None:
    clone = world.clone("pub")
    first = publish(opts(clone, "2026.11"), mkdocs_builder(clone / "mkdocs.yml"))
    world.commit_pages(4, "one more page")
    git(clone, "pull", "--quiet", "--ff-only")
    second = publish(opts(clone, "2026.12"), mkdocs_builder(clone / "mkdocs.yml"))

    assert world.remote_versions() == {"2026.12": ["latest"], "2026.11": []}
    paths = {p for _, p in world.remote_tree()}
    assert "2026.11/page-2/index.html" in paths and "2026.11/page-3/index.html" not in paths
    assert "2026.12/page-3/index.html" in paths
    assert redirect_target(world.remote_file("latest/index.html")) == "../2026.12/"
    assert second.previous_pages == first.pages
    # Published on top of the first: history kept, no force.
    subprocess.run(
        [
            "git",
            "-C",
            str(world.bare),
            "merge-base",
            "--is-ancestor",
            first.published_commit,
            second.published_commit,
        ],
        check=True,
    )
    first_info = json.loads(world.remote_file("2026.11/build-info.json"))
    second_info = json.loads(world.remote_file("2026.12/build-info.json"))
    assert first_info["source_sha"] != second_info["source_sha"]


def test_failed_strict_build_publishes_nothing(world: World) -> None:
    clone = world.clone("pub")
    publish(opts(clone, "2026.11"), mkdocs_builder(clone / "mkdocs.yml"))
    before = world.remote_sha()
    world.commit_pages(3, "a broken link: a warning, fatal under --strict", broken_link=True)
    git(clone, "pull", "--quiet", "--ff-only")
    with pytest.raises(BuildFailed, match="Nothing was published"):
        publish(opts(clone, "2026.12"), mkdocs_builder(clone / "mkdocs.yml"))
    assert world.remote_sha() == before
    assert world.remote_versions() == {"2026.11": ["latest"]}


def test_failed_first_build_creates_no_branch(world: World) -> None:
    clone = world.clone("pub")

    def crash(site_dir: Path, env: object) -> None:
        site_dir.mkdir()
        (site_dir / "index.html").write_text("half written", encoding="utf-8")
        raise RuntimeError("builder died")

    with pytest.raises(BuildFailed, match="RuntimeError"):
        publish(opts(clone, "2026.11"), crash)
    assert world.remote_sha() is None
    assert Git(clone).rev("refs/heads/gh-pages") is None


def test_empty_site_is_refused(world: World) -> None:
    clone = world.clone("pub")
    with pytest.raises(SiteRejected, match=r"index\.html"):
        publish(opts(clone, "2026.11"), lambda site_dir, env: site_dir.mkdir())
    assert world.remote_sha() is None


def test_shrunken_site_is_refused_unless_allowed(world: World) -> None:
    clone = world.clone("pub")
    publish(opts(clone, "2026.11"), mkdocs_builder(clone / "mkdocs.yml"))  # 5 pages
    before = world.remote_sha()
    world.commit_pages(1, "two pages removed")  # 3 pages: below 90% of 5
    git(clone, "pull", "--quiet", "--ff-only")
    with pytest.raises(SiteRejected, match=r"3 pages, but the last published build had 5"):
        publish(opts(clone, "2026.12"), mkdocs_builder(clone / "mkdocs.yml"))
    assert world.remote_sha() == before
    result = publish(opts(clone, "2026.12", allow_shrink=True), mkdocs_builder(clone / "mkdocs.yml"))
    assert result.pages == 3 and result.previous_pages == 5
    assert world.remote_versions() == {"2026.12": ["latest"], "2026.11": []}


def test_lost_race_fetches_resets_and_retries(world: World) -> None:
    racer, loser = world.clone("racer"), world.clone("loser")
    publish(opts(racer, "2026.10"), mkdocs_builder(racer / "mkdocs.yml"))
    seen: list[int] = []

    def someone_else_publishes_first(attempt: int) -> None:
        seen.append(attempt)
        if attempt == 1:
            publish(opts(racer, "2026.11"), mkdocs_builder(racer / "mkdocs.yml"))

    result = publish(
        opts(loser, "2026.12"), mkdocs_builder(loser / "mkdocs.yml"), before_push=someone_else_publishes_first
    )
    assert seen == [1, 2]
    assert result.attempts == 2
    assert world.remote_versions() == {"2026.12": ["latest"], "2026.11": [], "2026.10": []}
    assert world.remote_sha() == result.published_commit


def test_retries_are_bounded(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    clone = world.clone("pub")

    def always_lose(self: Git, remote: str, branch: str) -> None:
        raise PushRejected("[rejected] (fetch first)")

    monkeypatch.setattr(Git, "push", always_lose)
    sleeps: list[float] = []
    with pytest.raises(PublishGaveUp, match="4 attempts"):
        publish(opts(clone, "2026.11", attempts=4), mkdocs_builder(clone / "mkdocs.yml"), sleep=sleeps.append)
    assert len(sleeps) == 3
    assert sleeps == sorted(sleeps) or max(sleeps) <= 8 * 1.5  # jittered, but growing on average
    assert world.remote_sha() is None


PUBLISHER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from kb.publish.deploy import PublishOptions, mkdocs_builder, publish

    clone, version, go = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3])

    def wait_for_go() -> None:
        # All publishers build first, then race for the branch at the same moment.
        (clone / ".." / f"ready-{version}").resolve().touch()
        while not go.exists():
            time.sleep(0.01)

    result = publish(PublishOptions(repo=clone, version=version, backoff_seconds=0.05, attempts=8),
                     mkdocs_builder(clone / "mkdocs.yml"), after_build=wait_for_go)
    print(result.attempts)
    """
)


def test_three_concurrent_publishers_all_land(world: World) -> None:
    clones = {f"2026.0{i}": world.clone(f"pub{i}") for i in (1, 2, 3)}
    go = world.tmp / "go"
    script = world.tmp / "publisher.py"
    script.write_text(PUBLISHER, encoding="utf-8")
    procs = [
        subprocess.Popen(
            [sys.executable, str(script), str(clone), version, str(go)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for version, clone in clones.items()
    ]
    deadline = time.monotonic() + 120
    while not all((world.tmp / f"ready-{v}").exists() for v in clones):
        assert time.monotonic() < deadline, "publishers did not finish building"
        assert all(p.poll() is None for p in procs), [p.communicate() for p in procs]
        time.sleep(0.02)
    go.touch()
    attempts = []
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
        attempts.append(int(out.split()[-1]))

    versions = world.remote_versions()
    assert set(versions) == set(clones)
    assert sum(aliases == ["latest"] for aliases in versions.values()) == 1
    paths = {p for _, p in world.remote_tree()}
    for version in clones:
        assert f"{version}/index.html" in paths
        info = json.loads(world.remote_file(f"{version}/build-info.json"))
        assert info["version"] == version
    # Each publisher's deploy commit is in the one linear history of the remote branch.
    messages = git(world.bare, "log", "--first-parent", "--format=%s", "gh-pages").splitlines()
    for version in clones:
        assert sum(f" to {version} with MkDocs" in m for m in messages) == 1
    assert len(attempts) == 3


def test_rollback_points_latest_back(world: World) -> None:
    clone = world.clone("pub")
    publish(opts(clone, "2026.11"), mkdocs_builder(clone / "mkdocs.yml"))
    publish(opts(clone, "2026.12"), mkdocs_builder(clone / "mkdocs.yml"))
    assert redirect_target(world.remote_file("latest/index.html")) == "../2026.12/"

    other = world.clone("ops")  # rollback from any clone, no build
    rb = rollback(opts(other, "ignored"), "2026.11")
    assert rb.changed and rb.previous_target == "2026.12"
    assert world.remote_versions() == {"2026.12": [], "2026.11": ["latest"]}
    assert redirect_target(world.remote_file("latest/index.html")) == "../2026.11/"
    assert redirect_target(world.remote_file("latest/page-1/index.html")) == "../../2026.11/page-1/"
    assert "2026.12/index.html" in {p for _, p in world.remote_tree()}  # nothing deleted

    again = rollback(opts(other, "ignored"), "2026.11")
    assert not again.changed and again.published_commit == rb.published_commit
    with pytest.raises(KbError, match=r"no published version '2025.01'.*2026.12, 2026.11"):
        rollback(opts(other, "ignored"), "2025.01")


def test_rollback_retries_after_a_lost_race(world: World) -> None:
    racer, ops = world.clone("racer"), world.clone("ops")
    publish(opts(racer, "2026.11"), mkdocs_builder(racer / "mkdocs.yml"))
    publish(opts(racer, "2026.12"), mkdocs_builder(racer / "mkdocs.yml"))

    def racer_publishes(attempt: int) -> None:
        if attempt == 1:
            publish(opts(racer, "2026.10"), mkdocs_builder(racer / "mkdocs.yml"))

    rb = rollback(opts(ops, "ignored"), "2026.11", before_push=racer_publishes)
    assert rb.attempts == 2 and rb.changed
    # The racer's version landed and moved latest; the rollback, retried on top, moved it back.
    assert rb.previous_target == "2026.10"
    assert world.remote_versions() == {"2026.12": [], "2026.11": ["latest"], "2026.10": []}


def test_malformed_versions_json_is_a_clear_error(world: World) -> None:
    clone = world.clone("pub")
    publish(opts(clone, "2026.11"), mkdocs_builder(clone / "mkdocs.yml"))
    git(clone, "fetch", "--quiet", "origin", "gh-pages:gh-pages")
    git(clone, "checkout", "--quiet", "gh-pages")
    (clone / "versions.json").write_text("{not json", encoding="utf-8")
    git(clone, "commit", "--quiet", "-am", "someone broke versions.json by hand")
    git(clone, "push", "--quiet", "origin", "gh-pages")
    git(clone, "checkout", "--quiet", "main")
    with pytest.raises(KbError, match=r"gh-pages:versions\.json: not valid JSON"):
        publish(opts(clone, "2026.12"), mkdocs_builder(clone / "mkdocs.yml"))


def test_stale_clone_cannot_move_a_version_back_in_time(world: World) -> None:
    stale = world.clone("stale")  # at the first commit
    newer = world.commit_pages(4, "newer content")
    fresh = world.clone("fresh")
    publish(opts(fresh, "2026.12"), mkdocs_builder(fresh / "mkdocs.yml"))
    before = world.remote_sha()

    # The stale clone has never seen the newer commit: committer dates decide.
    env = {**os.environ, "GIT_COMMITTER_DATE": "2001-01-01T00:00:00Z"}
    subprocess.run(
        ["git", "-C", str(stale), "commit", "--quiet", "--allow-empty", "-m", "old local work"],
        check=True,
        env=env,
    )
    with pytest.raises(StalePublish, match="newer than this checkout"):
        publish(opts(stale, "2026.12"), mkdocs_builder(stale / "mkdocs.yml"))
    assert world.remote_sha() == before

    # It knows the newer commit but has not moved to it: ancestry decides.
    git(stale, "fetch", "--quiet", "origin")
    git(stale, "reset", "--quiet", "--hard", f"{newer}~1")
    with pytest.raises(StalePublish):
        publish(opts(stale, "2026.12"), mkdocs_builder(stale / "mkdocs.yml"))
    assert world.remote_sha() == before

    # Republishing the same or a newer commit is fine.
    republished = publish(opts(fresh, "2026.12"), mkdocs_builder(fresh / "mkdocs.yml"))
    assert republished.published_commit == world.remote_sha() != before


def test_shallow_clone_is_refused(world: World) -> None:
    world.commit_pages(4, "second commit, so depth 1 really cuts history")
    shallow = world.clone("shallow", "--depth", "1")
    assert git(shallow, "rev-parse", "--is-shallow-repository") == "true"
    built: list[Path] = []
    with pytest.raises(KbError, match="shallow clone"):
        publish(opts(shallow, "2026.11"), lambda site_dir, env: built.append(site_dir))
    assert built == [] and world.remote_sha() is None


def test_dirty_tree_is_refused(world: World) -> None:
    clone = world.clone("pub")
    (clone / "docs" / "index.md").write_text("# Edited, not committed\n", encoding="utf-8")
    with pytest.raises(KbError, match="uncommitted changes"):
        publish(opts(clone, "2026.11"), mkdocs_builder(clone / "mkdocs.yml"))


def test_properdocs_engine_is_refused(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    from mike import mkdocs_utils

    clone = world.clone("pub")
    monkeypatch.setattr(mkdocs_utils, "_program_name", "properdocs")
    with pytest.raises(KbError, match="properdocs"):
        publish(opts(clone, "2026.11"), mkdocs_builder(clone / "mkdocs.yml"))
    assert world.remote_sha() is None


def test_deploy_message_naming_another_engine_is_refused(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mike import mkdocs_utils

    clone = world.clone("pub")
    monkeypatch.setattr(mkdocs_utils, "version_info", lambda: "ProperDocs 1.0")
    with pytest.raises(KbError, match="another engine"):
        publish(opts(clone, "2026.11"), mkdocs_builder(clone / "mkdocs.yml"))
    assert world.remote_sha() is None


def test_default_version_is_month_of_commit_in_shanghai(world: World) -> None:
    assert deploy.month_version("2026-11-30T16:00:00+00:00") == "2026.12"
    assert deploy.month_version("2026-11-30T15:59:59+00:00") == "2026.11"
    clone = world.clone("pub")
    result = publish(PublishOptions(repo=clone), mkdocs_builder(clone / "mkdocs.yml"))
    expected = deploy.month_version(git(clone, "log", "-1", "--format=%cI"))
    assert result.version == expected and set(world.remote_versions()) == {expected}
