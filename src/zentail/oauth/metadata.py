"""``GET /.well-known/oauth-authorization-server``: authorization server metadata (RFC 8414).

``issuer`` is ``ZENTAIL_ISSUER`` exactly (RFC 8414 §3.3: it must be identical to the issuer
the client was configured with). There is no ``authorization_endpoint``: codes are issued by
the platform's Install button, not requested by the partner (the flow is platform-initiated),
and RFC 8414 §2 makes the member required only when a grant uses it from the client side.
No ``code_challenge_methods_supported`` either: PKCE applies to partner-initiated
authorization requests, which this server does not take (see docs/security.md).
"""

from __future__ import annotations

from typing import Any

from zentail.domain.scopes import SCOPES
from zentail.oauth.client_auth import SUPPORTED_METHODS
from zentail.oauth.grants.authorization_code import GRANT_TYPE

PATH = "/.well-known/oauth-authorization-server"
TOKEN_PATH = "/v1/token"  # noqa: S105 - a path, not a secret
REVOCATION_PATH = "/v1/revoke"
INTROSPECTION_PATH = "/v1/introspect"


def document(issuer: str) -> dict[str, Any]:
    """The metadata for a server whose public base URL is ``issuer``."""
    base = issuer.rstrip("/")
    methods = list(SUPPORTED_METHODS)
    return {
        "issuer": issuer,
        "token_endpoint": base + TOKEN_PATH,
        "token_endpoint_auth_methods_supported": methods,
        "revocation_endpoint": base + REVOCATION_PATH,
        "revocation_endpoint_auth_methods_supported": methods,
        "introspection_endpoint": base + INTROSPECTION_PATH,
        "introspection_endpoint_auth_methods_supported": methods,
        "grant_types_supported": [GRANT_TYPE],
        "response_types_supported": ["code"],
        "scopes_supported": list(SCOPES),
    }
