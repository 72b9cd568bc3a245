"""Obtain a refresh token for one credential: website consent, or a self-authorized import."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from spprov.amazon import pages
from spprov.amazon.consent import Callback, consent_url, is_loopback_uri, new_state, parse_callback
from spprov.amazon.loopback import LoopbackListener
from spprov.amazon.lwa import ClientCredentials, LwaClient, route
from spprov.amazon.pages import Who
from spprov.errors import AccessDeniedError, AuthorizationError, InvalidGrantError, SpprovError
from spprov.hints import authorize_command
from spprov.interrupts import helper_thread
from spprov.model import App, AuthorizationMethod, Credential
from spprov.secret import Secret

log = logging.getLogger("spprov.amazon.authorize")

DEFAULT_TIMEOUT_SECONDS = 300.0
COUNTDOWN_SECONDS = 30.0  # how often a waiting consent says how long it still waits
# How long spprov waits, once the consent is done, for a BROWSER program to exit.
BROWSER_EXIT_SECONDS = 30.0
BROWSER_START_SECONDS = 1.0  # how long a browser that cannot start may take to say so


@dataclass(frozen=True)
class Authorization:
    """A fresh refresh token and who granted it."""

    refresh_token: Secret
    selling_partner_id: str | None
    method: AuthorizationMethod


# Stores a fresh authorization (the state file write); the browser hears "Authorized" only
# once it has returned.
Keep = Callable[[Authorization], None]


def _keep_nothing(authorization: Authorization) -> None:
    pass


@dataclass
class Authorizer:
    """Runs consents with a person: loopback when the redirect URI allows it, else paste."""

    lwa: LwaClient
    amazon_url: str | None
    can_paste: bool
    announce: Callable[[str], None]
    prompt: Callable[[str], str]
    # Opens the consent page; False when no browser could be started
    # (spprov.amazon.browser.open_in_browser, with the run's environment).
    open_browser: Callable[[str], bool]
    timeout: float = DEFAULT_TIMEOUT_SECONDS
    clock: Callable[[], float] = field(default=time.monotonic)

    def can_authorize(self, app: App) -> bool:
        """Whether this run can finish a consent for ``app`` without more help."""
        return is_loopback_uri(app.redirect_uri) or self.can_paste

    def authorize(self, credential: Credential, app: App, client: ClientCredentials,
                  keep: Keep = _keep_nothing) -> Authorization:
        """Send the partner to consent, receive the code, exchange it at once and ``keep``
        the result; the loopback page says "Authorized" only after ``keep`` returned."""
        state = new_state()
        url = route(consent_url(credential, app, state), self.amazon_url)
        if is_loopback_uri(app.redirect_uri):
            return self._via_loopback(credential, app, client, url, state, keep)
        authorization = self._complete(credential, app, client,
                                       self._via_paste(credential, app, url, state))
        keep(authorization)
        return authorization

    def _complete(self, credential: Credential, app: App, client: ClientCredentials,
                  callback: Callback) -> Authorization:
        check_pin(credential, callback.selling_partner_id)
        grant = self.lwa.exchange_code(client, callback.code, app.redirect_uri,
                                       label=credential.name)
        return Authorization(grant.refresh_token, callback.selling_partner_id,
                             AuthorizationMethod.WEBSITE)

    def _via_loopback(self, credential: Credential, app: App, client: ClientCredentials,
                      url: str, state: str, keep: Keep) -> Authorization:
        who = Who(credential.name, app.name)
        # Set when the browser is done or the redirect came in, whichever is first.
        settled = threading.Event()
        with LoopbackListener(app.redirect_uri, state, who, wake=settled) as listener:
            self.announce(f"{credential.name}: opening the consent page in your browser:\n  {url}")
            # A BROWSER program may wait for its page, which waits for the outcome: run it
            # beside the listener, and let it finish before spprov goes on (as it did).
            browser = helper_thread(self._open, credential, app, url, settled)
            browser.start()
            # One that cannot start fails at once: let it say so before the countdown does.
            # A BROWSER program that waits for its page must not hold up the consent, so
            # the wait ends early when the redirect arrives.
            settled.wait(BROWSER_START_SECONDS)
            callback = self._callback(credential, listener, browser)
            try:
                authorization = self._complete(credential, app, client, callback)
            except SpprovError as exc:
                listener.finish(pages.failed(who, str(exc)))
                browser.join(BROWSER_EXIT_SECONDS)
                raise
            try:
                keep(authorization)
            except SpprovError as exc:
                listener.finish(pages.not_stored(who, str(exc)))
                browser.join(BROWSER_EXIT_SECONDS)
                raise
            listener.finish(pages.authorized(who, callback.selling_partner_id))
            browser.join(BROWSER_EXIT_SECONDS)
        return authorization

    def _open(self, credential: Credential, app: App, url: str,
              settled: threading.Event) -> None:
        try:
            if not self.open_browser(url):
                self.announce(f"{credential.name}: no browser could be started: open the "
                              "page above yourself, in a browser on this machine (the "
                              f"consent returns to {app.redirect_uri})")
        finally:
            settled.set()

    def _callback(self, credential: Credential, listener: LoopbackListener,
                  browser: threading.Thread) -> Callback:
        """The redirect's callback; after a refusal the browser may finish showing its page
        (not after a timeout or Ctrl-C: then the browser is not worth waiting for)."""
        self._count_down(credential, listener)
        try:
            return listener.wait(0)
        except AuthorizationError:
            if listener.arrived(0):
                browser.join(BROWSER_EXIT_SECONDS)
                raise
            raise AuthorizationError(
                f"{credential.name}: no consent arrived within {self.timeout:g} s; open "
                f"the consent page and run `{authorize_command(credential.name)}` again "
                "(--authorization-timeout gives more time)") from None

    def _count_down(self, credential: Credential, listener: LoopbackListener) -> None:
        """Wait for the redirect, saying every half minute how long it still waits."""
        deadline = self.clock() + self.timeout
        self.announce(f"{credential.name}: waiting up to {_minutes(self.timeout)} for the "
                      "consent (Ctrl-C stops; if Amazon's page shows an error code such as "
                      "MD5101, `spprov explain CODE` says what to do)")
        while not listener.arrived(min(COUNTDOWN_SECONDS, max(0.0, deadline - self.clock()))):
            left = deadline - self.clock()
            if left <= 0:
                return
            self.announce(f"{credential.name}: still waiting for the consent, "
                          f"{_minutes(left)} left")

    def _via_paste(self, credential: Credential, app: App, url: str, state: str) -> Callback:
        self.announce(f"{credential.name}: open this consent page and approve:\n  {url}")
        if not self.open_browser(url):
            self.announce(f"{credential.name}: no browser could be started: open the page "
                          "above yourself, in any browser")
        pasted = self.prompt("Paste the address your browser was redirected to (or the error "
                             "code Amazon's page showed)")
        return parse_callback(pasted, state, app.redirect_uri)


def _minutes(seconds: float) -> str:
    whole = max(0, round(seconds))
    return f"{whole // 60}:{whole % 60:02d}"


def check_pin(credential: Credential, selling_partner_id: str | None) -> None:
    """Refuse a consent given by another account than the credential's pin."""
    pin = credential.selling_partner_id
    if pin is not None and selling_partner_id != pin:
        raise AuthorizationError(
            f"{credential.name}: selling partner {selling_partner_id} consented, but the "
            f"credential is pinned to {pin}; sign in with account {pin} and run "
            f"`{authorize_command(credential.name)}` again")


def import_refresh_token(lwa: LwaClient, credential: Credential, client: ClientCredentials,
                         refresh_token: Secret) -> Authorization:
    """Validate a self-authorized refresh token against LWA and the region's endpoint."""
    if not refresh_token.reveal().startswith("Atzr|"):
        raise AuthorizationError(
            f"{credential.name}: that is not a refresh token (they start with 'Atzr|')")
    try:
        access_token = lwa.access_token(client, refresh_token, label=credential.name)
    except InvalidGrantError as exc:
        raise AuthorizationError(
            f"{credential.name}: LWA refused that refresh token (revoked, expired or issued "
            "to another app); generate a new one and import it again") from exc
    try:
        lwa.marketplace_participations(credential.sp_api_endpoint, access_token)
    except AccessDeniedError as exc:
        raise AuthorizationError(
            f"{credential.name}: the refresh token was accepted by LWA but refused by "
            f"{credential.sp_api_endpoint}; it belongs to another region or app") from exc
    return Authorization(refresh_token, credential.selling_partner_id, AuthorizationMethod.SELF)
