"""Credential files that many tests start from (the app matches init's example)."""

ACME_APP = """\
version: 1
apps:
  acme:
    application_id: amzn1.sp.solution.00000000-0000-0000-0000-000000000000
    client_id: amzn1.application-oa2-client.0123456789abcdef
    redirect_uri: https://auth.example.com/spapi/callback
"""

ACME_US = """\
  - name: acme-us
    seller_central_url: https://sellercentral.amazon.com
    sp_api_endpoint: https://sellingpartnerapi-na.amazon.com
"""
