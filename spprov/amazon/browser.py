"""Open the consent page in the person's browser, with an environment free of secrets.

Python's ``webbrowser`` picks the browser (``BROWSER`` first, then the desktop's default)
but would start it with spprov's whole environment: ``SOPS_AGE_KEY``, the apps' client
secrets, the CI job's tokens. So spprov asks ``webbrowser`` *which* browser, and starts it
itself with ``spprov.childenv.for_browser``. Only where ``webbrowser`` starts no process
(Windows' ``os.startfile``) does it open the page itself.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import shutil
import subprocess
import sys
import webbrowser
from collections.abc import Mapping

from spprov import childenv


def open_in_browser(url: str, environ: Mapping[str, str]) -> bool:
    """Open ``url``; False when no browser could be started. A ``BROWSER`` program is
    waited for (its exit status counts, as in ``webbrowser``), a desktop browser is not."""
    try:
        browser = _chosen(environ)
    except webbrowser.Error:
        return False  # no browser: the URL is printed for the person to open
    environment = childenv.for_browser(environ)
    try:
        if isinstance(browser, webbrowser.GenericBrowser):
            command = [browser.name, *(arg.replace("%s", url) for arg in browser.args)]
            if isinstance(browser, webbrowser.BackgroundBrowser):
                return _start(command, environment)
            return _run(command, environment)
        if isinstance(browser, webbrowser.UnixBrowser):
            return _start([browser.name, url], environment)
        if sys.platform == "darwin":
            return _run(["open", url], environment)
    except OSError:
        return False
    return bool(browser.open(url))


def _chosen(environ: Mapping[str, str]) -> webbrowser.BaseBrowser:
    """The browser ``webbrowser`` would pick with ``environ``'s ``BROWSER`` (it reads the
    process's own, once): each entry of the list in turn, a command line with ``%s``, a
    browser it knows by name, or a program on ``environ``'s PATH; without ``BROWSER``, the
    desktop's default."""
    listed = [entry for entry in environ.get("BROWSER", "").split(os.pathsep) if entry]
    if not listed:
        return webbrowser.get()
    for entry in listed:
        if "%s" in entry:
            words = shlex.split(entry)
            if words[-1] == "&":
                return webbrowser.BackgroundBrowser(words[:-1])
            return webbrowser.GenericBrowser(words)
        with contextlib.suppress(webbrowser.Error):
            return webbrowser.get(entry)
        if shutil.which(entry.split()[0], path=environ.get("PATH", os.defpath)):
            return webbrowser.GenericBrowser(entry)
    raise webbrowser.Error(f"no runnable browser in BROWSER={environ['BROWSER']}")


def _run(command: list[str], environment: dict[str, str]) -> bool:
    done = subprocess.run(command, env=environment, stdin=subprocess.DEVNULL, check=False)
    return done.returncode == 0


def _start(command: list[str], environment: dict[str, str]) -> bool:
    """Start a desktop browser and leave it running."""
    subprocess.Popen(command, env=environment, stdin=subprocess.DEVNULL,
                     start_new_session=True)
    return True
