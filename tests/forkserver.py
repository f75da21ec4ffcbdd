"""The server side of tests/launch.py: a process that has imported the CLI (and the modules
named on its command line) once, and forks a fresh copy of itself for each command a test
starts, so each command runs in a process of its own without paying the imports again.

    python -c "import tests.forkserver as f; f.main()" SOCKET [MODULE ...]

For each request (the command's argv, environment and working directory, and its stdin,
stdout and stderr as file descriptors) it forks a middle process, which forks the command,
answers the command's pid, waits for it and answers how it ended (a negative number: the
signal that ended it, as subprocess says) and the CPU seconds it took. The server exits when the process that started it
has gone.
"""

from __future__ import annotations

import atexit
import importlib
import json
import os
import signal
import socket
import sys
import threading
import traceback
from typing import Any


def main() -> None:
    path, preload = sys.argv[1], sys.argv[2:]
    for module in preload:
        importlib.import_module(module)
    # lazy: the server imports the CLI only now, after the modules a test registers first
    from tui.entry import main as cli_main  # noqa: PLC0415
    from wizard import registry  # noqa: PLC0415 - as above

    registry.specs("source"), registry.specs("target")  # every installed adapter, as a command loads them
    parent = os.getppid()
    server = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    server.bind(path)
    server.listen(64)
    server.settimeout(1.0)
    print("ready", flush=True)
    while os.getppid() == parent:
        _reap()
        try:
            conn, _ = server.accept()
        except TimeoutError:
            continue
        conn.settimeout(None)
        msg, fds, _, _ = socket.recv_fds(conn, 1 << 20, 3)
        if os.fork() == 0:
            server.close()
            _middle(conn, json.loads(msg), fds, cli_main)
        conn.close()
        for fd in fds:
            os.close(fd)


def _reap() -> None:
    """Wait for the middles that have ended (so their CPU is counted to this process)."""
    try:
        while os.waitpid(-1, os.WNOHANG)[0]:
            pass
    except ChildProcessError:
        pass


def _middle(conn: socket.socket, request: dict[str, Any], fds: list[int], cli_main: Any) -> None:
    try:
        pid = os.fork()
        if pid == 0:
            conn.close()
            _command(request, fds, cli_main)
        for fd in fds:
            os.close(fd)
        conn.send(json.dumps({"pid": pid}).encode())
        _, status, usage = os.wait4(pid, 0)
        code = -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)
        conn.send(json.dumps({"returncode": code, "cpu": usage.ru_utime + usage.ru_stime}).encode())
    finally:
        os._exit(0)


def _command(request: dict[str, Any], fds: list[int], cli_main: Any) -> None:
    """The command itself: as `python -c "from tui.entry import main; main()" ARGS` would run,
    from its own argv, environment, directory and standard streams, and exit as it would."""
    code: int | str | None = 1
    try:
        for i, fd in enumerate(fds):
            os.dup2(fd, i)
            os.close(fd)
        os.environ.clear()
        os.environ.update(request["env"])
        os.chdir(request["cwd"])
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        sys.argv = ["-c", *request["args"]]
        try:
            cli_main()
            code = 0
        except SystemExit as e:
            code = e.code
        except KeyboardInterrupt:
            traceback.print_exc()
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            os.kill(os.getpid(), signal.SIGINT)
        except BaseException:  # noqa: BLE001 - as the interpreter does: any other exception, its traceback and exit 1
            traceback.print_exc()
            code = 1
        for t in threading.enumerate():  # as the interpreter does at exit: its threads end first
            if t is not threading.main_thread() and not t.daemon:
                t.join()
        atexit._run_exitfuncs()
    finally:
        if isinstance(code, str):
            print(code, file=sys.stderr)
            code = 1
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):
                pass
        os._exit(code or 0)
