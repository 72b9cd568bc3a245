"""Small unit tests: routing, Retry-After, backoff arithmetic and answer mapping.

``httpx.MockTransport`` stands in for Amazon only where the emulator cannot produce the
answer (a token endpoint that answers garbage) or where only arithmetic is checked.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime

import httpx
import pytest

from spprov.amazon.lwa import ClientCredentials, LwaClient, RetryPolicy, amazon_url_from_env, route
from spprov.amazon.retry import parse_retry_after
from spprov.errors import AmazonError, InvalidClientError, TransientAmazonError, UsageError
from spprov.secret import Secret

CLIENT = ClientCredentials("amzn1.application-oa2-client.x", Secret("s3cret"))


@pytest.mark.parametrize(("url", "amazon_url", "routed"), [
    ("https://api.amazon.com/auth/o2/token", "http://127.0.0.1:8080",
     "http://127.0.0.1:8080/api.amazon.com/auth/o2/token"),
    ("https://sellercentral.amazon.com/apps/authorize/consent?a=1&b=2", "http://localhost:9/",
     "http://localhost:9/sellercentral.amazon.com/apps/authorize/consent?a=1&b=2"),
    ("https://sellingpartnerapi-na.amazon.com/sellers/v1/x", None,
     "https://sellingpartnerapi-na.amazon.com/sellers/v1/x"),
    ("http://127.0.0.1:5000/cb", None, "http://127.0.0.1:5000/cb"),
])
def test_route(url: str, amazon_url: str | None, routed: str) -> None:
    assert route(url, amazon_url) == routed


def test_route_refuses_plain_http_to_other_hosts() -> None:
    with pytest.raises(UsageError) as caught:
        route("http://api.amazon.com/auth/o2/token", None)
    assert str(caught.value) == (
        "Amazon URL: refusing plain http to api.amazon.com; secrets travel only over https "
        "(plain http is allowed to loopback addresses only)")


@pytest.mark.parametrize(("value", "expected"), [
    ("", None), ("http://127.0.0.1:41234/", "http://127.0.0.1:41234"),
    ("http://[::1]:80", "http://[::1]:80"), ("https://emulator.example.com",
                                             "https://emulator.example.com"),
])
def test_amazon_url_from_env(value: str, expected: str | None) -> None:
    assert amazon_url_from_env({"SPPROV_AMAZON_URL": value}) == expected


@pytest.mark.parametrize("value", ["http://10.0.0.5:80", "ftp://127.0.0.1", "127.0.0.1:80",
                                   "http://127.0.0.1:80/?x=1"])
def test_amazon_url_from_env_refuses(value: str) -> None:
    with pytest.raises(UsageError, match="^SPPROV_AMAZON_URL: "):
        amazon_url_from_env({"SPPROV_AMAZON_URL": value})


def test_retry_after_seconds_and_dates() -> None:
    now = datetime(2026, 11, 28, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after("Sat, 28 Nov 2026 12:00:30 GMT", now) == 30.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


def test_backoff_doubles_with_jitter_and_a_cap() -> None:
    policy = RetryPolicy(base_delay=0.5, max_delay=8.0)
    rng = random.Random(0)
    for attempt, ceiling in [(1, 0.5), (2, 1.0), (3, 2.0), (4, 4.0), (5, 8.0), (9, 8.0)]:
        for _ in range(50):
            assert ceiling / 2 <= policy.backoff(attempt, rng) <= ceiling


def test_total_time_bounds_retries() -> None:
    now = [0.0]
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        now[0] += seconds

    def always_busy(request: httpx.Request) -> httpx.Response:
        return httpx.Response(503, headers={"Retry-After": "20"})

    policy = RetryPolicy(attempts=10, total_seconds=45)
    with LwaClient(amazon_url="http://127.0.0.1:1", transport=httpx.MockTransport(always_busy),
                   retry=policy, clock=lambda: now[0], sleep=sleep) as lwa, \
            pytest.raises(TransientAmazonError, match="after 3 attempts"):
        lwa.grantless_token(CLIENT, "sellingpartnerapi::notifications")
    assert sleeps == [20.0, 20.0]


def test_garbage_answer_is_an_amazon_error() -> None:
    def garbage(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, text="<html>hello</html>")

    with LwaClient(amazon_url="http://127.0.0.1:1",
                   transport=httpx.MockTransport(garbage)) as lwa, \
            pytest.raises(AmazonError, match="answered HTTP 200 without a JSON object"):
        lwa.refresh(CLIENT, Secret("Atzr|x"))


def test_401_without_body_is_invalid_client() -> None:
    def unauthorized(request: httpx.Request) -> httpx.Response:
        return httpx.Response(401)

    with LwaClient(amazon_url="http://127.0.0.1:1",
                   transport=httpx.MockTransport(unauthorized)) as lwa, \
            pytest.raises(InvalidClientError) as caught:
        lwa.refresh(CLIENT, Secret("Atzr|x"))
    assert str(caught.value) == ("client secret rejected for client "
                                 "amzn1.application-oa2-client.x: rotate it with "
                                 "`spprov app rotate-secret APP`, or store the current one "
                                 "with `spprov app set-secret APP`")


def test_token_request_is_form_encoded_with_all_fields() -> None:
    seen: list[httpx.Request] = []

    def capture(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"access_token": "Atza|a", "refresh_token": "Atzr|r",
                                         "token_type": "bearer", "expires_in": 3600})

    with LwaClient(amazon_url="http://127.0.0.1:1",
                   transport=httpx.MockTransport(capture)) as lwa:
        lwa.exchange_code(CLIENT, Secret("ANcode"), "https://a.example.com/cb")
    [request] = seen
    assert request.headers["content-type"] == "application/x-www-form-urlencoded;charset=UTF-8"
    assert dict(httpx.QueryParams(request.content.decode())) == {
        "grant_type": "authorization_code", "code": "ANcode",
        "redirect_uri": "https://a.example.com/cb",
        "client_id": "amzn1.application-oa2-client.x", "client_secret": "s3cret"}
