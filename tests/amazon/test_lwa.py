"""The LWA client against the emulator over real loopback HTTP."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from spprov.amazon.lwa import (
    ROTATION_SCOPE,
    ClientCredentials,
    LwaClient,
    RetryPolicy,
    TokenGrant,
)
from spprov.errors import (
    AccessDeniedError,
    AmazonError,
    InvalidClientError,
    InvalidGrantError,
    NotEnrolledError,
    PermanentAmazonError,
    SpprovError,
    TransientAmazonError,
    UsageError,
)
from spprov.reconcile.pacing import AdaptiveLimit, run_paced
from spprov.secret import Secret
from tests.fixtures_emulator import EmulatorHandle, RegisteredApp
from tests.fixtures_gitops import closed_port

US = "https://sellercentral.amazon.com"
NA = "https://sellingpartnerapi-na.amazon.com"
EU = "https://sellingpartnerapi-eu.amazon.com"


class Sleeps:
    """Records the waits instead of sleeping, to keep retry tests fast."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def lwa(emulator: EmulatorHandle, sleeps: Sleeps) -> Iterator[LwaClient]:
    with LwaClient(amazon_url=emulator.url, timeout=5, sleep=sleeps) as client:
        yield client


def credentials(app: RegisteredApp, secret: str | None = None) -> ClientCredentials:
    return ClientCredentials(app.client_id, Secret(secret or app.client_secret), app="acme")


def authorized(emulator: EmulatorHandle, lwa: LwaClient,
               consent_url: str = US) -> tuple[ClientCredentials, TokenGrant]:
    app = emulator.register_app()
    client = credentials(app)
    grant = lwa.exchange_code(client, Secret(emulator.code(app, consent_url)), app.redirect_uri)
    return client, grant


# -- each grant ---------------------------------------------------------------------------

def test_exchange_code_gives_secrets(emulator: EmulatorHandle, lwa: LwaClient) -> None:
    _, grant = authorized(emulator, lwa)
    assert grant.access_token.reveal().startswith("Atza|")
    assert grant.refresh_token.reveal().startswith("Atzr|")
    assert grant.expires_in == 3600


def test_refresh_keeps_the_refresh_token(emulator: EmulatorHandle, lwa: LwaClient) -> None:
    client, grant = authorized(emulator, lwa)
    refreshed = lwa.refresh(client, grant.refresh_token)
    assert refreshed.refresh_token == grant.refresh_token
    assert refreshed.access_token != grant.access_token


def test_grantless_token_and_rotation(emulator: EmulatorHandle, lwa: LwaClient) -> None:
    app = emulator.register_app()
    token = lwa.grantless_token(credentials(app), ROTATION_SCOPE)
    assert token.reveal().startswith("Atza|")
    with pytest.raises(NotEnrolledError):  # no queue in the console's preferences yet
        lwa.rotate_client_secret(NA, token)
    emulator.control("POST", "/notification-preferences", {
        "client_id": app.client_id,
        "new_secret_queue_arn": "arn:aws:sqs:us-east-1:123456789012:q"})
    lwa.rotate_client_secret(NA, token)
    assert len(emulator.control("GET", "/notifications")["notifications"]) == 1
    emulator.reset_stats()
    with pytest.raises(AmazonError, match="^Amazon refused the client secret rotation: it "
                                          "allows one a minute"):
        lwa.rotate_client_secret(NA, token)
    assert emulator.stats()["rotation"] == 1  # the 429 is not retried


def test_sellers_check_in_the_token_region(emulator: EmulatorHandle, lwa: LwaClient) -> None:
    _, grant = authorized(emulator, lwa)
    participations = lwa.marketplace_participations(NA, grant.access_token)
    assert {p["marketplace"]["countryCode"] for p in participations} == {"CA", "US", "MX", "BR"}


def test_access_token_is_cached_until_60_seconds_before_expiry(emulator: EmulatorHandle) -> None:
    now = [1000.0]
    with LwaClient(amazon_url=emulator.url, clock=lambda: now[0]) as lwa:
        client, grant = authorized(emulator, lwa)
        emulator.reset_stats()
        first = lwa.access_token(client, grant.refresh_token)
        now[0] += 3600 - 61
        assert lwa.access_token(client, grant.refresh_token) == first
        assert emulator.stats()["token"] == 1
        now[0] += 1
        assert lwa.access_token(client, grant.refresh_token) != first
        assert emulator.stats()["token"] == 2


# -- each error ---------------------------------------------------------------------------

def test_bad_client_secret(emulator: EmulatorHandle, lwa: LwaClient) -> None:
    app = emulator.register_app()
    with pytest.raises(InvalidClientError) as caught:
        lwa.exchange_code(credentials(app, "wrong"), Secret(emulator.code(app)),
                          app.redirect_uri)
    assert str(caught.value) == (f"client secret rejected for client {app.client_id}: "
                                 "rotate it with `spprov app rotate-secret acme`, or store "
                                 "the current one with `spprov app set-secret acme`")
    assert emulator.stats()["token"] == 1


def test_reused_code(emulator: EmulatorHandle, lwa: LwaClient) -> None:
    app = emulator.register_app()
    code = Secret(emulator.code(app))
    lwa.exchange_code(credentials(app), code, app.redirect_uri)
    with pytest.raises(InvalidGrantError) as caught:
        lwa.exchange_code(credentials(app), code, app.redirect_uri, label="acme-us")
    assert str(caught.value) == (
        "acme-us: authorization code expired or already used: authorize again")


def test_expired_code(emulator: EmulatorHandle, lwa: LwaClient) -> None:
    app = emulator.register_app()
    code = Secret(emulator.code(app))
    emulator.advance_clock(5 * 60)
    with pytest.raises(InvalidGrantError) as caught:
        lwa.exchange_code(credentials(app), code, app.redirect_uri)
    assert str(caught.value) == "authorization code expired or already used: authorize again"


def test_redirect_uri_mismatch(emulator: EmulatorHandle, lwa: LwaClient) -> None:
    app = emulator.register_app(redirect_uris=("https://a.example.com/cb",
                                               "https://b.example.com/cb"))
    code = Secret(emulator.code(app))
    with pytest.raises(InvalidGrantError):
        lwa.exchange_code(credentials(app), code, "https://b.example.com/cb")


def test_revoked_refresh_token_is_not_retried(emulator: EmulatorHandle, lwa: LwaClient,
                                              sleeps: Sleeps) -> None:
    client, grant = authorized(emulator, lwa)
    emulator.revoke(grant.refresh_token.reveal())
    emulator.reset_stats()
    with pytest.raises(InvalidGrantError) as caught:
        lwa.access_token(client, grant.refresh_token, label="acme-us")
    assert str(caught.value) == (
        "acme-us: refresh token revoked or expired: run `spprov authorize acme-us`")
    assert emulator.stats()["token"] == 1
    assert sleeps.waits == []


def test_unknown_grant_type_is_a_permanent_error(emulator: EmulatorHandle,
                                                 lwa: LwaClient) -> None:
    app = emulator.register_app()
    # The public API cannot send a wrong grant type; the private hook shows the mapping
    # of an answer the real endpoint gives.
    with pytest.raises(PermanentAmazonError) as caught:
        lwa._token_request(credentials(app), {"grant_type": "password"}, "unused",
                           replay_safe=True)
    assert str(caught.value) == (
        "the LWA token endpoint refused the request: HTTP 400 unsupported_grant_type: "
        "The authorization grant type 'password' is not supported")


def test_region_mismatch_on_the_sellers_call(emulator: EmulatorHandle, lwa: LwaClient) -> None:
    _, grant = authorized(emulator, lwa)
    with pytest.raises(AccessDeniedError) as caught:
        lwa.marketplace_participations(EU, grant.access_token)
    assert str(caught.value) == (
        f"{EU} rejected the access token (Unauthorized: Access to requested resource is "
        "denied.); a token works only on the endpoints of the region where the partner "
        "consented")


# -- retries ------------------------------------------------------------------------------

def test_refresh_converges_under_injected_500s(emulator: EmulatorHandle, lwa: LwaClient,
                                               sleeps: Sleeps) -> None:
    client, grant = authorized(emulator, lwa)
    emulator.reset_stats()
    emulator.faults(error_rate=1.0, error_status=500, count=3)
    lwa.refresh(client, grant.refresh_token)
    assert emulator.stats()["token"] == 4
    assert len(sleeps.waits) == 3
    assert all(0.25 <= w <= 0.5 for w in sleeps.waits[:1])


def test_429_honours_retry_after(emulator: EmulatorHandle, lwa: LwaClient,
                                 sleeps: Sleeps) -> None:
    client, grant = authorized(emulator, lwa)
    emulator.faults(error_rate=1.0, error_status=429, retry_after=3, count=2)
    lwa.refresh(client, grant.refresh_token)
    assert sleeps.waits == [3.0, 3.0]


def test_sellers_call_is_retried(emulator: EmulatorHandle, lwa: LwaClient) -> None:
    _, grant = authorized(emulator, lwa)
    emulator.faults(error_rate=1.0, error_status=503, count=2)
    assert lwa.marketplace_participations(NA, grant.access_token)


def test_converges_with_30_percent_random_failures(emulator: EmulatorHandle,
                                                   lwa: LwaClient) -> None:
    client, grant = authorized(emulator, lwa)
    emulator.faults(error_rate=0.3, seed=1)
    for _ in range(20):
        lwa.refresh(client, grant.refresh_token)


def test_retries_are_bounded(emulator: EmulatorHandle, sleeps: Sleeps) -> None:
    policy = RetryPolicy(attempts=3)
    with LwaClient(amazon_url=emulator.url, retry=policy, sleep=sleeps) as lwa:
        client, grant = authorized(emulator, lwa)
        emulator.faults(error_rate=1.0, error_status=500)
        emulator.reset_stats()
        with pytest.raises(TransientAmazonError) as caught:
            lwa.refresh(client, grant.refresh_token)
    assert str(caught.value) == (
        f"Amazon did not answer after 3 attempts: last error POST {emulator.url}"
        "/api.amazon.com/auth/o2/token answered HTTP 500; try again later")
    assert emulator.stats()["token"] == 3


def test_a_code_exchange_answered_500_before_the_code_was_used_is_retried_and_kept(
        emulator: EmulatorHandle, lwa: LwaClient, sleeps: Sleeps) -> None:
    app = emulator.register_app()
    code = Secret(emulator.code(app))
    emulator.faults(error_rate=1.0, error_status=500, count=1)
    grant = lwa.exchange_code(credentials(app), code, app.redirect_uri, label="acme-us")
    assert grant.refresh_token.reveal().startswith("Atzr|")
    assert emulator.stats()["token"] == 2 and len(sleeps.waits) == 1


def test_a_code_used_up_by_a_failed_attempt_says_so_after_the_retry(
        emulator: EmulatorHandle, lwa: LwaClient, sleeps: Sleeps) -> None:
    app = emulator.register_app()
    code = Secret(emulator.code(app))
    emulator.faults(error_rate=1.0, error_status=500, after_consume=True, count=1)
    with pytest.raises(InvalidGrantError) as caught:
        lwa.exchange_code(credentials(app), code, app.redirect_uri, label="acme-us")
    assert str(caught.value) == (
        f"acme-us: the authorization code was used up by an attempt whose answer was lost "
        f"(POST {emulator.url}/api.amazon.com/auth/o2/token answered HTTP 500); the person "
        "must authorize again: run `spprov authorize acme-us`")
    assert emulator.stats()["token"] == 2 and len(sleeps.waits) == 1


def test_a_dropped_answer_to_a_code_exchange_is_retried(
        emulator: EmulatorHandle, lwa: LwaClient) -> None:
    app = emulator.register_app()
    code = Secret(emulator.code(app))
    emulator.faults(error_rate=1.0, drop_connection=True, after_consume=True, count=1)
    with pytest.raises(InvalidGrantError, match="used up by an attempt whose answer was lost"):
        lwa.exchange_code(credentials(app), code, app.redirect_uri)
    assert emulator.stats()["token"] == 2


def test_code_exchange_is_retried_on_429(emulator: EmulatorHandle, lwa: LwaClient) -> None:
    app = emulator.register_app()
    code = Secret(emulator.code(app))
    emulator.faults(error_rate=1.0, error_status=429, count=2)
    assert lwa.exchange_code(credentials(app), code, app.redirect_uri).refresh_token
    assert emulator.stats()["token"] == 3


def test_code_exchange_is_retried_when_nothing_was_sent(sleeps: Sleeps) -> None:
    # Nobody listens on this port: the connection fails before the code leaves.
    with LwaClient(amazon_url=f"http://127.0.0.1:{closed_port()}", sleep=sleeps,
                   retry=RetryPolicy(attempts=3)) as lwa:
        client = ClientCredentials("cid", Secret("secret"))
        with pytest.raises(TransientAmazonError, match="could not connect"):
            lwa.exchange_code(client, Secret("ANcode"), "https://a.example.com/cb")
    assert len(sleeps.waits) == 2


# -- concurrency --------------------------------------------------------------------------

def test_200_concurrent_refreshes(emulator: EmulatorHandle, lwa: LwaClient) -> None:
    app = emulator.register_app(appstore_listed=True)  # 200 sellers: beyond 25
    client = credentials(app)
    refresh_tokens = [
        lwa.exchange_code(client, Secret(emulator.code(app, account=f"a{i}")),
                          app.redirect_uri).refresh_token
        for i in range(200)]
    emulator.reset_stats()
    results = run_paced(refresh_tokens, lambda t: lwa.access_token(client, t), AdaptiveLimit(200))
    assert all(isinstance(r, Secret) for r in results)
    assert len(set(results)) == 200
    assert emulator.stats()["token"] == 200
    # The cache answers the second round without a request.
    run_paced(refresh_tokens, lambda t: lwa.access_token(client, t), AdaptiveLimit(50))
    assert emulator.stats()["token"] == 200


def test_concurrent_callers_of_one_token_refresh_once(emulator: EmulatorHandle,
                                                      lwa: LwaClient) -> None:
    client, grant = authorized(emulator, lwa)
    emulator.reset_stats()
    results = run_paced([grant.refresh_token] * 20, lambda t: lwa.access_token(client, t),
                        AdaptiveLimit(20))
    assert len(set(results)) == 1
    assert emulator.stats()["token"] == 1


def test_run_paced_keeps_order_and_returns_failures() -> None:
    def work(n: int) -> int:
        if n == 3:
            raise UsageError("three")
        return n * 10

    results = run_paced(list(range(6)), work, AdaptiveLimit(2))
    assert results[:3] == [0, 10, 20] and results[4:] == [40, 50]
    assert isinstance(results[3], SpprovError) and str(results[3]) == "three"


# -- secrets and logs ---------------------------------------------------------------------

def test_debug_log_shows_requests_without_secrets(emulator: EmulatorHandle, lwa: LwaClient,
                                                  caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="spprov.amazon.lwa")
    app = emulator.register_app()
    code = emulator.code(app)
    emulator.faults(error_rate=1.0, error_status=429, count=1)
    grant = lwa.exchange_code(credentials(app), Secret(code), app.redirect_uri)
    lwa.marketplace_participations(NA, grant.access_token)
    text = caplog.text
    assert f"POST {emulator.url}/api.amazon.com/auth/o2/token -> 429 (attempt 1, " in text
    assert f"POST {emulator.url}/api.amazon.com/auth/o2/token -> 200 (attempt 2, " in text
    assert (f"GET {emulator.url}/sellingpartnerapi-na.amazon.com"
            "/sellers/v1/marketplaceParticipations -> 200 (attempt 1, ") in text
    for secret in (code, app.client_secret, grant.access_token.reveal(),
                   grant.refresh_token.reveal()):
        assert secret not in text


def test_repr_of_objects_holding_secrets_shows_none(emulator: EmulatorHandle,
                                                    lwa: LwaClient) -> None:
    client, grant = authorized(emulator, lwa)
    token = lwa.access_token(client, grant.refresh_token)
    revealed = [client.client_secret.reveal(), grant.access_token.reveal(),
                grant.refresh_token.reveal(), token.reveal()]
    emulator.revoke(grant.refresh_token.reveal())
    try:
        lwa.refresh(client, grant.refresh_token)
    except InvalidGrantError as exc:
        error = exc
    held = [client, grant, token, lwa, lwa._cache, error, vars(error)]
    for obj in held:
        for text in (repr(obj), str(obj), f"{obj}"):
            assert not any(secret in text for secret in revealed), text
