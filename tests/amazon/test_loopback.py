"""The loopback listener under raw sockets: idle and slow connections, forged requests.

These talk to a real listener on 127.0.0.1 with plain sockets, because the misbehaving
clients (a connection that never sends, a request line cut in half) are exactly what an
HTTP client library will not produce.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest

from spprov.amazon import loopback, pages
from spprov.amazon.loopback import LoopbackListener
from spprov.amazon.pages import Who
from spprov.errors import AuthorizationError
from tests.fixtures_gitops import free_port

STATE = "s" * 43
WHO = Who("acme-us", "acme")


@pytest.fixture
def listener() -> Iterator[tuple[LoopbackListener, int]]:
    port = free_port()
    with LoopbackListener(f"http://127.0.0.1:{port}/callback", STATE, WHO) as running:
        yield running, port


def _connect(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=15)
    return sock


def _get(port: int, target: str) -> tuple[int, str]:
    """One raw HTTP/1.0 GET: the status and the body."""
    with _connect(port) as sock:
        sock.sendall(f"GET {target} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n".encode())
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), body.decode()


def _get_in_background(port: int, target: str) -> tuple[threading.Thread, list[tuple[int, str]]]:
    answers: list[tuple[int, str]] = []
    thread = threading.Thread(target=lambda: answers.append(_get(port, target)))
    thread.start()
    return thread, answers


REAL = f"/callback?state={STATE}&selling_partner_id=A1PARTNER&spapi_oauth_code=ANcode"


def _authorize(listener: LoopbackListener, port: int) -> tuple[int, str]:
    thread, answers = _get_in_background(port, REAL)
    callback = listener.wait(10)
    assert (callback.selling_partner_id, callback.code.reveal()) == ("A1PARTNER", "ANcode")
    listener.finish(pages.authorized(WHO, callback.selling_partner_id))
    thread.join(10)
    return answers[0]


def test_a_half_open_connection_does_not_block_the_redirect(
        listener: tuple[LoopbackListener, int]) -> None:
    running, port = listener
    with _connect(port), _connect(port) as cut:
        cut.sendall(b"GET /callback?state=")  # a request line that never ends
        status, body = _authorize(running, port)
    assert status == 200
    assert ("Authorized acme-us for app acme (selling partner A1PARTNER)." in body)
    assert "ANcode" not in body  # the code is a secret: never echoed


def test_the_page_waits_for_the_outcome_and_survives_a_reload(
        listener: tuple[LoopbackListener, int]) -> None:
    running, port = listener
    assert _authorize(running, port)[0] == 200
    status, body = _get(port, REAL)  # the person reloads the tab
    assert status == 200 and "Authorized acme-us" in body


@pytest.mark.parametrize("target", [
    "/callback?state=forged&selling_partner_id=A1&spapi_oauth_code=ANforged",
    "/callback?selling_partner_id=A1&spapi_oauth_code=ANforged",
    "/callback",
    "/callback?error=access_denied",
])
def test_a_request_without_the_state_is_answered_and_ignored(
        listener: tuple[LoopbackListener, int], target: str) -> None:
    running, port = listener
    status, body = _get(port, target)
    assert status == 400
    assert "<h1>Not the authorization spprov is waiting for</h1>" in body
    assert "spprov authorize acme-us" in body
    with pytest.raises(AuthorizationError, match="no redirect arrived"):
        running.wait(0.05)
    assert _authorize(running, port)[0] == 200  # still waiting for the real one


def test_other_paths_are_not_found(listener: tuple[LoopbackListener, int]) -> None:
    running, port = listener
    status, body = _get(port, f"/favicon.ico?state={STATE}")
    assert status == 404 and "Not found" in body
    assert _authorize(running, port)[0] == 200


def test_denied_consent_says_so_and_what_to_run(listener: tuple[LoopbackListener, int]) -> None:
    running, port = listener
    status, body = _get(port, f"/callback?state={STATE}&error=access_denied")
    assert status == 403
    assert ("The consent for acme-us (app acme) was declined or cancelled on Amazon&#x27;s page "
            "(error=access_denied).") in body
    assert '<code class="cmd">spprov authorize acme-us</code>' in body
    with pytest.raises(AuthorizationError, match=r"not granted \(access_denied\)"):
        running.wait(1)


def test_values_from_the_query_are_escaped(listener: tuple[LoopbackListener, int]) -> None:
    _, port = listener
    status, body = _get(port, f"/callback?state={STATE}&error=%3Cscript%3Ealert(1)%3C/script%3E")
    assert status == 403
    assert "<script>" not in body
    assert "error=&lt;script&gt;alert(1)&lt;/script&gt;." in body


def test_a_slow_connection_is_closed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(loopback, "SLOW_CONNECTION_SECONDS", 0.5)
    port = free_port()
    with LoopbackListener(f"http://127.0.0.1:{port}/callback", STATE, WHO), \
            _connect(port) as idle:
        idle.sendall(b"GET /callback")
        assert idle.recv(1024) == b""  # closed by the listener, long before our 15 s timeout


def test_no_external_resources_and_a_strict_policy(
        listener: tuple[LoopbackListener, int]) -> None:
    _, port = listener
    with _connect(port) as sock:
        sock.sendall(b"GET /callback HTTP/1.0\r\n\r\n")
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.decode().partition("\r\n\r\n")
    assert "Content-Security-Policy: default-src 'none'; style-src 'unsafe-inline'" in head
    assert "Cache-Control: no-store" in head
    assert "http" not in body.replace('lang="en"', "")  # no link, script, font or image
