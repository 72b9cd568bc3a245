"""Headless Chromium driven over the DevTools protocol on a pipe (no WebDriver, no
websocket library): navigate, click as a mouse does, read the page, take screenshots.

Scripts are turned off in every page it opens, so what passes here works with JavaScript
off. Chromium is started with the flags that keep it off the network (this machine's and
CI's network is closed) and with an empty profile.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import Any

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
         "--remote-debugging-pipe", "--window-size=900,760", "about:blank"]


def _above_4(fd: int) -> int:
    moved = fcntl.fcntl(fd, fcntl.F_DUPFD, 5)
    os.close(fd)
    return moved


class ChromiumError(Exception):
    """Chromium answered a command with an error, or did not answer in time."""


class Chromium:
    """One headless Chromium with one page."""

    def __init__(self, timeout: float = 30.0) -> None:
        self.timeout = timeout
        self._profile = tempfile.mkdtemp(prefix="spprov-chromium-")
        to_child, self._write = os.pipe()
        self._read, from_child = os.pipe()
        # Above 4, so that placing them at 3 and 4 in the child cannot overwrite each other.
        to_child, from_child = (_above_4(fd) for fd in (to_child, from_child))

        def arrange() -> None:  # the protocol's fds in the child: 3 reads, 4 writes
            os.dup2(to_child, 3)
            os.dup2(from_child, 4)

        self._process = subprocess.Popen(
            [CHROMIUM, *FLAGS[:-1], f"--user-data-dir={self._profile}", FLAGS[-1]],
            preexec_fn=arrange, pass_fds=(3, 4), stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(to_child)
        os.close(from_child)
        self._buffer = b""
        self._next_id = 0
        self._events: list[dict[str, Any]] = []
        target = self._call("Target.createTarget", {"url": "about:blank"})["targetId"]
        self._session = self._call("Target.attachToTarget",
                                   {"targetId": target, "flatten": True})["sessionId"]
        for method in ("Page.enable", "DOM.enable"):
            self.send(method)
        self.send("Emulation.setScriptExecutionDisabled", {"value": True})

    def __enter__(self) -> Chromium:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        self._process.kill()
        self._process.wait()
        os.close(self._write)
        os.close(self._read)
        shutil.rmtree(self._profile, ignore_errors=True)

    # -- protocol ------------------------------------------------------------------------
    def _call(self, method: str, params: dict[str, Any] | None = None,
              session: str | None = None) -> dict[str, Any]:
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method,
                                   "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._write, json.dumps(message).encode() + b"\0")
        while True:
            answer = self._receive()
            if answer.get("id") == self._next_id:
                if "error" in answer:
                    raise ChromiumError(f"{method}: {answer['error']}")
                return dict(answer.get("result", {}))
            self._events.append(answer)

    def _receive(self) -> dict[str, Any]:
        deadline = time.monotonic() + self.timeout
        while b"\0" not in self._buffer:
            if time.monotonic() > deadline:
                raise ChromiumError("Chromium did not answer in time")
            chunk = os.read(self._read, 1 << 16)
            if not chunk:
                raise ChromiumError("Chromium closed its pipe")
            self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\0", 1)
        return dict(json.loads(raw))

    def send(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        """A command to the page."""
        return self._call(method, params, self._session)

    def _wait_for_load(self) -> None:
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            for index, event in enumerate(self._events):
                if event.get("method") == "Page.loadEventFired":
                    del self._events[: index + 1]
                    return
            self._events.append(self._receive())
        raise ChromiumError("the page did not load in time")

    # -- a person's actions --------------------------------------------------------------
    def open(self, url: str) -> None:
        """Type an address and wait for the page."""
        self._events.clear()
        self.send("Page.navigate", {"url": url})
        self._wait_for_load()

    def click(self, selector: str) -> None:
        """Click the element as a mouse does (no script), and wait for the next page."""
        node = self._node(selector)
        quad = self.send("DOM.getBoxModel", {"nodeId": node})["model"]["content"]
        x, y = (quad[0] + quad[4]) / 2, (quad[1] + quad[5]) / 2
        self._events.clear()
        for kind in ("mousePressed", "mouseReleased"):
            self.send("Input.dispatchMouseEvent", {"type": kind, "x": x, "y": y,
                                                   "button": "left", "clickCount": 1})
        self._wait_for_load()

    def _node(self, selector: str) -> int:
        root = self.send("DOM.getDocument")["root"]["nodeId"]
        node = self.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
        if not node:
            raise ChromiumError(f"no element {selector!r} on {self.url()}")
        return int(node)

    def html(self) -> str:
        """The page's HTML as the browser holds it."""
        root = self.send("DOM.getDocument")["root"]["nodeId"]
        return str(self.send("DOM.getOuterHTML", {"nodeId": root})["outerHTML"])

    def url(self) -> str:
        """The address the page is at."""
        history = self.send("Page.getNavigationHistory")
        return str(history["entries"][history["currentIndex"]]["url"])

    def screenshot(self, path: Path) -> None:
        """The page as a PNG."""
        data = self.send("Page.captureScreenshot", {"format": "png"})["data"]
        path.write_bytes(base64.b64decode(data))
