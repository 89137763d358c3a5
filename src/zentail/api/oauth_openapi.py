"""The authorization server's endpoints in the OpenAPI document.

``/v1/token``, ``/v1/revoke``, ``/v1/introspect`` and ``/v1/diagnostics/token`` are plain
Starlette routes (they answer RFC 6749 errors, not problem documents), so FastAPI does not
describe them; these static path items do, without changing how the endpoints are served.
Each authenticates the client with HTTP Basic (RFC 6749 §2.3.1); the first three are
form-encoded ``POST``s.
"""

from __future__ import annotations

import copy
from typing import Any

from zentail.domain.scopes import SCOPES
from zentail.oauth import diagnostics, metadata

SCOPE_LIST = "Space-separated, of: " + " ".join(SCOPES)
SECURITY_SCHEME_NAME = "clientBasic"
SECURITY_SCHEME = {
    "type": "http",
    "scheme": "basic",
    "description": "The app's client ID and client secret (RFC 6749 §2.3.1).",
}

OAUTH_ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "An RFC 6749 §5.2 error response.",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "string",
            "enum": [
                "invalid_request",
                "invalid_client",
                "invalid_grant",
                "unauthorized_client",
                "unsupported_grant_type",
                "invalid_scope",
                "slow_down",
                "server_error",
            ],
        },
        "error_description": {"type": "string"},
    },
}

NO_STORE = {
    "Cache-Control": {"description": "Always `no-store`", "schema": {"type": "string"}},
}


def _error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "headers": NO_STORE,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/OAuthError"}}},
    }


ERRORS = {
    "400": _error("`invalid_request`, `invalid_grant`, `unsupported_grant_type` (RFC 6749 §5.2)"),
    "401": _error("`invalid_client`: client authentication failed (RFC 6749 §5.2)"),
    "405": _error("`invalid_request`: only POST is accepted"),
    "413": _error("`invalid_request`: the body is too large"),
    "429": _error("`slow_down`: too many failed client authentications; see `Retry-After`"),
}

TOKEN_HINT = {
    "type": "string",
    "enum": ["access_token", "refresh_token"],
    "description": "Optional hint (RFC 7009 §2.1, RFC 7662 §2.1); any value is accepted.",
}


CLIENT_ASSERTION = {
    "client_assertion_type": {
        "type": "string",
        "enum": ["urn:ietf:params:oauth:client-assertion-type:jwt-bearer"],
        "description": "With `client_assertion`, instead of a secret (`private_key_jwt`, "
        "RFC 7523 §2.2; docs/partner-guide.md).",
    },
    "client_assertion": {
        "type": "string",
        "description": "A JWT signed with one of the app's registered keys (RS256, ES256 or "
        "EdDSA): `iss` = `sub` = client ID, `aud` = the token endpoint URL, `exp` at most 5 "
        "minutes ahead, a `jti` used once.",
    },
}


def _with_assertion(form: dict[str, Any]) -> dict[str, Any]:
    """A form schema that also takes a client assertion."""
    return {**form, "properties": {**form.get("properties", {}), **CLIENT_ASSERTION}}


def _operation(
    operation_id: str, summary: str, description: str, form: dict[str, Any], ok: dict[str, Any]
) -> dict[str, Any]:
    form = _with_assertion(form)
    return {
        "post": {
            "tags": ["Authorization server"],
            "operationId": operation_id,
            "summary": summary,
            "description": description,
            "security": [{SECURITY_SCHEME_NAME: []}],
            "requestBody": {
                "required": True,
                "content": {"application/x-www-form-urlencoded": {"schema": form}},
            },
            "responses": {"200": ok, **ERRORS},
        }
    }


PATHS: dict[str, Any] = {
    metadata.TOKEN_PATH: _operation(
        "exchangeAuthorizationCode",
        "Exchange an authorization code for the account's access token",
        "RFC 6749 §4.1.3. The code comes from the Install callback; it works once and for "
        "a few minutes. A new exchange for an installation replaces the installation's "
        "previous token: the previous one stops working. An app that opted in to expiring "
        "tokens also gets `expires_in` and a `refresh_token`, redeemed with "
        "`grant_type=refresh_token` (RFC 6749 §6) for a new pair each time; `redirect_uri` "
        "is then not sent.",
        {
            "type": "object",
            "required": ["grant_type"],
            "properties": {
                "grant_type": {"type": "string", "enum": ["authorization_code", "refresh_token"]},
                "refresh_token": {
                    "type": "string",
                    "description": "With `grant_type=refresh_token`: the latest refresh token.",
                },
                "scope": {
                    "type": "string",
                    "description": "With `grant_type=refresh_token`, optional: a narrower scope "
                    "for the new access token (RFC 6749 §6).",
                },
                "code": {"type": "string", "description": "The code from the callback."},
                "authorization_code": {
                    "type": "string",
                    "description": "The same as `code`, as Zentail's guide spells it.",
                },
                "redirect_uri": {
                    "type": "string",
                    "format": "uri",
                    "description": "With `grant_type=authorization_code`, required: the "
                    "app's registered redirect URI, exactly.",
                },
            },
        },
        {
            "description": "The access token (RFC 6749 §5.1)",
            "headers": NO_STORE,
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "required": ["access_token", "token_type"],
                        "properties": {
                            "access_token": {"type": "string"},
                            "token_type": {"type": "string", "enum": ["bearer"]},
                            "expires_in": {
                                "type": "integer",
                                "description": "Only for an app that opted in to expiring "
                                "tokens: the access token's lifetime in seconds.",
                            },
                            "refresh_token": {
                                "type": "string",
                                "description": "Only for an app that opted in to expiring "
                                "tokens: the next refresh token (`ztr_…`), one use each.",
                            },
                        },
                    }
                }
            },
        },
    ),
    metadata.REVOCATION_PATH: _operation(
        "revokeToken",
        "Revoke one of the app's access or refresh tokens",
        "RFC 7009. Answers 200 whether or not the token existed or was the app's. Revoking "
        "a refresh token also revokes the access tokens of its grant.",
        {
            "type": "object",
            "required": ["token"],
            "properties": {"token": {"type": "string"}, "token_type_hint": TOKEN_HINT},
        },
        {"description": "Revoked, or nothing to revoke (RFC 7009 §2.2)", "headers": NO_STORE},
    ),
    metadata.INTROSPECTION_PATH: _operation(
        "introspectToken",
        "Tell whether one of the app's access or refresh tokens is active",
        'RFC 7662. A token of another app, or an unknown one, is `{"active": false}`.',
        {
            "type": "object",
            "required": ["token"],
            "properties": {"token": {"type": "string"}, "token_type_hint": TOKEN_HINT},
        },
        {
            "description": "The token's state (RFC 7662 §2.2)",
            "headers": NO_STORE,
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "required": ["active"],
                        "properties": {
                            "active": {"type": "boolean"},
                            "scope": {"type": "string", "description": SCOPE_LIST},
                            "client_id": {"type": "string"},
                            "token_type": {
                                "type": "string",
                                "enum": ["bearer", "refresh_token"],
                            },
                            "iat": {"type": "integer"},
                            "exp": {"type": "integer"},
                            "sub": {"type": "string"},
                            "account_id": {"type": "integer"},
                        },
                    }
                }
            },
        },
    ),
}


DIAGNOSIS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["at", "error", "reason", "detail", "sourceIp"],
    "properties": {
        "at": {"type": "string", "format": "date-time"},
        "error": {"type": "string", "description": "What the token endpoint answered"},
        "reason": {
            "type": "string",
            "description": "Why, one of the reasons in docs/partner-guide.md (stable)",
        },
        "detail": {
            "type": "object",
            "description": "Facts for the reason (the redirect URI sent, the code's age…); "
            "never a code, secret or token",
        },
        "sourceIp": {"type": ["string", "null"]},
    },
}

PATHS[diagnostics.PATH] = {
    "get": {
        "tags": ["Authorization server"],
        "operationId": "readTokenDiagnostics",
        "summary": "Why the app's token requests were refused",
        "description": "The app's refused `POST /v1/token` requests of the last 7 days, newest "
        f"first, at most {diagnostics.MAX_RESULTS}, each with a stable reason. Authenticated "
        "like the token endpoint; the token endpoint's own answers say no more than RFC 6749.",
        "security": [{SECURITY_SCHEME_NAME: []}],
        "responses": {
            "200": {
                "description": "The app's refused token requests",
                "headers": NO_STORE,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "required": ["results"],
                            "properties": {"results": {"type": "array", "items": DIAGNOSIS_SCHEMA}},
                        }
                    }
                },
            },
            "400": _error("`invalid_request`: this endpoint takes no parameters"),
            "401": ERRORS["401"],
            "405": _error("`invalid_request`: only GET and POST are accepted"),
            "429": ERRORS["429"],
        },
    }
}
PATHS[diagnostics.PATH]["post"] = {
    **copy.deepcopy(PATHS[diagnostics.PATH]["get"]),
    "operationId": "readTokenDiagnosticsWithForm",
    "summary": "Why the app's token requests were refused (any client authentication)",
    "requestBody": {
        "required": True,
        "content": {
            "application/x-www-form-urlencoded": {
                "schema": _with_assertion({"type": "object", "properties": {}})
            }
        },
    },
}


def merge(document: dict[str, Any]) -> dict[str, Any]:
    """Add the authorization server's endpoints, their Basic security scheme and the error
    schema."""
    document.setdefault("paths", {}).update(copy.deepcopy(PATHS))
    components = document.setdefault("components", {})
    components.setdefault("securitySchemes", {})[SECURITY_SCHEME_NAME] = SECURITY_SCHEME
    components.setdefault("schemas", {})["OAuthError"] = OAUTH_ERROR_SCHEMA
    return document
