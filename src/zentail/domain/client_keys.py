"""An app's public keys for ``private_key_jwt`` (RFC 7523 §2.2): registering them (a JWKS
document, or the URL of one), reading them at authentication time, and the store of used
assertion ``jti`` values (docs/decisions/0066).

A ``jwks_uri`` is fetched with httpx and cached per process for at most
:data:`JWKS_CACHE_SECONDS`; it must be ``https`` (``http`` only on a loopback host) and, in
production mode, reach a public address (the webhook URL's rule, server-side request
forgery). A fetch that fails leaves the app without usable keys until the next try.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import json
import logging
import math
import threading
import time

import httpx
from joserfc.jwk import KeySet
from sqlalchemy.orm import Session

from zentail import generations
from zentail.domain import audit
from zentail.domain.actors import Actor
from zentail.domain.errors import InvalidInput
from zentail.domain.webhooks import validate_url
from zentail.limits import Limiter
from zentail.oauth.client_assertion import InvalidJwks, validate_jwks
from zentail.oauth.errors import TemporarilyUnavailable
from zentail.oauth.stores import Client
from zentail.storage.models import App

log = logging.getLogger("zentail.oauth")

JWKS_CACHE_SECONDS = 300.0
JWKS_FAILURE_RETRY_SECONDS = 30.0
JWKS_MAX_BYTES = 64 * 1024
JWKS_FETCH_TIMEOUT = 3.0
MAX_CACHED_URIS = 1000
JTI_KEY_PREFIX = "client-assertion-jti:"

# --- registration ---------------------------------------------------------------------------


def validate_jwks_document(document: str) -> str:
    """The document, canonical (compact JSON), when it is a JWKS an app may register."""
    try:
        validate_jwks(document)
    except InvalidJwks as error:
        raise InvalidInput("jwks", str(error)) from None
    return json.dumps(json.loads(document), separators=(",", ":"), sort_keys=True)


def set_keys(
    session: Session,
    app: App,
    *,
    actor: Actor,
    production: bool,
    jwks: str | None = None,
    jwks_uri: str | None = None,
) -> App:
    """Register the app's public keys: a JWKS document or a URL (one replaces the other;
    neither removes them, and the app can then authenticate with its secrets only)."""
    if jwks is not None and jwks_uri is not None:
        raise InvalidInput("jwks", "give a JWKS document or a JWKS URL, not both")
    if jwks is not None and jwks.strip():
        app.jwks, app.jwks_uri = validate_jwks_document(jwks), None
    elif jwks_uri is not None and jwks_uri.strip():
        app.jwks, app.jwks_uri = (
            None,
            validate_url(jwks_uri, production=production, field="jwks_uri"),
        )
    else:
        app.jwks = app.jwks_uri = None
        app.secrets_accepted = True
    generations.after_commit(session)
    audit.record(session, "app.keys_set", actor, app_id=app.id, jwks_uri=app.jwks_uri)
    return app


def set_secrets_accepted(session: Session, app: App, *, accepted: bool, actor: Actor) -> App:
    """Whether the app's secrets still authenticate it; refusing them needs registered keys
    (else the app could not authenticate at all)."""
    if not accepted and app.jwks is None and app.jwks_uri is None:
        raise InvalidInput("secrets_accepted", "register public keys (a JWKS) first")
    if app.secrets_accepted != accepted:
        app.secrets_accepted = accepted
        generations.after_commit(session)
        audit.record(session, "app.secrets_accepted_set", actor, app_id=app.id, accepted=accepted)
    return app


def save_keys(
    session: Session,
    app: App,
    *,
    jwks: str,
    jwks_uri: str,
    assertions_only: bool,
    actor: Actor,
    production: bool,
) -> App:
    """What the consoles' public-keys form saves: a pasted JWKS or a URL (both empty removes
    the keys), then whether the app's secrets still authenticate it."""
    set_keys(
        session,
        app,
        jwks=jwks if jwks.strip() else None,
        jwks_uri=jwks_uri if jwks_uri.strip() else None,
        actor=actor,
        production=production,
    )
    return set_secrets_accepted(session, app, accepted=not assertions_only, actor=actor)


def key_ids(app: App) -> list[str]:
    """The ``kid``s of the app's registered JWKS document (validated on input)."""
    return [key["kid"] for key in json.loads(app.jwks)["keys"]] if app.jwks else []


# --- reading them ---------------------------------------------------------------------------


class _UriCache:
    """Fetched JWKS documents by URL, each good for :data:`JWKS_CACHE_SECONDS` (a failed
    fetch for :data:`JWKS_FAILURE_RETRY_SECONDS`)."""

    def __init__(self) -> None:
        self._entries: dict[str, tuple[float, KeySet | None]] = {}
        self._lock = threading.Lock()

    def get(self, uri: str) -> tuple[bool, KeySet | None]:
        with self._lock:
            entry = self._entries.get(uri)
        if entry is None or entry[0] <= time.monotonic():
            return False, None
        return True, entry[1]

    def put(self, uri: str, keys: KeySet | None) -> None:
        life = JWKS_CACHE_SECONDS if keys is not None else JWKS_FAILURE_RETRY_SECONDS
        with self._lock:
            if len(self._entries) >= MAX_CACHED_URIS:
                self._entries.clear()
            self._entries[uri] = (time.monotonic() + life, keys)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


URI_CACHE = _UriCache()


def _parsed(body: bytes, uri: str) -> KeySet | None:
    try:
        return validate_jwks(body.decode("utf-8"))
    except (InvalidJwks, UnicodeDecodeError) as error:
        log.warning("jwks_uri %s holds no usable JWKS (%s)", uri, error)
        return None


def _checked_response(response: httpx.Response, uri: str) -> bytes | None:
    if response.status_code != 200 or len(response.content) > JWKS_MAX_BYTES:
        log.warning("jwks_uri %s answered %s", uri, response.status_code)
        return None
    return response.content


def _fetch(uri: str, production: bool) -> KeySet | None:
    try:
        validate_url(uri, production=production, field="jwks_uri")
        with httpx.Client(timeout=JWKS_FETCH_TIMEOUT, follow_redirects=False) as http:
            body = _checked_response(http.get(uri), uri)
    except (httpx.HTTPError, InvalidInput) as error:
        log.warning("jwks_uri %s not fetched (%s)", uri, type(error).__name__)
        return None
    return _parsed(body, uri) if body is not None else None


async def _afetch(uri: str, production: bool) -> KeySet | None:
    try:
        # In production the check resolves the host (a blocking getaddrinfo): off the loop.
        await asyncio.to_thread(validate_url, uri, production=production, field="jwks_uri")
        async with httpx.AsyncClient(timeout=JWKS_FETCH_TIMEOUT, follow_redirects=False) as http:
            body = _checked_response(await http.get(uri), uri)
    except (httpx.HTTPError, InvalidInput) as error:
        log.warning("jwks_uri %s not fetched (%s)", uri, type(error).__name__)
        return None
    return _parsed(body, uri) if body is not None else None


def _inline(client: Client) -> KeySet | None:
    try:
        return validate_jwks(client.jwks) if client.jwks else None
    except InvalidJwks:
        return None


def keys_of(client: Client, *, production: bool) -> KeySet | None:
    """The client's registered public keys, for a worker thread."""
    if client.jwks_uri is None:
        return _inline(client)
    cached, keys = URI_CACHE.get(client.jwks_uri)
    if not cached:
        keys = _fetch(client.jwks_uri, production)
        URI_CACHE.put(client.jwks_uri, keys)
    return keys


async def akeys_of(client: Client, *, production: bool) -> KeySet | None:
    """:func:`keys_of` for the event loop."""
    if client.jwks_uri is None:
        return _inline(client)
    cached, keys = URI_CACHE.get(client.jwks_uri)
    if not cached:
        keys = await _afetch(client.jwks_uri, production)
        URI_CACHE.put(client.jwks_uri, keys)
    return keys


# --- used jti values ------------------------------------------------------------------------


def jti_key(client_id: str, jti: str) -> str:
    """The limiter key for one client's ``jti`` (both attacker-chosen: hashed, bounded)."""
    digest = hashlib.sha256(f"{client_id}\x00{jti}".encode()).hexdigest()[:40]
    return JTI_KEY_PREFIX + digest


def _seconds_until(until: dt.datetime) -> int:
    return max(1, math.ceil((until - dt.datetime.now(dt.UTC)).total_seconds()))


def _answer(first: bool | None) -> bool:
    """Fail closed: when Redis is configured but does not answer, no assertion is accepted
    (a node cannot tell a replay from a first use), and the client is asked to retry."""
    if first is None:
        raise TemporarilyUnavailable(1)
    return first


def first_use(limiter: Limiter, client_id: str, jti: str, until: dt.datetime) -> bool:
    """Whether this is the first use of ``jti`` for ``client_id``, remembered until ``until``
    on every node (Redis ``SET NX EX``)."""
    return _answer(limiter.first_use(jti_key(client_id, jti), _seconds_until(until)))


async def afirst_use(limiter: Limiter, client_id: str, jti: str, until: dt.datetime) -> bool:
    """:func:`first_use` for the event loop."""
    return _answer(await limiter.afirst_use(jti_key(client_id, jti), _seconds_until(until)))
