"""`kb publish` through the real command line: JSON summary on success, one sentence on bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from kb.cli import main

from .conftest import World


def test_kb_publish_and_rollback_commands(
    world: World, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    clone = world.clone("pub")
    monkeypatch.chdir(clone)
    assert main(["publish", "--config-file", "mkdocs.yml", "--version", "2026.11"]) == 0
    first = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert first["version"] == "2026.11" and first["attempts"] == 1
    assert first["published_commit"] == world.remote_sha()

    assert (
        main(
            [
                "publish",
                "--repo",
                str(clone),
                "--config-file",
                str(clone / "mkdocs.yml"),
                "--version",
                "2026.12",
            ]
        )
        == 0
    )
    capsys.readouterr()
    assert main(["publish", "--rollback", "2026.11"]) == 0
    assert "latest now points to 2026.11 (was 2026.12)" in capsys.readouterr().out
    assert world.remote_versions() == {"2026.12": [], "2026.11": ["latest"]}


def test_bad_input_is_one_sentence_not_a_traceback(
    world: World, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    clone = world.clone("pub")
    monkeypatch.chdir(clone)
    # kb's exit code for a KbError is kb.cli's business; ours is that it is one (a sentence, no traceback).
    assert main(["publish", "--rollback", "2026.11"]) not in (0, None)
    err = capsys.readouterr().err
    assert "origin has no branch gh-pages: nothing was ever published" in err and "Traceback" not in err

    not_a_repo = tmp_path / "plain"
    not_a_repo.mkdir()
    assert main(["publish", "--repo", str(not_a_repo), "--config-file", "x.yml"]) not in (0, None)
    assert "not a git repository" in capsys.readouterr().err
