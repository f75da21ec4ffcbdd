"""Starting the real CLI from a test: as a fresh `python -c ...` subprocess, or, for a
`Forked` command, forked from a server that imported the CLI once (tests/forkserver.py).

A forked command is the same program in a process of its own, with its own argv,
environment, directory and standard streams: it is killed by its pid, its journal and store
are on disk, and it exits as the subprocess would. What it does not repeat is the Python start
and the CLI's imports (most of the CPU of a short command, about a second), so the conformance,
end-to-end and reliability tests, which start several hundred, fork their commands and `sandbox serve`; the
tests that start `listen`, a metrics run or the crash-resume harness's runs start a fresh
process and keep the start-up itself under test (tests/e2e/conftest.py).
"""

from __future__ import annotations

import atexit
import json
import os
import selectors
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import IO, Any

REPO = Path(__file__).resolve().parents[1]


class Forked(list[str]):
    """A command (the argv a fresh subprocess would run) to start by fork instead, from a
    server that has imported `preload` and the CLI."""

    def __init__(self, argv: list[str], preload: tuple[str, ...] = ()) -> None:
        super().__init__(argv)
        self.preload = preload


class _Server:
    def __init__(self, preload: tuple[str, ...]) -> None:
        self.dir = tempfile.mkdtemp(prefix="mw-fork-")
        self.path = os.path.join(self.dir, "s")
        code = f"import sys; sys.path.insert(0, {str(REPO)!r}); import tests.forkserver as f; f.main()"
        env = dict(os.environ, NO_COLOR="1", COLUMNS="200")
        self.proc = subprocess.Popen(
            [sys.executable, "-c", code, self.path, *preload],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        assert self.proc.stdout is not None
        if self.proc.stdout.readline().strip() != "ready":
            raise RuntimeError(f"the fork server did not start (exit {self.proc.wait(timeout=30)})")

    def close(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


_SERVERS: dict[tuple[str, ...], _Server] = {}
FORKED_CPU = [0.0]  # CPU seconds of every forked command that has ended, in this process


@atexit.register
def _close_servers() -> None:
    for server in _SERVERS.values():
        server.close()


def _server(preload: tuple[str, ...]) -> _Server:
    server = _SERVERS.get(preload)
    if server is None or server.proc.poll() is not None:
        server = _SERVERS[preload] = _Server(preload)
    return server


class ForkedProcess:
    """What a test does with a `subprocess.Popen` of the CLI: pid, poll, wait, send_signal,
    kill, communicate (text), returncode."""

    def __init__(
        self,
        command: Forked,
        args: tuple[str, ...],
        env: dict[str, str],
        cwd: str | None = None,
        stderr: IO[Any] | None = None,
    ) -> None:
        """Its stdout and stderr piped, or its stderr into the open file `stderr` (as Popen's
        `stderr=file`); `stdout` reads the pipe as text, for a caller that reads as it goes."""
        self.args = [*command, *args]
        self.returncode: int | None = None
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe() if stderr is None else (-1, os.dup(stderr.fileno()))
        null = os.open(os.devnull, os.O_RDONLY)
        self._out, self._err = out_r, err_r
        self._stdout: IO[str] | None = None
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            self._sock.connect(_server(command.preload).path)
            request = {"args": list(args), "env": env, "cwd": cwd or os.getcwd()}
            socket.send_fds(self._sock, [json.dumps(request).encode()], [null, out_w, err_w])
        finally:
            for fd in (null, out_w, err_w):
                os.close(fd)
        self.pid = int(self._answer()["pid"])

    @property
    def stdout(self) -> IO[str]:
        if self._stdout is None:
            self._stdout = open(self._out, encoding="utf-8", errors="replace")  # closed as the process is waited for
        return self._stdout

    def _answer(self, timeout: float | None = None) -> dict[str, Any]:
        self._sock.settimeout(timeout)
        msg = self._sock.recv(4096)
        if not msg:
            raise RuntimeError("the fork server's middle process ended without an answer")
        answer: dict[str, Any] = json.loads(msg)
        FORKED_CPU[0] += answer.get("cpu", 0.0)
        return answer

    def poll(self) -> int | None:
        if self.returncode is None:
            try:
                self.returncode = int(self._answer(0)["returncode"])
            except (BlockingIOError, TimeoutError):
                pass
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        if self.returncode is None:
            try:
                self.returncode = int(self._answer(timeout)["returncode"])
            except TimeoutError:
                raise subprocess.TimeoutExpired(self.args, timeout or 0) from None
            self._sock.close()
            if self._stdout is not None:
                self._stdout.close()
        return self.returncode

    def send_signal(self, sig: int) -> None:
        if self.poll() is None:
            os.kill(self.pid, sig)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def communicate(self, timeout: float | None = None) -> tuple[str, str]:
        """Everything the command wrote to stdout and stderr, once it has ended."""
        deadline = None if timeout is None else time.monotonic() + timeout
        chunks: dict[int, list[bytes]] = {self._out: [], self._err: []}
        with selectors.DefaultSelector() as sel:
            for fd in chunks:
                sel.register(fd, selectors.EVENT_READ)
            while sel.get_map():
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    raise subprocess.TimeoutExpired(self.args, timeout or 0)
                for key, _ in sel.select(left):
                    data = os.read(key.fd, 65536)
                    if data:
                        chunks[key.fd].append(data)
                    else:
                        sel.unregister(key.fd)
                        os.close(key.fd)
        self.wait(None if deadline is None else max(0.0, deadline - time.monotonic()))
        return tuple(b"".join(chunks[fd]).decode("utf-8", "replace") for fd in (self._out, self._err))  # type: ignore[return-value]


def _forked_cwd(kw: dict[str, Any]) -> str | None:
    """A forked command takes a directory and nothing else of Popen's: refuse the rest (preexec_fn,
    say) rather than start the command without it."""
    unknown = set(kw) - {"cwd"}
    if unknown:
        raise TypeError(f"a forked command takes no {', '.join(sorted(unknown))}; start it with the plain CLI")
    return kw.get("cwd")


def start(
    command: list[str], args: tuple[str, ...], env: dict[str, str], **kw: Any
) -> subprocess.Popen | ForkedProcess:
    """The CLI started with `args`, its stdout and stderr piped (text) and no stdin."""
    if isinstance(command, Forked):
        return ForkedProcess(command, args, env, _forked_cwd(kw))
    return subprocess.Popen(
        [*command, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        stdin=subprocess.DEVNULL,
        env=env,
        **kw,
    )


def run(command: list[str], args: tuple[str, ...], env: dict[str, str], timeout: float, **kw: Any):
    """`subprocess.run` of the CLI: a CompletedProcess, the command killed if it outlives `timeout`."""
    if not isinstance(command, Forked):
        return subprocess.run(
            [*command, *args],
            check=False,
            capture_output=True,
            text=True,
            timeout=timeout,
            env=env,
            stdin=subprocess.DEVNULL,
            **kw,
        )
    proc = ForkedProcess(command, args, env, _forked_cwd(kw))
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(30)
        raise
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)
