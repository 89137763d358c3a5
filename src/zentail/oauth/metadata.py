"""``GET /.well-known/oauth-authorization-server``: authorization server metadata (RFC 8414).

``issuer`` is ``ZENTAIL_ISSUER`` exactly (RFC 8414 §3.3: it must be identical to the issuer
the client was configured with). Codes come from the platform's Install button or from a
partner-initiated request at ``authorization_endpoint``, which takes ``response_type=code``
with PKCE ``S256`` only (RFC 7636 §4.3) and answers with ``iss`` (RFC 9207 §3);
docs/decisions/0063. Clients authenticate with a secret or a signed assertion
(``private_key_jwt``, RFC 7523 §2.2; docs/decisions/0066) at every client-authenticated
endpoint.
"""

from __future__ import annotations

from typing import Any

from zentail.domain.scopes import SCOPES
from zentail.oauth import client_assertion, pkce
from zentail.oauth.authorize import RESPONSE_TYPE
from zentail.oauth.client_auth import SUPPORTED_METHODS
from zentail.oauth.grants import authorization_code, refresh_token

PATH = "/.well-known/oauth-authorization-server"
AUTHORIZATION_PATH = "/v1/authorize"
TOKEN_PATH = "/v1/token"  # noqa: S105 - a path, not a secret
REVOCATION_PATH = "/v1/revoke"
INTROSPECTION_PATH = "/v1/introspect"


def document(issuer: str) -> dict[str, Any]:
    """The metadata for a server whose public base URL is ``issuer``."""
    base = issuer.rstrip("/")
    methods = list(SUPPORTED_METHODS)
    algorithms = list(client_assertion.ALGORITHMS)
    return {
        "issuer": issuer,
        "authorization_endpoint": base + AUTHORIZATION_PATH,
        "token_endpoint": base + TOKEN_PATH,
        "token_endpoint_auth_methods_supported": methods,
        "token_endpoint_auth_signing_alg_values_supported": algorithms,
        "revocation_endpoint": base + REVOCATION_PATH,
        "revocation_endpoint_auth_methods_supported": methods,
        "revocation_endpoint_auth_signing_alg_values_supported": algorithms,
        "introspection_endpoint": base + INTROSPECTION_PATH,
        "introspection_endpoint_auth_methods_supported": methods,
        "introspection_endpoint_auth_signing_alg_values_supported": algorithms,
        "grant_types_supported": [authorization_code.GRANT_TYPE, refresh_token.GRANT_TYPE],
        "response_types_supported": [RESPONSE_TYPE],
        "code_challenge_methods_supported": [pkce.METHOD],
        "authorization_response_iss_parameter_supported": True,
        "scopes_supported": list(SCOPES),
    }
