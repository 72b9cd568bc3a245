"""The relay: a small web service at the app's registered https redirect URI.

A seller opens an invitation link, consents at Seller or Vendor Central, and Amazon sends
the browser back to the relay's ``/callback``. The relay exchanges the code at once,
checks the token, seals the grant with age to the repository's recipients and keeps only
that sealed blob until ``spprov apply`` collects it. It never holds an age identity, and its
database holds no plaintext token and no plaintext link secret or ``state`` (hashes only).

It imports only the core and the Amazon client pieces it needs (``spprov.amazon``), never
``spprov.state``: writing state files is the repository's business, not the relay's.
"""
