"""`kb serve`: the live preview serves executed notebooks and settles (no rebuild loop)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

from .conftest import notebook


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_renders_notebook_and_does_not_rebuild_forever(mini_project) -> None:  # type: ignore[no-untyped-def]
    root = mini_project({"n.py": notebook(("zh", "# 笔记"), ("en", "# Notes"), ("code", "print('served')"))})
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "kb.cli", "serve", "--dev-addr", f"127.0.0.1:{port}"],
        cwd=root,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        body = ""
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/en/n/", timeout=5) as r:
                    body = r.read().decode()
                break
            except OSError:
                time.sleep(0.5)
        assert "served" in body and "jupyter-wrapper" in body
        time.sleep(6)  # long enough for a write-triggered rebuild loop to show itself
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        out, _ = proc.communicate(timeout=30)
    builds = out.count("documentation to directory")  # one line per language per build
    # one build per language at start; a notebook written on every build would add more and never stop
    assert 2 <= builds <= 2 * 2, out
