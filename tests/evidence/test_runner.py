"""The experiment runner with fixture experiments (real Go): good output and cache behaviour, and
each kind of failure naming the file and the reason."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest
from kb.evidence import experiments
from kb.evidence.errors import (
    ExperimentCompileError,
    ExperimentError,
    ExperimentExitError,
    ExperimentOutputError,
    ExperimentTimeout,
)

GOOD = """package main

import (
\t"fmt"
\t"os"
)

func main() {
\tfmt.Fprintln(os.Stderr, "diagnostics go to stderr")
\tfmt.Printf("{\\"answer\\": 42, \\"env\\": %q, \\"args\\": %d}\\n", os.Getenv("KB_TEST"), len(os.Args)-1)
}
"""


def write(base: Path, name: str, body: str) -> Path:
    folder = base / name
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "main.go").write_text(body)
    return folder


def body(stmts: str, imports: str = '"fmt"') -> str:
    return f"package main\n\nimport ({imports})\n\nfunc main() {{\n{stmts}\n}}\n"


@pytest.fixture
def base(tmp_path: Path) -> Path:
    return tmp_path / "go"


@pytest.fixture
def cache(tmp_path: Path) -> Path:
    return tmp_path / "cache"


def test_good_experiment_then_cache_hit(base: Path, cache: Path) -> None:
    write(base, "good", GOOD)
    first = experiments.run("good", env={"KB_TEST": "x"}, args=["a"], base_dir=base, cache_dir=cache)
    assert first["answer"] == 42 and first["env"] == "x" and first["args"] == 1
    assert first["_run"]["cache"] == "miss"
    assert first["_run"]["machine"]["nproc"] >= 1 and first["_run"]["go"].startswith("go1.")
    second = experiments.run("good", env={"KB_TEST": "x"}, args=["a"], base_dir=base, cache_dir=cache)
    assert second["_run"]["cache"] == "hit" and second["answer"] == 42
    # Different env -> different key -> a real run with the new value.
    third = experiments.run("good", env={"KB_TEST": "y"}, args=["a"], base_dir=base, cache_dir=cache)
    assert third["_run"]["cache"] == "miss" and third["env"] == "y"
    # Changed source -> miss; the cache file holds exactly the program's JSON.
    write(base, "good", GOOD.replace("42", "43"))
    fourth = experiments.run("good", env={"KB_TEST": "x"}, args=["a"], base_dir=base, cache_dir=cache)
    assert fourth["_run"]["cache"] == "miss" and fourth["answer"] == 43
    stored = [json.loads(p.read_text()) for p in cache.glob("good-*.json")]
    assert len(stored) == 3 and all("_run" not in s["result"] for s in stored)


def test_cache_key_covers_every_file(base: Path) -> None:
    folder = write(base, "k", GOOD)
    k1 = experiments.cache_key(folder, None, None, "go1.27.3")
    (folder / "data.txt").write_text("x")
    k2 = experiments.cache_key(folder, None, None, "go1.27.3")
    assert k1 != k2
    assert k2 != experiments.cache_key(folder, None, None, "go1.28.0")
    assert k2 != experiments.cache_key(folder, {"GODEBUG": "x=1"}, None, "go1.27.3")


def test_compile_error_names_file_and_compiler_message(base: Path, cache: Path) -> None:
    write(base, "broken", body("\tfmt.Println(undefinedThing)"))
    with pytest.raises(ExperimentCompileError) as err:
        experiments.run("broken", base_dir=base, cache_dir=cache)
    msg = str(err.value)
    assert "broken/main.go" in msg and "does not compile" in msg and "undefinedThing" in msg
    assert not list(cache.glob("broken-*"))  # failures are not cached


@pytest.mark.parametrize(
    ("stmts", "reason"),
    [
        ('\tfmt.Println(`{"a": 1}`)\n\tfmt.Println(`{"b": 2}`)', "printed 2 lines"),
        ("\tfmt.Println(`hello`)", "stdout is not JSON"),
        ("\tfmt.Println(`[1, 2]`)", "must be one JSON object"),
        ("\tfmt.Print(``)", "printed 0 lines"),
        ('\tfmt.Println(`{"_run": 1}`)', "reserved"),
    ],
)
def test_bad_output_names_file_and_shows_output(base: Path, cache: Path, stmts: str, reason: str) -> None:
    write(base, "bad", body(stmts))
    with pytest.raises(ExperimentOutputError) as err:
        experiments.run("bad", base_dir=base, cache_dir=cache)
    assert "bad/main.go" in str(err.value) and reason in str(err.value)


def test_two_lines_quotes_what_was_printed(base: Path, cache: Path) -> None:
    write(base, "two", body('\tfmt.Println(`{"a": 1}`)\n\tfmt.Println(`second line here`)'))
    with pytest.raises(ExperimentOutputError, match="second line here"):
        experiments.run("two", base_dir=base, cache_dir=cache)


def test_hang_is_killed_with_its_children(base: Path, cache: Path) -> None:
    # The program starts a child `sleep` and then blocks: the whole process group must die.
    write(
        base,
        "hang",
        body(
            '\tcmd := exec.Command("sleep", "300")\n\t_ = cmd.Start()\n'
            '\tfmt.Fprintf(os.Stderr, "child=%d\\n", cmd.Process.Pid)\n\ttime.Sleep(time.Hour)',
            imports='"fmt"; "os"; "os/exec"; "time"',
        ),
    )
    with pytest.raises(ExperimentTimeout) as err:
        experiments.run("hang", base_dir=base, cache_dir=cache, timeout=1.5)
    msg = str(err.value)
    assert "hang/main.go" in msg and "1.5 s" in msg and "killed" in msg
    child = re.search(r"child=(\d+)", msg)
    assert child, msg
    time.sleep(0.2)
    state = Path(f"/proc/{child.group(1)}/stat")
    assert not state.exists() or state.read_text().split()[2] == "Z"


def test_nonzero_exit_shows_stderr(base: Path, cache: Path) -> None:
    write(base, "exit", body('\tfmt.Fprintln(os.Stderr, "went wrong")\n\tos.Exit(3)', imports='"fmt"; "os"'))
    with pytest.raises(ExperimentExitError) as err:
        experiments.run("exit", base_dir=base, cache_dir=cache)
    assert (
        "exit/main.go" in str(err.value) and "status 3" in str(err.value) and "went wrong" in str(err.value)
    )


def test_missing_experiment(base: Path, cache: Path) -> None:
    base.mkdir()
    with pytest.raises(ExperimentError, match="no such experiment"):
        experiments.run("nothing", base_dir=base, cache_dir=cache)


def test_run_many_reports_each_failure(base: Path, cache: Path) -> None:
    write(base, "good", GOOD)
    write(base, "broken", body("\tnope()"))
    answers = experiments.run_many(
        [("good", None, None, 60.0), ("broken", None, None, 60.0)], workers=2, base_dir=base, cache_dir=cache
    )
    assert isinstance(answers[0], dict) and answers[0]["answer"] == 42
    assert isinstance(answers[1], ExperimentCompileError)
