"""Client authentication at the token endpoint (RFC 6749 §2.3).

Supported methods: ``client_secret_basic`` (RFC 6749 §2.3.1, which every server MUST support),
``client_secret_post``, and ``private_key_jwt`` (RFC 7523 §2.2, checked by
:mod:`zentail.oauth.client_assertion`). Using two in one request is ``invalid_request``
(§2.3). Unknown clients and wrong credentials get the same ``invalid_client`` answer, after
the same work. An app that accepts assertions only is refused its secrets.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import unquote_plus

from zentail.crypto import Keyring, digests_equal
from zentail.oauth import client_assertion
from zentail.oauth.errors import InvalidClient, InvalidRequest
from zentail.oauth.stores import Client, ClientStore

BASIC = "client_secret_basic"
POST = "client_secret_post"
PRIVATE_KEY_JWT = client_assertion.METHOD
SUPPORTED_METHODS = (BASIC, POST, PRIVATE_KEY_JWT)
_UNKNOWN_CLIENT_DIGEST = "0" * 64
# Any client ID this server issues or registers: printable ASCII, bounded. Anything else is
# answered as an unknown client without reaching the database.
_PLAUSIBLE_CLIENT_ID = re.compile(r"[\x20-\x7E]{1,128}")


@dataclass(frozen=True)
class PresentedCredentials:
    """The client's credentials as presented: a secret, or (``private_key_jwt``) an
    assertion, whose client ID is the one it names."""

    client_id: str
    client_secret: str
    method: str
    assertion: str | None = None


def parse_basic(header_value: str) -> tuple[str, str]:
    """Decode ``Basic <base64(id:secret)>`` as RFC 6749 §2.3.1 says: base64, then split on
    the first ``:``, then form-decode (Appendix B) each half.

    One trailing newline after the secret is tolerated: Zentail's documented example builds
    the header with ``echo id:secret | base64``, which encodes echo's newline.

    The header arrives decoded as latin-1 (RFC 9110 §5.5), so it may hold any character;
    anything that is not base64 of UTF-8 text is ``invalid_client``, never an exception of
    another kind (``b64decode`` raises a bare ``ValueError`` for non-ASCII text).
    """
    scheme, _, payload = header_value.strip().partition(" ")
    if scheme.lower() != "basic":
        raise InvalidClient("Unsupported authentication scheme")
    try:
        decoded = base64.b64decode(payload.strip(), validate=True).decode("utf-8")
    except ValueError:  # binascii.Error, UnicodeDecodeError, or a non-ASCII payload
        raise InvalidClient("Malformed Basic credentials") from None
    decoded = decoded.removesuffix("\n")
    client_id, colon, secret = decoded.partition(":")
    if not colon or not client_id:
        raise InvalidClient("Malformed Basic credentials")
    return unquote_plus(client_id), unquote_plus(secret)


def plausible_client_id(value: str) -> bool:
    """Whether ``value`` could be a client ID this server issued (printable ASCII, bounded)."""
    return _PLAUSIBLE_CLIENT_ID.fullmatch(value) is not None


def extract(authorization: str | None, params: Mapping[str, str]) -> PresentedCredentials:
    """Find the one set of client credentials in the request (RFC 6749 §2.3)."""
    credentials = _presented(authorization, params)
    if not plausible_client_id(credentials.client_id):
        raise InvalidClient()
    return credentials


def _presented(authorization: str | None, params: Mapping[str, str]) -> PresentedCredentials:
    body_secret = params.get("client_secret")
    body_client_id = params.get("client_id")
    if "client_assertion" in params or "client_assertion_type" in params:
        if authorization or body_secret is not None:
            raise InvalidRequest("Use one client authentication method, not two")
        return _presented_assertion(params)
    if authorization:
        if body_secret is not None:
            raise InvalidRequest("Use one client authentication method, not two")
        client_id, secret = parse_basic(authorization)
        if body_client_id is not None and body_client_id != client_id:
            raise InvalidRequest("client_id does not match the authenticated client")
        return PresentedCredentials(client_id, secret, BASIC)
    if body_client_id and body_secret:
        return PresentedCredentials(body_client_id, body_secret, POST)
    raise InvalidClient("Client authentication is required")


def _presented_assertion(params: Mapping[str, str]) -> PresentedCredentials:
    """RFC 7521 §4.2: ``client_assertion_type`` names the JWT bearer type and
    ``client_assertion`` holds one JWT; ``client_id``, if sent, is the one the assertion
    names (its ``sub``, RFC 7523 §3)."""
    assertion = params.get("client_assertion")
    if params.get("client_assertion_type") != client_assertion.ASSERTION_TYPE:
        raise InvalidClient("Unsupported client_assertion_type")
    if assertion is None:
        raise InvalidRequest("Missing client_assertion")
    client_id = client_assertion.subject(assertion)
    if client_id is None:
        raise InvalidClient()
    body_client_id = params.get("client_id")
    if body_client_id is not None and body_client_id != client_id:
        raise InvalidRequest("client_id does not match the authenticated client")
    return PresentedCredentials(client_id, "", PRIVATE_KEY_JWT, assertion)


# Why credentials fail: the audit's reasons, and the diagnostics' (zentail.oauth.diagnostics).
# (Names of failures, not secrets.)
UNKNOWN_CLIENT = "unknown client"
WRONG_SECRET = "wrong secret"  # noqa: S105
EXPIRED_SECRET = "expired secret"  # noqa: S105
INVALID_SECRET = "invalid_secret"  # noqa: S105
SECRET_EXPIRED = "secret_expired"  # noqa: S105
SECRET_NOT_ACCEPTED = "secret not accepted"  # noqa: S105 - the app takes assertions only
SECRETS_NOT_ACCEPTED = "secret_not_accepted"
_DIAGNOSES = {EXPIRED_SECRET: SECRET_EXPIRED, SECRET_NOT_ACCEPTED: SECRETS_NOT_ACCEPTED}


def failure(
    client: Client | None, keyring: Keyring, credentials: PresentedCredentials
) -> str | None:
    """Why ``credentials`` do not authenticate ``client`` (``None`` when they do).

    Every candidate digest is compared in constant time, and an unknown client is compared
    against a dummy digest, so the answer's timing does not reveal which case applied. A
    secret past its grace period never authenticates; it is only told apart from a wrong one.
    Nor does any secret of an app that accepts assertions only.
    """
    presented = keyring.digest(credentials.client_secret)
    candidates = client.secret_digests if client else (_UNKNOWN_CLIENT_DIGEST,)
    matched = False
    for digest in candidates:
        matched |= digests_equal(presented, digest)
    if client is None:
        return UNKNOWN_CLIENT
    if matched:
        return None if client.secrets_accepted else SECRET_NOT_ACCEPTED
    expired = False
    for digest in client.expired_secret_digests:
        expired |= digests_equal(presented, digest)
    return EXPIRED_SECRET if expired else WRONG_SECRET


class AsyncClientStore(client_assertion.AsyncAssertionContext, Protocol):
    async def find_client(self, client_id: str) -> Client | None: ...

    async def record_auth_failure(self, client_id: str, reason: str) -> None: ...


async def verified(
    store: AsyncClientStore,
    keyring: Keyring,
    credentials: PresentedCredentials,
    client: Client | None,
) -> Client:
    """RFC 6749 §2.3.1: ``client`` (the one found for ``credentials.client_id``) when the
    presented secret is one of its valid secrets, or its assertion verifies (RFC 7523 §3);
    otherwise the failure is recorded and ``invalid_client`` raised, carrying the reason for
    the diagnostics."""
    if credentials.assertion is not None:
        try:
            return await client_assertion.averify(store, credentials.assertion, client)
        except client_assertion.Refused as refused:
            await store.record_auth_failure(credentials.client_id, _audited(refused, client))
            raise InvalidClient().because(refused.reason, method=PRIVATE_KEY_JWT) from None
    reason = failure(client, keyring, credentials)
    if reason is not None or client is None:
        await store.record_auth_failure(credentials.client_id, reason or UNKNOWN_CLIENT)
        diagnosis = _DIAGNOSES.get(reason or "", INVALID_SECRET)
        raise InvalidClient().because(diagnosis, method=credentials.method)
    return client


def _audited(refused: client_assertion.Refused, client: Client | None) -> str:
    """The audit's reason for a refused assertion (its stable reason; no claim values)."""
    return UNKNOWN_CLIENT if client is None else f"assertion refused: {refused.reason}"


def authenticate(store: ClientStore, keyring: Keyring, credentials: PresentedCredentials) -> Client:
    """Return the client whose valid secret matches (or whose assertion verifies), or raise
    ``invalid_client``."""
    client = store.find_client(credentials.client_id)
    if credentials.assertion is not None:
        try:
            return client_assertion.verify(store, credentials.assertion, client)
        except client_assertion.Refused as refused:
            store.record_auth_failure(credentials.client_id, _audited(refused, client))
            raise InvalidClient() from None
    reason = failure(client, keyring, credentials)
    if reason is not None or client is None:
        store.record_auth_failure(credentials.client_id, reason or "unknown client")
        raise InvalidClient()
    return client
