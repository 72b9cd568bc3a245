"""Run the CLI's entry point inside the test process, as pre-commit's and Black's suites do.

A real ``python -m spprov`` costs about 300 ms of start-up (click, jsonschema, httpx,
pyrage, cryptography); a call of :func:`spprov.cli.main.main` about 1 ms. So the
``spprov`` fixture calls ``main`` here, and each call sees what a process of its own
would see:

- its own environment, as the value ``main(argv, environ)`` takes: this process's
  ``os.environ`` is left alone (a change to it fails the run), so anything that read
  ``os.environ`` instead, here or in the programs spprov starts, shows as a failure;
- its repository as ``-C DIR`` (a test whose arguments hold ``-C`` runs in its folder);
- standard input, output and error are files at the descriptor level (0, 1 and 2), so the
  programs spprov starts write where spprov writes, ``isatty()`` is False as under
  ``capture_output``, and the text is decoded as ``subprocess.run(text=True)`` decodes it;
- the exit code is what the interpreter would report: ``SystemExit`` codes, 1 and a
  traceback for an uncaught exception.

What a run leaves behind in the process is put back before the next one (see
:class:`_Leftovers`): folder, signal handlers, the logging tree, the
globals of spprov's modules. A thread a run leaves running is an error, not a leftover:
in a real process it would die with the run, here it would act during the next test.

Python reads some variables before ``main`` (``PYTHON*``, the locale's ``LANG`` and
``LC_*``): a run that sets them differently from this process is a real process
(:func:`needs_process`). ``SPPROV_TESTS_REAL_PROCESS=1`` makes every run one, so the suite
also checks what only a process shows (import-time failures, lazy imports, the hash seed,
the interpreter's own exit).
"""

from __future__ import annotations

import contextlib
import locale
import logging
import os
import signal
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Iterator, Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

REAL_PROCESS_SWITCH = "SPPROV_TESTS_REAL_PROCESS"


def real_processes_only() -> bool:
    """True when the suite runs every spprov invocation as a real process."""
    return os.environ.get(REAL_PROCESS_SWITCH) == "1"


def _startup_sensitive(environ: Mapping[str, str]) -> dict[str, str]:
    return {key: value for key, value in environ.items()
            if key.startswith(("PYTHON", "LC_")) or key == "LANG"}


def needs_process(environ: Mapping[str, str]) -> bool:
    """True when ``environ`` changes what Python reads at start-up, before ``main``."""
    return _startup_sensitive(environ) != _startup_sensitive(os.environ)


def run(argv: list[str], cwd: Path | None, environ: Mapping[str, str],
        input: str) -> tuple[int, str, str]:
    """``(returncode, stdout, stderr)`` of ``spprov ARGV``, called in this process."""
    from spprov.cli.main import main

    argv = list(argv)
    if cwd is not None and "-C" not in argv:
        argv[:0] = ["-C", str(cwd)]  # the repository, given as a person would
        cwd = None
    with _Leftovers() as leftovers, _standard_streams(input) as streams:
        leftovers.enter(cwd)
        code = _call(main, argv, dict(environ))
    return code, _text(streams.stdout), _text(streams.stderr)


def _call(main: Any, argv: list[str], environ: dict[str, str]) -> int:
    try:
        return _exit_status(main(argv, environ))
    except SystemExit as exc:
        return _exit_status(exc.code)
    except KeyboardInterrupt:
        traceback.print_exc()
        return -signal.SIGINT  # Python ends an uncaught Ctrl-C by dying of SIGINT
    except BaseException:  # noqa: BLE001 - reported as the interpreter reports it
        traceback.print_exc()
        return 1


def _exit_status(code: object) -> int:
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    print(code, file=sys.stderr)
    return 1


class _Streams:
    stdout = b""
    stderr = b""


@contextlib.contextmanager
def _standard_streams(input: str) -> Iterator[_Streams]:
    """Descriptors 0, 1 and 2 and ``sys.std*`` on temporary files for one run."""
    encoding = locale.getpreferredencoding(False)
    streams = _Streams()
    saved_fds = [os.dup(fd) for fd in (0, 1, 2)]
    saved_objects = (sys.stdin, sys.stdout, sys.stderr)
    files = [tempfile.TemporaryFile() for _ in range(3)]  # noqa: SIM115 - closed below
    files[0].write(input.encode(encoding))
    files[0].flush()
    files[0].seek(0)
    try:
        for fd, file in enumerate(files):
            os.dup2(file.fileno(), fd)
        sys.stdin = open(0, encoding=encoding, closefd=False)  # noqa: SIM115
        sys.stdout = open(1, "w", encoding=encoding, closefd=False)  # noqa: SIM115
        sys.stderr = open(2, "w", buffering=1, encoding=encoding,  # noqa: SIM115
                          errors="backslashreplace", closefd=False)
        yield streams
    finally:
        for stream in (sys.stdin, sys.stdout, sys.stderr):
            if stream not in saved_objects:
                with contextlib.suppress(Exception):
                    stream.close()  # flushes first
        sys.stdin, sys.stdout, sys.stderr = saved_objects
        for fd, saved in enumerate(saved_fds):
            os.dup2(saved, fd)
            os.close(saved)
        for index, file in enumerate(files[1:], start=1):
            file.seek(0)
            data = file.read()
            if index == 1:
                streams.stdout = data
            else:
                streams.stderr = data
        for file in files:
            file.close()


def _text(data: bytes) -> str:
    """Decoded as ``subprocess.run(text=True)`` decodes: locale encoding, universal newlines."""
    text = data.decode(locale.getpreferredencoding(False))
    return text.replace("\r\n", "\n").replace("\r", "\n")


_SIGNALS = [number for number in signal.valid_signals()
            if number not in (signal.SIGKILL, signal.SIGSTOP)]


class _Leftovers:
    """Everything process-wide a run may change, recorded before and put back after."""

    def __enter__(self) -> _Leftovers:
        self._environ = dict(os.environ)
        self._cwd = os.getcwd()
        self._argv = sys.argv
        self._umask = os.umask(0o022)
        os.umask(self._umask)
        self._handlers = {number: signal.getsignal(number) for number in _SIGNALS}
        self._mask = signal.pthread_sigmask(signal.SIG_BLOCK, [])
        self._logging = _logging_state()
        self._globals = _spprov_globals()
        self._started = _record_threads()
        return self

    def enter(self, cwd: Path | None) -> None:
        """Become the run: its folder (when the test's arguments hold ``-C`` themselves,
        relative to it) and argv."""
        os.chdir(cwd or self._cwd)
        sys.argv = ["spprov"]
        _forget_environment_caches()

    def __exit__(self, *exc: object) -> None:
        threading.Thread.start = _ORIGINAL_START  # type: ignore[method-assign]
        left = self._threads_left()
        os.chdir(self._cwd)
        if os.environ != self._environ:
            changed = sorted(set(os.environ.items()) ^ set(self._environ.items()))
            os.environ.clear()
            os.environ.update(self._environ)
            raise AssertionError(f"spprov changed the process's environment: {changed}")
        sys.argv = self._argv
        os.umask(self._umask)
        for number, handler in self._handlers.items():
            if signal.getsignal(number) is not handler and handler is not None:
                signal.signal(number, handler)
        signal.pthread_sigmask(signal.SIG_SETMASK, self._mask)
        _restore_logging(self._logging)
        _restore_globals(self._globals)
        _forget_environment_caches()
        if left and exc[0] is None:
            names = ", ".join(sorted(thread.name for thread in left))
            raise AssertionError(f"spprov left threads running after it returned: {names}")

    def _threads_left(self, wait: float = 10.0) -> list[threading.Thread]:
        """Threads the run started that are still alive after ``wait`` seconds in all.

        Non-daemon ones are what the interpreter would wait for at exit; daemon ones would
        die with the process, so they must have ended by now, or be ending.
        """
        deadline = time.monotonic() + wait
        started = list(self._started)
        for thread in started:
            thread.join(max(0.0, deadline - time.monotonic()))
        return [thread for thread in started if thread.is_alive()]


_ORIGINAL_START = threading.Thread.start


def _record_threads() -> list[threading.Thread]:
    """The threads the run starts (from its own thread or one of those), from now until
    ``Thread.start`` is put back; not those of servers a test runs in this process."""
    started: list[threading.Thread] = []
    runner = threading.current_thread()

    def start(thread: threading.Thread) -> None:
        if threading.current_thread() is runner or threading.current_thread() in started:
            started.append(thread)
        _ORIGINAL_START(thread)

    threading.Thread.start = start  # type: ignore[method-assign]
    return started


def _forget_environment_caches() -> None:
    """The standard library's choices made from the environment on first use: made anew
    from the run's environment, and from this process's after it."""
    tempfile.tempdir = None  # TMPDIR
    webbrowser = sys.modules.get("webbrowser")
    if webbrowser is not None:  # BROWSER
        webbrowser._tryorder = None  # type: ignore[attr-defined]
        webbrowser._browsers = {}  # type: ignore[attr-defined]


def _logging_state() -> dict[str, tuple[list[logging.Handler], int, bool, bool]]:
    loggers: dict[str, Any] = {"": logging.getLogger()}
    loggers.update(logging.Logger.manager.loggerDict)
    return {name: (list(logger.handlers), logger.level, logger.propagate, logger.disabled)
            for name, logger in loggers.items() if isinstance(logger, logging.Logger)}


def _restore_logging(state: dict[str, tuple[list[logging.Handler], int, bool, bool]]) -> None:
    loggers: dict[str, Any] = {"": logging.getLogger()}
    loggers.update(logging.Logger.manager.loggerDict)
    for name, logger in loggers.items():
        if not isinstance(logger, logging.Logger):
            continue
        handlers, level, propagate, disabled = state.get(name, ([], logging.NOTSET, True,
                                                                 False))
        logger.handlers[:] = handlers
        logger.propagate, logger.disabled = propagate, disabled
        if logger.level != level:
            logger.setLevel(level)
    logging.disable(logging.NOTSET)


def _spprov_modules() -> dict[str, ModuleType]:
    return {name: module for name, module in list(sys.modules.items())
            if (name == "spprov" or name.startswith("spprov.")) and module is not None}


def _spprov_globals() -> dict[str, dict[str, Any]]:
    return {name: dict(vars(module)) for name, module in _spprov_modules().items()}


def _restore_globals(saved: dict[str, dict[str, Any]]) -> None:
    """Put back every global of spprov's modules that a run rebound or added.

    Submodules imported during the run stay (a package gains them as attributes), as do
    modules the run imported for the first time: they are as an import left them.
    """
    for name, module in _spprov_modules().items():
        before = saved.get(name)
        if before is None:
            continue
        namespace = vars(module)
        for key in list(namespace):
            if key not in before and not isinstance(namespace[key], ModuleType):
                del namespace[key]
        for key, value in before.items():
            if namespace.get(key, _MISSING) is not value:
                namespace[key] = value


_MISSING = object()

