"""A pre-warmed `ganzoo` for the docs tests: one server process imports torch and the CLI once,
and every `ganzoo ...` the docs' shell blocks run is a fork of it.

A fresh `ganzoo train` spends about 6 s importing torch and torchvision on the CI machine, and the
docs run some 60 commands. Here the shell blocks still run in bash, exactly as shown, but the
`ganzoo` on their PATH is a small shim (`write_shim`) that hands its argv, environment, working
directory and stdin/stdout/stderr (the file descriptors themselves, over a Unix socket) to the
server. The server forks; the child takes over those descriptors, that environment and directory,
and runs `ganzoo.cli.main()` as the `ganzoo` script does; its exit code goes back to the shim.
So each command is a process of its own (no state leaks from one command to the next), started
after the imports instead of before them. Nothing is pre-computed: only modules are imported.

Size overrides: `DOCS_TEST_ADD` (JSON, {"train": ["--steps", "2"], "train --resume": [...]})
gives options to the commands whose argv starts with a key's words (`with_overrides`); the server
drops every DOCS_TEST_* variable before the command runs.

Run as a script: `python forkserver.py SOCKET` serves until stdin closes.
"""

from __future__ import annotations

import array
import contextlib
import json
import os
import select
import signal
import socket
import sys
from pathlib import Path

ADD_VAR = "DOCS_TEST_ADD"
SOCKET_VAR = "DOCS_TEST_GANZOO_SOCKET"

SHIM = """#!{python} -S
# ganzoo for the docs tests: runs the command in a fork of tests/docs/forkserver.py's server
import array, json, os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(os.environ["{socket_var}"])
msg = json.dumps({{"argv": sys.argv[1:], "env": dict(os.environ), "cwd": os.getcwd()}}).encode()
s.sendmsg([len(msg).to_bytes(8, "big") + msg],
          [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [0, 1, 2]))])
reply = b""
while len(reply) < 4:
    chunk = s.recv(4 - len(reply))
    if not chunk:
        sys.exit(125)
    reply += chunk
sys.exit(int.from_bytes(reply, "big", signed=True))
"""


def write_shim(bin_dir: Path, socket_path: str) -> Path:
    """Write the `ganzoo` shim into `bin_dir` (put it first on PATH)."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    shim = bin_dir / "ganzoo"
    shim.write_text(SHIM.format(python=sys.executable, socket_var=SOCKET_VAR))
    shim.chmod(0o755)
    return shim


EXCLUSIVE = {"--steps": ("--epochs",), "--epochs": ("--steps",)}


def with_overrides(argv: list[str], add: dict[str, list[str]]) -> list[str]:
    """`argv` with the options of every key of `add` whose words start it (shorter keys first).

    An added `--opt VALUE` replaces the command's own `--opt VALUE` (and `--steps` and `--epochs`
    replace each other); `--set` and flags are appended.
    """
    for key in sorted((k for k in add if argv[: len(k.split())] == k.split()), key=len):
        extra = add[key]
        for i, opt in enumerate(extra):
            value = extra[i + 1] if i + 1 < len(extra) else None
            if not opt.startswith("-") or opt == "--set" or value is None or value.startswith("--"):
                continue
            drop = {opt, *EXCLUSIVE.get(opt, ())}
            kept: list[str] = []
            skip = False
            for j, word in enumerate(argv):
                if skip:
                    skip = False
                elif word in drop and j + 1 < len(argv):
                    skip = True
                elif word.split("=", 1)[0] in drop and "=" in word:
                    pass
                else:
                    kept.append(word)
            argv = kept
        argv = argv + extra
    return argv


def _recv_request(conn: socket.socket) -> tuple[dict, list[int]]:
    fds = array.array("i")
    data, ancdata, _, _ = conn.recvmsg(65536, socket.CMSG_LEN(3 * fds.itemsize))
    for level, kind, payload in ancdata:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds.frombytes(payload[: len(payload) - len(payload) % fds.itemsize])
    size = int.from_bytes(data[:8], "big")
    body = data[8:]
    while len(body) < size:
        chunk = conn.recv(size - len(body))
        if not chunk:
            raise ConnectionError("the shim hung up mid-request")
        body += chunk
    return json.loads(body), list(fds)


SERVER_OMP = os.environ.get("OMP_NUM_THREADS")


def _threads_as_in_a_new_process() -> None:
    """torch fixed its thread count in the server: apply a command's own OMP_NUM_THREADS."""
    wanted = os.environ.get("OMP_NUM_THREADS")
    if wanted != SERVER_OMP and wanted and wanted.isdigit():
        import torch

        torch.set_num_threads(int(wanted))


def _child(request: dict, fds: list[int]) -> None:
    """In the forked child: become the `ganzoo` process the shim stands for. Never returns."""
    code = 1
    try:
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
            os.close(fd)
        os.setsid()  # its own process group: a timeout kills the command and what it starts
        env = request["env"]
        add = json.loads(env.get(ADD_VAR) or "{}")
        os.environ.clear()
        os.environ.update({k: v for k, v in env.items() if not k.startswith("DOCS_TEST_")})
        os.chdir(request["cwd"])
        argv = with_overrides(list(request["argv"]), add)
        sys.argv = ["ganzoo", *argv]
        sys.stdin = open(0, closefd=False)  # noqa: SIM115 - the process's own streams
        sys.stdout = open(1, "w", closefd=False)  # noqa: SIM115
        sys.stderr = open(2, "w", closefd=False)  # noqa: SIM115
        _threads_as_in_a_new_process()
        import random

        import numpy as np

        random.seed()  # seeded afresh, as in a new process (a fork copies the parent's state)
        np.random.seed()
        from ganzoo.cli import main

        try:
            main()
            code = 0
        except SystemExit as exit_:
            code = exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 1)
            if isinstance(exit_.code, str):
                sys.stderr.write(exit_.code + "\n")
    except BaseException:  # a crash prints its traceback, as the real script's would
        import traceback

        traceback.print_exc()
        code = 1
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        os._exit(code)


def _finish(conn: socket.socket, code: int) -> None:
    with contextlib.suppress(OSError):
        conn.sendall(code.to_bytes(4, "big", signed=True))
    conn.close()


def serve(socket_path: str) -> None:
    """Import what the commands need, then fork one child per request until stdin closes.

    One thread only (a fork from a multi-threaded process can inherit a lock held by another
    thread): a select loop accepts requests, forks, reaps children and answers the shims.
    """
    import torch  # noqa: F401  - the point of the server: imported once, before any fork
    import torchvision.utils  # noqa: F401  - sample grids (ganzoo.images)

    import ganzoo.cli
    import ganzoo.training.loop  # noqa: F401

    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(socket_path)
    server.listen(16)
    running: dict[int, socket.socket] = {}  # child pid -> the shim's connection
    print("ready", flush=True)
    while True:
        ready, _, _ = select.select([server, sys.stdin, *running.values()], [], [], 0.05)
        if sys.stdin in ready and not sys.stdin.buffer.read1(1):
            break  # the test session ended
        if server in ready:
            conn, _ = server.accept()
            request, fds = _recv_request(conn)
            pid = os.fork()
            if pid == 0:
                server.close()
                conn.close()
                _child(request, fds)
            for fd in fds:
                os.close(fd)
            running[pid] = conn
        for pid, conn in list(running.items()):
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                _finish(running.pop(pid), os.waitstatus_to_exitcode(status))
            elif conn in ready and not conn.recv(1, socket.MSG_PEEK):  # the shim was killed
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                running.pop(pid).close()
    for pid in running:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)


if __name__ == "__main__":
    serve(sys.argv[1])
