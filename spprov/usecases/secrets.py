"""Trying an app's LWA client secret before it is stored (`spprov app set-secret`)."""

from __future__ import annotations

from spprov.amazon.lwa import ClientCredentials, LwaClient
from spprov.amazon.notifications import NOTIFICATIONS_SCOPE
from spprov.errors import InvalidClientError, SpprovError, UsageError
from spprov.model import App
from spprov.secret import Secret


def try_secret(lwa: LwaClient, app: App, secret: Secret) -> None:
    """A grantless client_credentials grant with the secret; one clear line if refused."""
    client = ClientCredentials(app.client_id, secret, app.name)
    try:
        lwa.grantless_token(client, NOTIFICATIONS_SCOPE)
    except InvalidClientError:
        raise UsageError(f"LWA refused the client secret of app {app.name} (client "
                         f"{app.client_id}): nothing was stored; check that it is the app's "
                         "current secret") from None
    except SpprovError as exc:
        raise SpprovError(f"could not try the client secret of app {app.name}: {exc}; nothing "
                          "was stored (--no-check stores it untried, e.g. offline)") from None
