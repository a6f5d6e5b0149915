"""Kernels forked from a warm zygote: each notebook gets its own process, without paying for it.

Why: a normal Jupyter kernel start costs 1.2–2.2 s on this kind of machine, most of it importing
ipykernel, numpy and matplotlib again for every notebook. The zygote imports them once; each
notebook's kernel is a fork of it (copy-on-write), so kernels still share no state — the zygote
never runs user code — and start in about 0.1 s. No library offers this for Jupyter kernels
(jupyter_client only knows how to Popen a command), so it is ours: a jupyter_client kernel
provisioner (the extension point meant for custom launchers) plus a small fork server.

Protocol: one JSON request per connection on a Unix socket.
    {"op": "spawn", "argv": [...], "cwd": "...", "env": {...}, "log": "..."}  -> {"pid": 123}
    {"op": "status", "pid": 123}                                              -> {"returncode": null | int}
The zygote reaps its children, so status is authoritative; signals go to the kernel directly.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from queue import Empty
from typing import Any

import zmq
from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.connect import KernelConnectionInfo
from jupyter_client.provisioning import LocalProvisioner
from traitlets import Unicode

from kb.errors import KbError

# Not pyplot nor matplotlib_inline: imported outside IPython they skip the inline-figure hook, and
# plots would come out as "<Figure ...>" text. Their heavy parts (figure, Agg) are safe to share.
DEFAULT_PRELOAD = ("numpy", "matplotlib", "matplotlib.figure", "matplotlib.backends.backend_agg", "graphviz")
_INLINE_BACKEND = "module://matplotlib_inline.backend_inline"
_KERNEL_IMPORTS = (
    "ipykernel.kernelapp", "ipykernel.ipkernel", "ipykernel.zmqshell", "ipykernel.debugger",
    "IPython.core.completerlib", "IPython.core.debugger", "IPython.core.oinspect",
    "IPython.extensions.storemagic", "IPython.utils.wildcard", "pdb", "sqlite3", "faulthandler",
    "tornado.platform.asyncio",
)  # fmt: skip


def _request(sock_path: str, payload: dict[str, Any]) -> dict[str, Any]:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.connect(sock_path)
        s.sendall(json.dumps(payload).encode() + b"\n")
        data = b""
        while not data.endswith(b"\n"):
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    reply: dict[str, Any] = json.loads(data)
    if "error" in reply:
        raise RuntimeError(f"kernel fork server: {reply['error']}")
    return reply


# --------------------------------------------------------------------------- zygote side


def _kernel_child(req: dict[str, Any]) -> None:
    """Runs in the forked child: become a plain ipykernel process and never return."""
    code = 1
    try:
        os.setpgid(0, 0)  # own process group: interrupts and kills reach the kernel's children too
        for sig in (signal.SIGCHLD, signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, signal.SIG_DFL)
        os.environ.clear()
        os.environ.update(req["env"])
        os.chdir(req["cwd"])
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        log = os.open(req["log"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.dup2(log, 1)
        os.dup2(log, 2)
        # The kernelspec's argv is `python -m ipykernel_launcher -f {connection_file}`: we are
        # already that Python, so the app gets only what follows the module name.
        argv = list(req["argv"])
        sys.argv = argv
        app_args = argv[argv.index("ipykernel_launcher") + 1 :]
        from ipykernel.kernelapp import IPKernelApp

        IPKernelApp.launch_instance(argv=app_args)
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 0
    except BaseException:
        import traceback

        traceback.print_exc()
    finally:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)


def serve(sock_path: str, preload: Sequence[str]) -> None:
    """The zygote: import the heavy modules once, then fork one kernel per spawn request."""
    os.environ["MPLBACKEND"] = _INLINE_BACKEND
    for name in preload:
        importlib.import_module(name)
    # The kernel's own imports (debugpy alone is ~0.35 s), so that a forked kernel only initialises:
    # the list is what IPKernelApp.initialize imports beyond these, measured with sys.modules.
    for name in _KERNEL_IMPORTS:
        importlib.import_module(name)

    exited: dict[int, int] = {}
    lock = threading.Lock()

    def reap() -> None:
        # Reaping in a thread keeps the accept loop simple; the child never touches `lock`.
        while True:
            try:
                pid, status = os.wait()
            except ChildProcessError:
                time.sleep(0.05)
                continue
            with lock:
                exited[pid] = os.waitstatus_to_exitcode(status)

    threading.Thread(target=reap, daemon=True).start()
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(sock_path)
    server.listen(16)
    print("ready", flush=True)
    while True:
        conn, _ = server.accept()
        with conn:
            data = b""
            while not data.endswith(b"\n"):
                chunk = conn.recv(65536)
                if not chunk:
                    break
                data += chunk
            try:
                req = json.loads(data)
                if req["op"] == "spawn":
                    pid = os.fork()
                    if pid == 0:
                        server.close()
                        conn.close()
                        _kernel_child(req)
                    reply: dict[str, Any] = {"pid": pid}
                elif req["op"] == "status":
                    with lock:
                        reply = {"returncode": exited.get(req["pid"])}
                elif req["op"] == "exit":
                    conn.sendall(b'{"ok": true}\n')
                    os._exit(0)
                else:
                    reply = {"error": f"unknown op {req['op']!r}"}
            except Exception as exc:  # a bad request must not kill the server
                reply = {"error": repr(exc)}
            conn.sendall(json.dumps(reply).encode() + b"\n")


# --------------------------------------------------------------------------- client side


class ForkServer:
    """A running zygote. Use `with ForkServer.start(...) as fs:`; kernels use `fs.socket_path`."""

    def __init__(self, proc: subprocess.Popen[bytes], sock_path: str, workdir: str) -> None:
        self.proc = proc
        self.socket_path = sock_path
        self.workdir = workdir

    @classmethod
    @contextlib.contextmanager
    def start(cls, preload: Sequence[str] = DEFAULT_PRELOAD, timeout: float = 120.0) -> Iterator[ForkServer]:
        workdir = tempfile.mkdtemp(prefix="kb-zygote-")
        sock_path = os.path.join(workdir, "zygote.sock")
        proc = subprocess.Popen(
            [sys.executable, "-m", "kb.notebooks.forkserver", sock_path, *preload],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=open(os.path.join(workdir, "zygote.log"), "wb"),  # noqa: SIM115 (lives with proc)
        )
        assert proc.stdout is not None
        line = proc.stdout.readline()  # blocks until the zygote has imported everything
        if line.strip() != b"ready":
            proc.wait(timeout)
            log = Path(workdir, "zygote.log").read_text(errors="replace")[-2000:]
            raise KbError(
                f"the notebook kernel fork server failed to start (preload {list(preload)}):\n{log}"
            )
        server = cls(proc, sock_path, workdir)
        try:
            yield server
        finally:
            server.stop()

    def stop(self) -> None:
        with contextlib.suppress(OSError, RuntimeError, ValueError):
            _request(self.socket_path, {"op": "exit"})
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        if self.proc.stdout:
            self.proc.stdout.close()


class _ForkedKernel:
    """Enough of subprocess.Popen for LocalProvisioner's poll/wait/kill/terminate to work."""

    stdin = stdout = stderr = None

    def __init__(self, sock_path: str, pid: int, log: str) -> None:
        self.sock_path = sock_path
        self.pid = pid
        self.log = log
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            try:
                self.returncode = _request(self.sock_path, {"op": "status", "pid": self.pid})["returncode"]
            except OSError:
                # The zygote is gone (build over): the kernel died with it or will shortly.
                self.returncode = -signal.SIGKILL
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(str(self.pid), timeout or 0)
            time.sleep(0.02)
        assert self.returncode is not None
        return self.returncode

    def send_signal(self, signum: int) -> None:
        os.kill(self.pid, signum)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)


class ForkServerProvisioner(LocalProvisioner):
    """jupyter_client provisioner `kb-forkserver`: launch the kernel by forking the zygote.

    Everything else (connection file, ports, signals, shutdown) is LocalProvisioner's, which
    drives our `_ForkedKernel` exactly as it drives a Popen.
    """

    socket_path = Unicode(config=True, help="Unix socket of the running kb fork server")
    log_dir = Unicode(config=True, help="folder for the kernels' stdout/stderr")

    async def launch_kernel(self, cmd: list[str], **kwargs: Any) -> KernelConnectionInfo:
        env = dict(kwargs.get("env") or os.environ)
        cwd = str(kwargs.get("cwd") or os.getcwd())
        log = os.path.join(self.log_dir or tempfile.gettempdir(), f"kernel-{self.kernel_id}.log")
        reply = _request(self.socket_path, {"op": "spawn", "argv": cmd, "cwd": cwd, "env": env, "log": log})
        child = _ForkedKernel(self.socket_path, int(reply["pid"]), log)
        self.process = child  # type: ignore[assignment]  # duck-types the Popen LocalProvisioner expects
        self.pid = child.pid
        self.pgid = child.pid
        self.cwd = cwd
        return self.connection_info

    async def wait(self) -> int | None:
        # LocalProvisioner polls every 100 ms; a killed fork is reaped within a millisecond or two.
        if self.process is None:
            return 0
        while (code := self.process.poll()) is None:
            await asyncio.sleep(0.005)
        self.process = None
        return code


class QuickReadyClient(AsyncKernelClient):
    """A kernel client whose readiness check costs milliseconds instead of 0.2–0.6 s.

    jupyter_client's wait_for_ready waits 0.2 s for an IOPub message after kernel_info and then
    0.2 s of IOPub silence. We keep the same two checks (the reply arrived; IOPub is connected,
    i.e. ZeroMQ's slow-joiner window is over) with short polls, and drain instead of waiting for
    silence: nbclient matches IOPub messages to the request that caused them, so a late
    start-up status message cannot be mistaken for a cell's output.
    """

    def start_channels(self, *args: Any, **kwargs: Any) -> None:
        # The client usually connects before the fresh kernel has bound its ports; ZeroMQ then
        # retries after RECONNECT_IVL (100 ms by default, per socket), which alone cost ~0.25 s.
        self.context.setsockopt(zmq.RECONNECT_IVL, 5)
        super().start_channels(*args, **kwargs)

    async def wait_for_ready(self, timeout: float | None = None) -> None:
        deadline = time.monotonic() + (timeout if timeout is not None else 60.0)
        while True:
            if time.monotonic() > deadline:
                raise RuntimeError(f"Kernel didn't respond in {timeout} seconds")
            self.kernel_info()
            try:
                msg = await self.shell_channel.get_msg(timeout=0.5)
            except Empty:
                if not await self._async_is_alive():
                    raise RuntimeError("Kernel died before replying to kernel_info") from None
                continue
            if msg["msg_type"] != "kernel_info_reply":
                continue
            try:
                await self.iopub_channel.get_msg(timeout=0.05)
            except Empty:
                continue  # IOPub not subscribed yet: ask again
            self._handle_kernel_info_reply(msg)
            break
        while True:
            try:
                await self.iopub_channel.get_msg(timeout=0.01)
            except Empty:
                return


if __name__ == "__main__":
    serve(sys.argv[1], sys.argv[2:])
